namespace NetSecStream.Behaviour.FlowDatasets;

/// <summary>
/// The per-flow feature names of the streaming feature schema, in schema order: a model trained on
/// <see cref="FlowFeatureSet.Schema"/> features takes exactly this vector. The list is fixed by the streaming schema
/// (issue 6); this copy is to be pointed at that schema once it lands.
/// </summary>
public static class FlowFeatureNames
{
    /// <summary>The schema version a model's <c>model.json</c> must name.</summary>
    public const string SchemaVersion = "flow.v1";

    public const int DurationSeconds = 0;
    public const int BytesOut = 1;
    public const int BytesIn = 2;
    public const int PacketsOut = 3;
    public const int PacketsIn = 4;
    public const int MeanPacketBytes = 5;
    public const int SrcPort = 6;
    public const int DstPort = 7;
    public const int ProtoTcp = 8;
    public const int ProtoUdp = 9;
    public const int ProtoIcmp = 10;
    public const int TcpSyn = 11;
    public const int TcpAck = 12;
    public const int TcpFin = 13;
    public const int TcpRst = 14;
    public const int L7Dns = 15;
    public const int L7Http = 16;
    public const int L7Tls = 17;
    public const int Dropped = 18;

    /// <summary>
    /// Duration in seconds; bytes and packets originator→responder (out) and back (in); mean packet size of both
    /// directions; ports; protocol, TCP flags seen, L7 protocol and drop verdict as 0/1.
    /// </summary>
    public static IReadOnlyList<string> All { get; } =
    [
        "flow.duration_s", "flow.bytes_out", "flow.bytes_in", "flow.packets_out", "flow.packets_in", "flow.mean_packet_bytes",
        "flow.src_port", "flow.dst_port", "flow.proto_tcp", "flow.proto_udp", "flow.proto_icmp",
        "flow.tcp_syn", "flow.tcp_ack", "flow.tcp_fin", "flow.tcp_rst", "flow.l7_dns", "flow.l7_http", "flow.l7_tls", "flow.dropped",
    ];

    public static int Count => All.Count;
}
