using System.Globalization;
using System.Net;
using System.Net.Sockets;
using NetSecStream.Core.Events;

namespace NetSecStream.Behaviour.Features;

/// <summary>Limits of <see cref="FlowFeatureExtractor"/>'s state, per owner (partition).</summary>
public sealed class FlowFeatureExtractorOptions
{
    /// <summary>Length of the sliding windows, in event time.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>A connection with no event for this long starts afresh.</summary>
    public TimeSpan ConnectionIdle { get; set; } = TimeSpan.FromMinutes(5);

    public int MaxConnections { get; set; } = 65_536;

    public int MaxSources { get; set; } = 8_192;

    public int MaxWorkloads { get; set; } = 2_048;

    public int MaxPairs { get; set; } = 16_384;

    /// <summary>Window entries kept per source or workload; it also bounds the exact distinct counts.</summary>
    public int MaxWindowEntries { get; set; } = 512;

    /// <summary>DNS queries kept per key for the window maxima.</summary>
    public int MaxDnsEntries { get; set; } = 64;

    /// <summary>Destinations remembered per workload (oldest forgotten first).</summary>
    public int MaxHistoryPerWorkload { get; set; } = 512;

    /// <summary>Inter-arrival gaps kept per source → destination pair.</summary>
    public int MaxPairGaps { get; set; } = 16;

    /// <summary>
    /// Destinations each workload is known to use (a trained baseline's history), consulted before the in-stream
    /// history so a fresh partition does not call every destination new. Read-only.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlySet<string>>? KnownDestinations { get; set; }

    internal void Validate()
    {
        if (Window <= TimeSpan.Zero || ConnectionIdle <= TimeSpan.Zero)
        {
            throw new ArgumentException("Window and ConnectionIdle must be positive");
        }

        foreach ((string name, int value) in (ReadOnlySpan<(string, int)>)[(nameof(MaxConnections), MaxConnections), (nameof(MaxSources), MaxSources),
            (nameof(MaxWorkloads), MaxWorkloads), (nameof(MaxPairs), MaxPairs), (nameof(MaxWindowEntries), MaxWindowEntries),
            (nameof(MaxDnsEntries), MaxDnsEntries), (nameof(MaxHistoryPerWorkload), MaxHistoryPerWorkload), (nameof(MaxPairGaps), MaxPairGaps)])
        {
            if (value < 1)
            {
                throw new ArgumentException($"{name} must be at least 1 (got {value})");
            }
        }
    }
}

/// <summary>The feature vector of one event (schema order) with the keys its windows were kept under.</summary>
/// <param name="Values">One value per <see cref="FeatureSchema.Features"/> entry.</param>
/// <param name="SourceKey">The originator's address.</param>
/// <param name="WorkloadKey">The originator's <c>namespace/workload</c>, or its address when unknown.</param>
/// <param name="DestinationKey">The responder's <c>namespace/workload</c> (or address) and port, as the history keeps it.</param>
public sealed record FlowFeatures(float[] Values, string SourceKey, string WorkloadKey, string DestinationKey);

/// <summary>How often each bounded table had to forget something, summed over owners (dropped owners included).</summary>
public sealed record ExtractorEvictions(long Connections, long Sources, long Workloads, long Pairs, long WindowEntries, long DnsEntries, long HistoryEntries)
{
    public long Total => Connections + Sources + Workloads + Pairs + WindowEntries + DnsEntries + HistoryEntries;
}

/// <summary>
/// Streaming feature extraction: consumes <see cref="FlowEvent"/>s in event-time order and returns one vector per
/// event in <see cref="FeatureSchema"/> order. Per-flow features are oriented originator → responder and cumulative
/// over the connection: unidirectional events (Hubble, with <see cref="FlowEvent.IsReply"/>) are folded into one
/// connection record, bidirectional summaries (pcap, NetFlow) carry their own counters. Windowed features are kept
/// per originator address and per originator workload, sliding over <see cref="FlowFeatureExtractorOptions.Window"/>.
/// All state is bounded (least recently used keys are evicted and counted) and owned per partition: an owner's state
/// is dropped with <see cref="DropOwner"/> when its partition is revoked. Not thread-safe: one extractor per consumer.
/// </summary>
public sealed class FlowFeatureExtractor
{
    private readonly FlowFeatureExtractorOptions _options;
    private readonly long _windowTicks;
    private readonly long _idleTicks;
    private readonly Dictionary<string, OwnerState> _owners = new(StringComparer.Ordinal);
    private long _droppedEvictions0, _droppedEvictions1, _droppedEvictions2, _droppedEvictions3, _droppedEvictions4, _droppedEvictions5, _droppedEvictions6;

