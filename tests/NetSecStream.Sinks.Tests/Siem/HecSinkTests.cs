using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using NetSecStream.Core.Ecs;
using NetSecStream.Core.Telemetry;
using NetSecStream.Sinks.Hec;
using NetSecStream.Sinks.Siem;

namespace NetSecStream.Sinks.Tests.Siem;

/// <summary>The hec sink against an in-process Kestrel server that behaves as Splunk's HTTP Event Collector.</summary>
public sealed class HecSinkTests : IAsyncLifetime, IDisposable
{
    private const string Token = "6f1f0a8e-0000-4000-8000-00000000abcd";
    private readonly NetSecMetrics _metrics = new();
    private FakeHttpReceiver _hec = null!;

    public async Task InitializeAsync()
    {
        _hec = await FakeHttpReceiver.StartAsync();
        _hec.Check = request =>
            request.Path != "/services/collector/event" ? (404, "{\"text\":\"The requested URL was not found on this server.\",\"code\":404}")
            : request.Headers.GetValueOrDefault("Authorization") != "Splunk " + Token ? (403, "{\"text\":\"Invalid token\",\"code\":4}")
            : (200, "{\"text\":\"Success\",\"code\":0}");
    }

    public async Task DisposeAsync()
    {
        await _hec.DisposeAsync();
    }

    public void Dispose() => _metrics.Dispose();

    [Fact]
    public async Task Write_PostsGzippedBatchOfEvents_WithTokenAndEcsAlert()
    {
        using var sink = new HecSink(Options(), _metrics);
        var alerts = Enumerable.Range(0, 25).Select(i => SiemTestKit.Alert(i, i % 5 == 0 ? SiemTestKit.Hostile : null)).ToList();

        await sink.WriteAsync(alerts, CancellationToken.None);

        var request = Assert.Single(_hec.Accepted);
        Assert.Equal("gzip", request.Headers["Content-Encoding"]);
        Assert.True(request.RawBody.Length < request.Body.Length, "the body should be compressed");
        var events = Events(request.Body);
        Assert.Equal(alerts.Count, events.Count);
        for (int i = 0; i < alerts.Count; i++)
        {
            var e = events[i].RootElement;
            Assert.Equal("netsec:alert", e.GetProperty("sourcetype").GetString());
            Assert.Equal("netsec", e.GetProperty("source").GetString());
            Assert.Equal("security", e.GetProperty("index").GetString());
            Assert.Equal("node-a", e.GetProperty("host").GetString());
            Assert.Equal(alerts[i].Timestamp.ToUnixTimeMilliseconds() / 1000m, e.GetProperty("time").GetDecimal());
            Assert.True(EcsJson.TryReadAlert(Encoding.UTF8.GetBytes(e.GetProperty("event").GetRawText()), out var back, out string? error), error);
            Assert.Equal(alerts[i].Id, back.Id);
            Assert.Equal(alerts[i].RuleName, back.RuleName);
            Assert.Equal(alerts[i].Explanation, back.Explanation);
        }
    }

    [Fact]
    public async Task Write_LargeBatch_IsSplitUnderMaxRequestBytes_NothingLost()
    {
        var options = Options();
        options.MaxRequestBytes = 8 * 1024;
        using var sink = new HecSink(options, _metrics);
        var alerts = Enumerable.Range(0, 100).Select(i => SiemTestKit.Alert(i)).ToList();

        await sink.WriteAsync(alerts, CancellationToken.None);

        Assert.True(_hec.Accepted.Count > 1);
        Assert.All(_hec.Accepted, r => Assert.True(r.Body.Length <= options.MaxRequestBytes));
        var ids = _hec.Accepted.SelectMany(r => Events(r.Body)).Select(e => e.RootElement.GetProperty("event").GetProperty("event").GetProperty("id").GetString()).ToList();
        Assert.Equal(alerts.Select(a => a.Id), ids);
    }

