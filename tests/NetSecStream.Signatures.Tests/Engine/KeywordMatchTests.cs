using System.Net;
using System.Security.Cryptography;
using System.Text;
using NetSecStream.Core.Events;
using NetSecStream.Signatures.Engine;
using NetSecStream.Signatures.Rules;
using static NetSecStream.Signatures.Tests.Engine.SignatureEngineTests;

namespace NetSecStream.Signatures.Tests.Engine;

/// <summary>The match hooks of payload, transform, header and HTTP keywords, on both the prefilter and the naive path.</summary>
public sealed class KeywordMatchTests
{
    private static FlowEvent Event(
        byte proto = 6, TcpFlags flags = TcpFlags.None, bool? established = null, string? appProtocol = null, byte? icmpType = null,
        byte? icmpCode = null, string? toServer = null, DnsFacts? dns = null, HttpFacts? http = null, bool? reply = null) => new()
        {
            Timestamp = DateTimeOffset.UnixEpoch,
            Source = new FlowEndpoint { Ip = IPAddress.Parse("10.0.0.5"), Port = 40000 },
            Destination = new FlowEndpoint { Ip = IPAddress.Parse("203.0.113.9"), Port = 80 },
            IpProtocol = proto,
            TcpFlags = flags,
            Established = established,
            AppProtocol = appProtocol,
            IcmpType = icmpType,
            IcmpCode = icmpCode,
            IsReply = reply,
            Dns = dns,
            Http = http,
            Payload = toServer is null ? null : new PayloadBuffers { ToServer = Encoding.Latin1.GetBytes(toServer) },
        };

    private static string Hex(byte[] bytes) => "|" + Convert.ToHexString(bytes) + "|";

    [Fact]
    public void Byte_test_reads_binary_and_string_numbers()
    {
        const string rules = """
            alert tcp any any -> any any (byte_test:2,=,258,0; sid:1;)
            alert tcp any any -> any any (byte_test:2,=,513,0,little; sid:2;)
            alert tcp any any -> any any (byte_test:2,>,258,0; sid:3;)
            alert tcp any any -> any any (byte_test:4,=,31,2,string,hex; sid:4;)
            alert tcp any any -> any any (byte_test:3,=,42,6,string,dec; sid:5;)
            alert tcp any any -> any any (byte_test:3,=,511,9,string,oct; sid:6;)
            alert tcp any any -> any any (byte_test:1,&,0x02,1; sid:7;)
            alert tcp any any -> any any (byte_test:1,!&,0x01,1; sid:8;)
            alert tcp any any -> any any (byte_test:2,=,1,0,bitmask 0xFF00; sid:9;)
            alert tcp any any -> any any (content:"1F"; byte_test:1,=,32,0,relative; sid:10;)
            alert tcp any any -> any any (byte_test:2,=,0,11; sid:11;)
            alert tcp any any -> any any (byte_test:0,=,42777,7,string,dec; sid:12;)
            alert tcp any any -> any any (byte_test:2,^,258,0; sid:13;)
            """;
        // 01 02 "001F" " 42" "777"
        BothPaths(rules, Event(toServer: "\u0001\u0002001F 42777"), 1, 2, 4, 5, 6, 7, 8, 9, 10, 12);
    }

    [Fact]
    public void Isdataat_absolute_relative_and_negated()
    {
        const string rules = """
            alert tcp any any -> any any (isdataat:5; sid:1;)
            alert tcp any any -> any any (isdataat:6; sid:2;)
            alert tcp any any -> any any (isdataat:!6; sid:3;)
            alert tcp any any -> any any (content:"abc"; isdataat:3,relative; sid:4;)
            alert tcp any any -> any any (content:"abc"; isdataat:4,relative; sid:5;)
            alert tcp any any -> any any (content:"def"; isdataat:!1,relative; sid:6;)
            alert tcp any any -> any any (content:"abc"; isdataat:!1,relative; sid:7;)
            """;
        BothPaths(rules, Event(toServer: "abcdef"), 1, 3, 4, 6);
    }

