using System.Globalization;
using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using NetSecStream.Core.Events;
using NetSecStream.Core.Telemetry;
using NetSecStream.Sinks.Syslog;
using Xunit.Abstractions;

namespace NetSecStream.Sinks.Tests.Siem;

/// <summary>The syslog sink against a real syslog-ng (Debian's syslog-ng-core) that each test starts as its own child process.</summary>
public sealed class SyslogSinkTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("netsec-syslog-test-").FullName;
    private readonly NetSecMetrics _metrics = new();

    public void Dispose()
    {
        _metrics.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [SyslogNgFact]
    public async Task Tcp_OctetCounting_Rfc5424_Cef_EveryAlertArrivesOnce_AndParsesBack()
    {
        using var daemon = new SyslogNg("syslog", "tcp");
        var alerts = Alerts(300, hostileEvery: 7);
        await using var sink = new SyslogSink(Options(daemon, SyslogTransport.Tcp), _metrics);

        await WriteInBatches(sink, alerts, 50);

        var received = Received(await daemon.WaitForLinesAsync(alerts.Count, TimeSpan.FromSeconds(20)));
        AssertExactlyOnce(alerts, received.Select(r => SiemTestKit.ParseCef(r.Message).Extension["externalId"]));
        foreach (var (program, host, message) in received)
        {
            Assert.Equal("netsec", program);
            Assert.Equal("node-a", host);
            AssertCefMatches(alerts, SiemTestKit.ParseCef(message));
        }
    }

    [SyslogNgFact]
    public async Task Tcp_LfFraming_Rfc3164_Leef_EveryAlertArrivesOnce_AndParsesBack()
    {
        using var daemon = new SyslogNg("network", "tcp");
        var alerts = Alerts(200, hostileEvery: 5);
        var options = Options(daemon, SyslogTransport.Tcp);
        options.Framing = SyslogFraming.Lf;
        options.Rfc = SyslogRfc.Rfc3164;
        options.Format = SyslogPayloadFormat.Leef;
        await using var sink = new SyslogSink(options, _metrics);

        await WriteInBatches(sink, alerts, 40);

        var received = Received(await daemon.WaitForLinesAsync(alerts.Count, TimeSpan.FromSeconds(20)));
        AssertExactlyOnce(alerts, received.Select(r => SiemTestKit.ParseLeef(r.Message).Attributes["externalId"]));
        var byId = alerts.ToDictionary(a => a.Id);
        foreach (var (program, host, message) in received)
        {
            Assert.Equal("netsec", program);
            Assert.Equal("node-a", host);
            var leef = SiemTestKit.ParseLeef(message).Attributes;
            var alert = byId[leef["externalId"]];
            Assert.Equal(alert.RuleId, leef["ruleId"]);
            Assert.Equal(alert.RuleName, leef["policy"]);
            Assert.Equal(alert.Explanation, leef["reason"]);
            Assert.Equal(alert.Flow.Source.Namespace, leef["srcNamespace"]);
            Assert.Equal(alert.Flow.Source.Port.ToString(CultureInfo.InvariantCulture), leef["srcPort"]);
        }
    }

    [SyslogNgFact]
    public async Task Tls_CustomCaAndServerName_EveryAlertArrivesOnce_AndParsesBack()
    {
        var pki = TestPki.Create(_dir);
        using var daemon = new SyslogNg("syslog", "tls", pki.ServerKey, pki.ServerCert);
        var alerts = Alerts(200, hostileEvery: 9);
        var options = Options(daemon, SyslogTransport.Tls);
        options.CaFile = pki.CaCert;
        options.ServerName = "localhost";
        await using var sink = new SyslogSink(options, _metrics);

        await WriteInBatches(sink, alerts, 25);

        var received = Received(await daemon.WaitForLinesAsync(alerts.Count, TimeSpan.FromSeconds(20)));
        AssertExactlyOnce(alerts, received.Select(r => SiemTestKit.ParseCef(r.Message).Extension["externalId"]));
        foreach (var (_, _, message) in received)
        {
            AssertCefMatches(alerts, SiemTestKit.ParseCef(message));
        }
    }

    [SyslogNgFact]
    public async Task Tls_ServerNameNotInTheCertificate_FailsTheWrite_NothingArrives()
    {
        var pki = TestPki.Create(_dir);
        using var daemon = new SyslogNg("syslog", "tls", pki.ServerKey, pki.ServerCert);
        var options = Options(daemon, SyslogTransport.Tls);
        options.CaFile = pki.CaCert;
        options.ServerName = "siem.example.org";
        options.RetryTimeout = TimeSpan.FromMilliseconds(500);
        await using var sink = new SyslogSink(options, _metrics);

        var error = await Assert.ThrowsAsync<IOException>(async () => await sink.WriteAsync(Alerts(3, 0), CancellationToken.None));
        Assert.IsAssignableFrom<AuthenticationException>(error.InnerException);
        await Task.Delay(300);
        Assert.Empty(daemon.Lines());
    }

    [SyslogNgFact]
    public async Task Tls_WrongServerName_StopsTheStartWithAClearError()
    {
        var pki = TestPki.Create(_dir);
        using var daemon = new SyslogNg("syslog", "tls", pki.ServerKey, pki.ServerCert);
        var options = Options(daemon, SyslogTransport.Tls);
        options.CaFile = pki.CaCert;
        options.ServerName = "siem.example.org";
        await using var sink = new SyslogSink(options, _metrics);

        var error = await Assert.ThrowsAsync<IOException>(() => sink.StartAsync(CancellationToken.None));
        Assert.Contains($"tls://127.0.0.1:{daemon.Port}", error.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<AuthenticationException>(error.InnerException);
    }

    [SyslogNgFact]
    public async Task Tls_ClientCertificate_IsPresentedToAReceiverThatRequiresOne()
    {
        var pki = TestPki.Create(_dir);
        using var daemon = new SyslogNg("syslog", "tls", pki.ServerKey, pki.ServerCert, clientCaFile: pki.CaCert);
        var options = Options(daemon, SyslogTransport.Tls);
        options.CaFile = pki.CaCert;
        options.ServerName = "localhost";
        options.ClientCertificateFile = pki.ClientCert;
        options.ClientKeyFile = pki.ClientKey;
        await using var sink = new SyslogSink(options, _metrics);
        var alerts = Alerts(20, hostileEvery: 0);

        await sink.StartAsync(CancellationToken.None);
        await WriteInBatches(sink, alerts, 10);

        var received = Received(await daemon.WaitForLinesAsync(alerts.Count, TimeSpan.FromSeconds(20)));
        AssertExactlyOnce(alerts, received.Select(r => SiemTestKit.ParseCef(r.Message).Extension["externalId"]));
    }

    [SyslogNgFact]
    public async Task Tls_ReceiverRequiresAClientCertificateNotGiven_FailsInsteadOfWritingIntoTheVoid()
    {
        var pki = TestPki.Create(_dir);
        using var daemon = new SyslogNg("syslog", "tls", pki.ServerKey, pki.ServerCert, clientCaFile: pki.CaCert);
        var options = Options(daemon, SyslogTransport.Tls);
        options.CaFile = pki.CaCert;
        options.ServerName = "localhost";
        options.RetryTimeout = TimeSpan.FromMilliseconds(800);
        await using var sink = new SyslogSink(options, _metrics);

        var atStart = await Assert.ThrowsAsync<IOException>(() => sink.StartAsync(CancellationToken.None));
        Assert.Contains("client certificate", atStart.Message, StringComparison.Ordinal);
        var atWrite = await Assert.ThrowsAsync<IOException>(async () => await sink.WriteAsync(Alerts(3, 0), CancellationToken.None));
        Assert.Contains("client certificate", atWrite.Message, StringComparison.Ordinal);
        Assert.Empty(daemon.Lines());
    }

    [SyslogNgFact]
    public async Task Tls_UntrustedCa_FailsTheWrite()
    {
        var pki = TestPki.Create(_dir);
        var other = TestPki.Create(Directory.CreateDirectory(Path.Combine(_dir, "other")).FullName);
        using var daemon = new SyslogNg("syslog", "tls", pki.ServerKey, pki.ServerCert);
        var options = Options(daemon, SyslogTransport.Tls);
        options.CaFile = other.CaCert;
        options.ServerName = "localhost";
        options.RetryTimeout = TimeSpan.FromMilliseconds(500);
        await using var sink = new SyslogSink(options, _metrics);

        var error = await Assert.ThrowsAsync<IOException>(async () => await sink.WriteAsync(Alerts(3, 0), CancellationToken.None));
        Assert.IsAssignableFrom<AuthenticationException>(error.InnerException);
    }

    [SyslogNgFact]
    public async Task Tcp_DaemonRestartMidStream_NoAlertLost_DuplicatesOnlyAroundTheBreak()
    {
        using var daemon = new SyslogNg("syslog", "tcp");
        var alerts = Alerts(2000, hostileEvery: 0);
        var options = Options(daemon, SyslogTransport.Tcp);
        options.InitialBackoff = TimeSpan.FromMilliseconds(100);
        options.MaxBackoff = TimeSpan.FromMilliseconds(400);
        options.RetryTimeout = TimeSpan.FromSeconds(60);
        options.ResendOnReconnect = 200;
        await using var sink = new SyslogSink(options, _metrics);

        int batchesWritten = 0;
        var writer = Task.Run(async () =>
        {
            foreach (var batch in alerts.Chunk(20))
            {
                await sink.WriteAsync(batch, CancellationToken.None);
                Interlocked.Increment(ref batchesWritten);
                await Task.Delay(5);
            }
        });
        while (Volatile.Read(ref batchesWritten) < 30)
        {
            await Task.Delay(5);
        }

        daemon.Stop();
        int writtenAtStop = Volatile.Read(ref batchesWritten);
        await Task.Delay(1500);
        Assert.False(writer.IsCompleted, "the writes should wait for the receiver while it is down");
        daemon.Start();
        await writer.WaitAsync(TimeSpan.FromSeconds(60));

        var ids = (await daemon.WaitForLinesAsync(alerts.Count, TimeSpan.FromSeconds(30)))
            .Select(l => SiemTestKit.ParseCef(l.Split('\t', 3)[2]).Extension["externalId"]).ToList();
        var missing = alerts.Select(a => a.Id).Except(ids).ToList();
        var duplicates = ids.GroupBy(id => id).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        output.WriteLine($"{alerts.Count} alerts, {ids.Count} lines, {duplicates.Count} duplicated, {sink.Resent} resent; stopped after batch {writtenAtStop}");

        Assert.Empty(missing);
        Assert.True(ids.Count - ids.Distinct().Count() <= sink.Resent, "more duplicates than the sink resent");
        if (duplicates.Count > 0)
        {
            // Duplicates only around the break: within the resend window before the batch that met the broken connection.
            var index = alerts.Select((a, i) => (a.Id, i)).ToDictionary(x => x.Id, x => x.i);
            int first = duplicates.Min(d => index[d]);
            int last = duplicates.Max(d => index[d]);
            Assert.True(last - first < options.ResendOnReconnect, $"duplicates spread over alerts {first}..{last}");
        }
    }

    [SyslogNgFact]
    public async Task Udp_MessageOverTheBound_ArrivesTruncatedWithMarker_AndIsCounted()
    {
        using var daemon = new SyslogNg("network", "udp", parseFlags: "syslog-protocol");
        var options = Options(daemon, SyslogTransport.Udp);
        options.MaxMessageBytes = 1200;
        await using var sink = new SyslogSink(options, _metrics);
        var small = SiemTestKit.Alert(1);
        var large = SiemTestKit.Alert(2, new string('A', 2000));

        await sink.WriteAsync([small, large], CancellationToken.None);

        var received = Received(await daemon.WaitForLinesAsync(2, TimeSpan.FromSeconds(10)));
        Assert.Equal(2, received.Count);
        Assert.Equal(1, sink.Truncated);
        Assert.Contains(received, r => r.Message.EndsWith(SyslogEncoder.TruncationMarker, StringComparison.Ordinal));
        Assert.Contains(received, r => SiemTestKit.ParseCef(r.Message).Extension.GetValueOrDefault("externalId") == small.Id);
    }

    private static SyslogSinkOptions Options(SyslogNg daemon, SyslogTransport transport) => new()
    {
        Host = "127.0.0.1",
        Port = daemon.Port,
        Transport = transport,
        Hostname = "node-a",
        InitialBackoff = TimeSpan.FromMilliseconds(50),
        MaxBackoff = TimeSpan.FromMilliseconds(200),
        RetryTimeout = TimeSpan.FromSeconds(10),
    };

    private static List<Alert> Alerts(int count, int hostileEvery) =>
        [.. Enumerable.Range(0, count).Select(i => hostileEvery > 0 && i % hostileEvery == 0 ? SiemTestKit.Alert(i, SiemTestKit.Hostile) : SiemTestKit.Alert(i))];

    private static async Task WriteInBatches(SyslogSink sink, List<Alert> alerts, int size)
    {
        foreach (var batch in alerts.Chunk(size))
        {
            await sink.WriteAsync(batch, CancellationToken.None);
        }
    }

    private static List<(string Program, string Host, string Message)> Received(List<string> lines) =>
        [.. lines.Select(l => l.Split('\t', 3)).Select(p => (p[0], p[1], p[2]))];

    private static void AssertExactlyOnce(List<Alert> alerts, IEnumerable<string> receivedIds)
    {
        var ids = receivedIds.ToList();
        Assert.Equal(alerts.Count, ids.Count);
        Assert.Equal(alerts.Select(a => a.Id).Order(StringComparer.Ordinal), ids.Order(StringComparer.Ordinal));
    }

    private static void AssertCefMatches(List<Alert> alerts, SiemTestKit.Cef cef)
    {
        var alert = alerts.Single(a => a.Id == cef.Extension["externalId"]);
        var x = cef.Extension;
        Assert.Equal(alert.RuleName.Replace('\r', ' ').Replace('\n', ' '), cef.Header[5]);
        Assert.Equal(CefFormatter.Severity(alert.Severity).ToString(CultureInfo.InvariantCulture), cef.Header[6]);
        Assert.Equal(alert.RuleId, x["cs1"]);
        Assert.Equal(alert.Flow.Source.Ip.ToString(), x["src"]);
        Assert.Equal(alert.Flow.Destination.Ip.ToString(), x["dst"]);
        Assert.Equal(alert.Flow.Source.Port.ToString(CultureInfo.InvariantCulture), x["spt"]);
        Assert.Equal(alert.Flow.Destination.Port.ToString(CultureInfo.InvariantCulture), x["dpt"]);
        Assert.Equal("TCP", x["proto"]);
        Assert.Equal(alert.Explanation, x["msg"]);
        Assert.Equal(alert.Flow.Source.Namespace, x["cs2"]);
        Assert.Equal(alert.Flow.Source.Workload, x["cs3"]);
        Assert.Equal(alert.Flow.CommunityId, x["cs4"]);
        Assert.Equal(alert.Timestamp.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture), x["rt"]);
    }
}

