namespace NetSecStream.Behaviour.FlowDatasets;

/// <summary>
/// UNSW-NB15 (Moustafa and Slay, 2015): Argus/Bro flow features. Two layouts read: the raw feature files
/// (<c>proto</c>, <c>state</c>, <c>service</c> as text, <c>Spkts</c>/<c>Dpkts</c>, optional <c>sport</c>/<c>dsport</c>
/// and <c>attack_cat</c>) and the one-hot training-set extracts (<c>proto=tcp</c>, <c>service=dns</c>,
/// <c>state=FIN</c> ..., <c>smean</c>/<c>dmean</c> but no packet counts). Label: Benign/Malicious, normal/attack or 0/1.
/// </summary>
internal sealed class UnswNb15Format : FlowDatasetFormat
{
    private static readonly HashSet<string> NotNative = new(
        ["label", "attack_cat", "srcip", "dstip", "stime", "ltime", "proto", "state", "service"], StringComparer.Ordinal);

    // The raw files' text columns, one-hot encoded as the training extracts have them, so both layouts share columns.
    private static readonly (string Column, string[] Values)[] OneHot =
    [
        ("proto", ["tcp", "udp", "other"]),
        ("service", ["-", "http", "dns", "other"]),
        ("state", ["FIN", "INT", "other"]),
    ];

    public override string Name => "unsw-nb15";

    public override string Description =>
        "UNSW-NB15 (Moustafa and Slay, MilCIS 2015; UNSW Canberra, free for research): Argus and Bro features of flows from the " +
        "IXIA PerfectStorm testbed, label Benign/Malicious";

    public override string Limits =>
        "The folder mixes two different extracts: unsw-nb15_1_sampled.csv (7,000 raw rows, 3% malicious) and the 50/50 one-hot " +
        "unsw-nb15_training_10K.csv (no packet counts: they are derived from the mean packet sizes). Neither has the attack " +
        "category (one family, Malicious) nor the ports (the sampler removed them), and ICMP and the TCP flags are not available.";

    public override IReadOnlyList<FeatureMapping> Mappings { get; } =
    [
        new("flow.duration_s", "dur", "seconds"),
        new("flow.bytes_out", "sbytes", "source→destination bytes (Argus counts IP bytes)"),
        new("flow.bytes_in", "dbytes"),
        new("flow.packets_out", "Spkts", "one-hot extract without Spkts: round(sbytes / smean), smean being sbytes / Spkts"),
        new("flow.packets_in", "Dpkts", "one-hot extract: round(dbytes / dmean)"),
        new("flow.mean_packet_bytes", "derived", "(sbytes + dbytes) / (packets_out + packets_in)"),
        new("flow.src_port", "sport", "only in the full files: the shared samples removed the port columns (missing)"),
        new("flow.dst_port", "dsport", "as src_port"),
        new("flow.proto_tcp", "proto / proto=tcp"),
        new("flow.proto_udp", "proto / proto=udp"),
        new("flow.proto_icmp", null, "the samples lump ICMP into proto 'other'"),
        new("flow.tcp_syn", null, "Argus keeps the state, not the flags"),
        new("flow.tcp_ack", null, "Argus keeps the state, not the flags"),
        new("flow.tcp_fin", "state / state=FIN", "state FIN (connection closed by FIN)"),
        new("flow.tcp_rst", null, "state RST is lumped into 'other' in the samples"),
        new("flow.l7_dns", "service / service=dns"),
        new("flow.l7_http", "service / service=http"),
        new("flow.l7_tls", "service", "ssl; missing in the one-hot extract (ssl is in service=other)"),
        new("flow.dropped", null, "captured traffic, no verdict"),
    ];

