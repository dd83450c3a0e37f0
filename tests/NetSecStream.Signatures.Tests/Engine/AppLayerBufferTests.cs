using System.Text;
using NetSecStream.Core.Events;
using NetSecStream.Signatures.Engine;
using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Tests.Engine;

/// <summary>The app-layer buffers of HTTP bodies and status lines, TLS certificates and ALPN, SSH, and the value keywords dns.opcode and tls.version.</summary>
public sealed class AppLayerBufferTests
{
    private static readonly HttpFacts Exchange = new()
    {
        Method = "POST",
        Uri = "/login",
        Headers = [new("Host", "shop.example"), new("X-Req", "client-side")],
        RequestLine = "POST /login HTTP/1.1",
        RequestBody = Encoding.ASCII.GetBytes("user=admin&pass=secret"),
        StatusCode = 302,
        StatusMessage = "Found",
        ResponseLine = "HTTP/1.1 302 Found",
        ResponseHeaders = [new("Server", "ng1nx/1.0"), new("Location", "http://evil.example/next")],
        ResponseBody = Encoding.ASCII.GetBytes("X5O!P%@AP[4 EICAR-STANDARD-ANTIVIRUS-TEST-FILE"),
    };

    private static readonly TlsFacts Handshake = new()
    {
        Sni = "p142-contacts.icloud.com",
        Version = "TLS 1.2",
        ClientAlpn = ["h2", "http/1.1"],
        ServerAlpn = ["http/1.1"],
        Certificates =
        [
            new TlsCertificate
            {
                Der = new byte[] { 0x30, 0x82, 0xAA, 0xBB },
                Subject = "C=US, O=Apple Inc., CN=p142-contacts.icloud.com",
                Issuer = "C=US, O=Apple Inc., CN=Apple IST CA 2",
                Serial = "0C:1F:CB:18",
                Sha1Fingerprint = "aa:bb:cc:dd",
                SubjectAltNames = ["contacts.icloud.com", "p142-contacts.icloud.com"],
            },
            new TlsCertificate { Der = new byte[] { 0x30, 0x82, 0xCA, 0xFE }, Subject = "C=US, O=Apple Inc., CN=Apple IST CA 2" },
        ],
    };

    private static SignatureEngine Build(string rules, bool prefilter)
    {
        RuleSetLoadResult load = RuleSetLoader.LoadText(rules);
        Assert.Empty(load.Diagnostics);
        var engine = new SignatureEngine(load, prefilter);
        Assert.Empty(engine.NotEvaluable);
        return engine;
    }

    private static void BothPaths(string rules, FlowEvent flow, params long[] expected)
    {
        foreach (bool prefilter in new[] { true, false })
        {
            using SignatureEngine engine = Build(rules, prefilter);
            Assert.Equal(expected, engine.Match(flow).Select(m => m.Rule.Sid).Order().ToArray());
        }
    }

    [Fact]
    public void Http_bodies_status_line_and_response_headers_fill_their_buffers()
    {
        const string rules = """
            alert http any any -> any any (msg:"req body"; http.request_body; content:"pass=secret"; sid:1;)
            alert http any any -> any any (msg:"legacy client body"; content:"user=admin"; http_client_body; sid:2;)
            alert http any any -> any any (msg:"resp body"; http.response_body; content:"EICAR"; sid:3;)
            alert http any any -> any any (msg:"server"; http.server; content:"ng1nx"; startswith; sid:4;)
            alert http any any -> any any (msg:"location"; http.location; content:"evil.example"; sid:5;)
            alert http any any -> any any (msg:"stat msg"; http.stat_msg; content:"Found"; endswith; sid:6;)
            alert http any any -> any any (msg:"resp line"; http.response_line; content:"HTTP/1.1 302"; startswith; sid:7;)
            alert http any any -> any any (msg:"req line"; http.request_line; content:"POST /login"; sid:8;)
            alert http any any -> any any (msg:"wrong body"; http.request_body; content:"EICAR"; sid:9;)
            """;
        BothPaths(rules, SignatureEngineTests.Flow(http: Exchange), 1, 2, 3, 4, 5, 6, 7, 8);
    }

    [Fact]
    public void File_data_and_http_header_follow_the_rule_side()
    {
        const string rules = """
            alert http any any -> any any (msg:"file to client"; flow:to_client; file_data; content:"X5O!P%@AP[4"; sid:1;)
            alert http any any -> any any (msg:"file to server"; flow:to_server; file.data; content:"user=admin"; sid:2;)
            alert http any any -> any any (msg:"file either"; file.data; content:"EICAR"; sid:3;)
            alert http any any -> any any (msg:"wrong side"; flow:to_server; file.data; content:"EICAR"; sid:4;)
            alert http any any -> any any (msg:"resp header"; flow:established,from_server; content:"ng1nx"; nocase; http_header; sid:5;)
            alert http any any -> any any (msg:"req header only to server"; flow:to_client; http.header; content:"client-side"; sid:6;)
            alert http any any -> any any (msg:"req header"; flow:to_server; http.header; content:"client-side"; sid:7;)
            alert http any any -> any any (msg:"either header"; http.header; content:"Location|3a| http"; sid:8;)
            alert http any any -> any any (msg:"uri makes it to_server"; http.uri; content:"/login"; http.header; content:"Server"; sid:9;)
            alert http any any -> any any (msg:"stat code makes it to_client"; http.stat_code; content:"302"; http.header; content:"ng1nx"; sid:10;)
            """;
        BothPaths(rules, SignatureEngineTests.Flow(http: Exchange), 1, 2, 3, 5, 7, 8, 10);
    }

