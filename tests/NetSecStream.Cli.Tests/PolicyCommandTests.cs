using System.Text.Json;
using NetSecStream.Collectors.Generator;
using NetSecStream.Policy.Backtest;

namespace NetSecStream.Cli.Tests;

/// <summary><c>netsec policy lint</c> and <c>netsec policy plan</c>: output, exit codes, and a backtest on generated traffic.</summary>
[Collection(CliTests.Name)]
public sealed class PolicyCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("netsec-policy-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static async Task<(int Exit, string Out, string Err)> Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var previousOut = Console.Out;
        var previousErr = Console.Error;
        Console.SetOut(output);
        Console.SetError(error);
        try
        {
            int exit = await NetSecCli.CreateRootCommand().Parse(args).InvokeAsync();
            return (exit, output.ToString(), error.ToString());
        }
        finally
        {
            Console.SetOut(previousOut);
            Console.SetError(previousErr);
        }
    }

    [Fact]
    public async Task Lint_PrintsFileLineMessage_AndExitsOneOnErrors_ZeroOnWarnings()
    {
        string bad = Path.Combine(_dir, "bad.yaml");
        await File.WriteAllTextAsync(bad, "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a, namespace: n}\nspec:\n  podSelector: {}\n  ingres: []\n");
        var (exit, output, _) = await Run("policy", "lint", bad);
        Assert.Equal(1, exit);
        Assert.Contains($"{bad}:6: unknown field 'ingres' in NetworkPolicy spec", output, StringComparison.Ordinal);

        string host = Path.Combine(_dir, "host.yaml");
        await File.WriteAllTextAsync(host, "apiVersion: cilium.io/v2\nkind: CiliumClusterwideNetworkPolicy\nmetadata: {name: h}\nspec:\n  nodeSelector: {}\n  ingress: [{fromEntities: [cluster]}]\n");
        (exit, output, _) = await Run("policy", "lint", host);
        Assert.Equal(0, exit);
        Assert.Contains($"{host}:5: warning: host policy (nodeSelector) of h is not supported", output, StringComparison.Ordinal);

        (exit, output, _) = await Run("policy", "lint", "--json", bad, host);
        Assert.Equal(1, exit);
        using var report = JsonDocument.Parse(output);
        Assert.Equal(1, report.RootElement.GetProperty("errors").GetInt32());
        Assert.Equal(1, report.RootElement.GetProperty("warnings").GetInt32());
        Assert.Equal(6, report.RootElement.GetProperty("diagnostics")[0].GetProperty("line").GetInt32());
    }

    [Fact]
    public async Task ExitCodes_MissingInputIsOne_UsageIsTwo()
    {
        Assert.Equal(1, (await Run("policy", "lint", Path.Combine(_dir, "missing"))).Exit);
        Assert.Equal(2, (await Run("policy", "lint")).Exit);
        Assert.Equal(2, (await Run("policy", "plan", "--policies", _dir)).Exit);
        Assert.Equal(2, (await Run("policy", "lint", _dir, "--frobnicate")).Exit);
        var (exit, _, error) = await Run("policy", "plan", "--policies", _dir, "--flows", Path.Combine(_dir, "none.jsonl"));
        Assert.Equal(1, exit);
        Assert.Contains("not found", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plan_OnGeneratedTraffic_ReportsDenialsPerPolicyAndNamespace()
    {
        string flows = Path.Combine(_dir, "flows.jsonl");
        await using (var file = File.Create(flows))
        {
            foreach (var generated in new TrafficGenerator().Generate(new GeneratorOptions("demo", 20_000, 3)))
            {
                file.Write(generated.Json);
                file.WriteByte((byte)'\n');
            }

            file.Write("not json\n"u8);
        }

        string policies = Path.Combine(_dir, "policies");
        Assert.Equal(100, BenchPolicies.Write(policies, 100).Count);
        Assert.Equal(0, (await Run("policy", "lint", policies)).Exit);

        var (exit, output, error) = await Run("policy", "plan", "--policies", policies, "--flows", flows, "--json");
        Assert.True(exit == 0, error);
        using var report = JsonDocument.Parse(output);
        var root = report.RootElement;
        long Get(string name) => root.GetProperty(name).GetInt64();
        Assert.Equal(20_000, Get("flows"));
        Assert.Equal(1, Get("bad_lines"));
        Assert.Equal(100, root.GetProperty("policies").GetInt32());
        Assert.Equal(Get("flows"), Get("skipped") + Get("allowed") + Get("denied") + Get("not_evaluated") + Get("not_selected"));
        Assert.True(Get("denied") > 0 && Get("allowed") > 0 && Get("not_evaluated") > 0);
        var entries = root.GetProperty("entries").EnumerateArray().ToList();
        // Each denied flow counts once for each policy that decided it, so the rows add up to at least the total.
        Assert.True(entries.Sum(e => e.GetProperty("denied").GetInt64()) >= Get("denied"));
        var top = entries[0];
        Assert.True(top.GetProperty("denied").GetInt64() > 0);
        Assert.NotEmpty(top.GetProperty("examples").EnumerateArray());
        Assert.Contains("would be denied", (await Run("policy", "plan", "--policies", policies, "--flows", flows)).Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replay_WithThePolicyDetectorEnabled_RaisesAnAlertForEachFlowPlanSaysWouldBeDenied()
    {
        string flows = Path.Combine(_dir, "flows.jsonl");
        Assert.Equal(0, (await Run("generate", "--events", "20000", "--seed", "5", "--scenario", "quiet", "--out", flows)).Exit);
        string policies = Path.Combine(_dir, "policies");
        Directory.CreateDirectory(policies);
        await File.WriteAllTextAsync(Path.Combine(policies, "catalog.yaml"), """
            apiVersion: cilium.io/v2
            kind: CiliumNetworkPolicy
            metadata: {name: catalog-from-frontend, namespace: shop}
            spec:
              endpointSelector: {matchLabels: {app: catalog}}
              ingress:
                - fromEndpoints: [{matchLabels: {app: frontend}}]
                  toPorts: [{ports: [{port: "8080", protocol: TCP}]}]
            """);

        var (exit, output, error) = await Run("policy", "plan", "--policies", policies, "--flows", flows, "--json");
        Assert.True(exit == 0, error);
        using var plan = JsonDocument.Parse(output);
        long denied = plan.RootElement.GetProperty("denied").GetInt64();
        Assert.True(denied > 0);

        string summaryPath = Path.Combine(_dir, "summary.json");
        (exit, _, error) = await Run("replay", flows, "--out", Path.Combine(_dir, "out"), "--summary-json", summaryPath,
            "--Detectors:Policy:Enabled=true", $"--Detectors:Policy:Paths:0={policies}", "--Detectors:Intel:Enabled=false",
            "--Pipeline:DedupeWindow=00:00:00", "--Pipeline:Aggregation:policy:Window=00:00:00");
        Assert.True(exit == 0, error);
        using var summary = JsonDocument.Parse(await File.ReadAllTextAsync(summaryPath));
        Assert.Equal(denied, summary.RootElement.GetProperty("alerts_by_detector").GetProperty("policy").GetInt64());
        string alerts = string.Concat(Directory.EnumerateFiles(Path.Combine(_dir, "out"), "alerts-*.ndjson").Select(File.ReadAllText));
        Assert.Contains("policy:shop/catalog-from-frontend", alerts, StringComparison.Ordinal);
        Assert.Contains("audit: would be denied", alerts, StringComparison.Ordinal);
    }
}
