using System.Text;
using NetSecStream.Collectors.Pcap.L7;

namespace NetSecStream.Collectors.Tests.Pcap;

public sealed class L7ParserTests
{
    [Fact]
    public void Dns_ResponseWithCompressedAnswer_ReadsQueryTypeRcodeAndAnswer()
    {
        var message = DnsMessageParser.TryParse(Packets.Dns(7, "WWW.Example.COM", response: true, answer: "192.0.2.10"));
        Assert.NotNull(message);
        Assert.True(message.IsResponse);
        Assert.Equal("www.example.com", message.Query);
        Assert.Equal(["A"], message.QueryTypes!);
        Assert.Equal(0, message.Rcode);
        Assert.Equal(["192.0.2.10"], message.Answers!);
    }

    [Fact]
    public void Dns_CompressionLoop_IsMalformedNotAHang()
    {
        byte[] message = [0, 1, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1];
        Assert.Null(DnsMessageParser.TryParse(message));
    }

    [Fact]
    public void Dns_QueriesAndResponsesOfOneFlow_PairByIdIntoTransactions()
    {
        var session = new L7Session(64, dnsPort: true);
        session.OnDatagram(Packets.Dns(1, "a.example"), 10);
        session.OnDatagram(Packets.Dns(2, "b.example"), 20);
        session.OnDatagram(Packets.Dns(2, "b.example", response: true, rcode: 3), 30);
        session.Finish();
        var dns = session.Transactions.Select(t => t.Dns!).ToList();
        Assert.Equal(2, dns.Count);
        Assert.Equal("a.example", dns[0].Query);
        Assert.False(dns[0].IsResponse);
        Assert.Null(dns[0].Rcode);
        Assert.Equal("b.example", dns[1].Query);
        Assert.True(dns[1].IsResponse);
        Assert.Equal(3, dns[1].Rcode);
    }

    [Fact]
    public void Dns_OverTcp_ReadsLengthPrefixedMessagesAcrossSegments()
    {
        var session = new L7Session(64, dnsPort: true);
        var query = Packets.Dns(9, "tcp.example");
        var stream = new byte[2 + query.Length];
        stream[0] = (byte)(query.Length >> 8);
        stream[1] = (byte)query.Length;
        query.CopyTo(stream, 2);
        session.OnStream(stream.AsSpan(0, 5), true, 1);
        session.OnStream(stream.AsSpan(5), true, 1);
        session.Finish();
        Assert.Equal("tcp.example", Assert.Single(session.Transactions).Dns!.Query);
    }

    [Fact]
    public void Http_PipelinedRequestsWithBodies_PairWithResponsesInOrder()
    {
        var session = new L7Session(64, dnsPort: false);
        string requests =
            "POST /upload HTTP/1.1\r\nHost: a.example\r\nUser-Agent: test/1\r\nContent-Length: 5\r\n\r\nhello" +
            "GET /two?x=1 HTTP/1.1\r\nHost: a.example:8080\r\n\r\n";
        string responses =
            "HTTP/1.1 100 Continue\r\n\r\n" +
            "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n0\r\n\r\n" +
            "HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nnop";
        var requestBytes = Encoding.ASCII.GetBytes(requests);
        session.OnStream(requestBytes.AsSpan(0, 30), true, 1);
        session.OnStream(requestBytes.AsSpan(30), true, 2);
        var responseBytes = Encoding.ASCII.GetBytes(responses);
        for (int i = 0; i < responseBytes.Length; i += 7)
        {
            session.OnStream(responseBytes.AsSpan(i, Math.Min(7, responseBytes.Length - i)), false, 3);
        }

        session.Finish();
        var http = session.Transactions.Select(t => t.Http!).ToList();
        Assert.Equal(2, http.Count);
        Assert.Equal(("POST", "a.example", "/upload", "test/1", 201), (http[0].Method, http[0].Host, http[0].Uri, http[0].UserAgent, http[0].StatusCode));
        Assert.Equal("HTTP/1.1", http[0].Protocol);
        Assert.Equal(("GET", "a.example:8080", "/two?x=1", 404), (http[1].Method, http[1].Host, http[1].Uri, http[1].StatusCode));
        Assert.Contains(http[0].Headers!, h => h.Key == "Content-Length" && h.Value == "5");
    }

