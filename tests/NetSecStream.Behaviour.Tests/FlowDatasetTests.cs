using NetSecStream.Behaviour.FlowDatasets;
using NetSecStream.Testing;

namespace NetSecStream.Behaviour.Tests;

/// <summary>
/// The flow dataset readers on rows copied from the shared samples (source file and line noted at each fixture), then
/// on the whole samples when the shared data is present.
/// </summary>
public sealed class FlowDatasetTests
{
    // cic-ids2017-improved-sample/BENIGN_2500.csv line 1 (header) and 2; DDoS_2500.csv line 2.
    private const string CicHeader = "id,Flow ID,Src IP,Src Port,Dst IP,Dst Port,Protocol,Timestamp,Flow Duration,Total Fwd Packet,Total Bwd packets,Total Length of Fwd Packet,Total Length of Bwd Packet,Fwd Packet Length Max,Fwd Packet Length Min,Fwd Packet Length Mean,Fwd Packet Length Std,Bwd Packet Length Max,Bwd Packet Length Min,Bwd Packet Length Mean,Bwd Packet Length Std,Flow Bytes/s,Flow Packets/s,Flow IAT Mean,Flow IAT Std,Flow IAT Max,Flow IAT Min,Fwd IAT Total,Fwd IAT Mean,Fwd IAT Std,Fwd IAT Max,Fwd IAT Min,Bwd IAT Total,Bwd IAT Mean,Bwd IAT Std,Bwd IAT Max,Bwd IAT Min,Fwd PSH Flags,Bwd PSH Flags,Fwd URG Flags,Bwd URG Flags,Fwd RST Flags,Bwd RST Flags,Fwd Header Length,Bwd Header Length,Fwd Packets/s,Bwd Packets/s,Packet Length Min,Packet Length Max,Packet Length Mean,Packet Length Std,Packet Length Variance,FIN Flag Count,SYN Flag Count,RST Flag Count,PSH Flag Count,ACK Flag Count,URG Flag Count,CWR Flag Count,ECE Flag Count,Down/Up Ratio,Average Packet Size,Fwd Segment Size Avg,Bwd Segment Size Avg,Fwd Bytes/Bulk Avg,Fwd Packet/Bulk Avg,Fwd Bulk Rate Avg,Bwd Bytes/Bulk Avg,Bwd Packet/Bulk Avg,Bwd Bulk Rate Avg,Subflow Fwd Packets,Subflow Fwd Bytes,Subflow Bwd Packets,Subflow Bwd Bytes,FWD Init Win Bytes,Bwd Init Win Bytes,Fwd Act Data Pkts,Fwd Seg Size Min,Active Mean,Active Std,Active Max,Active Min,Idle Mean,Idle Std,Idle Max,Idle Min,ICMP Code,ICMP Type,Total TCP Flow Time,Label,Attempted Category";
    private const string CicBenign = "154994,192.168.10.5-192.168.10.3-53633-53-17,192.168.10.5,53633,192.168.10.3,53,17,2017-07-07 12:59:21.088203,25324,2,2,108,224,54,54,54.0,0.0,112,112,112.0,0.0,13110.093192228716,157.95293002685202,8441.333333333332,14576.668286454673,25273,3,48,48.0,0.0,48,48,3,3.0,0.0,3,3,0,0,0,0,0,0,16,16,78.97646501342601,78.97646501342601,54,112,83.0,33.48631561299829,1121.3333333333333,0,0,0,0,0,0,0,0,1.0,83.0,54.0,112.0,0,0,0,0,0,0,0,27,0,56,0,0,1,8,0.0,0.0,0,0,0.0,0.0,0,0,-1,-1,0,BENIGN,-1";
    private const string CicDdos = "140793,172.16.0.1-192.168.10.50-64271-80-6,172.16.0.1,64271,192.168.10.50,80,6,2017-07-07 19:14:04.346778,5243884,8,5,20,11595,20,0,2.5,7.071067811865476,4380,0,2319.0,2208.9148919775066,2214.9612767940707,2.479078484573648,436990.3333333334,1433667.6624809236,4984887,1,5243884,749126.2857142857,1869799.0642906628,4984887,1,248128,62032.00000000001,110143.79119738586,226583,165,1,1,0,0,1,0,172,112,1.5255867597376294,0.9534917248360184,0,4380,893.4615384615386,1732.7451541501334,3002405.769230769,1,2,1,2,12,0,0,0,0.625,893.4615384615385,2.5,2319.0,0,0,0,0,0,0,0,1,0,891,8192,229,1,20,0.0,0.0,0,0,0.0,0.0,0,0,-1,-1,5243884,DDoS,-1";

