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
    public async Task Changed_rules_are_swapped_in_and_a_ruleset_that_fails_keeps_the_running_one()
    {
        string dir = Path.Combine(Path.GetTempPath(), "netsec-sig-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        string file = Path.Combine(dir, "local.rules");
        try
        {
            await File.WriteAllTextAsync(file, """alert dns any any -> any any (msg:"one"; dns.query; content:"evil"; sid:1;)""" + "\n");
            using var metrics = new NetSecMetrics();
            using var detector = new SignatureDetector(new SignatureOptions { Paths = [dir], ReloadInterval = TimeSpan.Zero }, metrics);
            await detector.StartAsync(CancellationToken.None);
            FlowEvent flow = SignatureEngineTests.Flow(proto: 17, dport: 53, dns: new DnsFacts { Query = "evil.example" });
            string[] Sids()
            {
                var alerts = new List<Alert>();
                detector.Detect([flow], alerts);
                return [.. alerts.Select(a => a.RuleId)];
            }

            Assert.Equal(["1"], Sids());

            // Unchanged files: nothing to do.
            SignatureEngine first = detector.Engine!;
            Assert.True(detector.Reload(force: false, out _));
            Assert.Same(first, detector.Engine);

            // A changed file: the new rules run from the next batch on.
            await File.WriteAllTextAsync(file, """alert dns any any -> any any (msg:"two"; dns.query; content:"evil"; sid:2;)""" + "\n"
                + """alert dns any any -> any any (msg:"three"; dns.query; content:"example"; sid:3;)""" + "\n");
            File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddSeconds(5));
            Assert.True(detector.Reload(force: false, out string? reason), reason);
            Assert.Equal(["2", "3"], Sids());

            // A ruleset of which nothing loads is refused with the reason; the running rules stay.
            await File.WriteAllTextAsync(file, "alert dns any any -> any any (msg:\"broken\"; content:\"unterminated; sid:4;)\n");
            File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddSeconds(10));
            Assert.False(detector.Reload(force: false, out reason));
            Assert.Contains("none of the 1 rules loaded", reason, StringComparison.Ordinal);
            Assert.Equal(["2", "3"], Sids());

            // Detection keeps going on other threads while reloads swap engines: no batch fails, none is lost.
            await File.WriteAllTextAsync(file, """alert dns any any -> any any (msg:"five"; dns.query; content:"evil"; sid:5;)""" + "\n");
            using var stop = new CancellationTokenSource();
            int batches = 0;
            Task worker = Task.Run(() =>
            {
                while (!stop.IsCancellationRequested)
                {
                    Assert.NotEmpty(Sids());
                    Interlocked.Increment(ref batches);
                }
            });
            SpinWait.SpinUntil(() => Volatile.Read(ref batches) > 0, TimeSpan.FromSeconds(30));
            int before = Volatile.Read(ref batches);
            for (int i = 0; i < 5; i++)
            {
                Assert.True(detector.Reload(force: true, out reason), reason);
            }

            SpinWait.SpinUntil(() => Volatile.Read(ref batches) > before, TimeSpan.FromSeconds(30));

            await stop.CancelAsync();
            await worker;
            Assert.True(batches > before);
            Assert.Equal(["5"], Sids());
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