    [Fact]
    public async Task Write_RetriesOn503And429_ThenDeliversOnce()
    {
        using var sink = new HecSink(Options(), _metrics);
        _hec.FailNext(503, 429, 500);

        await sink.WriteAsync([SiemTestKit.Alert(1), SiemTestKit.Alert(2)], CancellationToken.None);

        Assert.Equal(4, _hec.Requests);
        Assert.Equal(2, Events(Assert.Single(_hec.Accepted).Body).Count);
    }

    [Fact]
    public async Task Write_ReceiverUnreachable_IsRetriedThenFailsNamingIt()
    {
        // A port nobody listens on: connection refused is retried like a 5xx until RetryTimeout, then the write fails.
        int port;
        using (var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        }

        var options = Options();
        options.Url = $"http://127.0.0.1:{port}";
        options.RetryTimeout = TimeSpan.FromMilliseconds(600);
        using var sink = new HecSink(options, _metrics);

        var error = await Assert.ThrowsAsync<IOException>(async () => await sink.WriteAsync([SiemTestKit.Alert(1)], CancellationToken.None));
        Assert.Contains("gave up", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Https_WithTheCollectorsCa_Delivers_WithoutIt_FailsOnTheCertificate()
    {
        string dir = Directory.CreateTempSubdirectory("netsec-hec-tls-").FullName;
        try
        {
            var pki = TestPki.Create(dir);
            using var pem = X509Certificate2.CreateFromPemFile(pki.ServerCert, pki.ServerKey);
            using var certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
            await using var tlsHec = await FakeHttpReceiver.StartAsync(certificate);
            tlsHec.Check = _hec.Check;
            var options = Options();
            options.Url = tlsHec.BaseAddress.ToString();
            options.CaFile = pki.CaCert;
            using (var sink = new HecSink(options, _metrics))
            {
                await sink.WriteAsync([SiemTestKit.Alert(1)], CancellationToken.None);
            }

            Assert.StartsWith("https://", options.Url, StringComparison.Ordinal);
            Assert.Single(Events(Assert.Single(tlsHec.Accepted).Body));

            options.CaFile = null;
            options.RetryTimeout = TimeSpan.FromMilliseconds(300);
            using var untrusting = new HecSink(options, _metrics);
            var error = await Assert.ThrowsAsync<IOException>(async () => await untrusting.WriteAsync([SiemTestKit.Alert(2)], CancellationToken.None));
            Assert.Contains("SSL", error.Message, StringComparison.OrdinalIgnoreCase);
            Assert.Single(tlsHec.Accepted);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Write_BadToken_FailsAtOnceWithTheCollectorsAnswer()
    {
        var options = Options();
        options.Token = "wrong";
        using var sink = new HecSink(options, _metrics);

        var error = await Assert.ThrowsAsync<HttpSinkRejectedException>(async () => await sink.WriteAsync([SiemTestKit.Alert(1)], CancellationToken.None));

        Assert.Equal(System.Net.HttpStatusCode.Forbidden, error.StatusCode);
        Assert.Contains("403", error.Message, StringComparison.Ordinal);
        Assert.Contains("Invalid token", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, _hec.Requests);
    }

    [Fact]
    public void Validator_NamesMissingUrlAndToken()
    {
        var result = new HecSinkOptionsValidator().Validate(null, new HecSinkOptions());
        Assert.Contains(result.Failures!, f => f.StartsWith("Sinks:Hec:Url", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.StartsWith("Sinks:Hec:Token", StringComparison.Ordinal));
    }

    private HecSinkOptions Options() => new()
    {
        Url = _hec.BaseAddress.ToString(),
        Token = Token,
        Index = "security",
        Host = "node-a",
        InitialBackoff = TimeSpan.FromMilliseconds(20),
        MaxBackoff = TimeSpan.FromMilliseconds(100),
        RetryTimeout = TimeSpan.FromSeconds(10),
    };

    private static List<JsonDocument> Events(byte[] body) =>
        [.. Encoding.UTF8.GetString(body).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line))];
}