    // unsw-nb15-sample/unsw-nb15_1_sampled.csv line 1 and 22 (raw layout); unsw-nb15_training_10K.csv lines 1-2 (one-hot layout).
    private const string UnswRawHeader = "proto,state,dur,sbytes,dbytes,sttl,dttl,sloss,dloss,service,Sload,Dload,Spkts,Dpkts,swin,dwin,stcpb,dtcpb,smeansz,dmeansz,trans_depth,res_bdy_len,Sjit,Djit,Stime,Ltime,Sintpkt,Dintpkt,tcprtt,synack,ackdat,is_sm_ips_ports,ct_state_ttl,ct_flw_http_mthd,is_ftp_login,ct_ftp_cmd,ct_srv_src,ct_srv_dst,ct_dst_ltm,'ct_src_ ltm',ct_src_dport_ltm,ct_dst_sport_ltm,ct_dst_src_ltm,label";
    private const string UnswRawAttack = "tcp,FIN,0.298669,866,268,254,252,2,1,http,20892.69336,5999.953125,10,6,255,255,4060905359,3226700423,87,45,1,0,1452.060391,73.790883,1421927761,1421927761,29.259,52.456398,0.084726,0.036375,0.048351,0,1,1,0,0,1,1,1,5,1,1,1,Malicious";
    private const string UnswOneHotHeader = "dur,proto=tcp,proto=udp,proto=other,service=-,service=http,service=dns,service=other,state=FIN,state=INT,state=other,sbytes,dbytes,rate,sloss,dloss,sjit,djit,swin,stcpb,dtcpb,dwin,smean,dmean,trans_depth,ct_srv_src,ct_dst_ltm,ct_src_dport_ltm,ct_dst_sport_ltm,ct_dst_src_ltm,ct_src_ltm,ct_srv_dst,label";
    private const string UnswOneHotAttack = "59.49836,0,0,1,1,0,0,0,0,0,1,20128,0,1.226925,0,0,998.777438,0,0,0,0,0,272,0,0,1,1,1,1,1,1,1,Malicious";

    // iot-23/CTU-Malware-Capture-44-1-labeled.csv lines 1, 2 and 4; CTU-Honeypot-Capture-5-1-labeled.csv line 21.
    private const string IotHeader = "ts,uid,id.orig_h,id.orig_p,id.resp_h,id.resp_p,proto,service,duration,orig_bytes,resp_bytes,conn_state,local_orig,local_resp,missed_bytes,history,orig_pkts,orig_ip_bytes,resp_pkts,resp_ip_bytes,tunnel_parents,label,detailed-label";
    private const string IotDownload = "1547150789.067208,CzsY0D4B96NTr8m7ld,192.168.1.199,59222,46.101.251.172,80,tcp,http,1.686784,149,171750,SF,,,11584,ShADadttfF,122,7741,122,178102,,Malicious,C&C-FileDownload";
    private const string IotLoneSyn = "1547150797.954878,CVMYDw4wnZfqWrOfd,192.168.1.199,59224,46.101.251.172,80,tcp,,,,,S0,,,0,S,1,60,0,0,,Malicious,C&C";
    private const string IotHoneypotTls = "1537523554.108827,CIKnJb4EmQL9QDiR8k,192.168.2.3,33413,13.32.118.129,443,tcp,ssl,0.273075,684,72877,RSTO,,,0,ShADadRRR,54,3068,56,75797,,benign,-";

    private static FlowDataset Read(string format, params (string Name, string Text)[] files) =>
        FlowDatasetReader.Read(format, [.. files.Select(f => (f.Name, (TextReader)new StringReader(f.Text)))]);