    [Fact]
    public void Http_AfterAGap_FindsTheNextRequest()
    {
        var session = new L7Session(64, dnsPort: false);
        session.OnStream("GET /a HTTP/1.1\r\nHost: x\r\nContent-Le"u8, true, 1);
        session.OnGap(true);
        session.OnStream("ngth: 0\r\n\r\nGET /b HTTP/1.1\r\nHost: y\r\n\r\n"u8, true, 2);
        session.Finish();
        var request = Assert.Single(session.Transactions).Http!;
        Assert.Equal(("y", "/b"), (request.Host, request.Uri));
    }

    [Fact]
    public void Tls_ClientHelloWithGrease_GivesSniVersionAndJa3WithoutGrease()
    {
        var hello = ClientHello("secure.example", greaseFirst: true);
        var session = new L7Session(64, dnsPort: false);
        session.OnStream(hello.AsSpan(0, 40), true, 1);
        session.OnStream(hello.AsSpan(40), true, 1);
        session.Finish();
        var tls = Assert.Single(session.Transactions).Tls!;
        Assert.Equal("secure.example", tls.Sni);
        Assert.Equal("TLS 1.3", tls.Version);
        // md5("771,4865-4866-49195,0-10-11-43,29-23,0"): GREASE cipher, extension and group left out.
        Assert.Equal("fd17f1f9b9c56d4bfda8900c8900ec06", tls.Ja3);
    }

    [Fact]
    public void Tls_StartTlsAfterAPlainTextCommand_IsStillRead()
    {
        var session = new L7Session(64, dnsPort: false);
        session.OnStream("AUTH TLS\r\n"u8, true, 1);
        session.OnStream("234 go ahead\r\n"u8, false, 1);
        session.OnStream(ClientHello("ftp.example", greaseFirst: false), true, 2);
        session.Finish();
        Assert.Equal("ftp.example", Assert.Single(session.Transactions).Tls!.Sni);
    }

    /// <summary>A TLS record with a ClientHello: legacy version 1.2, three ciphers, SNI, groups, point formats, versions.</summary>
    internal static byte[] ClientHello(string serverName, bool greaseFirst)
    {
        var body = new List<byte> { 3, 3 };
        body.AddRange(new byte[32]);
        body.Add(0);
        var ciphers = new List<byte>();
        if (greaseFirst)
        {
            ciphers.AddRange([0x0A, 0x0A]);
        }

        ciphers.AddRange([0x13, 0x01, 0x13, 0x02, 0xC0, 0x2B]);
        body.AddRange([0, (byte)ciphers.Count]);
        body.AddRange(ciphers);
        body.AddRange([1, 0]);
        var extensions = new List<byte>();
        if (greaseFirst)
        {
            extensions.AddRange([0x1A, 0x1A, 0, 0]);
        }

        var name = Encoding.ASCII.GetBytes(serverName);
        extensions.AddRange([0, 0, 0, (byte)(name.Length + 5), 0, (byte)(name.Length + 3), 0, 0, (byte)name.Length]);
        extensions.AddRange(name);
        extensions.AddRange([0, 10, 0, 8, 0, 6, 0x2A, 0x2A, 0, 29, 0, 23]);
        extensions.AddRange([0, 11, 0, 2, 1, 0]);
        extensions.AddRange([0, 43, 0, 5, 4, 3, 4, 3, 3]);
        body.AddRange([(byte)(extensions.Count >> 8), (byte)extensions.Count]);
        body.AddRange(extensions);
        var handshake = new List<byte> { 1, 0, (byte)(body.Count >> 8), (byte)body.Count };
        handshake.AddRange(body);
        var record = new List<byte> { 22, 3, 1, (byte)(handshake.Count >> 8), (byte)handshake.Count };
        record.AddRange(handshake);
        return [.. record];
    }
}