    [Fact]
    public void Byte_jump_moves_the_detection_pointer()
    {
        const string rules = """
            alert tcp any any -> any any (byte_jump:2,0; content:"END"; within:3; sid:1;)
            alert tcp any any -> any any (byte_jump:2,0; content:"XYZ"; within:3; sid:2;)
            alert tcp any any -> any any (byte_jump:2,0,post_offset -3; content:"XYZ"; within:3; sid:3;)
            alert tcp any any -> any any (byte_jump:2,0,multiplier 2; isdataat:!1,relative; sid:4;)
            alert tcp any any -> any any (byte_jump:2,0,multiplier 3; sid:5;)
            alert tcp any any -> any any (byte_jump:2,0,align; content:"ND"; within:2; sid:6;)
            alert tcp any any -> any any (byte_jump:1,1,from_beginning; content:"YZ"; within:2; sid:7;)
            alert tcp any any -> any any (byte_jump:1,0,from_end,post_offset -3; content:"END"; within:3; sid:8;)
            alert tcp any any -> any any (content:"|00|"; byte_jump:1,0,relative; content:"E"; within:1; sid:9;)
            alert tcp any any -> any any (byte_jump:2,0,post_offset -100; content:"|00 03|"; within:2; sid:10;)
            """;
        // 00 03 "XYZEND": the length 3 after the 2-byte field lands on "END"; a jump before the start lands on it.
        BothPaths(rules, Event(toServer: "\u0000\u0003XYZEND"), 1, 3, 4, 6, 7, 8, 9, 10);
    }

    [Fact]
    public void Byte_extract_variables_feed_content_byte_test_and_isdataat()
    {
        const string rules = """
            alert tcp any any -> any any (byte_extract:2,0,len; content:"XX"; distance:len; within:2; sid:1;)
            alert tcp any any -> any any (byte_extract:2,0,len; content:"ab"; distance:len; sid:2;)
            alert tcp any any -> any any (byte_extract:2,0,len; byte_test:1,=,len,1; sid:3;)
            alert tcp any any -> any any (byte_extract:1,8,n,string,dec; content:"abc"; offset:2; depth:n; sid:4;)
            alert tcp any any -> any any (byte_extract:1,8,n,string,dec; content:"abcd"; offset:2; depth:n; sid:5;)
            alert tcp any any -> any any (byte_extract:1,1,off; isdataat:off; sid:6;)
            alert tcp any any -> any any (byte_extract:1,1,off; isdataat:!off,relative; sid:7;)
            alert tcp any any -> any any (byte_extract:1,1,off,multiplier 2; content:"3"; offset:off; depth:1; sid:8;)
            alert tcp any any -> any any (byte_extract:1,8,v,string,dec,align 4; content:"c"; offset:v; depth:1; sid:9;)
            alert tcp any any -> any any (byte_extract:1,1,j; byte_jump:1,j; content:"l"; within:1; sid:10;)
            alert tcp any any -> any any (content:"abcd"; byte_extract:2,0,xx,relative; content:"3"; within:1; sid:11;)
            alert tcp any any -> any any (byte_extract:4,8,s,string,dec; content:"hello"; within:5; sid:12;)
            """;
        // 00 04 "abcd" "XX" "3" "hello"; sid 10 jumps by the byte at 4 ('c' = 99): out of the buffer; sid 12 reads the
        // string "3" of the four bytes "3hel" and goes on right after it.
        BothPaths(rules, Event(toServer: "\u0000\u0004abcdXX3hello"), 1, 3, 4, 6, 8, 9, 11, 12);
    }

    [Fact]
    public void Variables_of_another_buffer_and_dce_are_not_evaluable()
    {
        RuleSetLoadResult load = RuleSetLoader.LoadText("""
            alert http any any -> any any (http.uri; byte_extract:1,0,v; http.host; content:"a"; offset:v; sid:1;)
            alert tcp any any -> any any (byte_jump:4,0,dce; sid:2;)
            alert tcp any any -> any any (byte_extract:1,0,v; content:"a"; offset:v; sid:3;)
            """);
        Assert.Empty(load.Diagnostics);
        using var engine = new SignatureEngine(load);
        var reasons = engine.NotEvaluable.ToDictionary(n => n.Rule.Sid, n => n.Reason);
        Assert.Equal("byte_extract variable from another buffer", reasons[1]);
        Assert.Equal("byte_jump dce", reasons[2]);
        Assert.Equal(1, engine.EvaluableCount);
    }