    private static float F(FlowRecord r, string feature) => r.Schema[FlowFeatureNames.All.ToList().IndexOf(feature)];

    [Fact]
    public void Feature_names_are_the_streaming_schema_in_order()
    {
        Assert.Equal(19, FlowFeatureNames.Count);
        Assert.Equal("flow.duration_s", FlowFeatureNames.All[FlowFeatureNames.DurationSeconds]);
        Assert.Equal("flow.mean_packet_bytes", FlowFeatureNames.All[FlowFeatureNames.MeanPacketBytes]);
        Assert.Equal("flow.tcp_rst", FlowFeatureNames.All[FlowFeatureNames.TcpRst]);
        Assert.Equal("flow.dropped", FlowFeatureNames.All[FlowFeatureNames.Dropped]);
        Assert.All(FlowDatasetReader.Formats.Values, f => Assert.Equal(FlowFeatureNames.All, f.Mappings.Select(m => m.Feature)));
    }

    [Fact]
    public void Cic_ids2017_rows_map_onto_the_schema_with_l7_and_drop_missing()
    {
        FlowDataset data = Read("cic-ids2017", ("BENIGN.csv", CicHeader + "\n" + CicBenign + "\n"), ("DDoS.csv", CicHeader + "\n" + CicDdos + "\n"));
        Assert.Equal(2, data.Rows.Count);
        FlowRecord dns = data.Rows[0], ddos = data.Rows[1];
        Assert.Equal((false, "benign", "BENIGN.csv", 2), (dns.Label, dns.Family, dns.File, dns.Line));
        Assert.Equal((true, "DDoS"), (ddos.Label, ddos.Family));
        Assert.Equal(0.025324f, F(dns, "flow.duration_s"), 6);
        Assert.Equal((108f, 224f, 2f, 2f, 83f), (F(dns, "flow.bytes_out"), F(dns, "flow.bytes_in"), F(dns, "flow.packets_out"), F(dns, "flow.packets_in"), F(dns, "flow.mean_packet_bytes")));
        Assert.Equal((53633f, 53f, 0f, 1f, 0f), (F(dns, "flow.src_port"), F(dns, "flow.dst_port"), F(dns, "flow.proto_tcp"), F(dns, "flow.proto_udp"), F(dns, "flow.proto_icmp")));
        Assert.Equal((1f, 1f, 1f, 1f), (F(ddos, "flow.tcp_syn"), F(ddos, "flow.tcp_ack"), F(ddos, "flow.tcp_fin"), F(ddos, "flow.tcp_rst")));
        Assert.True(dns.IsMissing(FlowFeatureNames.L7Dns) && dns.IsMissing(FlowFeatureNames.L7Tls) && dns.IsMissing(FlowFeatureNames.Dropped));
        Assert.False(dns.IsMissing(FlowFeatureNames.DstPort));
        Assert.Equal(0f, F(dns, "flow.l7_dns"));
        // native: every column but id, Flow ID, addresses, Timestamp, Label and Attempted Category
        Assert.Equal(91 - 7, data.NativeNames.Count);
        Assert.Equal("Src Port", data.NativeNames[0]);
        Assert.Equal(25324f, dns.Native[data.NativeNames.ToList().IndexOf("Flow Duration")]);
    }