    public FlowFeatureExtractor(FlowFeatureExtractorOptions? options = null)
    {
        _options = options ?? new FlowFeatureExtractorOptions();
        _options.Validate();
        _windowTicks = _options.Window.Ticks;
        _idleTicks = _options.ConnectionIdle.Ticks;
    }

    /// <summary>Owners (partitions) that currently hold state.</summary>
    public IReadOnlyCollection<string> Owners => _owners.Keys;

    /// <summary>Keys held by <paramref name="owner"/>: connections, sources, workloads, pairs.</summary>
    public (int Connections, int Sources, int Workloads, int Pairs) StateSize(string owner) =>
        _owners.TryGetValue(owner, out var s) ? (s.Connections.Count, s.Sources.Count, s.Workloads.Count, s.Pairs.Count) : default;

    public ExtractorEvictions Evictions
    {
        get
        {
            long c = _droppedEvictions0, so = _droppedEvictions1, w = _droppedEvictions2, p = _droppedEvictions3, we = _droppedEvictions4, d = _droppedEvictions5, h = _droppedEvictions6;
            foreach (var s in _owners.Values)
            {
                c += s.Connections.Evictions;
                so += s.Sources.Evictions;
                w += s.Workloads.Evictions;
                p += s.Pairs.Evictions;
                we += s.WindowEntriesDropped;
                d += s.DnsEntriesDropped;
                h += s.HistoryEvicted + s.History.Evictions;
            }

            return new ExtractorEvictions(c, so, w, p, we, d, h);
        }
    }

    /// <summary>Forgets everything <paramref name="owner"/> kept (its partition was revoked); true when it held state.</summary>
    public bool DropOwner(string owner)
    {
        ArgumentNullException.ThrowIfNull(owner);
        if (!_owners.Remove(owner, out var s))
        {
            return false;
        }

        // Evictions stay counted after the owner is gone.
        _droppedEvictions0 += s.Connections.Evictions;
        _droppedEvictions1 += s.Sources.Evictions;
        _droppedEvictions2 += s.Workloads.Evictions;
        _droppedEvictions3 += s.Pairs.Evictions;
        _droppedEvictions4 += s.WindowEntriesDropped;
        _droppedEvictions5 += s.DnsEntriesDropped;
        _droppedEvictions6 += s.HistoryEvicted + s.History.Evictions;
        return true;
    }

