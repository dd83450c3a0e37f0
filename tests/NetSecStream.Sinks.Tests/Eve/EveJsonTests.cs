using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Text.Json;
using NetSecStream.Core;
using NetSecStream.Core.Ecs;
using NetSecStream.Core.Events;
using NetSecStream.Sinks.Eve;

namespace NetSecStream.Sinks.Tests.Eve;

public sealed class EveJsonTests
{
    // Every key Suricata writes that this sink may write, by dotted path; anything else is a misspelling.
    private static readonly HashSet<string> SuricataKeys = new(StringComparer.Ordinal)
    {
        "timestamp", "flow_id", "host", "event_type", "src_ip", "src_port", "dest_ip", "dest_port", "proto", "icmp_type", "icmp_code",
        "app_proto", "direction", "community_id",
        "alert", "alert.action", "alert.gid", "alert.signature_id", "alert.rev", "alert.signature", "alert.category", "alert.severity", "alert.metadata",
        "dns", "dns.query", "dns.query.type", "dns.query.rrname", "dns.query.rrtype",
        "http", "http.hostname", "http.http_port", "http.url", "http.http_user_agent", "http.http_method", "http.protocol", "http.status",
        "tls", "tls.sni", "tls.version", "tls.ja3", "tls.ja3.hash",
        "flow", "flow.pkts_toserver", "flow.pkts_toclient", "flow.bytes_toserver", "flow.bytes_toclient",
    };

