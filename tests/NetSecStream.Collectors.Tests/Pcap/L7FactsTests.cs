using System.IO.Compression;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using NetSecStream.Collectors.Pcap;
using NetSecStream.Collectors.Pcap.L7;
using NetSecStream.Testing;

namespace NetSecStream.Collectors.Tests.Pcap;

/// <summary>The facts the L7 parsers add for the signature engine's buffers: HTTP bodies and status lines, TLS ALPN and certificates, SSH banners, DNS opcode.</summary>
public sealed class L7FactsTests
{
    [Fact]
    public void Http_BodiesStatusLineAndResponseHeaders_AreKeptApartFromTheRequest()
    {
        var session = new L7Session(64, dnsPort: false);
        byte[] page = Encoding.ASCII.GetBytes("<html>EICAR-STANDARD-ANTIVIRUS-TEST-FILE</html>");
        byte[] gzipped = Gzip(page);
        session.OnStream(Encoding.ASCII.GetBytes("POST /form HTTP/1.1\r\nHost: a.example\r\nContent-Length: 7\r\n\r\nuser=me"), true, 1);
        var response = new List<byte>(Encoding.ASCII.GetBytes(
            "HTTP/1.1 302 Moved Temporarily\r\nServer: ng1nx\r\nLocation: /next\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n"));
        int half = gzipped.Length / 2;
        response.AddRange(Encoding.ASCII.GetBytes($"{half:x}\r\n"));
        response.AddRange(gzipped[..half]);
        response.AddRange(Encoding.ASCII.GetBytes($"\r\n{gzipped.Length - half:x}\r\n"));
        response.AddRange(gzipped[half..]);
        response.AddRange("\r\n0\r\n\r\n"u8.ToArray());
        byte[] bytes = [.. response];
        for (int i = 0; i < bytes.Length; i += 11)
        {
            session.OnStream(bytes.AsSpan(i, Math.Min(11, bytes.Length - i)), false, 2);
        }

        var http = Assert.Single(session.Transactions).Http!;
        Assert.Equal("user=me", Encoding.ASCII.GetString(http.RequestBody!.Value.Span));
        Assert.Equal(page, http.ResponseBody!.Value.ToArray());
        Assert.Equal("Moved Temporarily", http.StatusMessage);
        Assert.Equal("HTTP/1.1 302 Moved Temporarily", http.ResponseLine);
        Assert.Equal("POST /form HTTP/1.1", http.RequestLine);
        Assert.Equal("HTTP/1.1", http.ResponseProtocol);
        Assert.Contains(http.ResponseHeaders!, h => h.Key == "Server" && h.Value == "ng1nx");
        Assert.DoesNotContain(http.Headers!, h => h.Key == "Server");
        Assert.Equal(0, session.HttpBodiesTruncated);
    }