    /// <summary>Updates the state of <paramref name="owner"/> with <paramref name="flow"/> and returns its features.</summary>
    public FlowFeatures Extract(FlowEvent flow, string owner = "")
    {
        ArgumentNullException.ThrowIfNull(flow);
        ArgumentNullException.ThrowIfNull(owner);
        if (!_owners.TryGetValue(owner, out var state))
        {
            state = new OwnerState(_options);
            _owners[owner] = state;
        }

        long now = flow.Timestamp.UtcTicks;
        string connectionKey = flow.CommunityId ?? TupleKey(flow);
        bool fresh = !state.Connections.TryGet(connectionKey, out var conn) || now - conn.LastTicks > _idleTicks;
        if (!fresh && flow.IsReply != true && (flow.TcpFlags & (TcpFlags.Syn | TcpFlags.Ack)) == TcpFlags.Syn
            && (conn.Flags & (TcpFlags.Fin | TcpFlags.Rst | TcpFlags.Ack)) != 0 && IsFromOriginator(flow, conn))
        {
            fresh = true; // the client port was reused for a new connection
        }

        if (fresh)
        {
            bool reply = flow.IsReply == true;
            var origin = reply ? flow.Destination : flow.Source;
            var responder = reply ? flow.Source : flow.Destination;
            conn = new ConnectionState
            {
                FirstTicks = now,
                Origin = origin,
                Responder = responder,
                SourceKey = AddressKey(origin.Ip),
                WorkloadKey = WorkloadKey(origin),
                DestinationKey = DestinationKeyOf(flow, responder),
                ResponderHost = AddressKey(responder.Ip),
                External = responder.Namespace is null && responder.Workload is null && IsPublic(responder.Ip),
            };
            state.Connections.Set(connectionKey, conn);
        }

        bool fromOriginator = flow.IsReply switch
        {
            true => false,
            false => true,
            null => IsFromOriginator(flow, conn),
        };
        conn.LastTicks = Math.Max(conn.LastTicks, now);
        conn.Flags |= flow.TcpFlags;
        conn.Dns |= flow.Dns is not null || string.Equals(flow.AppProtocol, "dns", StringComparison.OrdinalIgnoreCase);
        conn.Http |= flow.Http is not null || string.Equals(flow.AppProtocol, "http", StringComparison.OrdinalIgnoreCase);
        conn.Tls |= flow.Tls is not null || string.Equals(flow.AppProtocol, "tls", StringComparison.OrdinalIgnoreCase);
        conn.Dropped |= flow.Verdict == DataplaneVerdict.Dropped;
        AddCounters(flow, conn, fromOriginator);
        bool error = IsError(flow);
        bool transaction = flow.Dns is not null || flow.Http is not null;

        var source = state.Sources.GetOrAdd(conn.SourceKey, () => new WindowState());
        var workload = state.Workloads.GetOrAdd(conn.WorkloadKey, () => new WindowState());
        source.Expire(now - _windowTicks);
        workload.Expire(now - _windowTicks);
        string pairKey = conn.SourceKey + ">" + conn.ResponderHost + ":" + conn.Responder.Port.ToString(CultureInfo.InvariantCulture);
        PairState? pair;
        if (fresh)
        {
            conn.NewDestination = !IsKnown(state, conn.WorkloadKey, conn.DestinationKey);
            int host = conn.ResponderHost.GetHashCode(StringComparison.Ordinal);
            source.AddConnection(now, host, conn.Responder.Port, conn.NewDestination, _options.MaxWindowEntries, state);
            workload.AddConnection(now, host, conn.Responder.Port, conn.NewDestination, _options.MaxWindowEntries, state);
            pair = state.Pairs.GetOrAdd(pairKey, () => new PairState());
            pair.AddStart(now, _options.MaxPairGaps);
        }
        else if (!state.Pairs.TryGet(pairKey, out pair) && (error || transaction))
        {
            // A connection older than the pair's state (evicted, or begun before this owner's partition was assigned).
            pair = state.Pairs.GetOrAdd(pairKey, () => new PairState());
        }

        pair?.AddActivity(now, fresh, transaction, error, _windowTicks);

        if (error || transaction)
        {
            source.AddActivity(now, error, _options.MaxWindowEntries, state);
            workload.AddActivity(now, error, _options.MaxWindowEntries, state);
        }

        float dnsLength = 0, dnsEntropy = 0;
        if (flow.Dns?.Query is { Length: > 0 } query)
        {
            dnsLength = query.TrimEnd('.').Length;
            dnsEntropy = (float)ShannonEntropy(query);
            source.AddDns(now, dnsLength, dnsEntropy, _options.MaxDnsEntries, state);
            workload.AddDns(now, dnsLength, dnsEntropy, _options.MaxDnsEntries, state);
        }

        var v = new float[FeatureSchema.Count];
        WriteFlow(v, flow, conn, error, dnsLength, dnsEntropy);
        source.Write(v, FeatureSchema.Index.SourceConnections, FeatureSchema.Index.SourceDistinctHosts, FeatureSchema.Index.SourceDistinctPorts,
            FeatureSchema.Index.SourceErrorRate, -1, FeatureSchema.Index.SourceDnsLengthMax, FeatureSchema.Index.SourceDnsEntropyMax);
        workload.Write(v, FeatureSchema.Index.WorkloadConnections, FeatureSchema.Index.WorkloadDistinctHosts, FeatureSchema.Index.WorkloadDistinctPorts,
            FeatureSchema.Index.WorkloadErrorRate, FeatureSchema.Index.WorkloadNewDestinationFraction, FeatureSchema.Index.WorkloadDnsLengthMax,
            FeatureSchema.Index.WorkloadDnsEntropyMax);
        (v[FeatureSchema.Index.PairCv], v[FeatureSchema.Index.PairCount], v[FeatureSchema.Index.PairMeanSeconds]) = pair?.Periodicity() ?? (1f, 0f, 0f);
        v[FeatureSchema.Index.PairErrorRate] = pair?.ErrorRate ?? 0f;
        return new FlowFeatures(v, conn.SourceKey, conn.WorkloadKey, conn.DestinationKey);
    }