    [Fact]
    public void Unsw_nb15_reads_both_layouts_deriving_packets_and_keeping_the_shared_native_columns()
    {
        FlowDataset data = Read("unsw-nb15", ("raw.csv", UnswRawHeader + "\n" + UnswRawAttack + "\n"), ("onehot.csv", UnswOneHotHeader + "\n" + UnswOneHotAttack + "\n"));
        FlowRecord raw = data.Rows[0], oneHot = data.Rows[1];
        Assert.Equal((true, "Malicious"), (raw.Label, raw.Family));
        Assert.Equal((0.298669f, 866f, 268f, 10f, 6f), (F(raw, "flow.duration_s"), F(raw, "flow.bytes_out"), F(raw, "flow.bytes_in"), F(raw, "flow.packets_out"), F(raw, "flow.packets_in")));
        Assert.Equal((1f, 1f, 1f, 0f), (F(raw, "flow.proto_tcp"), F(raw, "flow.l7_http"), F(raw, "flow.tcp_fin"), F(raw, "flow.l7_dns")));
        Assert.False(raw.IsMissing(FlowFeatureNames.L7Tls));
        Assert.True(raw.IsMissing(FlowFeatureNames.SrcPort) && raw.IsMissing(FlowFeatureNames.TcpSyn) && raw.IsMissing(FlowFeatureNames.ProtoIcmp));
        // one-hot extract: packets = round(sbytes / smean) = 20128 / 272 = 74; proto=other, state=other
        Assert.Equal((74f, 0f, 0f, 0f, 0f), (F(oneHot, "flow.packets_out"), F(oneHot, "flow.packets_in"), F(oneHot, "flow.proto_tcp"), F(oneHot, "flow.proto_udp"), F(oneHot, "flow.tcp_fin")));
        Assert.True(oneHot.IsMissing(FlowFeatureNames.L7Tls));
        Assert.Equal(20128f / 74, F(oneHot, "flow.mean_packet_bytes"), 3);
        // native: the columns both layouts have (smeansz is smean, Sjit is sjit, the raw text columns one-hot encoded)
        Assert.Contains("smean", data.NativeNames);
        Assert.Contains("sjit", data.NativeNames);
        Assert.Contains("ct_src_ltm", data.NativeNames);
        Assert.Contains("proto=tcp", data.NativeNames);
        Assert.DoesNotContain("spkts", data.NativeNames);
        Assert.DoesNotContain("rate", data.NativeNames);
        Assert.All(data.Rows, r => Assert.Equal(data.NativeNames.Count, r.Native.Length));
        int protoTcp = data.NativeNames.ToList().IndexOf("proto=tcp"), smean = data.NativeNames.ToList().IndexOf("smean");
        Assert.Equal((1f, 87f), (raw.Native[protoTcp], raw.Native[smean]));
        Assert.Equal((0f, 272f), (oneHot.Native[protoTcp], oneHot.Native[smean]));
    }

    [Fact]
    public void Iot23_rows_map_zeek_history_service_and_unset_fields()
    {
        FlowDataset data = Read("iot-23", ("capture.csv", IotHeader + "\n" + IotDownload + "\n" + IotLoneSyn + "\n" + IotHoneypotTls + "\n"));
        FlowRecord download = data.Rows[0], syn = data.Rows[1], tls = data.Rows[2];
        Assert.Equal((true, "C&C-FileDownload"), (download.Label, download.Family));
        Assert.Equal((7741f, 178102f, 122f, 122f, 59222f, 80f), (F(download, "flow.bytes_out"), F(download, "flow.bytes_in"), F(download, "flow.packets_out"), F(download, "flow.packets_in"), F(download, "flow.src_port"), F(download, "flow.dst_port")));
        Assert.Equal((1f, 1f, 1f, 0f, 1f, 0f), (F(download, "flow.tcp_syn"), F(download, "flow.tcp_ack"), F(download, "flow.tcp_fin"), F(download, "flow.tcp_rst"), F(download, "flow.l7_http"), F(download, "flow.l7_tls")));
        Assert.Equal((0f, 1f, 0f, 0f), (F(syn, "flow.duration_s"), F(syn, "flow.tcp_syn"), F(syn, "flow.tcp_ack"), F(syn, "flow.bytes_in")));
        Assert.Equal((false, "benign"), (tls.Label, tls.Family)); // lower-case "benign" in the honeypot captures
        Assert.Equal((1f, 1f), (F(tls, "flow.l7_tls"), F(tls, "flow.tcp_rst")));
        Assert.Equal(1u << FlowFeatureNames.Dropped, download.Missing);
        Assert.Contains("conn_state=RSTO", data.NativeNames);
    }