    private static readonly DateTimeOffset Time = new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero).AddTicks(1_234_567);

    [Fact]
    public void Tcp_Ipv4_WithoutL7_WritesEveryAlertFieldAsSuricataDoes()
    {
        var flow = Flow("10.1.0.7", 40001, "203.0.113.66", 443, 6);
        flow.CommunityId = CommunityId.Compute(flow);
        var alert = Alert(flow, ruleId: "2024001", version: "3", mode: Mode.Alert);

        var eve = Write(alert);

        Assert.Equal("2024-01-02T03:04:05.123456+0000", eve.GetProperty("timestamp").GetString());
        Assert.Equal(ExpectedFlowId(flow.CommunityId), eve.GetProperty("flow_id").GetInt64());
        Assert.Equal("alert", eve.GetProperty("event_type").GetString());
        Assert.Equal("10.1.0.7", eve.GetProperty("src_ip").GetString());
        Assert.Equal(40001, eve.GetProperty("src_port").GetInt32());
        Assert.Equal("203.0.113.66", eve.GetProperty("dest_ip").GetString());
        Assert.Equal(443, eve.GetProperty("dest_port").GetInt32());
        Assert.Equal("TCP", eve.GetProperty("proto").GetString());
        Assert.Equal(flow.CommunityId, eve.GetProperty("community_id").GetString());
        Assert.Equal("node-1", eve.GetProperty("host").GetString());
        Assert.False(eve.TryGetProperty("app_proto", out _));
        Assert.False(eve.TryGetProperty("icmp_type", out _));
        foreach (string l7 in new[] { "dns", "http", "tls" })
        {
            Assert.False(eve.TryGetProperty(l7, out _), l7);
        }

        var a = eve.GetProperty("alert");
        Assert.Equal("allowed", a.GetProperty("action").GetString());
        Assert.Equal(1, a.GetProperty("gid").GetInt32());
        Assert.Equal(2024001, a.GetProperty("signature_id").GetInt64());
        Assert.Equal(3, a.GetProperty("rev").GetInt32());
        Assert.Equal("ET TEST rule", a.GetProperty("signature").GetString());
        Assert.Equal("A Network Trojan was detected", a.GetProperty("category").GetString());
        Assert.Equal(1, a.GetProperty("severity").GetInt32());
        var metadata = a.GetProperty("metadata");
        Assert.Equal(["signature"], metadata.GetProperty("netsec_detector").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal(["2024001"], metadata.GetProperty("netsec_rule_id").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal(["shop"], metadata.GetProperty("netsec_src_namespace").EnumerateArray().Select(v => v.GetString()));
        Assert.All(metadata.EnumerateObject(), p => Assert.Equal(JsonValueKind.Array, p.Value.ValueKind));
        AssertOnlySuricataKeys(eve);
    }

    [Fact]
    public void Block_IsBlocked_AndGidSidRevRuleIdsAreReadAsSuricataWritesThem()
    {
        var flow = Flow("10.1.0.7", 40001, "203.0.113.66", 443, 6);
        var eve = Write(Alert(flow, ruleId: "3:2100498:7", version: null, mode: Mode.Block));

        var a = eve.GetProperty("alert");
        Assert.Equal("blocked", a.GetProperty("action").GetString());
        Assert.Equal(3, a.GetProperty("gid").GetInt32());
        Assert.Equal(2100498, a.GetProperty("signature_id").GetInt64());
        Assert.Equal(7, a.GetProperty("rev").GetInt32());

        Assert.Equal((5u, 42u, 2u), EveJson.RuleNumbers(Alert(flow, "5:42", "2", Mode.Alert)));
    }

    [Fact]
    public void NonNumericRuleId_GetsAStableSidInTheSyntheticRange_RevZero()
    {
        var flow = Flow("10.1.0.7", 40001, "203.0.113.66", 443, 6);
        var alert = Alert(flow, ruleId: "intel:demo-c2:203.0.113.66", version: null, mode: Mode.Alert);

        var (gid, sid, rev) = EveJson.RuleNumbers(alert);

        Assert.Equal(1u, gid);
        Assert.Equal(0u, rev);
        Assert.InRange(sid, EveJson.SyntheticSidBase, EveJson.SyntheticSidBase + EveJson.SyntheticSidRange - 1);
        Assert.Equal(sid, EveJson.SyntheticSid("intel:demo-c2:203.0.113.66"));
        Assert.NotEqual(sid, EveJson.SyntheticSid("intel:demo-c2:203.0.113.67"));
        // FNV-1a 64 of the id, modulo the range: pinned, so a change of the derivation is noticed.
        Assert.Equal(EveJson.SyntheticSidBase + (uint)(Fnv1a64("intel:demo-c2:203.0.113.66") % EveJson.SyntheticSidRange), sid);
        var eve = Write(alert);
        Assert.Equal(sid, eve.GetProperty("alert").GetProperty("signature_id").GetUInt32());
        Assert.Equal(["intel:demo-c2:203.0.113.66"],
            eve.GetProperty("alert").GetProperty("metadata").GetProperty("netsec_rule_id").EnumerateArray().Select(v => v.GetString()));
    }

    [Fact]
    public void Udp_Ipv6_Dns_WritesExpandedAddressesAndTheQuery()
    {
        var flow = Flow("2001:db8::7", 53001, "2001:db8:0:1::53", 53, 17, dns: new DnsFacts { Query = "evil.example", QueryTypes = ["A", "AAAA"] });
        flow.CommunityId = CommunityId.Compute(flow);

        var eve = Write(Alert(flow, "intel:x:evil.example", null, Mode.Alert));

        Assert.Equal("2001:0db8:0000:0000:0000:0000:0000:0007", eve.GetProperty("src_ip").GetString());
        Assert.Equal("2001:0db8:0000:0001:0000:0000:0000:0053", eve.GetProperty("dest_ip").GetString());
        Assert.Equal(53001, eve.GetProperty("src_port").GetInt32());
        Assert.Equal(53, eve.GetProperty("dest_port").GetInt32());
        Assert.Equal("UDP", eve.GetProperty("proto").GetString());
        Assert.Equal("dns", eve.GetProperty("app_proto").GetString());
        var query = eve.GetProperty("dns").GetProperty("query");
        Assert.Equal(2, query.GetArrayLength());
        Assert.Equal("query", query[0].GetProperty("type").GetString());
        Assert.Equal("evil.example", query[0].GetProperty("rrname").GetString());
        Assert.Equal("A", query[0].GetProperty("rrtype").GetString());
        Assert.Equal("AAAA", query[1].GetProperty("rrtype").GetString());
        Assert.Equal(flow.CommunityId, eve.GetProperty("community_id").GetString());
        Assert.Equal(ExpectedFlowId(flow.CommunityId), eve.GetProperty("flow_id").GetInt64());
        AssertOnlySuricataKeys(eve);
    }

    [Fact]
    public void Http_WritesSuricataHttpFieldNames()
    {
        var flow = Flow("10.1.0.7", 40002, "198.51.100.10", 8080, 6, http: new HttpFacts
        {
            Method = "POST", Host = "c2.example:8080", Uri = "/beacon?id=1", UserAgent = "curl/8.0", StatusCode = 200, Protocol = "HTTP/1.1",
        });

        var eve = Write(Alert(flow, "2000001", "1", Mode.Alert));

        Assert.Equal("http", eve.GetProperty("app_proto").GetString());
        var http = eve.GetProperty("http");
        Assert.Equal("c2.example", http.GetProperty("hostname").GetString());
        Assert.Equal(8080, http.GetProperty("http_port").GetInt32());
        Assert.Equal("/beacon?id=1", http.GetProperty("url").GetString());
        Assert.Equal("curl/8.0", http.GetProperty("http_user_agent").GetString());
        Assert.Equal("POST", http.GetProperty("http_method").GetString());
        Assert.Equal("HTTP/1.1", http.GetProperty("protocol").GetString());
        Assert.Equal(200, http.GetProperty("status").GetInt32());
        AssertOnlySuricataKeys(eve);
    }

    [Fact]
    public void Http_WithOnlyAFullUrl_TakesHostAndPathFromIt()
    {
        var flow = Flow("10.1.0.7", 40002, "198.51.100.10", 80, 6, http: new HttpFacts { Url = "http://api.example/v1/items?x=1", Method = "GET" });

        var http = Write(Alert(flow, "2000001", "1", Mode.Alert)).GetProperty("http");

        Assert.Equal("api.example", http.GetProperty("hostname").GetString());
        Assert.Equal("/v1/items?x=1", http.GetProperty("url").GetString());
        Assert.False(http.TryGetProperty("http_port", out _));
    }

    [Fact]
    public void Tls_WritesSniVersionAndJa3Hash()
    {
        var flow = Flow("10.1.0.7", 40003, "198.51.100.11", 443, 6,
            tls: new TlsFacts { Sni = "pool.mining.example", Version = "TLS 1.2", Ja3 = "e7d705a3286e19ea42f587b344ee6865" });

        var eve = Write(Alert(flow, "2000002", "1", Mode.Alert));

        Assert.Equal("tls", eve.GetProperty("app_proto").GetString());
        var tls = eve.GetProperty("tls");
        Assert.Equal("pool.mining.example", tls.GetProperty("sni").GetString());
        Assert.Equal("TLS 1.2", tls.GetProperty("version").GetString());
        Assert.Equal("e7d705a3286e19ea42f587b344ee6865", tls.GetProperty("ja3").GetProperty("hash").GetString());
        AssertOnlySuricataKeys(eve);
    }

    [Theory]
    [InlineData("10.1.0.7", "192.0.2.1", 1, "ICMP")]
    [InlineData("2001:db8::7", "2001:db8::1", 58, "IPv6-ICMP")]
    public void Icmp_WritesTypeAndCodeInsteadOfPorts(string source, string destination, byte protocol, string proto)
    {
        var flow = new FlowEvent
        {
            Timestamp = Time,
            Source = new FlowEndpoint { Ip = IPAddress.Parse(source) },
            Destination = new FlowEndpoint { Ip = IPAddress.Parse(destination) },
            IpProtocol = protocol,
            IcmpType = protocol == 1 ? (byte)8 : (byte)128,
            IcmpCode = 0,
            IsReply = false,
        };

        var eve = Write(Alert(flow, "2100384", "6", Mode.Alert));

        Assert.Equal(proto, eve.GetProperty("proto").GetString());
        Assert.Equal(flow.IcmpType, eve.GetProperty("icmp_type").GetByte());
        Assert.Equal(0, eve.GetProperty("icmp_code").GetInt32());
        Assert.False(eve.TryGetProperty("src_port", out _));
        Assert.False(eve.TryGetProperty("dest_port", out _));
        Assert.Equal("to_server", eve.GetProperty("direction").GetString());
        // No enricher ran: the community id is computed for the line, and the flow id from it.
        string communityId = CommunityId.Compute(flow);
        Assert.Equal(communityId, eve.GetProperty("community_id").GetString());
        Assert.Equal(ExpectedFlowId(communityId), eve.GetProperty("flow_id").GetInt64());
        AssertOnlySuricataKeys(eve);
    }

    [Fact]
    public void FlowId_IsTheSameForBothDirections_AndFitsIn51Bits()
    {
        var forward = Flow("10.1.0.7", 40001, "203.0.113.66", 443, 6);
        var reply = Flow("203.0.113.66", 443, "10.1.0.7", 40001, 6);

        long id = EveJson.FlowId(forward);

        Assert.Equal(id, EveJson.FlowId(reply));
        Assert.InRange(id, 0, (1L << 51) - 1);
        Assert.NotEqual(id, EveJson.FlowId(Flow("10.1.0.7", 40002, "203.0.113.66", 443, 6)));
    }

    [Fact]
    public void FlowCounters_AreWrittenForTheDirectionTheEventCounts()
    {
        var flow = new FlowEvent
        {
            Timestamp = Time,
            Source = new FlowEndpoint { Ip = IPAddress.Parse("203.0.113.66"), Port = 443 },
            Destination = new FlowEndpoint { Ip = IPAddress.Parse("10.1.0.7"), Port = 40001 },
            IpProtocol = 6,
            IsReply = true,
            Packets = 3,
            Bytes = 1200,
        };

        var eve = Write(Alert(flow, "1", "1", Mode.Alert));

        Assert.Equal("to_client", eve.GetProperty("direction").GetString());
        Assert.Equal(3, eve.GetProperty("flow").GetProperty("pkts_toclient").GetInt64());
        Assert.Equal(1200, eve.GetProperty("flow").GetProperty("bytes_toclient").GetInt64());
        Assert.False(eve.GetProperty("flow").TryGetProperty("pkts_toserver", out _));
    }

    [Fact]
    public void Timestamp_IsUtcWithMicrosecondsAndPlus0000()
    {
        Assert.Equal("2024-01-02T03:04:05.123456+0000", EveJson.Timestamp(new DateTimeOffset(2024, 1, 2, 5, 4, 5, TimeSpan.FromHours(2)).AddTicks(1_234_567)));
    }

    private static void AssertOnlySuricataKeys(JsonElement eve)
    {
        foreach (string path in Paths(eve, ""))
        {
            Assert.True(SuricataKeys.Contains(path) || path.StartsWith("alert.metadata.", StringComparison.Ordinal), $"'{path}' is not a key Suricata writes");
        }
    }

    private static IEnumerable<string> Paths(JsonElement element, string prefix)
    {
        if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray())
            {
                foreach (string path in Paths(item, prefix))
                {
                    yield return path;
                }
            }

            yield break;
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            yield break;
        }

        foreach (var property in element.EnumerateObject())
        {
            string path = prefix.Length == 0 ? property.Name : prefix + "." + property.Name;
            yield return path;
            if (!path.StartsWith("alert.metadata", StringComparison.Ordinal))
            {
                foreach (string inner in Paths(property.Value, path))
                {
                    yield return inner;
                }
            }
        }
    }

    private static long ExpectedFlowId(string communityId)
    {
        byte[] digest = Convert.FromBase64String(communityId["1:".Length..]);
        return BinaryPrimitives.ReadInt64BigEndian(digest) & ((1L << 51) - 1);
    }

    private static ulong Fnv1a64(string text)
    {
        ulong hash = 14695981039346656037;
        foreach (byte b in System.Text.Encoding.UTF8.GetBytes(text))
        {
            hash = (hash ^ b) * 1099511628211;
        }

        return hash;
    }

    private static JsonElement Write(Alert alert)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, EcsJson.WriterOptions))
        {
            EveJson.WriteAlert(writer, alert);
        }

        using var doc = JsonDocument.Parse(buffer.WrittenMemory);
        return doc.RootElement.Clone();
    }

    private static FlowEvent Flow(string source, ushort sourcePort, string destination, ushort destinationPort, byte protocol,
        DnsFacts? dns = null, HttpFacts? http = null, TlsFacts? tls = null) => new()
    {
        Timestamp = Time,
        Source = new FlowEndpoint { Ip = IPAddress.Parse(source), Port = sourcePort, Namespace = "shop", Pod = "web-1" },
        Destination = new FlowEndpoint { Ip = IPAddress.Parse(destination), Port = destinationPort },
        IpProtocol = protocol,
        NodeName = "node-1",
        Dns = dns,
        Http = http,
        Tls = tls,
    };

    private static Alert Alert(FlowEvent flow, string ruleId, string? version, Mode mode) => new()
    {
        Id = "alert-1",
        Timestamp = Time,
        Detector = ruleId.StartsWith("intel:", StringComparison.Ordinal) ? DetectorKinds.Intel : DetectorKinds.Signature,
        RuleId = ruleId,
        RuleName = "ET TEST rule",
        RuleCategory = "A Network Trojan was detected",
        RuleVersion = version,
        Severity = 1,
        RiskScore = 90,
        Mode = mode,
        Explanation = "matched",
        DedupeKey = "k",
        Flow = flow,
    };
}
