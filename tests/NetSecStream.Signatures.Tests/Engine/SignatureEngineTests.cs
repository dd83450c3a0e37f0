using System.Net;
using System.Text;
using NetSecStream.Core.Events;
using NetSecStream.Signatures.Engine;
using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Tests.Engine;

public sealed class SignatureEngineTests
{
    private static SignatureEngine Build(string rules, bool prefilter = true)
    {
        RuleSetLoadResult load = RuleSetLoader.LoadText(rules);
        Assert.Empty(load.Diagnostics);
        return new SignatureEngine(load, prefilter);
    }

    internal static FlowEvent Flow(
        string src = "10.0.0.5", ushort sport = 40000, string dst = "203.0.113.9", ushort dport = 80, byte proto = 6,
        string? toServer = null, string? toClient = null, bool? reply = null,
        DnsFacts? dns = null, HttpFacts? http = null, TlsFacts? tls = null) => new()
        {
            Timestamp = DateTimeOffset.UnixEpoch,
            Source = new FlowEndpoint { Ip = IPAddress.Parse(src), Port = sport },
            Destination = new FlowEndpoint { Ip = IPAddress.Parse(dst), Port = dport },
            IpProtocol = proto,
            IsReply = reply,
            Dns = dns,
            Http = http,
            Tls = tls,
            Payload = toServer is null && toClient is null ? null : new PayloadBuffers
            {
                ToServer = Encoding.Latin1.GetBytes(toServer ?? ""),
                ToClient = Encoding.Latin1.GetBytes(toClient ?? ""),
            },
        };

    private static long[] Sids(SignatureEngine engine, FlowEvent flow) => [.. engine.Match(flow).Select(m => m.Rule.Sid)];

    internal static void BothPaths(string rules, FlowEvent flow, params long[] expected)
    {
        using SignatureEngine pre = Build(rules, prefilter: true);
        using SignatureEngine naive = Build(rules, prefilter: false);
        Assert.Equal(expected, Sids(pre, flow));
        Assert.Equal(expected, Sids(naive, flow));
    }

    [Fact]
    public void Header_addresses_ports_negation_and_direction()
    {
        const string rules = """
            alert tcp 10.0.0.0/8 any -> 203.0.113.0/24 80 (msg:"a"; sid:1;)
            alert tcp !10.0.0.0/8 any -> any any (msg:"neg"; sid:2;)
            alert tcp any any -> any [443,8443] (msg:"ports"; sid:3;)
            alert tcp 203.0.113.9 80 <> 10.0.0.5 any (msg:"both"; sid:4;)
            alert tcp 203.0.113.9 80 -> 10.0.0.5 any (msg:"one way"; sid:5;)
            alert tcp $HOME_NET any -> $EXTERNAL_NET !22 (msg:"vars"; sid:6;)
            alert udp any any -> any any (msg:"udp"; sid:7;)
            alert ip any any -> any any (msg:"ip"; sid:8;)
            """;
        BothPaths(rules, Flow(), 1, 4, 6, 8);
        BothPaths(rules, Flow(src: "192.0.2.1", dport: 443), 2, 3, 8);
        BothPaths(rules, Flow(proto: 17, dport: 53), 7, 8);
    }

    [Fact]
    public void Buffers_map_to_flow_event_facts()
    {
        const string rules = """
            alert dns any any -> any any (msg:"dns"; dns.query; content:"evil.example"; sid:10;)
            alert http any any -> any any (msg:"uri"; http.uri; content:"/admin"; startswith; sid:11;)
            alert http any any -> any any (msg:"host"; http.host; content:"bad.host"; sid:12;)
            alert http any any -> any any (msg:"method"; http.method; content:"POST"; sid:13;)
            alert http any any -> any any (msg:"ua"; http.user_agent; content:"curl/"; sid:14;)
            alert http any any -> any any (msg:"stat"; http.stat_code; content:"404"; sid:15;)
            alert http any any -> any any (msg:"hdr"; http.header; content:"X-Evil|3a 20|1|0d 0a|"; sid:16;)
            alert tls any any -> any any (msg:"sni"; tls.sni; content:"c2.example"; endswith; sid:17;)
            alert tls any any -> any any (msg:"ja3"; ja3.hash; content:"e7d705a3286e19ea42f587b344ee6865"; sid:18;)
            alert tcp any any -> any any (msg:"payload"; content:"MALWARE"; sid:19;)
            alert http any any -> any any (msg:"raw uri"; http.uri.raw; content:"?id="; sid:20;)
            alert tcp any any -> any any (msg:"file"; file.data; content:"%PDF"; sid:21;)
            """;
        BothPaths(rules, Flow(proto: 17, dport: 53, dns: new DnsFacts { Query = "www.evil.example" }), 10);
        BothPaths(rules, Flow(http: new HttpFacts
        {
            Uri = "/admin/x?id=1", Host = "bad.host", Method = "POST", UserAgent = "curl/8", StatusCode = 404,
            Headers = [new("X-Evil", "1")],
        }), 11, 12, 13, 14, 15, 16, 20);
        BothPaths(rules, Flow(dport: 443, tls: new TlsFacts { Sni = "x.c2.example", Ja3 = "e7d705a3286e19ea42f587b344ee6865" }), 17, 18);
        BothPaths(rules, Flow(toServer: "xx MALWARE %PDF"), 19, 21);
        // A rule whose buffer the event lacks does not match: no http facts, no tls facts.
        BothPaths(rules, Flow(), []);
        BothPaths(rules, Flow(http: new HttpFacts { Uri = "/index" }), []);
    }

