using System.Text.Json;
using NetSecStream.Collectors.Generator;

namespace NetSecStream.Cli.Tests;

/// <summary><c>netsec policy suggest</c> end to end: a generated capture in, policy files and a JSON summary out.</summary>
[Collection(CliTests.Name)]
public sealed class PolicySuggestCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("netsec-suggest-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static async Task<(int Exit, string Out, string Err)> Run(params string[] args)
    {
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var (previousOut, previousErr) = (Console.Out, Console.Error);
        Console.SetOut(stdout);
        Console.SetError(stderr);
        try
        {
            int exit = await NetSecCli.CreateRootCommand().Parse(args).InvokeAsync();
            return (exit, stdout.ToString(), stderr.ToString());
        }
        finally
        {
            Console.SetOut(previousOut);
            Console.SetError(previousErr);
        }
    }

    [Fact]
    public async Task Suggest_WritesOneFilePerNamespace_AndAJsonSummary_CountingMalformedLines()
    {
        string flows = Path.Combine(_dir, "quiet.jsonl");
        await TrafficGenerator.WriteAsync(new GeneratorOptions("quiet", 5_000, 1), flows, null, CancellationToken.None);
        await File.AppendAllTextAsync(flows, "{not json\n");
        string outDir = Path.Combine(_dir, "policies");

        var (exit, stdout, stderr) = await Run("policy", "suggest", "--flows", flows, "--out", outDir, "--json");

        Assert.Equal(0, exit);
        Assert.Contains("quiet.jsonl:5001:", stderr, StringComparison.Ordinal);
        using var summary = JsonDocument.Parse(stdout);
        var root = summary.RootElement;
        Assert.Equal(1, root.GetProperty("malformed").GetInt64());
        Assert.Equal(5_000, root.GetProperty("flows_read").GetInt64());
        int policies = root.GetProperty("policies").GetInt32();
        Assert.True(policies >= 10, $"{policies} policies");
        var total = root.GetProperty("total");
        Assert.Equal(total.GetProperty("seen").GetInt64(), total.GetProperty("allowed").GetInt64() + total.GetProperty("denied").GetInt64());
        // At --min-flows 1 only what the dataplane dropped is denied.
        Assert.Equal(total.GetProperty("denied").GetInt64(), total.GetProperty("denied_by_reason").EnumerateObject()
            .Where(r => r.Name == "dropped_when_learned").Sum(r => r.Value.GetInt64()));

        var files = Directory.GetFiles(outDir, "*.yaml").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Contains("shop.yaml", files);
        Assert.Contains("kube-system.yaml", files);
        string shop = await File.ReadAllTextAsync(Path.Combine(outDir, "shop.yaml"));
        Assert.Contains("kind: CiliumNetworkPolicy", shop, StringComparison.Ordinal);
        Assert.Contains("# Learned from quiet.jsonl: 5,000 flows (1 malformed lines skipped)", shop, StringComparison.Ordinal);
        Assert.Equal(policies, files.Sum(f => File.ReadAllText(Path.Combine(outDir, f!)).Split("kind: CiliumNetworkPolicy").Length - 1));

        // One file per workload; without --out every document goes to stdout and the summary to stderr.
        string perWorkload = Path.Combine(_dir, "per-workload");
        Assert.Equal(0, (await Run("policy", "suggest", "--flows", flows, "--out", perWorkload, "--per", "workload")).Exit);
        Assert.Equal(policies, Directory.GetFiles(perWorkload, "*.yaml").Length);
        Assert.Contains(Directory.GetFiles(perWorkload).Select(Path.GetFileName), f => f == "shop_netsec-suggest-frontend.yaml");
        var (plainExit, yaml, summaryText) = await Run("policy", "suggest", "--flows", flows, "--min-flows", "3");
        Assert.Equal(0, plainExit);
        Assert.StartsWith("---", yaml, StringComparison.Ordinal);
        Assert.Equal(policies, yaml.Split("kind: CiliumNetworkPolicy").Length - 1);
        Assert.Contains($"{policies} policies from", summaryText, StringComparison.Ordinal);
        Assert.Contains("--min-flows 3", yaml, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Suggest_BadArguments_ExitWithTheConfigurationCode()
    {
        Assert.Equal(NetSecCli.ConfigurationErrorExitCode, (await Run("policy", "suggest", "--flows", Path.Combine(_dir, "missing.jsonl"))).Exit);
        string flows = Path.Combine(_dir, "f.jsonl");
        await File.WriteAllTextAsync(flows, "");
        var (exit, _, stderr) = await Run("policy", "suggest", "--flows", flows, "--json");
        Assert.Equal(NetSecCli.ConfigurationErrorExitCode, exit);
        Assert.Contains("--json prints the summary on stdout", stderr, StringComparison.Ordinal);
        Assert.Equal(NetSecCli.ConfigurationErrorExitCode, (await Run("policy", "suggest", "--flows", flows, "--min-flows", "0")).Exit);
    }
}
