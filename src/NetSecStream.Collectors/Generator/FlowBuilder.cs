using System.Globalization;
using NetSecStream.Core.Events;

namespace NetSecStream.Collectors.Generator;

/// <summary>A transport connection (or UDP/ICMP exchange) between a client and a server.</summary>
/// <param name="Client">The side that opened the connection.</param>
/// <param name="Server">The side that accepted it.</param>
/// <param name="ClientPort">The client's (ephemeral) port; 0 for ICMP.</param>
/// <param name="ServerPort">The service port; 0 for ICMP.</param>
/// <param name="Protocol">IANA protocol number: 6 TCP, 17 UDP, 1 ICMP.</param>
/// <param name="Ingress">True when the connection enters the cluster or the server's endpoint is the one Hubble
/// reports it for (world or host to pod): Hubble then marks it INGRESS and the server's node observes it.</param>
/// <param name="Service">The Kubernetes service the client addressed, when it went through one.</param>
internal readonly record struct Conn(
    Peer Client,
    Peer Server,
    ushort ClientPort,
    ushort ServerPort,
    byte Protocol = 6,
    bool Ingress = false,
    Workload? Service = null);

/// <summary>Flows waiting to be emitted, in time order; ties keep the order they were scheduled in.</summary>
internal sealed class Timeline
{
    private readonly PriorityQueue<FlowRecord, (long Time, long Sequence)> _queue = new();
    private long _sequence;

    public int Count => _queue.Count;

    public long PeekTime => _queue.Peek().TimeNs;

    public void Add(FlowRecord flow) => _queue.Enqueue(flow, (flow.TimeNs, _sequence++));

    public FlowRecord Take() => _queue.Dequeue();
}

/// <summary>
/// Builds the flows of connections, DNS lookups and HTTP exchanges the way a Cilium agent reports them, and
/// schedules them on the <see cref="Timeline"/> under the current label and episode. All durations are
/// nanoseconds of simulated time.
/// </summary>
internal sealed class FlowBuilder
{
    public const long Microsecond = 1_000L;
    public const long Millisecond = 1_000_000L;
    public const long Second = 1_000_000_000L;

    private readonly Cluster _cluster;
    private readonly SimRandom _random;
    private readonly Timeline _timeline;
    private readonly Dictionary<(Peer Client, Peer Server, ushort Port), ushort> _pooledPorts = [];

    public FlowBuilder(Cluster cluster, SimRandom random, Timeline timeline)
    {
        _cluster = cluster;
        _random = random;
        _timeline = timeline;
    }

    public string Label { get; private set; } = TrafficLabels.Normal;

    public string? Episode { get; private set; }

    /// <summary>Labels every flow scheduled from now on.</summary>
    public void Use(string label, string? episode)
    {
        Label = label;
        Episode = episode;
    }

    public static long Ms(double milliseconds) => (long)(milliseconds * Millisecond);

    public static long Us(double microseconds) => (long)(microseconds * Microsecond);

    /// <summary>A plausible round-trip time between two peers.</summary>
    public long Rtt(Peer a, Peer b)
    {
        if (a.IsWorld || b.IsWorld)
        {
            return Ms(_random.LogNormal(35, 0.6));
        }

        if (a.Node is null || b.Node is null)
        {
            return Us(_random.Next(600, 2500));
        }

        return ReferenceEquals(a.Node, b.Node) ? Us(_random.Next(30, 120)) : Us(_random.Next(180, 700));
    }

    /// <summary>
    /// A long-lived connection from a client to a server (connection pools, keep-alive): the same client port
    /// each time, re-established now and then. <paramref name="fresh"/> says the caller must open it.
    /// </summary>
    public Conn Pooled(Peer client, Peer server, ushort port, Workload? service, out bool fresh)
    {
        var key = (client, server, port);
        fresh = !_pooledPorts.TryGetValue(key, out ushort clientPort) || _random.Chance(0.02);
        if (fresh)
        {
            clientPort = _random.EphemeralPort();
            _pooledPorts[key] = clientPort;
        }

        return new Conn(client, server, clientPort, port, Service: service);
    }

