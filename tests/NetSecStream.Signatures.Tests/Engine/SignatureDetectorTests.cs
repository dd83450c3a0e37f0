using NetSecStream.Core.Events;
using NetSecStream.Core.Telemetry;
using NetSecStream.Signatures.Engine;
using NetSecStream.Signatures.Rules;
using NetSecStream.Testing;
using Xunit.Abstractions;

namespace NetSecStream.Signatures.Tests.Engine;

public sealed class SignatureDetectorTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Start_fails_clearly_when_paths_are_missing()
    {
        using var metrics = new NetSecMetrics();
        using var detector = new SignatureDetector(new SignatureOptions { Paths = ["/nonexistent/x.rules"] }, metrics);
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => detector.StartAsync(CancellationToken.None));
        Assert.StartsWith("Detectors:Signatures:", ex.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => detector.Detect([], new List<Alert>()));
    }

    [Fact]
    public async Task Detect_raises_signature_alerts_from_loaded_rules()
    {
        string dir = Path.Combine(Path.GetTempPath(), "netsec-sig-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            await File.WriteAllTextAsync(Path.Combine(dir, "local.rules"), """
                alert dns any any -> any any (msg:"bad domain"; dns.query; content:"evil.example"; nocase; sid:9000001; rev:2; priority:2;)
                """);
            using var metrics = new NetSecMetrics();
            using var detector = new SignatureDetector(new SignatureOptions { Paths = [dir] }, metrics);
            Assert.Equal("signatures", detector.Id);
            Assert.Equal(DetectorKinds.Signature, detector.DetectorKind);
            await detector.StartAsync(CancellationToken.None);
            var alerts = new List<Alert>();
            detector.Detect(
                [
                    SignatureEngineTests.Flow(proto: 17, dport: 53, dns: new DnsFacts { Query = "a.EVIL.example" }),
                    SignatureEngineTests.Flow(proto: 17, dport: 53, dns: new DnsFacts { Query = "good.example" }),
                ],
                alerts);
            Alert alert = Assert.Single(alerts);
            Assert.Equal("9000001", alert.RuleId);
            Assert.Equal(2, alert.Severity);
            Assert.Equal("2", alert.RuleVersion);
            Assert.StartsWith("sid:9000001:17:10.0.0.5:40000-203.0.113.9:53", alert.DedupeKey, StringComparison.Ordinal);
            Assert.Contains("dns.query", alert.Explanation, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Bench_runs_both_paths_with_the_same_alerts()
    {
        RuleSetLoadResult load = RuleSetLoader.Load([TestData.Require("rules/et-open")]);
        IReadOnlyList<SignatureBenchResult> results = SignatureBench.Run(load, events: 500, seed: 3);
        foreach (SignatureBenchResult r in results)
        {
            output.WriteLine(r.ToString());
        }

        Assert.Equal(2, results.Count);
        Assert.Equal(results[0].Alerts, results[1].Alerts);
    }
}