    [Theory]
    [InlineData("cic-ids2017", "Label", "is empty")]
    [InlineData("cic-ids2017", "Flow Duration", "is negative")]
    [InlineData("cic-ids2017", "Total Fwd Packet", "is not a number")]
    [InlineData("unsw-nb15", "label", "is not Benign/Malicious")]
    [InlineData("unsw-nb15", "sbytes", "is not a number")]
    [InlineData("iot-23", "label", "neither Benign nor Malicious")]
    [InlineData("iot-23", "orig_pkts", "is not a number")]
    public void Malformed_rows_are_counted_with_file_line_and_reason_and_stop_a_strict_read(string format, string column, string reason)
    {
        (string header, string good) = format switch
        {
            "cic-ids2017" => (CicHeader, CicBenign),
            "unsw-nb15" => (UnswRawHeader, UnswRawAttack),
            _ => (IotHeader, IotDownload),
        };
        string[] names = [.. header.Split(',').Select(n => n.Trim('\'').Replace(" ", "", StringComparison.Ordinal).ToUpperInvariant())];
        string[] cells = good.Split(',');
        int at = Array.IndexOf(names, column.Replace(" ", "", StringComparison.Ordinal).ToUpperInvariant());
        Assert.True(at >= 0, column);
        cells[at] = reason switch { "is empty" => "", "is negative" => "-5", "is not a number" => "x1", _ => "Suspicious" };
        string text = header + "\n" + good + "\n\n" + string.Join(',', cells) + "\n" + good + "\n" + good.Split(',')[0] + "\n";

        FlowDataset data = Read(format, ("t.csv", text));
        Assert.Equal(2, data.Rows.Count);
        Assert.Equal(2, data.Skipped);
        Assert.StartsWith("t.csv:4: ", data.Errors[0], StringComparison.Ordinal);
        Assert.Contains(reason, data.Errors[0], StringComparison.Ordinal);
        Assert.Equal($"t.csv:6: 1 columns, the header has {cells.Length}", data.Errors[1]);

        var strict = Assert.Throws<FlowFormatException>(() => FlowDatasetReader.Read(format, [("t.csv", new StringReader(text))], strict: true));
        Assert.Equal((4, "t.csv"), (strict.Line, strict.File));
        Assert.Contains(reason, strict.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("cic-ids2017", "no 'Src Port' column")]
    [InlineData("unsw-nb15", "no 'dur' column")]
    [InlineData("iot-23", "no 'id.orig_p' column")]
    public void A_header_of_another_dataset_fails_the_file_at_line_1(string format, string reason)
    {
        string other = format == "iot-23" ? CicHeader : IotHeader;
        var ex = Assert.Throws<FlowFormatException>(() => Read(format, ("x.csv", other + "\n")));
        Assert.StartsWith($"x.csv:1: {reason}", ex.Message, StringComparison.Ordinal);
    }

    [DataFact("datasets/cic-ids2017-improved-sample")]
    public void The_shared_cic_ids2017_sample_reads_whole() =>
        AssertReadsWhole("cic-ids2017", "datasets/cic-ids2017-improved-sample", 25_127, 2_500, ["DDoS", "Heartbleed", "Web Attack - XSS", "Portscan"]);

    [DataFact("datasets/unsw-nb15-sample")]
    public void The_shared_unsw_nb15_samples_read_whole() =>
        AssertReadsWhole("unsw-nb15", "datasets/unsw-nb15-sample", 17_000, 6_796 + 5_000, ["Malicious"]);

    [DataFact("datasets/iot-23")]
    public void The_shared_iot23_captures_read_whole() =>
        AssertReadsWhole("iot-23", "datasets/iot-23", 46_662, 452 + 1374 + 130 + 3193 + 3272 + 1923 + 4420 + 211 + 2181, ["C&C", "DDoS", "PartOfAHorizontalPortScan", "C&C-Torii"]);

    private static void AssertReadsWhole(string format, string folder, int rows, int benign, string[] families)
    {
        FlowDataset data = FlowDatasetReader.Read(format, TestData.Require(folder), strict: true);
        Assert.Equal(rows, data.Rows.Count);
        Assert.Equal(0, data.Skipped);
        Assert.Equal(benign, data.Rows.Count(r => !r.Label));
        Assert.All(families, f => Assert.Contains(data.Rows, r => r.Family == f));
        Assert.All(data.Rows, r => Assert.Equal(data.NativeNames.Count, r.Native.Length));
        Assert.All(data.Rows, r => Assert.All(r.Schema, v => Assert.True(float.IsFinite(v))));
    }
}