    /// <summary>Extracts each flow in turn and pairs its features with its ground truth.</summary>
    public IEnumerable<FeatureRow> ExtractRows(IEnumerable<LabelledFlow> flows, string owner = "")
    {
        ArgumentNullException.ThrowIfNull(flows);
        foreach (var labelled in flows)
        {
            var f = Extract(labelled.Flow, owner);
            yield return new FeatureRow(labelled.Flow.Timestamp, f.SourceKey, f.WorkloadKey, f.DestinationKey, labelled.Flow.CommunityId,
                labelled.Label, labelled.Episode, f.Values);
        }
    }

    /// <summary>Shannon entropy in bits per character of a DNS name, dots excluded (0 for an empty name).</summary>
    public static double ShannonEntropy(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        Span<int> counts = stackalloc int[128];
        counts.Clear();
        Dictionary<char, int>? other = null;
        int n = 0;
        foreach (char ch in name)
        {
            if (ch == '.')
            {
                continue;
            }

            char c = char.ToLowerInvariant(ch);
            n++;
            if (c < 128)
            {
                counts[c]++;
            }
            else
            {
                other ??= [];
                other[c] = other.GetValueOrDefault(c) + 1;
            }
        }

        if (n == 0)
        {
            return 0;
        }

        double h = 0;
        foreach (int k in counts)
        {
            h -= k == 0 ? 0 : (double)k / n * Math.Log2((double)k / n);
        }

        foreach (int k in other?.Values ?? (IEnumerable<int>)[])
        {
            h -= (double)k / n * Math.Log2((double)k / n);
        }

        return h;
    }

    /// <summary>The workload key of an endpoint: <c>namespace/workload</c>, else its address.</summary>
    public static string WorkloadKey(FlowEndpoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        return endpoint.Workload is { Length: > 0 } w ? (endpoint.Namespace ?? "") + "/" + w : AddressKey(endpoint.Ip);
    }

    /// <summary>
    /// What the destination history remembers: the name a DNS query asks for (the place the workload is really going),
    /// else the responder's workload (or address) and port.
    /// </summary>
    private static string DestinationKeyOf(FlowEvent flow, FlowEndpoint responder) =>
        flow.Dns?.Query is { Length: > 0 } query
            ? "dns:" + query.TrimEnd('.').ToLowerInvariant()
            : WorkloadKey(responder) + ":" + responder.Port.ToString(CultureInfo.InvariantCulture);

    private bool IsKnown(OwnerState state, string workloadKey, string destinationKey)
    {
        if (_options.KnownDestinations?.TryGetValue(workloadKey, out var known) == true && known.Contains(destinationKey))
        {
            return true;
        }

        var history = state.History.GetOrAdd(workloadKey, () => new DestinationHistory());
        return !history.Add(destinationKey, _options.MaxHistoryPerWorkload, state);
    }

