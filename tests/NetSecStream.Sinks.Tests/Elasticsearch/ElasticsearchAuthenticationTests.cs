using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using NetSecStream.Core.Telemetry;
using NetSecStream.Sinks.Elasticsearch;
using NetSecStream.Testing.Elasticsearch;

namespace NetSecStream.Sinks.Tests.Elasticsearch;

/// <summary>API key and basic credentials reach the cluster; a custom CA is trusted for what it signed and nothing else.</summary>
public sealed class ElasticsearchAuthenticationTests
{
    [Theory]
    [InlineData("api-key", "ApiKey ZW5jb2RlZA==")]
    [InlineData("basic", "Basic bmV0c2VjOnNlY3JldA==")]
    public async Task Credentials_AreSentWithEveryRequest(string kind, string expected)
    {
        await using var server = await FakeElasticsearch.StartAsync();
        using var metrics = new NetSecMetrics();
        var options = new ElasticsearchSinkOptions { Url = server.Url, FlushInterval = TimeSpan.Zero };
        if (kind == "api-key")
        {
            options.ApiKey = "ZW5jb2RlZA==";
        }
        else
        {
            (options.Username, options.Password) = ("netsec", "secret");
        }

        await using var sink = new ElasticsearchSink(options, metrics);
        await sink.StartAsync(CancellationToken.None);
        Assert.Equal(expected, server.LastAuthorization);
        await sink.WriteAsync([ElasticsearchSinkTests.Alert("auth-1", "shop")], CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(expected, server.LastAuthorization);
    }

    [Fact]
    public void ACustomCa_IsTrustedForTheCertificatesItSigned_AndOnlyThose()
    {
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=netsec test CA", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        using var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));

        using var leafKey = RSA.Create(2048);
        var leafRequest = new CertificateRequest("CN=elasticsearch", leafKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var leaf = leafRequest.Create(ca, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(7), [1, 2, 3, 4]);

        using var otherKey = RSA.Create(2048);
        using var other = new CertificateRequest("CN=someone else", otherKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));

        using var caOnly = X509CertificateLoader.LoadCertificate(ca.Export(X509ContentType.Cert));
        Assert.True(ElasticsearchSink.ChainsTo(leaf, caOnly));
        Assert.False(ElasticsearchSink.ChainsTo(other, caOnly));

        // The option takes a PEM file and validates that it exists.
        string path = Path.Combine(Path.GetTempPath(), $"netsec-ca-{Guid.NewGuid():N}.pem");
        File.WriteAllText(path, ca.ExportCertificatePem());
        try
        {
            var options = new ElasticsearchSinkOptions { Url = "https://es:9200", CertificateAuthorityPath = path };
            Assert.True(new ElasticsearchSinkOptionsValidator().Validate(null, options).Succeeded);
            using var metrics = new NetSecMetrics();
            _ = new ElasticsearchSink(options, metrics);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