    [Fact]
    public void Http_DecompressionBomb_StopsAtTheLimitAndIsCounted()
    {
        var session = new L7Session(64, dnsPort: false, httpBodyLimit: 4096);
        byte[] bomb = Gzip(new byte[10 * 1024 * 1024]);
        session.OnStream("GET /bomb HTTP/1.1\r\nHost: x\r\n\r\n"u8, true, 1);
        session.OnStream(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: {bomb.Length}\r\n\r\n"), false, 2);
        session.OnStream(bomb, false, 2);

        var http = Assert.Single(session.Transactions).Http!;
        Assert.Equal(4096, http.ResponseBody!.Value.Length);
        Assert.Equal(1, session.HttpBodiesTruncated);
    }

    [Fact]
    public void Http_DeflateAndBodyToConnectionClose_AreDecodedWhenTheFlowEnds()
    {
        var session = new L7Session(64, dnsPort: false);
        byte[] text = Encoding.ASCII.GetBytes("raw deflate body, no zlib header");
        using var buffer = new MemoryStream();
        using (var deflate = new DeflateStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
        {
            deflate.Write(text);
        }

        session.OnStream("GET / HTTP/1.0\r\n\r\n"u8, true, 1);
        session.OnStream("HTTP/1.0 200 OK\r\nContent-Encoding: deflate\r\n\r\n"u8, false, 2);
        session.OnStream(buffer.ToArray(), false, 3);
        Assert.Empty(session.Transactions);

        session.Finish();
        Assert.Equal(text, Assert.Single(session.Transactions).Http!.ResponseBody!.Value.ToArray());
    }

    [Fact]
    public void Http_CorruptGzip_KeepsTheBodyAsSentAndNeverThrows()
    {
        var session = new L7Session(64, dnsPort: false);
        session.OnStream("GET / HTTP/1.1\r\n\r\n"u8, true, 1);
        byte[] corrupt = [0x1f, 0x8b, (byte)'j', (byte)'u', (byte)'n', (byte)'k'];
        session.OnStream("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 6\r\n\r\n"u8, false, 2);
        session.OnStream(corrupt, false, 2);

        var http = Assert.Single(session.Transactions).Http!;
        Assert.Equal(corrupt, http.ResponseBody!.Value.ToArray());
    }

    [Fact]
    public void Http_BodyLimitZero_KeepsNoBodies()
    {
        var session = new L7Session(64, dnsPort: false, httpBodyLimit: 0);
        session.OnStream("POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"u8, true, 1);
        session.OnStream("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"u8, false, 2);

        var http = Assert.Single(session.Transactions).Http!;
        Assert.Null(http.RequestBody);
        Assert.Null(http.ResponseBody);
        Assert.Equal(200, http.StatusCode);
    }

    [Fact]
    public void Http_ResponseHeadCutByTheClose_IsStillRead()
    {
        var session = new L7Session(64, dnsPort: false);
        session.OnStream("GET / HTTP/1.1\r\nHost: h\r\n\r\n"u8, true, 1);
        session.OnStream("HTTP/1.0 200 OK\nServer:ng1nx\r\n"u8, false, 2);
        session.Finish();

        var http = Assert.Single(session.Transactions).Http!;
        Assert.Equal(200, http.StatusCode);
        Assert.Contains(http.ResponseHeaders!, h => h.Key == "Server" && h.Value == "ng1nx");
    }

    [Fact]
    public void Ssh_BannersOfBothSides_AreOneTransactionEach()
    {
        var session = new L7Session(64, dnsPort: false);
        session.OnStream("SSH-2.0-OpenSSH_7.4\r\n"u8, false, 1);
        session.OnStream("SSH-2.0-OpenSSH_for_Windows_7.7 comment here\r\n"u8, true, 2);
        session.OnStream("\0\0\x01\x2c binary packets follow"u8, true, 3);
        session.Finish();

        var ssh = session.Transactions.Select(t => t.Ssh!).ToList();
        Assert.Equal(2, ssh.Count);
        Assert.Equal(("2.0", "OpenSSH_7.4"), (ssh[0].ServerProto, ssh[0].ServerSoftware));
        Assert.Null(ssh[0].ClientSoftware);
        Assert.Equal(("2.0", "OpenSSH_for_Windows_7.7"), (ssh[1].ClientProto, ssh[1].ClientSoftware));
    }

    [Fact]
    public void Ssh_LineWithoutEndWithinTheBound_IsGivenUp()
    {
        var session = new L7Session(64, dnsPort: false);
        session.OnStream(Encoding.ASCII.GetBytes("SSH-2.0-" + new string('x', 400)), false, 1);
        session.Finish();
        Assert.Empty(session.Transactions);
    }

    [Fact]
    public void Dns_Opcode_IsReported()
    {
        byte[] notify = Packets.Dns(5, "zone.example");
        notify[2] |= 4 << 3;
        var session = new L7Session(64, dnsPort: true);
        session.OnDatagram(notify, 1);
        session.Finish();
        Assert.Equal(4, Assert.Single(session.Transactions).Dns!.Opcode);
    }

    [Fact]
    public void Tls12_AlpnBothSidesAndTheServerCertificate_AreRead()
    {
        using var key = RSA.Create(2048);
        // Real certificates encode the country first; the builder encodes in the reverse of the order names are added.
        var subject = new X500DistinguishedNameBuilder();
        subject.AddCommonName("www.example.com");
        subject.AddOrganizationName("Example Org");
        subject.AddCountryOrRegion("US");
        var issuer = new X500DistinguishedNameBuilder();
        issuer.AddCommonName("Test Root");
        issuer.AddOrganizationName("Test CA");
        issuer.AddCountryOrRegion("US");
        var request = new CertificateRequest(subject.Build(), key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("www.example.com");
        names.AddDnsName("p142-contacts.icloud.com");
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.Create(
            issuer.Build(),
            X509SignatureGenerator.CreateForRSA(key, RSASignaturePadding.Pkcs1),
            new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero),
            new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero),
            [0x0C, 0x1F, 0xAB]);
        byte[] der = certificate.RawData;

        var session = new L7Session(64, dnsPort: false);
        session.OnStream(Record(Handshake(1, ClientHelloBody(Alpn("h2", "http/1.1")))), true, 1);

        // ServerHello, Certificate and ServerHelloDone in one record, split across segments.
        byte[] server = Record([.. Handshake(2, ServerHelloBody(Alpn("http/1.1"))), .. Handshake(11, CertificateBody(der)), .. Handshake(14, [])]);
        session.OnStream(server.AsSpan(0, 100), false, 2);
        session.OnStream(server.AsSpan(100), false, 2);
        session.Finish();

        var tls = Assert.Single(session.Transactions).Tls!;
        Assert.Equal("TLS 1.2", tls.Version);
        Assert.Equal(["h2", "http/1.1"], tls.ClientAlpn!);
        Assert.Equal(["http/1.1"], tls.ServerAlpn!);
        var leaf = Assert.Single(tls.Certificates!);
        Assert.Equal("C=US, O=Example Org, CN=www.example.com", leaf.Subject);
        Assert.Equal("C=US, O=Test CA, CN=Test Root", leaf.Issuer);
        Assert.Equal("0C:1F:AB", leaf.Serial);
#pragma warning disable CA5350 // The fingerprint Suricata matches on is SHA-1.
        Assert.Equal(string.Join(':', SHA1.HashData(der).Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture))), leaf.Sha1Fingerprint);
#pragma warning restore CA5350
        Assert.Equal(["www.example.com", "p142-contacts.icloud.com"], leaf.SubjectAltNames!);
        Assert.Equal(new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero), leaf.NotAfter);
        Assert.Equal(der, leaf.Der.ToArray());
    }

    [Fact]
    public void Tls_CertificateThatIsNotDer_KeepsItsBytesAndFingerprint()
    {
        var certificate = TlsCertificateReader.Read([0x30, 0x03, 0x02, 0x01, 0x05]);
        Assert.Null(certificate.Subject);
        Assert.NotNull(certificate.Sha1Fingerprint);
        Assert.Equal(5, certificate.Der.Length);
    }

    [Fact]
    public async Task SuricataVerifyCase_SshBannerOnly_GivesBothBanners()
    {
        string path = TestData.Require("suricata-verify/tests/ssh-banner-only/input.pcap");
        var (events, _) = await PcapFiles.ReadAsync(path);
        var ssh = events.Where(e => e.Ssh is not null).Select(e => e.Ssh!).ToList();
        Assert.Contains(ssh, s => s.ClientSoftware == "OpenSSH_for_Windows_7.7" && s.ClientProto == "2.0");
        Assert.Contains(ssh, s => s.ServerSoftware == "OpenSSH_7.4" && s.ServerProto == "2.0");
    }

    [Fact]
    public void Options_HttpBodyBytesOutOfRange_NamesTheKey()
    {
        var result = new PcapOptionsValidator().Validate(null, new PcapOptions { File = "x.pcap", HttpBodyBytes = -1 });
        Assert.True(result.Failed);
        Assert.Contains("HttpBodyBytes", result.FailureMessage, StringComparison.Ordinal);
    }

    private static byte[] Gzip(byte[] data)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(data);
        }

        return buffer.ToArray();
    }

    private static byte[] Alpn(params string[] names)
    {
        var list = new List<byte>();
        foreach (string name in names)
        {
            list.Add((byte)name.Length);
            list.AddRange(Encoding.ASCII.GetBytes(name));
        }

        return [0, 16, (byte)((list.Count + 2) >> 8), (byte)(list.Count + 2), (byte)(list.Count >> 8), (byte)list.Count, .. list];
    }

    private static byte[] ClientHelloBody(byte[] extensions) =>
        [3, 3, .. new byte[32], 0, 0, 2, 0xC0, 0x2F, 1, 0, (byte)(extensions.Length >> 8), (byte)extensions.Length, .. extensions];

    private static byte[] ServerHelloBody(byte[] extensions) =>
        [3, 3, .. new byte[32], 0, 0xC0, 0x2F, 0, (byte)(extensions.Length >> 8), (byte)extensions.Length, .. extensions];

    private static byte[] CertificateBody(byte[] der)
    {
        int entry = 3 + der.Length;
        return [(byte)(entry >> 16), (byte)(entry >> 8), (byte)entry, (byte)(der.Length >> 16), (byte)(der.Length >> 8), (byte)der.Length, .. der];
    }

    private static byte[] Handshake(byte type, byte[] body) =>
        [type, (byte)(body.Length >> 16), (byte)(body.Length >> 8), (byte)body.Length, .. body];

    private static byte[] Record(byte[] fragment) =>
        [22, 3, 3, (byte)(fragment.Length >> 8), (byte)fragment.Length, .. fragment];
}