    // The digests are rule-language transforms under test, not security controls.
    [Fact]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5350", Justification = "to_sha1 transform under test")]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5351", Justification = "to_md5 transform under test")]
    public void Transforms_on_dns_query_prefilter_on_the_transformed_buffer()
    {
        const string query = "cdn.evil.net";
        byte[] q = Encoding.ASCII.GetBytes(query);
        string rules = $"""
            alert dns any any -> any any (dns.query; dotprefix; content:".evil.net"; endswith; sid:1;)
            alert dns any any -> any any (dns.query; dotprefix; content:".cdn.evil.net"; endswith; sid:2;)
            alert dns any any -> any any (dns.query; dotprefix; content:".vil.net"; endswith; sid:3;)
            alert dns any any -> any any (dns.query; content:"cdn"; startswith; dotprefix; content:".cdn."; startswith; sid:4;)
            alert dns any any -> any any (dns.query; to_uppercase; content:"CDN.EVIL"; sid:5;)
            alert dns any any -> any any (dns.query; to_md5; content:"{Hex(MD5.HashData(q))}"; bsize:16; sid:6;)
            alert dns any any -> any any (dns.query; to_sha256; content:"{Hex(SHA256.HashData(q))}"; sid:7;)
            alert dns any any -> any any (dns.query; to_sha1; content:"{Hex(SHA1.HashData(q))}"; sid:8;)
            alert dns any any -> any any (dns.query; dotprefix; to_md5; content:"{Hex(MD5.HashData(Encoding.ASCII.GetBytes("." + query)))}"; sid:9;)
            alert dns any any -> any any (dns.query; content:".cdn"; sid:10;)
            """;
        BothPaths(rules, Event(proto: 17, dns: new DnsFacts { Query = query }), 1, 2, 4, 5, 6, 7, 8, 9);
    }

    [Fact]
    public void Transforms_on_file_data_apply_in_order()
    {
        const string rules = """
            alert tcp any any -> any any (file.data; strip_whitespace; content:"HelloWorld%21+xy"; sid:1;)
            alert tcp any any -> any any (file.data; compress_whitespace; content:"Hello World%21+x|09|y"; sid:2;)
            alert tcp any any -> any any (file.data; url_decode; content:"World! x"; sid:3;)
            alert tcp any any -> any any (file.data; to_lowercase; content:"hello   world"; sid:4;)
            alert tcp any any -> any any (file.data; xor:"01"; content:"Idmmn"; sid:5;)
            alert tcp any any -> any any (file.data; to_lowercase; content:"Hello"; sid:6;)
            alert tcp any any -> any any (file.data; to_lowercase; strip_whitespace; content:"helloworld"; sid:7;)
            """;
        BothPaths(rules, Event(toServer: "Hello   World%21+x\t\ty"), 1, 2, 3, 4, 5, 7);
    }

    [Theory]
    [InlineData("a%41+b", "aA b")]
    [InlineData("%%41", "%%41")]
    [InlineData("%+x", "%+x")]
    [InlineData("%4g%7e", "%4g~")]
    [InlineData("end%4", "end%4")]
    [InlineData("end%", "end%")]
    public void Url_decode_keeps_broken_escapes_as_they_stand(string input, string expected)
    {
        var keyword = new NetSecStream.Signatures.Keywords.UrlDecodeKeyword();
        var option = new NetSecStream.Signatures.Keywords.TransformOption { Keyword = keyword.Name, Transform = keyword };
        Assert.Equal(expected, Encoding.Latin1.GetString(option.Apply(Encoding.Latin1.GetBytes(input))));
    }

    [Fact]
    public void Http_buffers_are_shaped_as_suricata_fills_them()
    {
        var http = new HttpFacts
        {
            Method = "GET", Uri = "/index.php?a=1", Host = "Example.COM:8080", Protocol = "HTTP/1.1", UserAgent = "curl/8",
            Headers =
            [
                new("Host", "Example.COM:8080"), new("User-Agent", "curl/8"), new("Cookie", "s=1"), new("Accept", "*/*"),
                new("Content-Type", "text/plain"), new("Referer", "http://r/"), new("Connection", "close"), new("Content-Length", "5"),
                new("Accept-Encoding", "gzip"), new("Accept-Language", "en"), new("Cookie", "t=2"),
            ],
        };
        const string rules = """
            alert http any any -> any any (http.uri; bsize:14; sid:1;)
            alert http any any -> any any (http.uri; bsize:<14; sid:2;)
            alert http any any -> any any (http.uri; bsize:10<>20; sid:3;)
            alert http any any -> any any (urilen:14; sid:4;)
            alert http any any -> any any (urilen:>20; sid:5;)
            alert http any any -> any any (urilen:<15,raw; sid:6;)
            alert http any any -> any any (urilen:5<>14; sid:7;)
            alert http any any -> any any (http.host; content:"example.com"; bsize:11; sid:8;)
            alert http any any -> any any (http.host.raw; content:"Example.COM:8080"; bsize:16; sid:9;)
            alert http any any -> any any (http.header_names; content:"|0d 0a|Host|0d 0a|User-Agent|0d 0a|"; startswith; sid:10;)
            alert http any any -> any any (http.header_names; content:"|0d 0a|Cookie|0d 0a 0d 0a|"; endswith; sid:11;)
            alert http any any -> any any (http.header; content:"Cookie"; sid:12;)
            alert http any any -> any any (http.cookie; content:"s=1, t=2"; bsize:8; sid:13;)
            alert http any any -> any any (http.content_type; content:"text/plain"; bsize:10; sid:14;)
            alert http any any -> any any (http.request_line; content:"GET /index.php?a=1 HTTP/1.1"; bsize:27; sid:15;)
            alert http any any -> any any (http.start; content:"GET /index.php?a=1 HTTP/1.1|0d 0a|Host|3a 20|Example.COM:8080|0d 0a|"; startswith; content:"|0d 0a 0d 0a|"; endswith; sid:16;)
            alert http any any -> any any (http.protocol; content:"HTTP/1.1"; bsize:8; sid:17;)
            alert http any any -> any any (http.referer; content:"http://r/"; sid:18;)
            alert http any any -> any any (http.accept; content:"*/*"; bsize:3; sid:19;)
            alert http any any -> any any (http_accept_enc; content:"gzip"; sid:20;)
            alert http any any -> any any (http.accept_lang; content:"en"; bsize:2; sid:21;)
            alert http any any -> any any (http.connection; content:"close"; sid:22;)
            alert http any any -> any any (http.content_len; content:"5"; bsize:1; sid:23;)
            alert http any any -> any any (http.header.raw; content:"Cookie|3a 20|s=1|0d 0a|"; sid:24;)
            alert http any any -> any any (content:"curl"; http_raw_header; sid:25;)
            alert http any any -> any any (content:"s=1"; http_cookie; sid:26;)
            alert http any any -> any any (http.uri; to_uppercase; content:"/INDEX.PHP"; startswith; sid:27;)
            alert http any any -> any any (http.header; header_lowercase; content:"user-agent|3a 20|curl/8"; sid:28;)
            """;
        BothPaths(rules, Event(http: http), [1, 3, 4, 6, 8, 9, 10, 11, .. Enumerable.Range(13, 16).Select(i => (long)i)]);
        // A response-only event has no request line, start line, referer or accept headers; its cookie buffer is Set-Cookie.
        BothPaths(rules, Event(http: new HttpFacts { IsResponse = true, StatusCode = 200, Headers = [new("Set-Cookie", "s=1, t=2"), new("Accept", "*/*")] }), 13, 26);
    }

    [Fact]
    public void Present_but_empty_buffers_are_inspected_absent_ones_are_not()
    {
        const string rules = """
            alert http any any -> any any (http.user_agent; bsize:0; sid:1;)
            alert http any any -> any any (http.user_agent; content:!"u"; sid:2;)
            alert http any any -> any any (http.referer; content:!"u"; sid:3;)
            """;
        BothPaths(rules, Event(http: new HttpFacts { Method = "GET", UserAgent = "", Headers = [new("User-Agent", "")] }), 1, 2);
    }

    [Fact]
    public void Icmp_type_and_code()
    {
        const string rules = """
            alert icmp any any -> any any (itype:8; sid:1;)
            alert icmp any any -> any any (itype:<8; sid:2;)
            alert icmp any any -> any any (itype:>7; sid:3;)
            alert icmp any any -> any any (itype:5<>10; sid:4;)
            alert icmp any any -> any any (icode:0; sid:5;)
            alert icmp any any -> any any (icode:>0; sid:6;)
            alert icmp any any -> any any (itype:0; sid:7;)
            """;
        BothPaths(rules, Event(proto: 1, icmpType: 8, icmpCode: 0), 1, 3, 4, 5);
        BothPaths(rules, Event(proto: 1), []);
    }

    [Fact]
    public void Ip_proto_by_number_name_and_comparison()
    {
        const string rules = """
            alert ip any any -> any any (ip_proto:6; sid:1;)
            alert ip any any -> any any (ip_proto:tcp; sid:2;)
            alert ip any any -> any any (ip_proto:!6; sid:3;)
            alert ip any any -> any any (ip_proto:<17; sid:4;)
            alert ip any any -> any any (ip_proto:>6; sid:5;)
            alert ip any any -> any any (ip_proto:ipv6-icmp; sid:6;)
            """;
        BothPaths(rules, Event(proto: 6), 1, 2, 4);
        BothPaths(rules, Event(proto: 17), 3, 5);
        BothPaths(rules, Event(proto: 58), 3, 5, 6);
        Assert.Single(RuleSetLoader.LoadText("alert ip any any -> any any (ip_proto:nope; sid:7;)").Diagnostics);
    }

    [Fact]
    public void Tcp_flags_with_modifiers_and_ignore_mask()
    {
        const string rules = """
            alert tcp any any -> any any (flags:S,12; sid:1;)
            alert tcp any any -> any any (flags:S; sid:2;)
            alert tcp any any -> any any (flags:+S; sid:3;)
            alert tcp any any -> any any (flags:*SA; sid:4;)
            alert tcp any any -> any any (flags:!A; sid:5;)
            alert tcp any any -> any any (flags:!S; sid:6;)
            alert tcp any any -> any any (flags:0; sid:7;)
            alert tcp any any -> any any (tcp.flags:SEC; sid:8;)
            alert tcp any any -> any any (flags:A+; sid:9;)
            alert ip any any -> any any (flags:*S; sid:10;)
            """;
        BothPaths(rules, Event(flags: TcpFlags.Syn | TcpFlags.Ece | TcpFlags.Cwr), 1, 3, 4, 5, 8, 10);
        BothPaths(rules, Event(flags: TcpFlags.None), 5, 6, 7);
        BothPaths(rules, Event(proto: 17), []);
    }

    [Fact]
    public void Flow_state_from_the_event_or_inferred()
    {
        const string rules = """
            alert ip any any -> any any (flow:established; sid:1;)
            alert ip any any -> any any (flow:not_established; sid:2;)
            alert ip any any -> any any (flow:stateless; sid:3;)
            """;
        BothPaths(rules, Event(flags: TcpFlags.Syn), 2, 3);
        BothPaths(rules, Event(flags: TcpFlags.Syn | TcpFlags.Ack | TcpFlags.Psh | TcpFlags.Fin, toServer: "GET /"), 1, 3);
        BothPaths(rules, Event(flags: TcpFlags.Syn, established: true), 1, 3);
        BothPaths(rules, Event(flags: TcpFlags.Ack, established: false), 2, 3);
        BothPaths(rules, Event(flags: TcpFlags.Syn | TcpFlags.Rst | TcpFlags.Ack), 2, 3);
        BothPaths(rules, Event(toServer: "data"), 1, 3);
        BothPaths(rules, Event(proto: 17, dns: new DnsFacts { Query = "a.example" }), 2, 3);
        BothPaths(rules, Event(proto: 17, dns: new DnsFacts { Query = "a.example", IsResponse = true }), 1, 3);
        BothPaths(rules, Event(proto: 17, reply: true), 1, 3);

        const string stream = """
            alert tcp any any -> any any (flow:only_stream; content:"x"; sid:1;)
            alert tcp any any -> any any (flow:no_stream; content:"x"; sid:2;)
            """;
        BothPaths(stream, Event(toServer: "x"), 1);
        FlowEvent packet = Event(toServer: "x");
        packet = new FlowEvent
        {
            Timestamp = packet.Timestamp, Source = packet.Source, Destination = packet.Destination, IpProtocol = 6, Payload = packet.Payload,
            Kind = FlowEventKind.Packet,
        };
        BothPaths(stream, packet, 2);
        using var engine = new SignatureEngine(RuleSetLoader.LoadText("alert tcp any any -> any any (flow:only_frag; sid:3;)"));
        Assert.Equal("flow:only_frag", Assert.Single(engine.NotEvaluable).Reason);
    }

    [Fact]
    public void App_layer_protocol_from_the_event_or_its_facts()
    {
        const string rules = """
            alert ip any any -> any any (app-layer-protocol:http; sid:1;)
            alert ip any any -> any any (app-layer-protocol:!http; sid:2;)
            alert ip any any -> any any (app-layer-protocol:tls; sid:3;)
            alert ip any any -> any any (app-layer-protocol:dns; sid:5;)
            """;
        BothPaths(rules, Event(http: new HttpFacts { Method = "GET" }), 1);
        BothPaths(rules, Event(appProtocol: "tls"), 2, 3);
        BothPaths(rules, Event(appProtocol: "http2"), 1);
        BothPaths(rules, Event(), []);
        BothPaths(rules, Event(proto: 17, dns: new DnsFacts { Query = "a" }), 2, 5);
    }

    [Fact]
    public void Hostile_buffers_never_throw_and_both_paths_agree()
    {
        const string rules = """
            alert tcp any any -> any any (content:"|00|"; byte_jump:4,0,relative,little,multiplier 1000,post_offset -7; isdataat:!1,relative; sid:1;)
            alert tcp any any -> any any (byte_extract:4,0,a,little; byte_extract:2,a,b,relative; content:"|ff|"; distance:b; within:a; sid:2;)
            alert tcp any any -> any any (byte_test:8,>,0,0,bitmask 0xFFFF; byte_test:0,>,5,1,string,hex; sid:3;)
            alert tcp any any -> any any (byte_extract:1,0,o; isdataat:o,relative; byte_jump:1,o,from_beginning,align; sid:4;)
            alert tcp any any -> any any (byte_jump:2,0,string,dec,from_end,post_offset -65535; byte_test:1,<,200,0,relative; sid:5;)
            alert tcp any any -> any any (content:"|01|"; byte_extract:1,-5,n,relative; content:"|02|"; offset:n; depth:n; sid:6;)
            alert tcp any any -> any any (file.data; url_decode; compress_whitespace; to_lowercase; content:"a"; bsize:>3; sid:7;)
            alert tcp any any -> any any (file.data; xor:"ff00"; strip_whitespace; to_sha256; bsize:32; sid:8;)
            alert tcp any any -> any any (content:"|ff|"; byte_test:3,=,7,-10,relative,string,oct; sid:9;)
            alert tcp any any -> any any (flags:*SFRA,CE; flow:established; dsize:>0; content:"|00 00|"; sid:10;)
            """;
        RuleSetLoadResult load = RuleSetLoader.LoadText(rules);
        Assert.Empty(load.Diagnostics);
        using var pre = new SignatureEngine(load, usePrefilter: true);
        using var naive = new SignatureEngine(load, usePrefilter: false);
        Assert.Equal(10, pre.EvaluableCount);
        var random = new Random(1234);
        byte[] alphabet = [0x00, 0x01, 0x02, 0xFF, (byte)'%', (byte)'A', (byte)'a', (byte)' ', (byte)'\t', (byte)'7', (byte)'0', (byte)'x', (byte)'+'];
        for (int i = 0; i < 3000; i++)
        {
            byte[] bytes = new byte[random.Next(0, 400)];
            for (int j = 0; j < bytes.Length; j++)
            {
                bytes[j] = random.Next(3) == 0 ? (byte)random.Next(256) : alphabet[random.Next(alphabet.Length)];
            }

            FlowEvent flow = Event(flags: (TcpFlags)random.Next(512), toServer: Encoding.Latin1.GetString(bytes));
            long[] a = [.. pre.Match(flow).Select(m => m.Rule.Sid)];
            long[] b = [.. naive.Match(flow).Select(m => m.Rule.Sid)];
            Assert.Equal(b, a);
        }
    }
}