    private static void WriteFlow(float[] v, FlowEvent flow, ConnectionState conn, bool error, float dnsLength, float dnsEntropy)
    {
        v[FeatureSchema.Index.DurationSeconds] = (float)TimeSpan.FromTicks(conn.LastTicks - conn.FirstTicks).TotalSeconds;
        v[FeatureSchema.Index.BytesOut] = conn.BytesOut;
        v[FeatureSchema.Index.BytesIn] = conn.BytesIn;
        v[FeatureSchema.Index.PacketsOut] = conn.PacketsOut;
        v[FeatureSchema.Index.PacketsIn] = conn.PacketsIn;
        long packets = conn.PacketsOut + conn.PacketsIn;
        v[FeatureSchema.Index.MeanPacketBytes] = packets == 0 ? 0 : (float)(conn.BytesOut + conn.BytesIn) / packets;
        v[FeatureSchema.Index.SourcePort] = conn.Origin.Port;
        v[FeatureSchema.Index.DestinationPort] = conn.Responder.Port;
        var transport = flow.Transport;
        v[FeatureSchema.Index.ProtoTcp] = transport == Transport.Tcp ? 1 : 0;
        v[FeatureSchema.Index.ProtoUdp] = transport == Transport.Udp ? 1 : 0;
        v[FeatureSchema.Index.ProtoIcmp] = transport is Transport.Icmp or Transport.IcmpV6 ? 1 : 0;
        v[FeatureSchema.Index.TcpSyn] = (conn.Flags & TcpFlags.Syn) != 0 ? 1 : 0;
        v[FeatureSchema.Index.TcpAck] = (conn.Flags & TcpFlags.Ack) != 0 ? 1 : 0;
        v[FeatureSchema.Index.TcpFin] = (conn.Flags & TcpFlags.Fin) != 0 ? 1 : 0;
        v[FeatureSchema.Index.TcpRst] = (conn.Flags & TcpFlags.Rst) != 0 ? 1 : 0;
        v[FeatureSchema.Index.L7Dns] = conn.Dns ? 1 : 0;
        v[FeatureSchema.Index.L7Http] = conn.Http ? 1 : 0;
        v[FeatureSchema.Index.L7Tls] = conn.Tls ? 1 : 0;
        v[FeatureSchema.Index.Dropped] = conn.Dropped ? 1 : 0;
        v[FeatureSchema.Index.Error] = error ? 1 : 0;
        v[FeatureSchema.Index.DnsQueryLength] = dnsLength;
        v[FeatureSchema.Index.DnsQueryEntropy] = dnsEntropy;
        v[FeatureSchema.Index.DestinationNew] = conn.NewDestination ? 1 : 0;
        v[FeatureSchema.Index.DestinationExternal] = conn.External ? 1 : 0;
    }

    private static void AddCounters(FlowEvent flow, ConnectionState conn, bool fromOriginator)
    {
        if (flow.Kind == FlowEventKind.Summary)
        {
            // A summary's counters are the whole connection's, both directions together: the collectors do not
            // split them, so they are the originator's.
            conn.BytesOut = Math.Max(conn.BytesOut, flow.Bytes ?? 0);
            conn.PacketsOut = Math.Max(conn.PacketsOut, flow.Packets ?? 0);
            return;
        }

        long packets = flow.Packets ?? 1;
        long bytes = flow.Bytes ?? 0;
        if (fromOriginator)
        {
            conn.PacketsOut += packets;
            conn.BytesOut += bytes;
        }
        else
        {
            conn.PacketsIn += packets;
            conn.BytesIn += bytes;
        }
    }

    private static bool IsError(FlowEvent flow) =>
        (flow.TcpFlags & TcpFlags.Rst) != 0
        || flow.Verdict == DataplaneVerdict.Dropped
        || (flow.Transport == Transport.Icmp && flow.IcmpType == 3)
        || (flow.Transport == Transport.IcmpV6 && flow.IcmpType == 1)
        || flow.Dns?.Rcode is > 0
        || flow.Http?.StatusCode is >= 400;

    private static bool IsFromOriginator(FlowEvent flow, ConnectionState conn) =>
        flow.Source.Port == conn.Origin.Port && flow.Source.Ip.Equals(conn.Origin.Ip);

    private static string AddressKey(IPAddress ip) => ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4().ToString() : ip.ToString();

    private static bool IsPublic(IPAddress ip)
    {
        if (ip.IsIPv4MappedToIPv6)
        {
            ip = ip.MapToIPv4();
        }

        if (IPAddress.IsLoopback(ip))
        {
            return false;
        }

        if (ip.AddressFamily == AddressFamily.InterNetwork)
        {
            Span<byte> b = stackalloc byte[4];
            ip.TryWriteBytes(b, out _);
            return !(b[0] == 10 || (b[0] == 172 && (b[1] & 0xF0) == 16) || (b[0] == 192 && b[1] == 168) || (b[0] == 169 && b[1] == 254)
                || (b[0] == 100 && (b[1] & 0xC0) == 64) || b[0] == 0);
        }

        return !(ip.IsIPv6LinkLocal || ip.IsIPv6SiteLocal || ip.IsIPv6UniqueLocal);
    }

