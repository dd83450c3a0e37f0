using System.Globalization;
using System.Text;
using NetSecStream.Core.Events;
using static NetSecStream.Collectors.Generator.FlowBuilder;

namespace NetSecStream.Collectors.Generator;

/// <summary>
/// Labelled attack episodes. Each one schedules all of its flows when it starts, under its label and episode id,
/// from a pod (or internet address) chosen for the part it plays. <c>scale</c> shrinks or grows an episode:
/// 1 is the size the <c>attack-heavy</c> scenario uses at most, small runs get small but recognisable episodes.
/// </summary>
internal sealed class AttackEpisodes
{
    private static readonly ushort[] CommonPorts =
    [
        21, 22, 23, 25, 53, 80, 110, 111, 135, 139, 143, 443, 445, 993, 995, 1433, 1521, 2049, 2375, 2379, 3000, 3306, 3389,
        5000, 5432, 5601, 5900, 6379, 6443, 8000, 8080, 8081, 8443, 8888, 9000, 9090, 9092, 9200, 9300, 10250, 11211, 27017,
    ];

    private static readonly ushort[] SweepPorts = [22, 80, 443, 2379, 3306, 5432, 6379, 8080, 9200, 10250, 27017];

    private static readonly double[] BeaconPeriods = [30.0, 45.0, 60.0, 90.0];

    private static readonly string[] TunnelDomains = ["t.dnsq-demo.example", "ns1.tunnel-demo.example", "d.resolver-cache-demo.example"];

    private static readonly (string Ip, string Name)[] ExfilTargets =
    [
        ("192.0.2.77", "uploads.filedrop-demo.example"),
        ("192.0.2.145", "sync.cloudbackup-demo.example"),
    ];

    private readonly Cluster _cluster;
    private readonly FlowBuilder _b;
    private readonly SimRandom _random;

    public AttackEpisodes(Cluster cluster, FlowBuilder builder, SimRandom random)
    {
        _cluster = cluster;
        _b = builder;
        _random = random;
    }

    /// <summary>Schedules one episode of <paramref name="label"/> starting at <paramref name="t"/>.</summary>
    public void Start(string label, string episode, long t, double scale)
    {
        _b.Use(label, episode);
        switch (label)
        {
            case TrafficLabels.PortScan:
                PortScan(t, scale);
                break;
            case TrafficLabels.DnsTunnel:
                DnsTunnel(t, scale);
                break;
            case TrafficLabels.C2Beacon:
                C2Beacon(t, scale);
                break;
            case TrafficLabels.LateralMovement:
                LateralMovement(t, scale);
                break;
            case TrafficLabels.Exfiltration:
                Exfiltration(t, scale);
                break;
            case TrafficLabels.BruteForce:
                BruteForce(t, scale);
                break;
            case TrafficLabels.CryptoMining:
                CryptoMining(t, scale);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(label), label, "not an attack label");
        }