    internal override FileLayout Bind(CsvHeader h)
    {
        const string Format = "UNSW-NB15";
        int dur = h.Require("dur", Format), sbytes = h.Require("sbytes", Format), dbytes = h.Require("dbytes", Format), label = h.Require("label", Format);
        int? spkts = h.Find("spkts"), dpkts = h.Find("dpkts");
        int? smean = h.Find("smeansz") ?? h.Find("smean"), dmean = h.Find("dmeansz") ?? h.Find("dmean");
        int? sport = h.Find("sport"), dsport = h.Find("dsport"), attackCat = h.Find("attack_cat");
        int? proto = h.Find("proto"), service = h.Find("service"), state = h.Find("state");
        int? protoTcp = h.Find("proto=tcp"), protoUdp = h.Find("proto=udp"), serviceDns = h.Find("service=dns"), serviceHttp = h.Find("service=http"), stateFin = h.Find("state=FIN");
        if ((spkts is null || dpkts is null) && (smean is null || dmean is null))
        {
            throw new FlowFormatException(h.File, 1, "neither Spkts/Dpkts nor smean/dmean columns: this is not UNSW-NB15 data");
        }

        if (proto is null && protoTcp is null)
        {
            throw new FlowFormatException(h.File, 1, "neither a proto nor a proto=tcp column: this is not UNSW-NB15 data");
        }

        var native = new List<(string, Func<CsvRow, float>)>();
        for (int i = 0; i < h.Count; i++)
        {
            string key = CsvHeader.Key(h.Names[i]);
            if (NotNative.Contains(key) || key is "sport" or "dsport")
            {
                continue;
            }

            int column = i;
            native.Add((key switch { "smeansz" => "smean", "dmeansz" => "dmean", _ => key }, row => row.Number(column)));
        }

        foreach ((string column, string[] values) in OneHot)
        {
            if (h.Find(column) is int text)
            {
                native.AddRange(values.Select(v => ($"{column}={v}", (Func<CsvRow, float>)(row => OneHotValue(row.Text(text), v, values) ? 1 : 0))));
            }
        }

        return new FileLayout(native, (row, s) =>
        {
            s.Set(FlowFeatureNames.DurationSeconds, row.Count(dur));
            float bytesOut = row.Count(sbytes), bytesIn = row.Count(dbytes);
            s.Set(FlowFeatureNames.BytesOut, bytesOut);
            s.Set(FlowFeatureNames.BytesIn, bytesIn);
            if (spkts is int sp && dpkts is int dp)
            {
                s.Set(FlowFeatureNames.PacketsOut, row.Count(sp));
                s.Set(FlowFeatureNames.PacketsIn, row.Count(dp));
            }
            else
            {
                float sm = row.Count(smean!.Value), dm = row.Count(dmean!.Value);
                s.Set(FlowFeatureNames.PacketsOut, sm > 0 ? MathF.Round(bytesOut / sm) : 0);
                s.Set(FlowFeatureNames.PacketsIn, dm > 0 ? MathF.Round(bytesIn / dm) : 0);
            }

            if (sport is int spo && dsport is int dpo)
            {
                s.Set(FlowFeatureNames.SrcPort, row.CountOrZero(spo));
                s.Set(FlowFeatureNames.DstPort, row.CountOrZero(dpo));
            }

            if (proto is int pr)
            {
                string p = row.Text(pr).ToLowerInvariant();
                s.Set(FlowFeatureNames.ProtoTcp, p == "tcp");
                s.Set(FlowFeatureNames.ProtoUdp, p == "udp");
            }
            else
            {
                s.Set(FlowFeatureNames.ProtoTcp, row.Number(protoTcp!.Value) > 0);
                s.Set(FlowFeatureNames.ProtoUdp, protoUdp is int pu && row.Number(pu) > 0);
            }

            if (state is int st)
            {
                s.Set(FlowFeatureNames.TcpFin, row.Text(st).Equals("FIN", StringComparison.OrdinalIgnoreCase));
            }
            else if (stateFin is int sf)
            {
                s.Set(FlowFeatureNames.TcpFin, row.Number(sf) > 0);
            }

            if (service is int sv)
            {
                string v = row.Text(sv).ToLowerInvariant();
                s.Set(FlowFeatureNames.L7Dns, v == "dns");
                s.Set(FlowFeatureNames.L7Http, v == "http");
                s.Set(FlowFeatureNames.L7Tls, v == "ssl");
            }
            else
            {
                if (serviceDns is int sd)
                {
                    s.Set(FlowFeatureNames.L7Dns, row.Number(sd) > 0);
                }

                if (serviceHttp is int sh)
                {
                    s.Set(FlowFeatureNames.L7Http, row.Number(sh) > 0);
                }
            }

            string l = row.Text(label).ToLowerInvariant();
            bool attack = l switch
            {
                "benign" or "normal" or "0" => false,
                "malicious" or "attack" or "1" => true,
                _ => throw new RowException($"label '{row.Text(label)}' is not Benign/Malicious (or 0/1)"),
            };
            string family = !attack ? "benign"
                : attackCat is int ac && !row.IsBlank(ac) ? row.Text(ac)
                : "Malicious";
            return (attack, family);
        });
    }

    private static bool OneHotValue(string text, string value, string[] values)
    {
        string t = text.Length == 0 ? "-" : text;
        return value == "other"
            ? !values.Any(v => v != "other" && v.Equals(t, StringComparison.OrdinalIgnoreCase))
            : value.Equals(t, StringComparison.OrdinalIgnoreCase);
    }
}
