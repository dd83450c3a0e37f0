using NetSecStream.Collectors.Generator;
using NetSecStream.Collectors.Hubble;
using NetSecStream.Core.Events;
using NetSecStream.Core.Telemetry;
using NetSecStream.Pipeline;
using NetSecStream.Pipeline.Decide;
using NetSecStream.Pipeline.Enrichment;
using NetSecStream.Pipeline.InProcess;
using NetSecStream.Policy.Audit;
using NetSecStream.Testing;

namespace NetSecStream.Policy.Tests.Audit;

public sealed class PolicyDetectorTests : IDisposable
{
    private const string DenyCatalogIngress = """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata:
          name: deny-catalog
          namespace: shop
        spec:
          podSelector:
            matchLabels:
              app: catalog
          policyTypes: [Ingress]
        """;

    private readonly string _dir = Directory.CreateTempSubdirectory("netsec-policy-").FullName;
    private readonly NetSecMetrics _metrics = new();

    public void Dispose()
    {
        _metrics.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private PolicyAuditOptions Options(string yaml)
    {
        File.WriteAllText(Path.Combine(_dir, "policy.yaml"), yaml);
        return new PolicyAuditOptions { Enabled = true, Paths = [_dir], ReloadInterval = TimeSpan.FromMinutes(5) };
    }

    [Fact]
    public async Task Pipeline_RaisesOneAuditAlertPerGeneratedFlowThePolicyDenies()
    {
        var records = new TrafficGenerator().Generate(new GeneratorOptions("quiet", 20_000, 7)).Select(g => g.Json).ToList();

        // The expectation, computed without the evaluator: requests into catalog pods, other than the node's own probes.
        var decoder = new HubbleFlowDecoder();
        int expected = records.Select(r => decoder.Decode(r).Event).Count(f => f is not null && f.IsReply != true && f.Kind != FlowEventKind.Packet
            && f.Destination.Namespace == "shop" && f.Destination.Labels?.GetValueOrDefault("app") == "catalog" && f.Source.ReservedEntity != "host");
        Assert.True(expected > 50, $"the generator sent only {expected} flows to catalog");

        using var detector = new PolicyDetector(Options(DenyCatalogIngress), _metrics);
        var sink = new RecordingSink();
        var pipeline = new FlowPipeline(new PipelineOptions { DedupeWindow = TimeSpan.Zero, BatchSize = 512 },
            new PipelineComponents(new MemoryRecordSource(records), new HubbleFlowDecoder(), [new CommunityIdEnricher()], [detector], [sink], new MemoryDeadLetterSink()),
            new ModeResolver(new ModeOptions()), _metrics);

        await pipeline.RunAsync(CancellationToken.None);

        var alerts = sink.Alerts.ToList();
        Assert.Equal(expected, alerts.Count);
        Assert.All(alerts, a =>
        {
            Assert.Equal(DetectorKinds.Policy, a.Detector);
            Assert.Equal("policy:shop/deny-catalog", a.RuleId);
            Assert.StartsWith("audit: would be denied", a.Explanation, StringComparison.Ordinal);
            Assert.Contains("default deny (ingress of shop/catalog): selected by shop/deny-catalog; no rule allows", a.Explanation, StringComparison.Ordinal);
            Assert.Equal(3, a.Severity);
            Assert.Equal("catalog", a.Flow.Destination.Labels!["app"]);
        });
        Assert.True(detector.Evaluator.CacheHits > detector.Evaluator.CacheMisses * 10, $"hits {detector.Evaluator.CacheHits}, misses {detector.Evaluator.CacheMisses}");
    }

    [Fact]
    public async Task Reload_BrokenFileKeepsPoliciesInForce_FixedFileIsTaken()
    {
        var options = Options(DenyCatalogIngress);
        using var detector = new PolicyDetector(options, _metrics);
        await detector.StartAsync(CancellationToken.None);
        Assert.Single(detector.Evaluator.Policies);

        string extra = Path.Combine(_dir, "extra.yaml");
        File.WriteAllText(extra, "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: x, namespace: shop}\nspec:\n  podSelector: {}\n  egres: []\n");
        Assert.False(detector.Reload(force: false));
        Assert.Single(detector.Evaluator.Policies);
        Assert.Contains(detector.Diagnostics, d => d.Line == 6 && d.Message.Contains("unknown field 'egres'", StringComparison.Ordinal));

        File.WriteAllText(extra, "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: x, namespace: shop}\nspec:\n  podSelector: {}\n  egress: []\n  policyTypes: [Egress]\n");
        Assert.True(detector.Reload(force: false));
        Assert.Equal(2, detector.Evaluator.Policies.Count);
        await detector.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Start_WithBrokenFiles_FailsFast()
    {
        using var detector = new PolicyDetector(Options("kind: NetworkPolicy\napiVersion: networking.k8s.io/v1\nmetadata: {name: a}\nspec: {podSelector: {matchLabels: {app: [x]}}}\n"), _metrics);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => detector.StartAsync(CancellationToken.None));
        Assert.Contains("policy.yaml:4:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Detect_SkipsRepliesAndPackets_AndDisabledDetectorRaisesNothing()
    {
        using var detector = new PolicyDetector(Options("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: no-egress, namespace: shop}
            spec: {podSelector: {}, policyTypes: [Egress]}
            """), _metrics);
        Assert.True(detector.Reload(force: true));
        var request = Flows.Tcp("10.0.0.1", 40000, "203.0.113.9", 443, "shop");
        var reply = new FlowEvent { Timestamp = request.Timestamp, Source = request.Source, Destination = request.Destination, IpProtocol = 6, IsReply = true };
        var packet = new FlowEvent { Timestamp = request.Timestamp, Source = request.Source, Destination = request.Destination, IpProtocol = 6, Kind = FlowEventKind.Packet };
        var alerts = new List<Alert>();
        detector.Detect([request, reply, packet], alerts);
        var alert = Assert.Single(alerts);
        Assert.Equal("policy:shop/no-egress", alert.RuleId);
        Assert.Equal("policy|shop/no-egress|shop/10.0.0.1|world:203.0.113.9|443/tcp", alert.DedupeKey);

        using var disabled = new PolicyDetector(new PolicyAuditOptions(), _metrics);
        var none = new List<Alert>();
        disabled.Detect([request], none);
        Assert.Empty(none);
    }

    [Fact]
    public void Validator_NamesTheKeys()
    {
        var result = new PolicyAuditOptionsValidator().Validate(null, new PolicyAuditOptions { Enabled = true, Severity = 0, ReloadInterval = TimeSpan.Zero });
        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.StartsWith("Detectors:Policy:Severity", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.StartsWith("Detectors:Policy:ReloadInterval", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.StartsWith("Detectors:Policy:Paths", StringComparison.Ordinal));
        Assert.False(new PolicyAuditOptionsValidator().Validate(null, new PolicyAuditOptions()).Failed);
    }
}
