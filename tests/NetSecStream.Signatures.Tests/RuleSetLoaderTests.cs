using System.Diagnostics;
using NetSecStream.Signatures.Rules;
using NetSecStream.Testing;
using Xunit.Abstractions;

namespace NetSecStream.Signatures.Tests;

public sealed class RuleSetLoaderTests(ITestOutputHelper output)
{
    [Fact]
    public void EtOpen_LoadsAtLeastNinetyPercent_AndEveryFailureHasADiagnostic()
    {
        string dir = TestData.Require("rules/et-open");
        long before = GC.GetTotalMemory(forceFullCollection: true);
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        RuleSetLoadResult result = RuleSetLoader.Load([dir]);
        clock.Stop();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        long after = GC.GetTotalMemory(forceFullCollection: true);
        GC.KeepAlive(result);

        output.WriteLine($"ET Open: files {result.Files}, total {result.Total}, loaded {result.Loaded}, failed {result.Failed}, " +
                         $"loaded {result.LoadedPercent:F2}%");
        output.WriteLine($"load time {clock.Elapsed.TotalSeconds:F2} s; retained {(after - before) / 1048576.0:F1} MiB " +
                         $"(GC.GetTotalMemory after-before); allocated {allocated / 1048576.0:F1} MiB; rule text {result.Bytes / 1048576.0:F1} MiB");
        foreach ((string keyword, int count) in result.UnsupportedKeywords.OrderByDescending(p => p.Value).Take(15))
        {
            output.WriteLine($"unsupported keyword {keyword}: {count} rules");
        }

        foreach (IGrouping<string, RuleDiagnostic> g in result.Diagnostics.Where(d => d.Kind != RuleDiagnosticKind.UnsupportedKeyword)
                     .GroupBy(d => d.Reason.Length > 120 ? d.Reason[^60..] : d.Reason).OrderByDescending(g => g.Count()).Take(15))
        {
            output.WriteLine($"{g.Count()} x {g.First()}");
        }

        Assert.Equal(24827, result.Total);
        Assert.Equal(result.Total, result.Loaded + result.Failed);
        Assert.All(result.Diagnostics, d => Assert.False(string.IsNullOrWhiteSpace(d.Reason)));
        Assert.All(result.Diagnostics, d => Assert.NotNull(d.File));
        Assert.True(result.LoadedPercent >= 90, $"loaded {result.LoadedPercent:F2}% < 90%");
    }

    [Fact]
    public void SuricataVerifyRules_ReportHowManyLoad()
    {
        string root = TestData.Require("suricata-verify/tests");
        string[] files = Directory.EnumerateFiles(root, "test.rules", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();
        int total = 0, loaded = 0;
        foreach (string file in files)
        {
            // Each test is its own rule set: sids repeat across tests.
            RuleSetLoadResult r = RuleSetLoader.Load([file]);
            total += r.Total;
            loaded += r.Loaded;
            Assert.Equal(r.Total, r.Loaded + r.Failed);
            foreach (RuleDiagnostic d in r.Diagnostics)
            {
                output.WriteLine(d.ToString());
            }
        }

        output.WriteLine($"suricata-verify: {files.Length} test.rules files, total {total}, loaded {loaded} ({100.0 * loaded / total:F1}%)");
        Assert.True(total > 0);
        Assert.True(loaded >= total * 9 / 10, $"loaded {loaded} of {total}");
    }

    [Fact]
    public void SuricataBundledRules_ReportHowManyLoad()
    {
        RuleSetLoadResult r = RuleSetLoader.Load([TestData.Require("rules/suricata-bundled")]);
        output.WriteLine($"suricata bundled rules: total {r.Total}, loaded {r.Loaded} ({r.LoadedPercent:F1}%)");
        foreach ((string keyword, int count) in r.UnsupportedKeywords.OrderByDescending(p => p.Value))
        {
            output.WriteLine($"unsupported keyword {keyword}: {count} rules");
        }

        foreach (RuleDiagnostic d in r.Diagnostics.Where(d => d.Kind != RuleDiagnosticKind.UnsupportedKeyword).Take(10))
        {
            output.WriteLine(d.ToString());
        }

        Assert.Equal(r.Total, r.Loaded + r.Failed);
        Assert.All(r.Diagnostics, d => Assert.NotNull(d.Sid));
    }
}