    /// <summary>Schedules one traced packet of a connection.</summary>
    public void Packet(in Conn c, long time, bool reply, TcpFlags flags)
    {
        _timeline.Add(new FlowRecord
        {
            TimeNs = time,
            Source = reply ? c.Server : c.Client,
            Destination = reply ? c.Client : c.Server,
            Protocol = c.Protocol,
            SourcePort = reply ? c.ServerPort : c.ClientPort,
            DestinationPort = reply ? c.ClientPort : c.ServerPort,
            Flags = flags,
            Ingress = c.Ingress,
            IsReply = reply,
            Point = PointFor(c, reply),
            ObservedAt = ObserverFor(c),
            Service = c.Service,
            Label = Label,
            Episode = Episode,
        });
    }

    /// <summary>
    /// A packet the network policy dropped: at the destination's ingress (reported by its node as INGRESS) or at
    /// the source's egress (reported by the source's node as EGRESS).
    /// </summary>
    public void Dropped(in Conn c, long time, TcpFlags flags, bool atDestination)
    {
        var observer = atDestination ? c.Server.Node : c.Client.Node;
        _timeline.Add(new FlowRecord
        {
            TimeNs = time,
            Source = c.Client,
            Destination = c.Server,
            Protocol = c.Protocol,
            SourcePort = c.ClientPort,
            DestinationPort = c.ServerPort,
            Flags = flags,
            Dropped = true,
            Ingress = atDestination,
            ObservedAt = observer ?? ObserverFor(c),
            Service = c.Service,
            Label = Label,
            Episode = Episode,
        });
    }

    /// <summary>A SYN the policy drops, with the kernel's retransmissions after 1 and 3 seconds.</summary>
    public long DroppedSyn(in Conn c, long time, bool atDestination, int attempts = 3)
    {
        long t = time;
        for (int i = 0; i < attempts; i++)
        {
            t = time + (((1L << i) - 1) * Second);
            Dropped(c, t, TcpFlags.Syn, atDestination);
        }

        return t;
    }

    public long Handshake(in Conn c, long time, long rtt)
    {
        Packet(c, time, reply: false, TcpFlags.Syn);
        Packet(c, time + rtt, reply: true, TcpFlags.Syn | TcpFlags.Ack);
        long ack = time + rtt + Us(_random.Next(15, 80));
        Packet(c, ack, reply: false, TcpFlags.Ack);
        return ack;
    }

    /// <summary>One request segment from the client and the server's answer.</summary>
    public long Exchange(in Conn c, long time, long rtt, long serverTime)
    {
        Packet(c, time, reply: false, TcpFlags.Psh | TcpFlags.Ack);
        long answer = time + rtt + serverTime;
        Packet(c, answer, reply: true, TcpFlags.Psh | TcpFlags.Ack);
        return answer;
    }

    /// <summary>The client closes: FIN from the client, FIN back, final ACK.</summary>
    public long Close(in Conn c, long time, long rtt)
    {
        Packet(c, time, reply: false, TcpFlags.Fin | TcpFlags.Ack);
        Packet(c, time + rtt, reply: true, TcpFlags.Fin | TcpFlags.Ack);
        long ack = time + rtt + Us(_random.Next(15, 80));
        Packet(c, ack, reply: false, TcpFlags.Ack);
        return ack;
    }

    /// <summary>The server closes first (a daemon ending a session).</summary>
    public long CloseByServer(in Conn c, long time, long rtt)
    {
        Packet(c, time, reply: true, TcpFlags.Fin | TcpFlags.Ack);
        Packet(c, time + rtt, reply: false, TcpFlags.Fin | TcpFlags.Ack);
        long ack = time + rtt + Us(_random.Next(15, 80));
        Packet(c, ack, reply: true, TcpFlags.Ack);
        return ack;
    }

    /// <summary>A SYN to a closed port: the peer answers RST, ACK.</summary>
    public long Refused(in Conn c, long time, long rtt)
    {
        Packet(c, time, reply: false, TcpFlags.Syn);
        Packet(c, time + rtt, reply: true, TcpFlags.Rst | TcpFlags.Ack);
        return time + rtt;
    }