        _b.Use(TrafficLabels.Normal, null);
    }

    private int Count(double scale, int low, int high, int minimum) =>
        Math.Max(minimum, (int)Math.Round(scale * _random.Next(low, high + 1)));

    // A SYN scan from one pod: many ports of one pod (vertical) or a few ports across a pod subnet (horizontal).
    // Open ports answer SYN-ACK and the scanner resets; closed ones answer RST; protected namespaces drop.
    private void PortScan(long t, double scale)
    {
        var scanner = _random.Pick(new[] { _cluster.Frontend, _cluster.Catalog, _cluster.Notifier, _cluster.Grafana, _cluster.Cart }).PickPod(_random);
        ushort sourcePort = _random.EphemeralPort();
        long now = t;
        if (_random.Chance(0.6))
        {
            var candidates = _cluster.Workloads.Where(w => w != scanner.Workload && w != _cluster.Ingress).ToArray();
            var target = _random.Pick(candidates).PickPod(_random);
            int probes = Count(scale, 60, 200, 12);
            var ports = new List<ushort>(probes);
            ports.AddRange(CommonPorts.Take(Math.Min(probes, CommonPorts.Length)));
            var seen = new HashSet<ushort>(ports);
            while (ports.Count < probes)
            {
                ushort port = (ushort)_random.Next(1, 10001);
                if (seen.Add(port))
                {
                    ports.Add(port);
                }
            }

            var order = ports.ToArray();
            _random.Shuffle(order);
            foreach (ushort port in order)
            {
                Probe(scanner, target, sourcePort, port, now);
                now += Us(_random.Exponential(4000));
            }

            return;
        }

        int node = _random.Next(_cluster.Nodes.Count);
        var sweepPorts = SweepPorts.OrderBy(_ => _random.NextULong()).Take(_random.Next(1, 4)).ToArray();
        int hosts = Math.Max(8, Count(scale, 40, 150, 8) / sweepPorts.Length);
        int first = _random.Next(2, 60);
        for (int h = 0; h < hosts; h++)
        {
            string ip = string.Create(CultureInfo.InvariantCulture, $"10.0.{node}.{Math.Min(254, first + h)}");
            if (ip == scanner.Ip)
            {
                continue;
            }

            var target = _cluster.PeerAt(ip);
            foreach (ushort port in sweepPorts)
            {
                Probe(scanner, target, sourcePort, port, now);
                now += Us(_random.Exponential(3000));
            }
        }
    }

    private void Probe(Peer scanner, Peer target, ushort sourcePort, ushort port, long at)
    {
        var conn = new Conn(scanner, target, sourcePort, port);
        if (target.Workload is null)
        {
            // Nobody holds the address: the SYN goes unanswered.
            _b.Packet(conn, at, reply: false, TcpFlags.Syn);
            return;
        }

        bool open = port == target.Workload.ServicePort || port == target.Workload.MetricsPort;
        bool protectedNamespace = target.Workload.Namespace is "data" or "kube-system";
        if (protectedNamespace && !open)
        {
            _b.Dropped(conn, at, TcpFlags.Syn, atDestination: true);
            return;
        }

        long rtt = _b.Rtt(scanner, target);
        if (open)
        {
            _b.Packet(conn, at, reply: false, TcpFlags.Syn);
            _b.Packet(conn, at + rtt, reply: true, TcpFlags.Syn | TcpFlags.Ack);
            _b.Packet(conn, at + rtt + Us(30), reply: false, TcpFlags.Rst);
        }
        else
        {
            _b.Refused(conn, at, rtt);
        }
    }

    // Data smuggled in long random labels of queries for one domain, mostly TXT, answered by the attacker's server.
    private void DnsTunnel(long t, double scale)
    {
        var source = _random.Pick(new[] { _cluster.Catalog, _cluster.Notifier, _cluster.Payments, _cluster.Cart, _cluster.Frontend }).PickPod(_random);
        string domain = _random.Pick(TunnelDomains);
        bool hex = _random.Chance(0.4);
        int queries = Count(scale, 50, 150, 15);
        int sequence = _random.Next(0, 0x8000);
        long now = t;
        var name = new StringBuilder(256);
        for (int i = 0; i < queries; i++)
        {
            name.Clear();
            AppendEncoded(name, _random.Next(48, 64), hex);
            if (_random.Chance(0.5))
            {
                name.Append('.');
                AppendEncoded(name, _random.Next(20, 64), hex);
            }

            name.Append('.').Append((sequence + i).ToString("x4", CultureInfo.InvariantCulture)).Append('.').Append(domain).Append('.');
            double kind = _random.NextDouble();
            string type = kind < 0.75 ? "TXT" : kind < 0.9 ? "CNAME" : "MX";
            bool nx = _random.Chance(0.03);
            var exchange = new DnsExchange
            {
                Query = name.ToString(),
                QueryType = type,
                Rcode = nx ? 3 : 0,
                Ttl = nx ? uint.MaxValue : 1,
                AnswerTypes = nx ? [] : [type],
            };
            _b.Dns(source, exchange, now, Ms(_random.LogNormal(28, 0.4)));
            now += Ms(_random.Exponential(180));
            if (_random.Chance(0.08))
            {
                now += Ms(_random.Exponential(2500));
            }
        }
    }

    private void AppendEncoded(StringBuilder sb, int length, bool hex)
    {
        const string Base32 = "abcdefghijklmnopqrstuvwxyz234567";
        const string Hex = "0123456789abcdef";
        string alphabet = hex ? Hex : Base32;
        for (int i = 0; i < length; i++)
        {
            sb.Append(alphabet[_random.Next(alphabet.Length)]);
        }
    }

    // Periodic check-ins with small jitter from one pod to a listed C2 server, after resolving its listed domain.
    private void C2Beacon(long t, double scale)
    {
        var implant = _random.Pick(new[] { _cluster.Frontend, _cluster.Catalog, _cluster.Cart, _cluster.Notifier, _cluster.Payments }).PickPod(_random);
        int choice = _random.Next(DemoIndicators.C2Addresses.Count + 1);
        string ip = choice < DemoIndicators.C2Addresses.Count ? DemoIndicators.C2Addresses[choice] : DemoIndicators.C2CidrMember;
        string? domain = choice < DemoIndicators.C2Domains.Count ? DemoIndicators.C2Domains[choice] : null;
        var server = _cluster.WorldPeer(ip, domain);
        double portKind = _random.NextDouble();
        ushort port = domain is null ? (ushort)8443 : portKind < 0.6 ? (ushort)443 : portKind < 0.85 ? (ushort)80 : (ushort)8080;
        double period = _random.Pick(BeaconPeriods);
        double jitter = 0.03 + (_random.NextDouble() * 0.12);
        int beacons = Count(scale, 12, 30, 4);
        string botId = _cluster.RandomToken(16, "0123456789abcdef");
        long now = t;
        for (int i = 0; i < beacons; i++)
        {
            long at = now;
            if (domain is not null && i % 5 == 0)
            {
                at = _b.ResolveExternal(implant, domain, [ip], at, ttl: 300, searchPath: i == 0 && _random.Chance(0.5)) + Us(200);
            }

            var conn = new Conn(implant, server, _random.EphemeralPort(), port);
            long rtt = _b.Rtt(implant, server);
            at = _b.Handshake(conn, at, rtt);
            if (port is 80 or 8080)
            {
                var exchange = new HttpExchange
                {
                    Method = i % 4 == 3 ? "POST" : "GET",
                    Url = "http://" + domain + (port == 80 ? "" : ":8080") + (i % 4 == 3 ? "/api/v2/submit?id=" + botId : "/api/v2/status?id=" + botId + "&s=" + i.ToString(CultureInfo.InvariantCulture)),
                    Code = 200,
                    LatencyNs = rtt + Ms(_random.LogNormal(12, 0.3)),
                    Headers = i % 4 == 3
                        ? Headers(("Accept", "*/*"), ("Content-Length", _random.Next(200, 900).ToString(CultureInfo.InvariantCulture)),
                            ("User-Agent", "Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; rv:11.0) like Gecko"))
                        : Headers(("Accept", "*/*"), ("User-Agent", "Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; rv:11.0) like Gecko")),
                };
                at = _b.Http(conn, at + Us(50), exchange);
            }
            else
            {
                at = _b.Exchange(conn, at, rtt, Ms(1));
                at = _b.Exchange(conn, at + Us(100), rtt, Ms(_random.LogNormal(10, 0.3)));
            }

            _b.Close(conn, at + Us(300), rtt);
            now += (long)(period * (1.0 + (jitter * ((2.0 * _random.NextDouble()) - 1.0))) * Second);
        }
    }

    // A pod reaching into a namespace it never talks to: the database, Kafka, monitoring's admin APIs, or an SSH
    // and kubelet sweep.
    private void LateralMovement(long t, double scale)
    {
        var source = _random.Pick(new[] { _cluster.Frontend, _cluster.Cart, _cluster.Payments }).PickPod(_random);
        int rounds = Count(scale, 1, 3, 1);
        long now = t;
        for (int round = 0; round < rounds; round++)
        {
            now = _random.Next(4) switch
            {
                0 => DatabaseAccess(source, now),
                1 => SshSweep(source, now),
                2 => KafkaAccess(source, now),
                _ => MonitoringAdmin(source, now),
            };
            now += Ms(_random.Next(5000, 40000));
        }
    }

    private long DatabaseAccess(Peer source, long t)
    {
        var postgres = _cluster.Postgres.Pods[0];
        long now = _b.ResolveService(source, _cluster.Postgres, t) + Us(200);
        long rtt = _b.Rtt(source, postgres);
        _b.Refused(new Conn(source, postgres, _random.EphemeralPort(), 3306), now, rtt);
        var conn = new Conn(source, postgres, _random.EphemeralPort(), 5432, Service: _cluster.Postgres);
        now = _b.Handshake(conn, now + Ms(2), rtt);
        int queries = _random.Next(4, 12);
        for (int i = 0; i < queries; i++)
        {
            now = _b.Exchange(conn, now + Ms(_random.Next(5, 200)), rtt, Ms(_random.LogNormal(8, 0.8)));
        }

        return _b.Close(conn, now + Ms(2), rtt);
    }

    private long SshSweep(Peer source, long t)
    {
        long now = t;
        var targets = new[] { _cluster.Postgres, _cluster.Kafka, _cluster.Prometheus, _cluster.Grafana, _cluster.RepoServer }
            .SelectMany(w => w.Pods).ToArray();
        foreach (var target in targets)
        {
            var conn = new Conn(source, target, _random.EphemeralPort(), 22);
            if (target.Workload!.Namespace == "data")
            {
                _b.Dropped(conn, now, TcpFlags.Syn, atDestination: true);
            }
            else
            {
                _b.Refused(conn, now, _b.Rtt(source, target));
            }

            now += Ms(_random.Exponential(40));
        }

        // The kubelet API answers on every node.
        foreach (var node in _cluster.Nodes)
        {
            var conn = new Conn(source, node.RemoteNode, _random.EphemeralPort(), 10250);
            long rtt = _b.Rtt(source, node.RemoteNode);
            long at = _b.Handshake(conn, now, rtt);
            at = _b.Exchange(conn, at, rtt, Ms(1));
            at = _b.Exchange(conn, at + Us(100), rtt, Ms(3));
            _b.Close(conn, at + Us(200), rtt);
            now += Ms(_random.Exponential(60));
        }

        return now;
    }

    private long KafkaAccess(Peer source, long t)
    {
        long now = _b.ResolveService(source, _cluster.Kafka, t) + Us(200);
        var broker = _cluster.Kafka.PickPod(_random);
        var conn = new Conn(source, broker, _random.EphemeralPort(), 9092, Service: _cluster.Kafka);
        long rtt = _b.Rtt(source, broker);
        now = _b.Handshake(conn, now, rtt);
        int requests = _random.Next(3, 7);
        for (int i = 0; i < requests; i++)
        {
            now = _b.Exchange(conn, now + Ms(_random.Next(2, 50)), rtt, Ms(_random.LogNormal(15, 0.6)));
        }

        return _b.Close(conn, now + Ms(1), rtt);
    }

    private long MonitoringAdmin(Peer source, long t)
    {
        long now = t;
        var grafana = _cluster.Grafana.Pods[0];
        var prometheus = _cluster.Prometheus.Pods[0];
        (Peer Server, Workload Service, string Path, int Code)[] calls =
        [
            (grafana, _cluster.Grafana, "/api/admin/users", _random.Chance(0.5) ? 200 : 401),
            (grafana, _cluster.Grafana, "/api/datasources", 200),
            (prometheus, _cluster.Prometheus, "/api/v1/targets", 200),
            (prometheus, _cluster.Prometheus, "/api/v1/status/config", 200),
        ];
        foreach (var (server, service, path, code) in calls)
        {
            var conn = new Conn(source, server, _random.EphemeralPort(), service.ServicePort, Service: service);
            long rtt = _b.Rtt(source, server);
            long at = _b.Handshake(conn, now, rtt);
            var exchange = new HttpExchange
            {
                Method = "GET",
                Url = "http://" + service.HostFor(source.Workload?.Namespace) + path,
                Code = code,
                LatencyNs = Ms(_random.LogNormal(6, 0.5)),
                Headers = Headers(("Accept", "*/*"), ("User-Agent", "curl/7.88.1")),
            };
            at = _b.Http(conn, at + Us(50), exchange);
            _b.Close(conn, at + Us(200), rtt);
            now = at + Ms(_random.Next(200, 3000));
        }

        return now;
    }

    // Large uploads to one outside address: HTTP POSTs of tens of megabytes, or bulk TLS connections.
    private void Exfiltration(long t, double scale)
    {
        var source = _random.Pick(new[] { _cluster.Postgres, _cluster.Catalog, _cluster.Notifier }).PickPod(_random);
        var (ip, name) = _random.Pick(ExfilTargets);
        var server = _cluster.WorldPeer(ip, name);
        bool http = _random.Chance(0.5);
        int parts = Count(scale, 6, 16, 2);
        string upload = _cluster.RandomToken(12, "abcdefghijklmnopqrstuvwxyz0123456789");
        long now = _b.ResolveExternal(source, name, [ip], t, ttl: 60, searchPath: _random.Chance(0.5)) + Us(200);
        for (int part = 1; part <= parts; part++)
        {
            var conn = new Conn(source, server, _random.EphemeralPort(), http ? (ushort)80 : (ushort)443);
            long rtt = _b.Rtt(source, server);
            long at = _b.Handshake(conn, now, rtt);
            long bytes = (long)(_random.Next(20, 96) * 1_048_576L * (0.9 + (_random.NextDouble() * 0.2)));
            long duration = (long)(bytes / (_random.Next(15, 60) * 1_048_576.0) * Second);
            if (!http)
            {
                at = _b.Exchange(conn, at, rtt, Ms(1));
            }

            int segments = _random.Next(6, 15);
            for (int s = 0; s < segments; s++)
            {
                long segment = at + Us(300) + (duration * s / segments);
                _b.Packet(conn, segment, reply: false, TcpFlags.Psh | TcpFlags.Ack);
                if (s % 3 == 2)
                {
                    _b.Packet(conn, segment + rtt, reply: true, TcpFlags.Ack);
                }
            }

            if (http)
            {
                var exchange = new HttpExchange
                {
                    Method = "POST",
                    Url = "http://" + name + "/upload/" + upload + "/part-" + part.ToString("D4", CultureInfo.InvariantCulture),
                    Code = 201,
                    LatencyNs = duration + rtt + Ms(_random.Next(5, 40)),
                    Headers = Headers(("Accept", "*/*"), ("Content-Length", bytes.ToString(CultureInfo.InvariantCulture)),
                        ("Content-Type", "application/octet-stream"), ("User-Agent", "curl/8.5.0")),
                };
                at = _b.Http(conn, at + Us(100), exchange);
            }
            else
            {
                at += duration + rtt;
                _b.Packet(conn, at, reply: true, TcpFlags.Psh | TcpFlags.Ack);
            }

            _b.Close(conn, at + Ms(1), rtt);
            now += Ms(_random.Exponential(400));
        }
    }

    // Many short authentication attempts: SSH against the SFTP gateway from the internet, the shop's login API
    // through the ingress, or Postgres from inside.
    private void BruteForce(long t, double scale)
    {
        switch (_random.Next(3))
        {
            case 0:
                SshBruteForce(t, scale);
                break;
            case 1:
                LoginBruteForce(t, scale);
                break;
            default:
                PostgresBruteForce(t, scale);
                break;
        }
    }

    private Peer AttackerAddress() =>
        _cluster.WorldPeer(string.Create(CultureInfo.InvariantCulture, $"192.0.2.{_random.Next(10, 70)}"), null);

    private void SshBruteForce(long t, double scale)
    {
        var attacker = AttackerAddress();
        var sftp = _cluster.Sftp.Pods[0];
        int attempts = Count(scale, 15, 45, 6);
        long now = t;
        for (int i = 0; i < attempts; i++)
        {
            var conn = new Conn(attacker, sftp, _random.EphemeralPort(), 22, Ingress: true);
            long rtt = _b.Rtt(attacker, sftp);
            long at = _b.Handshake(conn, now, rtt);
            at = _b.Exchange(conn, at, rtt, Ms(2));
            at = _b.Exchange(conn, at + Ms(1), rtt, Ms(_random.LogNormal(300, 0.3)));
            _b.CloseByServer(conn, at + Ms(1), rtt);
            now += Ms(_random.Exponential(900)) + Ms(100);
        }
    }

    private void LoginBruteForce(long t, double scale)
    {
        var attacker = AttackerAddress();
        var ingressPod = _cluster.Ingress.PickPod(_random);
        var frontendPod = _cluster.Frontend.PickPod(_random);
        var outer = new Conn(attacker, ingressPod, _random.EphemeralPort(), 443, Ingress: true);
        long rtt = _b.Rtt(attacker, ingressPod);
        long now = _b.Handshake(outer, t, rtt);
        now = _b.Exchange(outer, now, rtt, Ms(1));
        var inner = _b.Pooled(ingressPod, frontendPod, 8080, _cluster.Frontend, out bool fresh);
        if (fresh)
        {
            now = _b.Handshake(inner, now, _b.Rtt(ingressPod, frontendPod));
        }

        string agent = _random.Chance(0.5) ? "Mozilla/5.0 (Hydra)" : "python-requests/2.31.0";
        int attempts = Count(scale, 60, 160, 10);
        bool cracked = _random.Chance(0.3);
        for (int i = 0; i < attempts; i++)
        {
            bool success = cracked && i == attempts - 1;
            var exchange = new HttpExchange
            {
                Method = "POST",
                Url = "http://shop.example.com/api/login",
                Code = success ? 200 : 401,
                LatencyNs = Ms(_random.LogNormal(45, 0.25)),
                Headers = Headers(("Accept", "*/*"), ("Content-Length", _random.Next(44, 72).ToString(CultureInfo.InvariantCulture)),
                    ("Content-Type", "application/x-www-form-urlencoded"), ("User-Agent", agent), ("X-Forwarded-For", attacker.Ip),
                    ("X-Forwarded-Proto", "https"), ("X-Request-Id", _b.Uuid())),
            };
            _b.Http(inner, now, exchange);
            now += Ms(_random.Exponential(220)) + Ms(20);
        }

        _b.Close(outer, now + Ms(100), rtt);
    }

    private void PostgresBruteForce(long t, double scale)
    {
        var source = _random.Pick(new[] { _cluster.Notifier, _cluster.Cart }).PickPod(_random);
        var postgres = _cluster.Postgres.Pods[0];
        int attempts = Count(scale, 12, 35, 6);
        long now = t;
        for (int i = 0; i < attempts; i++)
        {
            var conn = new Conn(source, postgres, _random.EphemeralPort(), 5432, Service: _cluster.Postgres);
            long rtt = _b.Rtt(source, postgres);
            long at = _b.Handshake(conn, now, rtt);
            at = _b.Exchange(conn, at, rtt, Us(300));
            at = _b.Exchange(conn, at + Us(50), rtt, Ms(_random.LogNormal(3, 0.3)));
            _b.CloseByServer(conn, at + Us(100), rtt);
            now += Ms(_random.Exponential(350)) + Ms(30);
        }
    }

    // A miner: resolve a listed pool, keep one stratum connection open, receive jobs and submit shares.
    private void CryptoMining(long t, double scale)
    {
        var miner = _random.Pick(new[] { _cluster.Catalog, _cluster.Frontend, _cluster.Notifier, _cluster.Grafana }).PickPod(_random);
        ushort port = (ushort)_random.Pick(DemoIndicators.StratumPorts);
        long now = t;
        int choice = PoolChoice();
        if (_random.Chance(0.25))
        {
            // The first pool is blocked by the egress policy; the miner fails over to another.
            var (blockedIp, blockedName) = Pool(choice);
            if (blockedName is not null)
            {
                now = _b.ResolveExternal(miner, blockedName, [blockedIp], now, ttl: 300, searchPath: false);
            }

            var blocked = new Conn(miner, _cluster.WorldPeer(blockedIp, blockedName), _random.EphemeralPort(), port);
            now = _b.DroppedSyn(blocked, now + Us(100), atDestination: false) + Second;
            choice = (choice + 1) % (DemoIndicators.MiningPoolAddresses.Count + 1);
        }

        var (ip, name) = Pool(choice);
        if (name is not null)
        {
            now = _b.ResolveExternal(miner, name, [ip], now, ttl: 300, searchPath: _random.Chance(0.5)) + Us(100);
        }

        var conn = new Conn(miner, _cluster.WorldPeer(ip, name), _random.EphemeralPort(), port);
        long rtt = _b.Rtt(miner, conn.Server);
        now = _b.Handshake(conn, now, rtt);
        now = _b.Exchange(conn, now, rtt, Ms(2));
        now = _b.Exchange(conn, now + Ms(1), rtt, Ms(5));
        int messages = Count(scale, 30, 90, 8);
        for (int i = 0; i < messages; i++)
        {
            now += (long)(_random.Exponential(12) * Second);
            if (_random.Chance(0.55))
            {
                _b.Packet(conn, now, reply: true, TcpFlags.Psh | TcpFlags.Ack);
                _b.Packet(conn, now + Us(_random.Next(100, 400)), reply: false, TcpFlags.Ack);
            }
            else
            {
                _b.Exchange(conn, now, rtt, Ms(_random.LogNormal(3, 0.4)));
            }
        }

        if (_random.Chance(0.3))
        {
            _b.Close(conn, now + Second, rtt);
        }
    }

    private int PoolChoice() => _random.Next(DemoIndicators.MiningPoolAddresses.Count + 1);

    private static (string Ip, string? Name) Pool(int choice) =>
        choice < DemoIndicators.MiningPoolAddresses.Count
            ? (DemoIndicators.MiningPoolAddresses[choice], DemoIndicators.MiningPoolDomains[choice])
            : (DemoIndicators.MiningPoolCidrMember, null);
}