    private static string TupleKey(FlowEvent flow)
    {
        string a = AddressKey(flow.Source.Ip) + "/" + flow.Source.Port.ToString(CultureInfo.InvariantCulture);
        string b = AddressKey(flow.Destination.Ip) + "/" + flow.Destination.Port.ToString(CultureInfo.InvariantCulture);
        return string.CompareOrdinal(a, b) <= 0
            ? flow.IpProtocol.ToString(CultureInfo.InvariantCulture) + " " + a + " " + b
            : flow.IpProtocol.ToString(CultureInfo.InvariantCulture) + " " + b + " " + a;
    }

    private sealed class OwnerState(FlowFeatureExtractorOptions o)
    {
        public BoundedLru<string, ConnectionState> Connections { get; } = new(o.MaxConnections, StringComparer.Ordinal);

        public BoundedLru<string, WindowState> Sources { get; } = new(o.MaxSources, StringComparer.Ordinal);

        public BoundedLru<string, WindowState> Workloads { get; } = new(o.MaxWorkloads, StringComparer.Ordinal);

        public BoundedLru<string, PairState> Pairs { get; } = new(o.MaxPairs, StringComparer.Ordinal);

        /// <summary>Destination history per workload, as many workloads as the windows keep.</summary>
        public BoundedLru<string, DestinationHistory> History { get; } = new(o.MaxWorkloads, StringComparer.Ordinal);

        public long WindowEntriesDropped { get; set; }

        public long DnsEntriesDropped { get; set; }

        public long HistoryEvicted { get; set; }
    }

    private sealed class ConnectionState
    {
        public long FirstTicks;
        public long LastTicks;
        public required FlowEndpoint Origin;
        public required FlowEndpoint Responder;
        public required string SourceKey;
        public required string WorkloadKey;
        public required string DestinationKey;
        public required string ResponderHost;
        public bool External;
        public long BytesOut, BytesIn, PacketsOut, PacketsIn;
        public TcpFlags Flags;
        public bool Dns, Http, Tls, Dropped, NewDestination;
    }

    private enum EntryKind : byte
    {
        Connection,
        Transaction,
        Error,
    }

    private readonly record struct WindowEntry(long Ticks, EntryKind Kind, int Host, ushort Port, bool NewDestination);

    /// <summary>One key's sliding window: its entries in time order and the counts they add up to.</summary>
    private sealed class WindowState
    {
        private readonly Queue<WindowEntry> _entries = new();
        private readonly Queue<(long Ticks, float Length, float Entropy)> _dns = new();
        private readonly Dictionary<int, int> _hosts = [];
        private readonly Dictionary<ushort, int> _ports = [];
        private int _connections, _activity, _errors, _newDestinations;

        public void Expire(long before)
        {
            while (_entries.TryPeek(out var e) && e.Ticks < before)
            {
                Remove(_entries.Dequeue());
            }

            while (_dns.TryPeek(out var d) && d.Ticks < before)
            {
                _dns.Dequeue();
            }
        }

        public void AddConnection(long ticks, int host, ushort port, bool newDestination, int cap, OwnerState owner)
        {
            Make(cap, owner);
            _entries.Enqueue(new WindowEntry(ticks, EntryKind.Connection, host, port, newDestination));
            _connections++;
            _newDestinations += newDestination ? 1 : 0;
            _hosts[host] = _hosts.GetValueOrDefault(host) + 1;
            _ports[port] = _ports.GetValueOrDefault(port) + 1;
        }

        /// <summary>An L7 transaction or an error event: what the error rate is taken over, besides connection starts.</summary>
        public void AddActivity(long ticks, bool error, int cap, OwnerState owner)
        {
            Make(cap, owner);
            _entries.Enqueue(new WindowEntry(ticks, error ? EntryKind.Error : EntryKind.Transaction, 0, 0, false));
            _activity++;
            _errors += error ? 1 : 0;
        }

        public void AddDns(long ticks, float length, float entropy, int cap, OwnerState owner)
        {
            if (_dns.Count >= cap)
            {
                _dns.Dequeue();
                owner.DnsEntriesDropped++;
            }

            _dns.Enqueue((ticks, length, entropy));
        }