    public void Icmp(in Conn c, long time, bool reply, byte type, byte code = 0)
    {
        _timeline.Add(new FlowRecord
        {
            TimeNs = time,
            Source = reply ? c.Server : c.Client,
            Destination = reply ? c.Client : c.Server,
            Protocol = 1,
            IcmpType = type,
            IcmpCode = code,
            Ingress = c.Ingress,
            IsReply = reply,
            Point = PointFor(c, reply),
            ObservedAt = ObserverFor(c),
            Label = Label,
            Episode = Episode,
        });
    }

    /// <summary>An HTTP request and its response as the L7 proxy reports them; returns when the response is seen.</summary>
    public long Http(in Conn c, long time, HttpExchange exchange)
    {
        var observer = ObserverFor(c);
        _timeline.Add(new FlowRecord
        {
            TimeNs = time,
            Source = c.Client,
            Destination = c.Server,
            Protocol = 6,
            SourcePort = c.ClientPort,
            DestinationPort = c.ServerPort,
            Ingress = c.Ingress,
            ObservedAt = observer,
            L7 = L7Kind.HttpRequest,
            Http = exchange,
            Service = c.Service,
            Label = Label,
            Episode = Episode,
        });
        long end = time + exchange.LatencyNs;
        _timeline.Add(new FlowRecord
        {
            TimeNs = end,
            Source = c.Server,
            Destination = c.Client,
            Protocol = 6,
            SourcePort = c.ServerPort,
            DestinationPort = c.ClientPort,
            Ingress = c.Ingress,
            IsReply = true,
            ObservedAt = observer,
            L7 = L7Kind.HttpResponse,
            Http = exchange,
            Service = c.Service,
            Label = Label,
            Episode = Episode,
        });
        return end;
    }

    /// <summary>
    /// One DNS query from a pod to CoreDNS through Cilium's DNS proxy: the UDP datagram redirected to the proxy
    /// (when <paramref name="withDatagram"/>), then the proxy's request and response records.
    /// </summary>
    public long Dns(Peer client, DnsExchange exchange, long time, long latency, bool withDatagram = true)
    {
        var server = _cluster.CoreDns.PickPod(_random);
        var c = new Conn(client, server, _random.EphemeralPort(), 53, Protocol: 17, Service: _cluster.CoreDns);
        var observer = ObserverFor(c);
        if (withDatagram)
        {
            _timeline.Add(new FlowRecord
            {
                TimeNs = time,
                Source = client,
                Destination = server,
                Protocol = 17,
                SourcePort = c.ClientPort,
                DestinationPort = 53,
                Point = ObservationPoint.ToProxy,
                ObservedAt = observer,
                Service = c.Service,
                Label = Label,
                Episode = Episode,
            });
        }

        long request = time + Us(_random.Next(20, 90));
        foreach (var (at, reply) in new[] { (request, false), (request + latency, true) })
        {
            _timeline.Add(new FlowRecord
            {
                TimeNs = at,
                Source = reply ? server : client,
                Destination = reply ? client : server,
                Protocol = 17,
                SourcePort = reply ? (ushort)53 : c.ClientPort,
                DestinationPort = reply ? c.ClientPort : (ushort)53,
                IsReply = reply,
                ObservedAt = observer,
                L7 = reply ? L7Kind.DnsResponse : L7Kind.DnsRequest,
                Dns = exchange,
                Service = c.Service,
                Label = Label,
                Episode = Episode,
            });
        }

        return request + latency;
    }

    /// <summary>A cluster-local lookup of a service name (A, answered with its ClusterIP).</summary>
    public long ResolveService(Peer client, Workload service, long time)
    {
        var exchange = new DnsExchange
        {
            Query = service.Fqdn,
            QueryType = "A",
            Ips = [service.ClusterIp],
            Ttl = 30,
            AnswerTypes = ["A"],
        };
        return Dns(client, exchange, time, Us(_random.Next(150, 900)));
    }