    [Fact]
    public void Content_modifiers_absolute_and_relative()
    {
        const string rules = """
            alert tcp any any -> any any (msg:"depth"; content:"GET"; depth:3; sid:1;)
            alert tcp any any -> any any (msg:"offset"; content:"abc"; offset:5; sid:2;)
            alert tcp any any -> any any (msg:"distance within"; content:"GET"; content:"abc"; distance:2; within:5; sid:3;)
            alert tcp any any -> any any (msg:"too far"; content:"GET"; content:"abc"; within:3; sid:4;)
            alert tcp any any -> any any (msg:"nocase"; content:"get /"; nocase; sid:5;)
            alert tcp any any -> any any (msg:"case"; content:"get /"; sid:6;)
            alert tcp any any -> any any (msg:"neg"; content:"GET"; content:!"xyz"; sid:7;)
            alert tcp any any -> any any (msg:"neg hit"; content:"GET"; content:!"abc"; sid:8;)
            alert tcp any any -> any any (msg:"neg relative"; content:"abc"; content:!"GET"; distance:0; sid:9;)
            alert tcp any any -> any any (msg:"backtrack"; content:" "; content:"t"; distance:0; within:1; sid:10;)
            alert tcp any any -> any any (msg:"endswith"; content:"tail"; endswith; sid:11;)
            alert tcp any any -> any any (msg:"startswith"; content:"GET /"; startswith; sid:12;)
            alert tcp any any -> any any (msg:"dsize"; dsize:>10; sid:13;)
            alert tcp any any -> any any (msg:"dsize small"; dsize:<5; sid:14;)
            """;
        // "GET / abc tail": GET at 0, abc at 6, tail at 10.
        BothPaths(rules, Flow(toServer: "GET / abc tail"), 1, 2, 3, 5, 7, 9, 10, 11, 12, 13);
    }

    [Fact]
    public void Pcre_with_relative_and_negation()
    {
        const string rules = """
            alert tcp any any -> any any (msg:"pcre"; content:"id="; pcre:"/id=\d{3}\b/"; sid:1;)
            alert tcp any any -> any any (msg:"pcre nocase"; content:"USER"; pcre:"/user\s+root/i"; sid:2;)
            alert tcp any any -> any any (msg:"pcre neg"; content:"id="; pcre:!"/id=9/"; sid:3;)
            alert tcp any any -> any any (msg:"pcre rel"; content:"USER"; pcre:"/^\s+root/R"; sid:4;)
            alert http any any -> any any (msg:"pcre uri"; http.uri; pcre:"/\.php$/"; sid:5;)
            """;
        BothPaths(rules, Flow(toServer: "USER root id=123 "), 1, 2, 3, 4);
        BothPaths(rules, Flow(http: new HttpFacts { Uri = "/x/shell.php" }), 5);
    }

    [Fact]
    public void Flow_direction_selects_payload_and_event()
    {
        const string rules = """
            alert tcp any any -> any any (msg:"srv"; flow:to_server,established; content:"REQ"; sid:1;)
            alert tcp any any -> any any (msg:"cli"; flow:to_client; content:"RESP"; sid:2;)
            alert tcp any any -> any any (msg:"any dir"; content:"RESP"; sid:3;)
            """;
        BothPaths(rules, Flow(toServer: "REQ", toClient: "RESP", reply: false), 1, 3);
        BothPaths(rules, Flow(toServer: "REQ", toClient: "RESP", reply: true), 2, 3);

        // A flow event that is neither direction (a whole pcap flow) holds both: each rule inspects its direction's payload.
        BothPaths(rules, Flow(toServer: "REQ", toClient: "RESP"), 1, 2, 3);
    }

    [Fact]
    public void Pass_rule_suppresses_other_alerts_of_the_event()
    {
        const string rules = """
            alert tcp any any -> any any (msg:"a"; content:"X"; sid:1;)
            pass tcp any any -> any any (msg:"allow"; content:"trusted"; sid:2;)
            drop tcp any any -> any any (msg:"block me"; content:"X"; sid:3;)
            """;
        BothPaths(rules, Flow(toServer: "X trusted"), []);
        BothPaths(rules, Flow(toServer: "X"), 1, 3);
    }

