namespace NetSecStream.Behaviour.FlowDatasets;

/// <summary>
/// IoT-23 (Stratosphere Lab, CTU, 2020): Zeek conn.log rows of IoT malware and honeypot captures with
/// <c>label</c> (Benign/Malicious, any case) and <c>detailed-label</c> (the family: C&amp;C, DDoS,
/// PartOfAHorizontalPortScan ...; <c>-</c> for benign). Zeek writes <c>-</c> for an unset field: 0 here.
/// </summary>
internal sealed class Iot23Format : FlowDatasetFormat
{
    private static readonly string[] Protocols = ["tcp", "udp", "icmp"];
    private static readonly string[] Services = ["dns", "http", "ssl", "irc", "dhcp", "ssh", "ftp"];
    private static readonly string[] ConnStates = ["S0", "S1", "SF", "REJ", "S2", "S3", "RSTO", "RSTR", "RSTOS0", "RSTRH", "SH", "SHR", "OTH"];
    private static readonly string[] Counts = ["id.orig_p", "id.resp_p", "duration", "orig_bytes", "resp_bytes", "missed_bytes", "orig_pkts", "orig_ip_bytes", "resp_pkts", "resp_ip_bytes"];

    public override string Name => "iot-23";

    public override string Description =>
        "IoT-23 (Garcia, Parmisano and Erquiaga, Stratosphere Laboratory, CTU Prague, 2020; Zenodo doi:10.5281/zenodo.4743746, cite the authors): Zeek conn.log flows of " +
        "IoT malware captures and honeypot (benign) captures, labelled Benign/Malicious with a detailed-label";

    public override string Limits =>
        "Benign and malicious flows come largely from different captures (three honeypot captures are all benign; " +
        "CTU-Malware-Capture-34-1 alone holds 21,222 of the 29,506 malicious flows, almost all C&C and DDoS), so the model partly " +
        "learns the captures' hosts and services. C&C-Torii (30), C&C-FileDownload (14) and FileDownload (3) are too rare for their " +
        "recall to mean much. Zeek leaves duration and bytes unset for single-packet connections: they read as 0.";

    public override IReadOnlyList<FeatureMapping> Mappings { get; } =
    [
        new("flow.duration_s", "duration", "seconds; '-' (unset, e.g. a lone SYN) = 0"),
        new("flow.bytes_out", "orig_ip_bytes", "IP-level bytes originator→responder"),
        new("flow.bytes_in", "resp_ip_bytes", "IP-level bytes"),
        new("flow.packets_out", "orig_pkts"),
        new("flow.packets_in", "resp_pkts"),
        new("flow.mean_packet_bytes", "derived", "(orig_ip_bytes + resp_ip_bytes) / (orig_pkts + resp_pkts)"),
        new("flow.src_port", "id.orig_p"),
        new("flow.dst_port", "id.resp_p"),
        new("flow.proto_tcp", "proto", "tcp"),
        new("flow.proto_udp", "proto", "udp"),
        new("flow.proto_icmp", "proto", "icmp"),
        new("flow.tcp_syn", "history", "S, s, H or h (SYN or SYN-ACK seen); 0 for non-TCP"),
        new("flow.tcp_ack", "history", "A, a, H or h"),
        new("flow.tcp_fin", "history", "F or f"),
        new("flow.tcp_rst", "history", "R or r"),
        new("flow.l7_dns", "service", "Zeek's protocol detection named dns"),
        new("flow.l7_http", "service", "http"),
        new("flow.l7_tls", "service", "ssl"),
        new("flow.dropped", null, "captured traffic, no verdict"),
    ];

    internal override FileLayout Bind(CsvHeader h)
    {
        int[] counts = [.. Counts.Select(c => h.Require(c, "IoT-23 (Zeek conn.log)"))];
        int proto = h.Require("proto", "IoT-23"), service = h.Require("service", "IoT-23"), state = h.Require("conn_state", "IoT-23");
        int history = h.Require("history", "IoT-23"), label = h.Require("label", "IoT-23"), detailed = h.Require("detailed-label", "IoT-23");
        int duration = counts[2], origPkts = counts[6], origIpBytes = counts[7], respPkts = counts[8], respIpBytes = counts[9];

        var native = new List<(string, Func<CsvRow, float>)>();
        for (int i = 0; i < counts.Length; i++)
        {
            int column = counts[i];
            native.Add((Counts[i], row => row.CountOrZero(column)));
        }

        native.AddRange(Protocols.Select(p => ($"proto={p}", (Func<CsvRow, float>)(row => row.Text(proto).Equals(p, StringComparison.OrdinalIgnoreCase) ? 1 : 0))));
        native.AddRange(Services.Select(v => ($"service={v}", (Func<CsvRow, float>)(row => HasService(row.Text(service), v) ? 1 : 0))));
        native.AddRange(ConnStates.Select(v => ($"conn_state={v}", (Func<CsvRow, float>)(row => row.Text(state) == v ? 1 : 0))));

        return new FileLayout(native, (row, s) =>
        {
            s.Set(FlowFeatureNames.DurationSeconds, row.CountOrZero(duration));
            s.Set(FlowFeatureNames.BytesOut, row.CountOrZero(origIpBytes));
            s.Set(FlowFeatureNames.BytesIn, row.CountOrZero(respIpBytes));
            s.Set(FlowFeatureNames.PacketsOut, row.CountOrZero(origPkts));
            s.Set(FlowFeatureNames.PacketsIn, row.CountOrZero(respPkts));
            s.Set(FlowFeatureNames.SrcPort, row.CountOrZero(counts[0]));
            s.Set(FlowFeatureNames.DstPort, row.CountOrZero(counts[1]));
            string p = row.Text(proto);
            if (p.Length == 0)
            {
                throw new RowException("proto is empty");
            }

            s.Protocol(p);
            string hist = p.Equals("tcp", StringComparison.OrdinalIgnoreCase) && !row.IsBlank(history) ? row.Text(history) : "";
            s.Set(FlowFeatureNames.TcpSyn, hist.AsSpan().IndexOfAny("SsHh") >= 0);
            s.Set(FlowFeatureNames.TcpAck, hist.AsSpan().IndexOfAny("AaHh") >= 0);
            s.Set(FlowFeatureNames.TcpFin, hist.AsSpan().IndexOfAny("Ff") >= 0);
            s.Set(FlowFeatureNames.TcpRst, hist.AsSpan().IndexOfAny("Rr") >= 0);
            string svc = row.Text(service);
            s.Set(FlowFeatureNames.L7Dns, HasService(svc, "dns"));
            s.Set(FlowFeatureNames.L7Http, HasService(svc, "http"));
            s.Set(FlowFeatureNames.L7Tls, HasService(svc, "ssl"));

            string l = row.Text(label);
            if (l.Equals("benign", StringComparison.OrdinalIgnoreCase))
            {
                return (false, "benign");
            }

            if (!l.Equals("malicious", StringComparison.OrdinalIgnoreCase))
            {
                throw new RowException($"label '{l}' is neither Benign nor Malicious");
            }

            return (true, row.IsBlank(detailed) ? "Malicious" : row.Text(detailed));
        });
    }

    // Zeek lists every protocol it recognised, comma-separated ("dns,http" is rare but legal).
    private static bool HasService(string service, string name) =>
        service.Split(',').Any(s => s.Trim().Equals(name, StringComparison.OrdinalIgnoreCase));
}
