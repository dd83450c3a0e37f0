namespace NetSecStream.Behaviour.Features;

/// <summary>One named feature of the schema: its name, the group it belongs to and what it measures.</summary>
public sealed record FeatureDefinition(string Name, string Group, string Description);

/// <summary>
/// The behaviour feature schema, shared by training, export and scoring: a feature vector is a <c>float[]</c> in
/// <see cref="Features"/> order. Names and meanings of a published version never change; new features are appended
/// and raise <see cref="Version"/>. Documented in <c>docs/specs/features.md</c>.
/// </summary>
public static class FeatureSchema
{
    /// <summary>Written with every exported row and stored in every model; a model refuses rows of another version.</summary>
    public const string Version = "1";

    public const string FlowGroup = "flow";
    public const string SourceGroup = "source_window";
    public const string WorkloadGroup = "workload_window";
    public const string PairGroup = "pair_periodicity";

    /// <summary>The features in vector order.</summary>
    public static IReadOnlyList<FeatureDefinition> Features { get; } =
    [
        // Per flow, oriented originator → responder. These names are fixed: public datasets are mapped onto them.
        new("flow.duration_s", FlowGroup, "Seconds from the connection's first event to this one (a summary's own duration)."),
        new("flow.bytes_out", FlowGroup, "Bytes sent by the originator to the responder so far."),
        new("flow.bytes_in", FlowGroup, "Bytes sent by the responder to the originator so far."),
        new("flow.packets_out", FlowGroup, "Packets originator → responder so far (a unidirectional event without counters counts as one)."),
        new("flow.packets_in", FlowGroup, "Packets responder → originator so far (a unidirectional event without counters counts as one)."),
        new("flow.mean_packet_bytes", FlowGroup, "(bytes_out + bytes_in) / (packets_out + packets_in); 0 when no bytes are known."),
        new("flow.src_port", FlowGroup, "The originator's transport port (0 for ICMP)."),
        new("flow.dst_port", FlowGroup, "The responder's transport port (0 for ICMP)."),
        new("flow.proto_tcp", FlowGroup, "1 for TCP, else 0."),
        new("flow.proto_udp", FlowGroup, "1 for UDP, else 0."),
        new("flow.proto_icmp", FlowGroup, "1 for ICMP or ICMPv6, else 0."),
        new("flow.tcp_syn", FlowGroup, "1 once a SYN was seen on the connection."),
        new("flow.tcp_ack", FlowGroup, "1 once an ACK was seen on the connection."),
        new("flow.tcp_fin", FlowGroup, "1 once a FIN was seen on the connection."),
        new("flow.tcp_rst", FlowGroup, "1 once an RST was seen on the connection."),
        new("flow.l7_dns", FlowGroup, "1 when the connection carried DNS (facts or app protocol)."),
        new("flow.l7_http", FlowGroup, "1 when the connection carried HTTP."),
        new("flow.l7_tls", FlowGroup, "1 when the connection carried TLS."),
        new("flow.dropped", FlowGroup, "1 when the dataplane dropped an event of the connection."),

        // Per flow, added in version 1 after the fixed names.
        new("flow.error", FlowGroup, "1 when this event shows an error: RST, ICMP unreachable, DNS rcode ≠ 0, HTTP status ≥ 400 or a drop."),
        new("flow.dns_query_length", FlowGroup, "Length of this event's DNS query name (0 without one)."),
        new("flow.dns_query_entropy", FlowGroup, "Shannon entropy (bits per character) of this event's DNS query name, dots excluded."),
        new("flow.dst_new", FlowGroup, "1 when the destination (the DNS name queried, else the responder's workload or address and port) was not in the originator workload's history when the connection began."),
        new("flow.dst_external", FlowGroup, "1 when the responder has no Kubernetes identity and a public (non-RFC 1918/4193, non-loopback) address."),

        // Per source endpoint (the originator's address), sliding window in event time.
        new("src.connections", SourceGroup, "Connections the source opened in the window."),
        new("src.distinct_dst_hosts", SourceGroup, "Distinct responder addresses of those connections (exact up to the cap)."),
        new("src.distinct_dst_ports", SourceGroup, "Distinct responder ports of those connections (exact up to the cap)."),
        new("src.error_rate", SourceGroup, "Error events / (connections + L7 transactions + error events) in the window."),
        new("src.dns_query_length_max", SourceGroup, "Longest DNS query name the source sent in the window."),
        new("src.dns_entropy_max", SourceGroup, "Highest DNS query name entropy the source sent in the window."),

        // Per workload (namespace/workload, falling back to the address), sliding window in event time.
        new("wl.connections", WorkloadGroup, "Connections the workload opened in the window."),
        new("wl.distinct_dst_hosts", WorkloadGroup, "Distinct responder addresses of those connections (exact up to the cap)."),
        new("wl.distinct_dst_ports", WorkloadGroup, "Distinct responder ports of those connections (exact up to the cap)."),
        new("wl.error_rate", WorkloadGroup, "Error events / (connections + L7 transactions + error events) in the window."),
        new("wl.new_dst_fraction", WorkloadGroup, "Fraction of the window's connections whose destination was new for the workload's history."),
        new("wl.dns_query_length_max", WorkloadGroup, "Longest DNS query name the workload sent in the window."),
        new("wl.dns_entropy_max", WorkloadGroup, "Highest DNS query name entropy the workload sent in the window."),

        // Per source → destination (address and port) pair: how regular the connection starts are.
        new("pair.interarrival_cv", PairGroup, "Coefficient of variation (stddev / mean) of the gaps between the pair's recent connection starts; 1 until 3 starts are known."),
        new("pair.interarrival_count", PairGroup, "How many gaps the coefficient of variation is based on (bounded)."),
        new("pair.interarrival_mean_s", PairGroup, "Mean gap in seconds between the pair's recent connection starts (0 until 2 starts are known)."),
        new("pair.error_rate", PairGroup, "Error events / (connections + L7 transactions + error events) of the pair, each count decayed with a half-life of one window."),
    ];