        public void Write(float[] v, int connections, int hosts, int ports, int errorRate, int newFraction, int dnsLength, int dnsEntropy)
        {
            v[connections] = _connections;
            v[hosts] = _hosts.Count;
            v[ports] = _ports.Count;
            v[errorRate] = _errors == 0 ? 0 : Math.Min(1f, (float)_errors / (_connections + _activity));
            if (newFraction >= 0)
            {
                v[newFraction] = _connections == 0 ? 0 : (float)_newDestinations / _connections;
            }

            float maxLength = 0, maxEntropy = 0;
            foreach (var d in _dns)
            {
                maxLength = Math.Max(maxLength, d.Length);
                maxEntropy = Math.Max(maxEntropy, d.Entropy);
            }

            v[dnsLength] = maxLength;
            v[dnsEntropy] = maxEntropy;
        }

        private void Make(int cap, OwnerState owner)
        {
            if (_entries.Count >= cap)
            {
                Remove(_entries.Dequeue());
                owner.WindowEntriesDropped++;
            }
        }

        private void Remove(WindowEntry e)
        {
            if (e.Kind != EntryKind.Connection)
            {
                _activity--;
                _errors -= e.Kind == EntryKind.Error ? 1 : 0;
                return;
            }

            _connections--;
            _newDestinations -= e.NewDestination ? 1 : 0;
            Decrement(_hosts, e.Host);
            Decrement(_ports, e.Port);
        }

        private static void Decrement<TKey>(Dictionary<TKey, int> counts, TKey key)
            where TKey : notnull
        {
            int n = counts.GetValueOrDefault(key) - 1;
            if (n <= 0)
            {
                counts.Remove(key);
            }
            else
            {
                counts[key] = n;
            }
        }
    }

    /// <summary>The recent connection starts of one source → destination pair, and its decayed error rate.</summary>
    private sealed class PairState
    {
        private readonly Queue<double> _gaps = new();
        private long _lastStart = long.MinValue;
        private long _lastActivity;
        private double _activity, _errors;

        /// <summary>Errors / activity, each decayed with a half-life of one window: constant memory per pair.</summary>
        public float ErrorRate => _activity <= 0 ? 0f : (float)Math.Min(1.0, _errors / _activity);

        public void AddActivity(long ticks, bool connection, bool transaction, bool error, long halfLifeTicks)
        {
            if (!(connection || transaction || error))
            {
                return;
            }

            double decay = _lastActivity == 0 ? 0 : Math.Pow(0.5, Math.Max(0, ticks - _lastActivity) / (double)halfLifeTicks);
            _activity = (_activity * decay) + 1;
            _errors = (_errors * decay) + (error ? 1 : 0);
            if (_errors < 1e-6)
            {
                _errors = 0; // decayed to nothing: report 0, not a denormal
            }

            _lastActivity = Math.Max(_lastActivity, ticks);
        }

        public void AddStart(long ticks, int cap)
        {
            if (_lastStart != long.MinValue)
            {
                if (_gaps.Count >= cap)
                {
                    _gaps.Dequeue();
                }

                _gaps.Enqueue(TimeSpan.FromTicks(Math.Max(0, ticks - _lastStart)).TotalSeconds);
            }

            _lastStart = ticks;
        }

        public (float Cv, float Count, float MeanSeconds) Periodicity()
        {
            int n = _gaps.Count;
            if (n == 0)
            {
                return (1f, 0f, 0f);
            }

            double mean = _gaps.Average();
            if (n < 2)
            {
                return (1f, n, (float)mean);
            }

            double variance = _gaps.Sum(g => (g - mean) * (g - mean)) / n;
            double cv = mean <= 0 ? 0 : Math.Sqrt(variance) / mean;
            return ((float)Math.Min(cv, 10), n, (float)mean);
        }
    }

    /// <summary>Destinations one workload used, oldest forgotten first once full.</summary>
    private sealed class DestinationHistory
    {
        private readonly HashSet<string> _known = new(StringComparer.Ordinal);
        private readonly Queue<string> _order = new();

        /// <summary>Adds <paramref name="destination"/>; false when it was already known.</summary>
        public bool Add(string destination, int cap, OwnerState owner)
        {
            if (!_known.Add(destination))
            {
                return false;
            }

            _order.Enqueue(destination);
            if (_order.Count > cap)
            {
                _known.Remove(_order.Dequeue());
                owner.HistoryEvicted++;
            }

            return true;
        }
    }
}