    [Fact]
    public void Alerts_carry_rule_fields_and_block_request()
    {
        using SignatureEngine engine = Build("""drop tcp any any -> any any (msg:"block me"; content:"X"; classtype:trojan-activity; priority:1; sid:3; rev:7;)""");
        FlowEvent flow = Flow(toServer: "X");
        flow.CommunityId = "1:abc=";
        Alert alert = SignatureAlerts.Create(Assert.Single(engine.Match(flow)), flow);
        Assert.Equal("signature", alert.Detector);
        Assert.Equal("3", alert.RuleId);
        Assert.Equal("block me", alert.RuleName);
        Assert.Equal("trojan-activity", alert.RuleCategory);
        Assert.Equal("suricata", alert.Ruleset);
        Assert.Equal("7", alert.RuleVersion);
        Assert.Equal(1, alert.Severity);
        Assert.Equal(90, alert.RiskScore);
        Assert.Equal("sid:3:1:abc=", alert.DedupeKey);
        Assert.Contains("payload", alert.Explanation, StringComparison.Ordinal);
        Assert.Contains("\"X\"", alert.Explanation, StringComparison.Ordinal);
        Assert.Contains("block", alert.Explanation, StringComparison.Ordinal);
        Assert.Same(flow, alert.Flow);
    }

    [Fact]
    public void Unsupported_keywords_are_reported_not_evaluable()
    {
        using SignatureEngine engine = Build("""
            alert tcp any any -> any any (msg:"ok"; content:"A"; sid:1;)
            alert tcp any any -> any any (msg:"bt"; content:"A"; byte_test:1,>,5,0,dce; sid:2;)
            alert tcp any any -> any any (msg:"xbits on a transaction"; xbits:isset,x,track tx; content:"A"; sid:3;)
            alert tcp any any -> any any (msg:"size"; content:"A"; stream_size:server,>,5; sid:4;)
            alert tls any any -> any any (msg:"ja3s"; ja3s.hash; content:"A"; sid:5;)
            alert smb any any -> any any (msg:"smb"; content:"A"; sid:6;)
            """);
        Assert.Equal(1, engine.EvaluableCount);
        var reasons = engine.NotEvaluable.ToDictionary(n => n.Rule.Sid, n => n.Reason);
        Assert.Equal("byte_test dce", reasons[2]);
        Assert.Equal("xbits track tx", reasons[3]);
        Assert.Equal("stream_size", reasons[4]);
        Assert.Equal("ja3s.hash", reasons[5]);
        Assert.Equal("protocol smb", reasons[6]);
        Assert.Equal([1L], Sids(engine, Flow(toServer: "A")));
    }

    [Fact]
    public void Detector_validates_options()
    {
        var options = new SignatureOptions { Paths = ["/nonexistent/rules"] };
        Assert.All(options.Validate(), m => Assert.StartsWith("Detectors:Signatures:", m, StringComparison.Ordinal));
        Assert.NotEmpty(options.Validate());
        Assert.NotEmpty(new SignatureOptions().Validate());
    }

    [Fact]
    public void Packet_stream_matches_a_pattern_split_over_segments_once_at_the_packet_that_completes_it()
    {
        const string rules = """
            alert tcp any any -> any any (msg:"stream or packet"; content:"Please Let Me In!"; sid:1;)
            alert tcp-pkt any any -> any any (msg:"packet only"; content:"Please Let Me In!"; sid:2;)
            alert tcp any any -> any any (msg:"to server only"; flow:to_server; content:"Please Let Me In!"; sid:3;)
            """;
        FlowEvent Packet(int newFrom) => new()
        {
            Timestamp = DateTimeOffset.UnixEpoch,
            Kind = FlowEventKind.Packet,
            Source = new FlowEndpoint { Ip = IPAddress.Parse("10.0.0.2"), Port = 8080 },
            Destination = new FlowEndpoint { Ip = IPAddress.Parse("10.0.0.1"), Port = 40000 },
            IpProtocol = 6,
            IsReply = true,
            Payload = new PayloadBuffers
            {
                ToClient = Encoding.Latin1.GetBytes("Me In!"),
                Stream = Encoding.Latin1.GetBytes("Please Let Me In!"),
                StreamNewFrom = newFrom,
            },
        };

        // The last segment completes the pattern: the tcp rule alerts, the tcp-pkt rule and the to_server rule do not.
        BothPaths(rules, Packet(newFrom: 11), 1);

        // A later packet whose stream adds nothing to the match does not alert again.
        BothPaths(rules, Packet(newFrom: 17));
    }
}