    [Fact]
    public void File_data_in_a_tcp_rule_is_still_the_payload()
    {
        const string rules = """alert tcp any any -> any any (msg:"payload"; file_data; content:"MZ"; sid:1;)""";
        BothPaths(rules, SignatureEngineTests.Flow(toClient: "MZ\x90\x00"), 1);
    }

    [Fact]
    public void Tls_certificate_buffers_and_multi_buffers_match_on_any_value()
    {
        const string rules = """
            alert tls any any -> any any (msg:"subject"; tls.cert_subject; content:"CN=p142-contacts.icloud.com"; sid:1;)
            alert tls any any -> any any (msg:"issuer"; tls.cert_issuer; content:"Apple IST CA 2"; sid:2;)
            alert tls any any -> any any (msg:"serial"; tls.cert_serial; content:"0C:1F:CB:18"; sid:3;)
            alert tls any any -> any any (msg:"fingerprint"; tls.cert_fingerprint; content:"aa:bb:cc:dd"; sid:4;)
            alert tls any any -> any any (msg:"second cert der"; tls.certs; content:"|30 82 CA FE|"; sid:5;)
            alert tls any any -> any any (msg:"san"; tls.subjectaltname; content:"p142-contacts.icloud.com"; tls.alpn; content:"http/1.1"; sid:6;)
            alert tls any any -> any any (msg:"sni and client alpn"; tls.sni; content:"icloud"; tls.alpn; content:"h2"; sid:7;)
            alert tls any any -> any any (msg:"server alpn is not h2"; flow:to_client; tls.alpn; content:"h2"; sid:8;)
            alert tls any any -> any any (msg:"one value must hold all"; tls.subjectaltname; content:"contacts"; startswith; content:"p142"; sid:9;)
            alert tls any any -> any any (msg:"negotiated 1.2"; tls.version:1.2; sid:10;)
            alert tls any any -> any any (msg:"not 1.3"; tls.version:1.3; sid:11;)
            """;
        BothPaths(rules, SignatureEngineTests.Flow(dport: 443, tls: Handshake), 1, 2, 3, 4, 5, 6, 7, 10);
    }

    [Fact]
    public void Ssh_banners_and_dns_opcode()
    {
        const string rules = """
            alert ssh any any -> any any (msg:"software"; ssh.software; content:"OpenSSH"; sid:1;)
            alert ssh any any -> any any (msg:"proto"; ssh.proto; content:"2"; sid:2;)
            alert ssh any any -> any any (msg:"server software"; flow:to_client; ssh.software; content:"OpenSSH"; sid:3;)
            alert dns any any -> any any (msg:"notify"; dns.opcode:4; flow:to_server; sid:4;)
            alert dns any any -> any any (msg:"not query"; dns.opcode:!0; sid:5;)
            """;
        var client = new FlowEvent
        {
            Timestamp = DateTimeOffset.UnixEpoch,
            Source = new FlowEndpoint { Ip = System.Net.IPAddress.Parse("10.0.0.1"), Port = 50000 },
            Destination = new FlowEndpoint { Ip = System.Net.IPAddress.Parse("10.0.0.2"), Port = 22 },
            IpProtocol = 6,
            Ssh = new SshFacts { ClientProto = "2.0", ClientSoftware = "OpenSSH_for_Windows_7.7" },
        };
        BothPaths(rules, client, 1, 2);
        BothPaths(rules, SignatureEngineTests.Flow(proto: 17, dport: 53, dns: new DnsFacts { Query = "zone.example", Opcode = 4 }), 4, 5);
        BothPaths(rules, SignatureEngineTests.Flow(proto: 17, dport: 53, dns: new DnsFacts { Query = "zone.example", Opcode = 0 }));
    }

    [Fact]
    public void Value_keywords_run_on_transactions_not_packets()
    {
        const string rules = """alert dns any any -> any any (msg:"notify"; dns.opcode:4; flow:to_server; sid:1;)""";
        var dns = new DnsFacts { Query = "zone.example", Opcode = 4 };
        var transaction = new FlowEvent
        {
            Timestamp = DateTimeOffset.UnixEpoch,
            Source = new FlowEndpoint { Ip = System.Net.IPAddress.Parse("10.0.0.1"), Port = 5353 },
            Destination = new FlowEndpoint { Ip = System.Net.IPAddress.Parse("10.0.0.2"), Port = 53 },
            IpProtocol = 17,
            Kind = FlowEventKind.Transaction,
            AppProtocol = "dns",
            Dns = dns,
        };
        var packet = new FlowEvent
        {
            Timestamp = DateTimeOffset.UnixEpoch,
            Source = transaction.Source,
            Destination = transaction.Destination,
            IpProtocol = 17,
            Kind = FlowEventKind.Packet,
            AppProtocol = "dns",
            IsReply = false,
            Payload = new PayloadBuffers { ToServer = new byte[] { 1, 2, 3 } },
        };
        BothPaths(rules, transaction, 1);
        BothPaths(rules, packet);
    }

    [Fact]
    public void Value_keywords_that_do_not_parse_stay_not_evaluable()
    {
        RuleSetLoadResult load = RuleSetLoader.LoadText("""
            alert dns any any -> any any (msg:"bad"; dns.opcode:query; sid:1;)
            alert tls any any -> any any (msg:"bad"; tls.version:9.9; sid:2;)
            """);
        using var engine = new SignatureEngine(load);
        Assert.Equal(["dns.opcode", "tls.version"], engine.NotEvaluable.Select(n => n.Reason).Order().ToArray());
    }
}