    /// <summary>Number of features: the length of every vector.</summary>
    public static int Count => Features.Count;

    private static readonly Dictionary<string, int> Indexes = Features.Select((f, i) => (f.Name, i)).ToDictionary(p => p.Name, p => p.i, StringComparer.Ordinal);

    /// <summary>The position of <paramref name="name"/> in the vector, or -1.</summary>
    public static int IndexOf(string name) => Indexes.GetValueOrDefault(name, -1);

    /// <summary>Vector positions, named so the extractor and tests do not depend on literal offsets.</summary>
    public static class Index
    {
        public static readonly int DurationSeconds = IndexOf("flow.duration_s");
        public static readonly int BytesOut = IndexOf("flow.bytes_out");
        public static readonly int BytesIn = IndexOf("flow.bytes_in");
        public static readonly int PacketsOut = IndexOf("flow.packets_out");
        public static readonly int PacketsIn = IndexOf("flow.packets_in");
        public static readonly int MeanPacketBytes = IndexOf("flow.mean_packet_bytes");
        public static readonly int SourcePort = IndexOf("flow.src_port");
        public static readonly int DestinationPort = IndexOf("flow.dst_port");
        public static readonly int ProtoTcp = IndexOf("flow.proto_tcp");
        public static readonly int ProtoUdp = IndexOf("flow.proto_udp");
        public static readonly int ProtoIcmp = IndexOf("flow.proto_icmp");
        public static readonly int TcpSyn = IndexOf("flow.tcp_syn");
        public static readonly int TcpAck = IndexOf("flow.tcp_ack");
        public static readonly int TcpFin = IndexOf("flow.tcp_fin");
        public static readonly int TcpRst = IndexOf("flow.tcp_rst");
        public static readonly int L7Dns = IndexOf("flow.l7_dns");
        public static readonly int L7Http = IndexOf("flow.l7_http");
        public static readonly int L7Tls = IndexOf("flow.l7_tls");
        public static readonly int Dropped = IndexOf("flow.dropped");
        public static readonly int Error = IndexOf("flow.error");
        public static readonly int DnsQueryLength = IndexOf("flow.dns_query_length");
        public static readonly int DnsQueryEntropy = IndexOf("flow.dns_query_entropy");
        public static readonly int DestinationNew = IndexOf("flow.dst_new");
        public static readonly int DestinationExternal = IndexOf("flow.dst_external");
        public static readonly int SourceConnections = IndexOf("src.connections");
        public static readonly int SourceDistinctHosts = IndexOf("src.distinct_dst_hosts");
        public static readonly int SourceDistinctPorts = IndexOf("src.distinct_dst_ports");
        public static readonly int SourceErrorRate = IndexOf("src.error_rate");
        public static readonly int SourceDnsLengthMax = IndexOf("src.dns_query_length_max");
        public static readonly int SourceDnsEntropyMax = IndexOf("src.dns_entropy_max");
        public static readonly int WorkloadConnections = IndexOf("wl.connections");
        public static readonly int WorkloadDistinctHosts = IndexOf("wl.distinct_dst_hosts");
        public static readonly int WorkloadDistinctPorts = IndexOf("wl.distinct_dst_ports");
        public static readonly int WorkloadErrorRate = IndexOf("wl.error_rate");
        public static readonly int WorkloadNewDestinationFraction = IndexOf("wl.new_dst_fraction");
        public static readonly int WorkloadDnsLengthMax = IndexOf("wl.dns_query_length_max");
        public static readonly int WorkloadDnsEntropyMax = IndexOf("wl.dns_entropy_max");
        public static readonly int PairCv = IndexOf("pair.interarrival_cv");
        public static readonly int PairCount = IndexOf("pair.interarrival_count");
        public static readonly int PairMeanSeconds = IndexOf("pair.interarrival_mean_s");
        public static readonly int PairErrorRate = IndexOf("pair.error_rate");
    }
}