/// <summary>A throw-away CA, a server certificate for localhost / 127.0.0.1 and a client certificate it signed, as PEM files.</summary>
internal sealed record TestPki(string CaCert, string ServerCert, string ServerKey)
{
    public string ClientCert { get; init; } = "";

    public string ClientKey { get; init; } = "";

    public static TestPki Create(string dir)
    {
        var now = DateTimeOffset.UtcNow;
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=NetSecStream Test CA", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        using var ca = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddDays(1));

        using var serverKey = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", serverKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        using var server = request.Create(ca, now.AddHours(-1), now.AddDays(1), RandomNumberGenerator.GetBytes(16));

        using var clientKey = RSA.Create(2048);
        var clientRequest = new CertificateRequest("CN=netsec-sink", clientKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        clientRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        clientRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        clientRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        clientRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        using var client = clientRequest.Create(ca, now.AddHours(-1), now.AddDays(1), RandomNumberGenerator.GetBytes(16));

        var pki = new TestPki(Path.Combine(dir, "ca.pem"), Path.Combine(dir, "server.pem"), Path.Combine(dir, "server.key"))
        {
            ClientCert = Path.Combine(dir, "client.pem"),
            ClientKey = Path.Combine(dir, "client.key"),
        };
        File.WriteAllText(pki.CaCert, ca.ExportCertificatePem());
        File.WriteAllText(pki.ServerCert, server.ExportCertificatePem());
        File.WriteAllText(pki.ServerKey, serverKey.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(pki.ClientCert, client.ExportCertificatePem());
        File.WriteAllText(pki.ClientKey, clientKey.ExportPkcs8PrivateKeyPem());
        return pki;
    }
}
