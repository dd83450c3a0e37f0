using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using NetSecStream.Collectors.HubbleRelay;
using NetSecStream.Collectors.Tests.Hubble;
using NetSecStream.Core.Telemetry;

namespace NetSecStream.Collectors.Tests.HubbleRelay;

/// <summary>
/// TLS to a relay whose certificate a private CA signed for Hubble's names (<c>*.hubble-relay.cilium.io</c>), as
/// Cilium's Helm chart sets it up: the CA file and the server name are what make it trusted.
/// </summary>
public sealed class HubbleRelayTlsTests : IDisposable
{
    private const string RelayServerName = "ui.hubble-relay.cilium.io";

    private readonly string _folder = Directory.CreateTempSubdirectory("netsec-relay-tls-").FullName;
    private readonly X509Certificate2 _serverCertificate;
    private readonly string _caPath;

    public HubbleRelayTlsTests()
    {
        var now = DateTimeOffset.UtcNow;
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=netsec test hubble CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var ca = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddDays(1));

        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var serverRequest = new CertificateRequest("CN=*.hubble-relay.cilium.io", serverKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("*.hubble-relay.cilium.io");
        serverRequest.CertificateExtensions.Add(names.Build());
        serverRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var signed = serverRequest.Create(ca, now.AddHours(-1), now.AddHours(12), [1, 2, 3, 4]);
        using var withKey = signed.CopyWithPrivateKey(serverKey);
        _serverCertificate = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);

        _caPath = Path.Combine(_folder, "ca.crt");
        File.WriteAllText(_caPath, ca.ExportCertificatePem());
    }

    [Fact]
    public async Task Read_PrivateCaAndServerName_ReadsFlowsOverTls()
    {
        var observer = new FakeObserver([.. HubbleSamples.Lines("basic-sample-10-flows.json").Select(RelayJson.Parse)]);
        await using var server = await FakeRelayServer.StartAsync(observer, _serverCertificate);
        Assert.StartsWith("https://", server.Address, StringComparison.Ordinal);
        var options = Options(server, new HubbleRelayTlsOptions { Enabled = true, CaCertificatePath = _caPath, ServerName = RelayServerName });
        await using var source = new HubbleRelaySource(options);
        await source.StartAsync(CancellationToken.None);

        Assert.Equal(10, (await FlowSources.ReadAsync(source)).Count);
    }

    [Theory]
    [InlineData(false, RelayServerName)]
    [InlineData(true, "other.example.com")]
    [InlineData(true, null)]
    public async Task Read_CertificateNotTrusted_IsAFailedConnectionNotFlows(bool withCa, string? serverName)
    {
        var observer = new FakeObserver([.. HubbleSamples.Lines("basic-sample-10-flows.json").Select(RelayJson.Parse)]);
        await using var server = await FakeRelayServer.StartAsync(observer, _serverCertificate);
        var options = Options(server, new HubbleRelayTlsOptions { Enabled = true, CaCertificatePath = withCa ? _caPath : null, ServerName = serverName });
        using var metrics = new NetSecMetrics();
        using var recorder = new MetricsRecorder(metrics);
        using var stop = new CancellationTokenSource(FlowSources.Timeout);
        await using var source = new HubbleRelaySource(options, metrics, logger: null,
            delay: (_, _) =>
            {
                stop.Cancel();
                return Task.CompletedTask;
            },
            jitter: new Random(1));

        int flows = 0;
        await foreach (var _ in source.ReadAsync(stop.Token))
        {
            flows++;
        }

        Assert.Equal(0, flows);
        Assert.Equal(1, recorder.Total("netsec_source_errors"));
        Assert.Empty(observer.Requests);
    }

    private static HubbleRelayOptions Options(FakeRelayServer server, HubbleRelayTlsOptions tls) => new()
    {
        Address = server.Address,
        Tls = tls,
        Follow = false,
        Last = 10,
    };

    public void Dispose()
    {
        _serverCertificate.Dispose();
        Directory.Delete(_folder, recursive: true);
    }
}
