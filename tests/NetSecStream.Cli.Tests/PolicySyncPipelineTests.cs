using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using NetSecStream.Cli.Configuration;
using NetSecStream.Cli.Hosting;
using NetSecStream.Core.Components;
using NetSecStream.Core.Configuration;
using NetSecStream.Core.Telemetry;
using NetSecStream.Pipeline.InProcess;
using NetSecStream.Policy.Blocking;
using NetSecStream.Policy.Enforcement;

namespace NetSecStream.Cli.Tests;

/// <summary>Block-mode alerts of <c>netsec run</c> reach the enforcement sync (here writing GitOps files); other roles never enforce.</summary>
public sealed class PolicySyncPipelineTests : IDisposable
{
    // cart-1 in shop (labelled app=cart) calls 203.0.113.66, which is on the indicator list.
    private const string C2Flow = """{"flow":{"time":"2021-06-16T16:52:13.136834446Z","verdict":"FORWARDED","IP":{"source":"10.0.2.16","destination":"203.0.113.66","ipVersion":"IPv4"},"l4":{"TCP":{"source_port":42044,"destination_port":443}},"source":{"namespace":"shop","pod_name":"cart-1","labels":["k8s:app=cart","k8s:pod-template-hash=5f7d"]},"destination":{"identity":2,"labels":["reserved:world"]},"traffic_direction":"EGRESS"},"node_name":"n1","time":"2021-06-16T16:52:13.136834446Z"}""";

    private readonly string _dir = Directory.CreateTempSubdirectory("netsec-policy-sync-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task BlockModeAlerts_BecomeBlocks_OnlyInTheRunRole(bool runRole)
    {
        string feed = Path.Combine(_dir, "feed.txt");
        await File.WriteAllTextAsync(feed, "203.0.113.66\n");
        string gitops = Path.Combine(_dir, "gitops");
        string data = Path.Combine(_dir, "data");
        var settings = NetSecConfiguration.Load(NetSecConfiguration.Build(null,
        [
            $"--Detectors:Intel:Paths:0={feed}", "--Modes:Namespaces:shop=block", "--Enforcement:Enabled=true",
            $"--Enforcement:GitOpsDirectory={gitops}", $"--Storage:DataDirectory={data}",
        ]));
        using var metrics = new NetSecMetrics();
        var services = new ComponentServices(metrics, NullLoggerFactory.Instance, TimeProvider.System);
        var source = new InProcessRecordSource(metrics);
        var pipeline = PipelineAssembler.Build(settings, source, services, Path.Combine(_dir, "alerts"), Path.Combine(_dir, "dead"),
            role: runRole ? PipelineRole.Run : null);
        var run = pipeline.RunAsync(CancellationToken.None);
        await source.PublishAsync(new RawRecord(Encoding.UTF8.GetBytes(C2Flow), "t", 1), CancellationToken.None);
        source.Complete();
        await run.WaitAsync(TimeSpan.FromSeconds(60));

        if (!runRole)
        {
            Assert.False(Directory.Exists(gitops) && Directory.GetFiles(gitops).Length > 0);
            return;
        }

        // The sink stops the sync at the end of the run, after it drained its queue.
        string file = Assert.Single(Directory.GetFiles(gitops, "*.yaml"));
        var policy = PolicyYaml.ToJson(await File.ReadAllTextAsync(file))!;
        Assert.Equal("shop", (string?)policy["metadata"]!["namespace"]);
        Assert.Equal("cart", (string?)policy["spec"]!["endpointSelector"]!["matchLabels"]!["app"]);
        Assert.Null(policy["spec"]!["endpointSelector"]!["matchLabels"]!["pod-template-hash"]);
        Assert.Equal("203.0.113.66/32", (string?)policy["spec"]!["egressDeny"]![0]!["toCIDR"]![0]);
        var audit = JsonLinesEnforcementAudit.Read(Path.Combine(data, "enforcement", "audit.jsonl"));
        Assert.Single(audit, e => e.Action == AuditActions.Apply && e.Cluster == "gitops");
    }

    [Fact]
    public void EnforcementSection_IsValidatedAtStart_WithItsKeys()
    {
        var error = Assert.Throws<ConfigurationErrorException>(() =>
        {
            var settings = NetSecConfiguration.Load(NetSecConfiguration.Build(null, ["--Enforcement:Enabled=true", "--Enforcement:MaxNewBlocksPerMinute=0"]));
            PipelineAssembler.Build(settings, new InProcessRecordSource(new NetSecMetrics()), PipelineAssembler.Services(new NetSecMetrics(), NullLoggerFactory.Instance),
                Path.Combine(_dir, "alerts"), Path.Combine(_dir, "dead"), role: PipelineRole.Run);
        });

        Assert.Contains(error.Errors, e => e.StartsWith("Enforcement:MaxNewBlocksPerMinute", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.StartsWith("Enforcement:Clusters must list", StringComparison.Ordinal));
        var unknown = Assert.Throws<ConfigurationErrorException>(() => NetSecConfiguration.Load(NetSecConfiguration.Build(null, ["--Enforcement:DryRn=true"])));
        Assert.Contains(unknown.Errors, e => e.Contains("Enforcement:DryRn", StringComparison.Ordinal));
    }
}
