namespace NetSecStream.Behaviour.FlowDatasets;

/// <summary>
/// CIC-IDS2017 flows as CICFlowMeter writes them (the "improved" re-labelling by Engelen et al., 2021, and the
/// original MachineLearningCVE column names both read): one row per bidirectional flow, forward = the flow's initiator.
/// Label <c>BENIGN</c> is benign traffic, every other label an attack whose name is the family.
/// </summary>
internal sealed class CicIds2017Format : FlowDatasetFormat
{
    // Identifiers, addresses and time would let a model learn the capture rather than the traffic.
    private static readonly HashSet<string> NotNative = new(
        ["id", "flowid", "srcip", "sourceip", "dstip", "destinationip", "timestamp", "label", "attemptedcategory"], StringComparer.Ordinal);

    public override string Name => "cic-ids2017";

    public override string Description =>
        "CIC-IDS2017 (Sharafaldin et al., ICISSP 2018; UNB CIC, free for research) as re-labelled by DistriNet, KU Leuven " +
        "(the \"improved\" CIC-IDS2017 of Engelen et al., 2021, and Liu et al., 2022): CICFlowMeter bidirectional flows, 91 columns, " +
        "label = BENIGN or the attack name";

    public override string Limits =>
        "The sample is attack-heavy (2,500 BENIGN of 25,127 rows, up to 2,500 per attack class) and each attack comes from a few " +
        "attacker hosts against fixed services (FTP 21, SSH 22, HTTP 80, Heartbleed 444), so ports and durations separate the classes " +
        "far more cleanly than in real traffic. Heartbleed (11), SQL injection (13), XSS (18), Infiltration (36) and Brute Force (73) " +
        "have too few rows for their recall to mean much. Byte counts are payload bytes, unlike collectors that count IP bytes.";

    public override IReadOnlyList<FeatureMapping> Mappings { get; } =
    [
        new("flow.duration_s", "Flow Duration", "microseconds / 1e6"),
        new("flow.bytes_out", "Total Length of Fwd Packet", "L4 payload bytes (CICFlowMeter counts payload, not IP bytes)"),
        new("flow.bytes_in", "Total Length of Bwd Packet", "L4 payload bytes"),
        new("flow.packets_out", "Total Fwd Packet"),
        new("flow.packets_in", "Total Bwd packets"),
        new("flow.mean_packet_bytes", "derived", "(bytes_out + bytes_in) / (packets_out + packets_in), payload bytes"),
        new("flow.src_port", "Src Port"),
        new("flow.dst_port", "Dst Port"),
        new("flow.proto_tcp", "Protocol", "6"),
        new("flow.proto_udp", "Protocol", "17"),
        new("flow.proto_icmp", "Protocol", "1"),
        new("flow.tcp_syn", "SYN Flag Count", "> 0"),
        new("flow.tcp_ack", "ACK Flag Count", "> 0"),
        new("flow.tcp_fin", "FIN Flag Count", "> 0"),
        new("flow.tcp_rst", "RST Flag Count", "> 0"),
        new("flow.l7_dns", null, "CICFlowMeter has no application-layer field"),
        new("flow.l7_http", null, "CICFlowMeter has no application-layer field"),
        new("flow.l7_tls", null, "CICFlowMeter has no application-layer field"),
        new("flow.dropped", null, "captured traffic, no verdict"),
    ];

    internal override FileLayout Bind(CsvHeader h)
    {
        int Need(params string[] names) => names.Select(h.Find).FirstOrDefault(i => i is not null)
            ?? throw new FlowFormatException(h.File, 1, $"no '{names[0]}' column: this is not CIC-IDS2017 (CICFlowMeter) data");

        int srcPort = Need("Src Port", "Source Port"), dstPort = Need("Dst Port", "Destination Port"), proto = Need("Protocol");
        int duration = Need("Flow Duration");
        int fwdPackets = Need("Total Fwd Packet", "Total Fwd Packets"), bwdPackets = Need("Total Bwd packets", "Total Backward Packets");
        int fwdBytes = Need("Total Length of Fwd Packet", "Total Length of Fwd Packets"), bwdBytes = Need("Total Length of Bwd Packet", "Total Length of Bwd Packets");
        int syn = Need("SYN Flag Count"), ack = Need("ACK Flag Count"), fin = Need("FIN Flag Count"), rst = Need("RST Flag Count");
        int label = Need("Label");

        var native = new List<(string, Func<CsvRow, float>)>();
        for (int i = 0; i < h.Count; i++)
        {
            if (!NotNative.Contains(CsvHeader.Key(h.Names[i])))
            {
                int column = i;
                native.Add((h.Names[i], row => row.Number(column)));
            }
        }

        return new FileLayout(native, (row, s) =>
        {
            s.Set(FlowFeatureNames.DurationSeconds, row.Count(duration) / 1e6f);
            s.Set(FlowFeatureNames.BytesOut, row.Count(fwdBytes));
            s.Set(FlowFeatureNames.BytesIn, row.Count(bwdBytes));
            s.Set(FlowFeatureNames.PacketsOut, row.Count(fwdPackets));
            s.Set(FlowFeatureNames.PacketsIn, row.Count(bwdPackets));
            s.Set(FlowFeatureNames.SrcPort, row.Count(srcPort));
            s.Set(FlowFeatureNames.DstPort, row.Count(dstPort));
            s.Protocol(row.Text(proto));
            s.Set(FlowFeatureNames.TcpSyn, row.Count(syn) > 0);
            s.Set(FlowFeatureNames.TcpAck, row.Count(ack) > 0);
            s.Set(FlowFeatureNames.TcpFin, row.Count(fin) > 0);
            s.Set(FlowFeatureNames.TcpRst, row.Count(rst) > 0);
            string text = row.Text(label);
            return text.Length == 0 ? throw new RowException("Label is empty")
                : text.Equals("BENIGN", StringComparison.OrdinalIgnoreCase) ? (false, "benign") : (true, text);
        });
    }
}
