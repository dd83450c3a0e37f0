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
        Assert.All(result.Diagnostics, d => Assert.NotNull(d.Sid));
        Assert.All(result.Rules, r => Assert.NotNull(r.Priority));
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

    [Fact]
    public void Load_VarsFileAndDirectoryOfRulesFiles()
    {
        string dir = Directory.CreateTempSubdirectory("netsec-rules-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "a.rules"), "alert tcp $HOME_NET any -> any $WEB_PORTS (msg:\"a\"; classtype:lab; sid:1;)\n");
            File.WriteAllText(Path.Combine(dir, "b.rules"), "alert tcp any any -> any any (msg:\"b\"; classtype:unknown-class; sid:2;)\n");
            File.WriteAllText(Path.Combine(dir, "ignored.txt"), "not rules");
            File.WriteAllText(Path.Combine(dir, "classification.config"), "config classification: lab,Lab traffic,2\n");
            string vars = Path.Combine(dir, "vars.yaml");
            File.WriteAllText(vars, "vars:\n  address-groups:\n    HOME_NET: \"[10.9.0.0/16]\"\n  port-groups:\n    WEB_PORTS: \"[80,8080]\"\n");

            RuleSetLoadResult result = RuleSetLoader.Load([dir], RuleVariables.LoadFile(vars));

            Assert.Equal((2, 2, 1, 1), (result.Files, result.Total, result.Loaded, result.Failed));
            Rule rule = result.Rules[0];
            Assert.Equal(2, rule.Priority);
            Assert.True(rule.Source.Matches(System.Net.IPAddress.Parse("10.9.1.1")));
            Assert.False(rule.Source.Matches(System.Net.IPAddress.Parse("10.8.1.1")));
            Assert.True(rule.DestinationPorts.Matches(8080));
            RuleDiagnostic d = Assert.Single(result.Diagnostics);
            Assert.Equal((Path.Combine(dir, "b.rules"), 1, 2L), (d.File, d.Line, d.Sid!.Value));
            Assert.Contains("classtype 'unknown-class' is not in classification.config", d.Reason, StringComparison.Ordinal);
            Assert.Throws<FileNotFoundException>(() => RuleSetLoader.Load([Path.Combine(dir, "missing.rules")]));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