    /// <summary>
    /// Resolves an outside name the way glibc does in a pod with <c>ndots:5</c>: a name with fewer than five
    /// dots is first tried with each search domain (NXDOMAIN from CoreDNS), then as given, A and AAAA together.
    /// </summary>
    public long ResolveExternal(Peer client, string name, IReadOnlyList<string> ips, long time, uint ttl = 60, bool searchPath = true)
    {
        long t = time;
        string ns = client.Workload?.Namespace ?? "default";
        if (searchPath && name.Count(c => c == '.') < 5)
        {
            foreach (string suffix in SearchDomains(ns))
            {
                var miss = new DnsExchange { Query = name + "." + suffix + ".", QueryType = "A", Rcode = 3, Ttl = uint.MaxValue };
                t = Dns(client, miss, t, Us(_random.Next(120, 600))) + Us(_random.Next(10, 60));
            }
        }

        var answer = new DnsExchange
        {
            Query = name + ".",
            QueryType = "A",
            Ips = ips,
            Ttl = ttl,
            AnswerTypes = ips.Count > 0 ? ["A"] : [],
        };
        long upstream = Ms(_random.LogNormal(6, 0.7));
        long end = Dns(client, answer, t, upstream);
        var none = new DnsExchange { Query = name + ".", QueryType = "AAAA", Ttl = ttl };
        Dns(client, none, t + Us(_random.Next(5, 40)), upstream + Us(_random.Next(50, 400)), withDatagram: false);
        return end;
    }

    public static string[] SearchDomains(string ns) => [ns + ".svc.cluster.local", "svc.cluster.local", "cluster.local"];

    /// <summary>Request headers sorted by key, as Hubble lists them.</summary>
    public static KeyValuePair<string, string>[] Headers(params (string Key, string Value)[] headers)
    {
        var result = new KeyValuePair<string, string>[headers.Length];
        for (int i = 0; i < headers.Length; i++)
        {
            result[i] = new KeyValuePair<string, string>(headers[i].Key, headers[i].Value);
        }

        Array.Sort(result, static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        return result;
    }

    /// <summary>A random version 4 UUID, as proxies put in X-Request-Id.</summary>
    public string Uuid()
    {
        ulong hi = (_random.NextULong() & 0xFFFFFFFFFFFF0FFFUL) | 0x0000000000004000UL;
        ulong lo = (_random.NextULong() & 0x3FFFFFFFFFFFFFFFUL) | 0x8000000000000000UL;
        return string.Create(36, (hi, lo), static (span, v) =>
        {
            const string Hex = "0123456789abcdef";
            int n = 0;
            for (int i = 0; i < 32; i++)
            {
                if (i is 8 or 12 or 16 or 20)
                {
                    span[n++] = '-';
                }

                ulong word = i < 16 ? v.hi : v.lo;
                int shift = (15 - (i % 16)) * 4;
                span[n++] = Hex[(int)((word >> shift) & 0xF)];
            }
        });
    }

    public static string Port(ushort port) => port.ToString(CultureInfo.InvariantCulture);

    private ClusterNode ObserverFor(in Conn c)
    {
        if (c.Ingress)
        {
            return c.Server.Node ?? c.Client.Node ?? _cluster.Nodes[0];
        }

        return c.Client.Node ?? c.Server.Node ?? _cluster.Nodes[0];
    }

    private static ObservationPoint PointFor(in Conn c, bool reply)
    {
        if (c.Ingress)
        {
            if (!reply)
            {
                return ObservationPoint.ToEndpoint;
            }

            return c.Client.IsWorld || ReferenceEquals(c.Client.Node, c.Server.Node) ? ObservationPoint.ToStack : ObservationPoint.ToOverlay;
        }

        if (reply)
        {
            return ObservationPoint.ToEndpoint;
        }

        if (c.Server.IsWorld || c.Server.Node is null)
        {
            return ObservationPoint.ToStack;
        }

        return ReferenceEquals(c.Server.Node, c.Client.Node) ? ObservationPoint.ToEndpoint : ObservationPoint.ToOverlay;
    }
}
