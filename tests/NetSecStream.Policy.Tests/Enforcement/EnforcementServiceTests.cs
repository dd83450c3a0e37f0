using System.Globalization;
using System.Text.Json.Nodes;
using NetSecStream.Core;
using NetSecStream.Policy.Blocking;
using NetSecStream.Policy.Enforcement;
using NetSecStream.Testing.Kubernetes;
using Xunit.Abstractions;
using static NetSecStream.Policy.Tests.Blocking.BlockAlerts;

namespace NetSecStream.Policy.Tests.Enforcement;

/// <summary>The sync against an in-process Kubernetes API: apply, dedupe, expiry, escalation, reconcile, faults, rails, modes.</summary>
public sealed class EnforcementServiceTests(ITestOutputHelper output)
{
    private static string Annotation(JsonObject obj, string key) => (string)obj["metadata"]!["annotations"]![key]!;

    private static DateTimeOffset Expires(JsonObject obj) =>
        DateTimeOffset.Parse(Annotation(obj, BlockPolicyWriter.ExpiresAnnotation), CultureInfo.InvariantCulture);

    [Fact]
    public async Task Block_IsServerSideApplied_AsACiliumDeny()
    {
        await using var h = await EnforcementHarness.StartAsync();
        var service = await h.StartServiceAsync(h.Options());

        Assert.Equal(BlockSubmission.Queued, service.Submit(Attack()));
        await h.AuditCount(1);

        var policy = Assert.Single(h.CiliumPolicies);
        Assert.Equal("shop", (string?)policy["metadata"]!["namespace"]);
        Assert.StartsWith("netsec-block-", (string?)policy["metadata"]!["name"], StringComparison.Ordinal);
        Assert.Equal("203.0.113.7/32", (string?)policy["spec"]!["ingressDeny"]![0]!["fromCIDR"]![0]);
        Assert.False((bool)policy["spec"]!["enableDefaultDeny"]!["ingress"]!);
        Assert.Equal(Start.AddHours(1), Expires(policy));
        var patch = Assert.Single(h.Api.Requests, r => r.Method == "PATCH");
        Assert.StartsWith(FakeKubernetesApi.ApplyPatchContentType, patch.ContentType, StringComparison.Ordinal);
        Assert.Contains("fieldManager=netsec", patch.Query, StringComparison.Ordinal);
        Assert.Contains("force=true", patch.Query, StringComparison.Ordinal);
        Assert.Equal("/apis/cilium.io/v2/namespaces/shop/ciliumnetworkpolicies/" + (string)policy["metadata"]!["name"]!, patch.Path);
        var entry = Assert.Single(h.AuditOf(AuditActions.Apply));
        Assert.Equal("c1", entry.Cluster);
        Assert.Equal("01JALERT0001", entry.AlertId);
        Assert.Equal("cidr:203.0.113.7/32", entry.Peer);
        Assert.Contains("intel:feodo", entry.Reason, StringComparison.Ordinal);
        Assert.Single(service.ActiveBlocks);
    }

    [Fact]
    public async Task SameBlockTwice_IsOneObject_AndARepeatAfterHalfTheTtlExtendsIt()
    {
        await using var h = await EnforcementHarness.StartAsync();
        var service = await h.StartServiceAsync(h.Options());

        service.Submit(Attack(id: "A1"));
        service.Submit(Attack(id: "A2"));
        await h.AuditCount(2);
        Assert.Single(h.AuditOf(AuditActions.SkipDuplicate));
        Assert.Equal(1, h.Api.Count("PATCH"));

        h.FakeTime.Advance(TimeSpan.FromMinutes(40));
        service.Submit(Attack(id: "A3"));
        await h.AuditCount(3);

        var policy = Assert.Single(h.CiliumPolicies);
        Assert.Equal(Start.AddMinutes(100), Expires(policy));
        Assert.Equal(Start, DateTimeOffset.Parse(Annotation(policy, BlockPolicyWriter.CreatedAnnotation), CultureInfo.InvariantCulture));
        Assert.Equal("A3", Annotation(policy, BlockPolicyWriter.AlertIdAnnotation));
        Assert.Single(h.AuditOf(AuditActions.Extend));
        Assert.Equal(2, h.Api.Count("PATCH"));
    }

    [Fact]
    public async Task ExpiredBlocks_AreDeleted_AndRepeatOffendersGetLongerTtls_UpToTheMaximum()
    {
        await using var h = await EnforcementHarness.StartAsync();
        var service = await h.StartServiceAsync(h.Options(o => o.MaxTtl = TimeSpan.FromHours(3)));

        service.Submit(Attack());
        await h.AuditCount(1);
        h.FakeTime.Advance(TimeSpan.FromMinutes(61));
        await h.AuditCount(2);
        Assert.Empty(h.CiliumPolicies);
        Assert.Single(h.AuditOf(AuditActions.Expire));
        Assert.Empty(service.ActiveBlocks);

        // Back within the repeat window: twice the TTL, then capped at MaxTtl (3 h, not 4 h).
        service.Submit(Attack(id: "A2"));
        await h.AuditCount(3);
        var second = Assert.Single(h.CiliumPolicies);
        Assert.Equal(h.Time.GetUtcNow().AddHours(2), Expires(second));
        Assert.Equal("2", Annotation(second, BlockPolicyWriter.RepeatCountAnnotation));

        h.FakeTime.Advance(TimeSpan.FromMinutes(121));
        await h.AuditCount(4);
        Assert.Empty(h.CiliumPolicies);
        service.Submit(Attack(id: "A3"));
        await h.AuditCount(5);
        var third = Assert.Single(h.CiliumPolicies);
        Assert.Equal(h.Time.GetUtcNow().AddHours(3), Expires(third));
        Assert.Equal("3", Annotation(third, BlockPolicyWriter.RepeatCountAnnotation));
        Assert.Equal(2, h.Api.Count("DELETE"));
    }

    [Fact]
    public async Task FailedDeletes_AreRetried_AndKeptForTheNextTickWhenTheyFailForGood()
    {
        await using var h = await EnforcementHarness.StartAsync();
        var service = await h.StartServiceAsync(h.Options());
        service.Submit(Attack());
        await h.AuditCount(1);

        // A 503: retried after a backoff (on the service's clock).
        h.Api.Faults.Enqueue(new KubernetesFault("DELETE", 503));
        h.FakeTime.Advance(TimeSpan.FromMinutes(61));
        // The clock moves in small steps until the retry is made: the backoff timer exists only once the 503 is read.
        await EnforcementHarness.Eventually(() => Step(h, TimeSpan.FromMilliseconds(100)) && h.AuditOf(AuditActions.Expire).Count == 1, "the delete is retried");
        Assert.Single(h.AuditOf(AuditActions.Expire));
        Assert.Empty(h.CiliumPolicies);
        Assert.Equal(2, h.Api.Count("DELETE"));

        // A 403: not retried now; audited, the block kept, and deleted at the next tick.
        service.Submit(Attack("203.0.113.9", "A2"));
        await h.AuditCount(3);
        h.Api.Faults.Enqueue(new KubernetesFault("DELETE", 403));
        h.FakeTime.Advance(TimeSpan.FromHours(3));
        await h.AuditCount(4);
        Assert.Single(h.AuditOf(AuditActions.Error));
        Assert.Single(service.ActiveBlocks);
        await EnforcementHarness.Eventually(() => Step(h, TimeSpan.FromSeconds(1)) && h.AuditOf(AuditActions.Expire).Count == 2, "the next tick deletes it");
        Assert.Equal(2, h.AuditOf(AuditActions.Expire).Count);
        Assert.Empty(h.CiliumPolicies);
        Assert.Empty(service.ActiveBlocks);
    }

    [Fact]
    public async Task Restart_AdoptsUnexpiredBlocks_DeletesExpiredOnes_AndLeavesOthersAlone()
    {
        await using var h = await EnforcementHarness.StartAsync();
        var first = await h.StartServiceAsync(h.Options());
        first.Submit(Attack("203.0.113.7", "A1"));
        first.Submit(Attack("203.0.113.8", "A2"));
        await h.AuditCount(2);
        await h.StopAsync(first);

        // A block left by a run whose expiry passed while nothing was running, and someone else's policy.
        var leftover = (JsonObject)h.CiliumPolicies[0].DeepClone();
        leftover["metadata"]!["name"] = "netsec-block-leftover";
        leftover["metadata"]!["annotations"]![BlockPolicyWriter.ExpiresAnnotation] = Start.AddMinutes(5).ToString("O", CultureInfo.InvariantCulture);
        h.Api.Put("cilium.io", "v2", "ciliumnetworkpolicies", "shop", leftover);
        var foreign = (JsonObject)h.CiliumPolicies[0].DeepClone();
        foreign["metadata"]!["name"] = "team-policy";
        foreign["metadata"]!["labels"] = new JsonObject { ["owner"] = "team" };
        foreign["metadata"]!["annotations"]![BlockPolicyWriter.ExpiresAnnotation] = Start.ToString("O", CultureInfo.InvariantCulture);
        h.Api.Put("cilium.io", "v2", "ciliumnetworkpolicies", "shop", foreign);

        h.FakeTime.Advance(TimeSpan.FromMinutes(10));
        var second = await h.StartServiceAsync(h.Options());

        Assert.Equal(2, second.ActiveBlocks.Count);
        Assert.Equal(2, h.AuditOf(AuditActions.ReconcileAdopt).Count);
        Assert.Contains(h.AuditOf(AuditActions.Expire), e => e.ObjectReference!.EndsWith("netsec-block-leftover", StringComparison.Ordinal));
        Assert.Equal(["netsec-block-", "netsec-block-", "team-policy"],
            h.CiliumPolicies.Select(p => ((string)p["metadata"]!["name"]!)[..Math.Min(13, ((string)p["metadata"]!["name"]!).Length)]).Order(StringComparer.Ordinal));

        // The adopted block is still the same block: a repeat is a duplicate, not a new object.
        int before = h.Audit.Count;
        second.Submit(Attack("203.0.113.7", "A3"));
        await h.AuditCount(before + 1);
        Assert.Equal(AuditActions.SkipDuplicate, h.Audit[^1].Action);

        // And it expires on the new instance's clock.
        h.FakeTime.Advance(TimeSpan.FromMinutes(51));
        await EnforcementHarness.Eventually(() => h.CiliumPolicies.Count == 1, "the adopted blocks expire");
        Assert.Equal("team-policy", (string?)h.CiliumPolicies[0]["metadata"]!["name"]);
    }

    [Fact]
    public async Task TransientFaults_AreRetried_PermanentOnesAreAuditedAsErrors()
    {
        await using var h = await EnforcementHarness.StartAsync(fakeTime: false);
        var service = await h.StartServiceAsync(h.Options(o => o.MaxAttempts = 6));
        h.Api.Faults.Enqueue(new KubernetesFault("PATCH", 409));
        h.Api.Faults.Enqueue(new KubernetesFault("PATCH", 429, RetryAfterSeconds: 1));
        h.Api.Faults.Enqueue(new KubernetesFault("PATCH", 500));
        h.Api.Faults.Enqueue(new KubernetesFault("PATCH", 503));
        h.Api.Faults.Enqueue(new KubernetesFault("PATCH", 0)); // connection dropped

        service.Submit(Attack());
        await h.AuditCount(1);

        Assert.Single(h.AuditOf(AuditActions.Apply));
        Assert.Single(h.CiliumPolicies);
        Assert.Equal(6, h.Api.Count("PATCH"));

        // 403 is not transient: one attempt, an error entry, no object.
        h.Api.Faults.Enqueue(new KubernetesFault("PATCH", 403));
        service.Submit(Attack("203.0.113.9", "A2"));
        await h.AuditCount(2);
        var error = Assert.Single(h.AuditOf(AuditActions.Error));
        Assert.Contains("403", error.Reason, StringComparison.Ordinal);
        Assert.Equal(7, h.Api.Count("PATCH"));
        Assert.Single(h.CiliumPolicies);

        // Retries are bounded: six 503s in a row give up.
        for (int i = 0; i < 6; i++)
        {
            h.Api.Faults.Enqueue(new KubernetesFault("PATCH", 503));
        }

        service.Submit(Attack("203.0.113.10", "A3"));
        await h.AuditCount(3);
        Assert.Equal(2, h.AuditOf(AuditActions.Error).Count);
        Assert.Equal(13, h.Api.Count("PATCH"));
    }

    [Fact]
    public async Task SlowApi_TimesOut_AndIsRetried()
    {
        await using var h = await EnforcementHarness.StartAsync(fakeTime: false);
        var service = await h.StartServiceAsync(h.Options(o => o.RequestTimeout = TimeSpan.FromMilliseconds(300)));
        h.Api.Faults.Enqueue(new KubernetesFault("PATCH", 200, Delay: TimeSpan.FromSeconds(3)));

        service.Submit(Attack());
        await h.AuditCount(1);

        Assert.Single(h.AuditOf(AuditActions.Apply));
        Assert.Single(h.CiliumPolicies);
    }

    [Fact]
    public async Task AllowlistedPeersAndNamespaces_AreRefused_WithAnAuditEntry()
    {
        await using var h = await EnforcementHarness.StartAsync();
        var service = await h.StartServiceAsync(h.Options(o => o.Allowlist.Cidrs = ["198.51.100.0/24"]));

        Assert.Equal(BlockSubmission.Refused, service.Submit(Attack("10.0.3.3"))); // node CIDR
        Assert.Equal(BlockSubmission.Refused, service.Submit(Attack("10.96.0.10"))); // cluster DNS
        Assert.Equal(BlockSubmission.Refused, service.Submit(Attack("10.96.0.1"))); // API server
        Assert.Equal(BlockSubmission.Refused, service.Submit(Attack("198.51.100.77"))); // configured
        Assert.Equal(BlockSubmission.Refused, service.Submit(Alert(External("203.0.113.7"), Pod("10.244.0.9", "kube-system", ("k8s-app", "kube-dns")))));

        var skipped = h.AuditOf(AuditActions.SkipAllowlisted);
        Assert.Equal(5, skipped.Count);
        Assert.All(skipped, e => Assert.Equal("01JALERT0001", e.AlertId));
        Assert.Contains(skipped, e => e.Reason.StartsWith("allowlisted_target", StringComparison.Ordinal));
        Assert.Equal(0, h.Api.Count("PATCH"));
    }

    [Fact]
    public async Task NewBlocks_AreRateLimited_PerMinute()
    {
        await using var h = await EnforcementHarness.StartAsync();
        var service = await h.StartServiceAsync(h.Options(o => o.MaxNewBlocksPerMinute = 3));

        for (int i = 1; i <= 5; i++)
        {
            service.Submit(Attack($"203.0.113.{i}", $"A{i}"));
        }

        await h.AuditCount(5);
        Assert.Equal(3, h.CiliumPolicies.Count);
        Assert.Equal(2, h.AuditOf(AuditActions.SkipRateLimited).Count);

        h.FakeTime.Advance(TimeSpan.FromSeconds(61));
        service.Submit(Attack("203.0.113.4", "A6"));
        await h.AuditCount(6);
        Assert.Equal(4, h.CiliumPolicies.Count);
    }

    [Fact]
    public async Task DryRun_DecidesAndAuditsEverything_ButWritesNothing()
    {
        await using var h = await EnforcementHarness.StartAsync();
        var service = await h.StartServiceAsync(h.Options(o => o.DryRun = true));

        service.Submit(Attack());
        service.Submit(Attack(id: "A2"));
        await h.AuditCount(2);
        h.FakeTime.Advance(TimeSpan.FromMinutes(61));
        await h.AuditCount(3);

        Assert.Empty(h.CiliumPolicies);
        Assert.Equal(0, h.Api.Count("PATCH"));
        Assert.Equal(0, h.Api.Count("DELETE"));
        var dry = h.AuditOf(AuditActions.DryRun);
        Assert.Equal([AuditActions.Apply, AuditActions.Expire], dry.Select(e => e.Would));
        Assert.Single(h.AuditOf(AuditActions.SkipDuplicate));
    }

    [Fact]
    public async Task QueueFull_IsRefusedAndAudited_NotQueuedWithoutBound()
    {
        await using var h = await EnforcementHarness.StartAsync(fakeTime: false);
        var service = await h.StartServiceAsync(h.Options(o => o.QueueCapacity = 1));
        h.Api.Faults.Enqueue(new KubernetesFault("PATCH", 200, Delay: TimeSpan.FromMilliseconds(1500)));

        Assert.Equal(BlockSubmission.Queued, service.Submit(Attack("203.0.113.1", "A1")));
        await EnforcementHarness.Eventually(() => h.Api.Faults.IsEmpty, "the first apply is in flight");
        Assert.Equal(BlockSubmission.Queued, service.Submit(Attack("203.0.113.2", "A2")));
        Assert.Equal(BlockSubmission.QueueFull, service.Submit(Attack("203.0.113.3", "A3")));

        Assert.Single(h.AuditOf(AuditActions.SkipQueueFull));
        await h.AuditCount(3);
        Assert.Equal(2, h.CiliumPolicies.Count);
    }

    [Fact]
    public async Task GitOps_WritesOneYamlFilePerBlock_DeletesItOnExpiry_AndAdoptsFilesAfterRestart()
    {
        await using var h = await EnforcementHarness.StartAsync();
        string gitops = Path.Combine(h.Directory, "gitops");
        var options = h.Options(o =>
        {
            o.Clusters = [];
            o.GitOpsDirectory = gitops;
        });
        var first = await h.StartServiceAsync(options);

        first.Submit(Attack("203.0.113.7", "A1"));
        first.Submit(Alert(Pod("10.244.2.9", "payments", ("app", "billing")), External("198.51.100.20"), id: "A2"));
        await h.AuditCount(2);

        var files = Directory.GetFiles(gitops, "*.yaml").Order(StringComparer.Ordinal).ToList();
        Assert.Equal(2, files.Count);
        var egress = PolicyYaml.ToJson(File.ReadAllText(files.Single(f => f.Contains("_payments_", StringComparison.Ordinal))))!;
        Assert.Equal("198.51.100.20/32", (string?)egress["spec"]!["egressDeny"]![0]!["toCIDR"]![0]);
        Assert.False((bool)egress["spec"]!["enableDefaultDeny"]!["egress"]!);
        Assert.Empty(h.Api.Requests);

        await h.StopAsync(first);
        h.FakeTime.Advance(TimeSpan.FromMinutes(30));
        var second = await h.StartServiceAsync(options);
        Assert.Equal(2, second.ActiveBlocks.Count);

        h.FakeTime.Advance(TimeSpan.FromMinutes(31));
        await EnforcementHarness.Eventually(() => h.AuditOf(AuditActions.Expire).Count == 2, "both blocks expire");
        Assert.Empty(Directory.GetFiles(gitops, "*.yaml"));
    }

    [Fact]
    public async Task TwoClusters_EachGetTheirFlavor_AndABlockCountsOnceAgainstTheRateLimit()
    {
        await using var h = await EnforcementHarness.StartAsync();
        await using var calicoApi = await FakeKubernetesApi.StartAsync();
        string kubeconfig = Path.Combine(h.Directory, "two-clusters");
        FakeKubernetesApi.WriteKubeconfig(kubeconfig, ("east", h.Api.Url), ("west", calicoApi.Url));
        var service = await h.StartServiceAsync(h.Options(o =>
        {
            o.MaxNewBlocksPerMinute = 1;
            o.Clusters =
            [
                new EnforcementClusterOptions { Name = "east", KubeConfig = kubeconfig, Context = "east", Flavor = PolicyFlavor.Cilium },
                new EnforcementClusterOptions { Name = "west", KubeConfig = kubeconfig, Context = "west", Flavor = PolicyFlavor.Calico },
            ];
        }));

        service.Submit(Attack());
        await h.AuditCount(2);

        Assert.Single(h.CiliumPolicies);
        Assert.Empty(calicoApi.Objects("cilium.io", "v2", "ciliumnetworkpolicies"));
        var gnp = Assert.Single(calicoApi.Objects("projectcalico.org", "v3", "globalnetworkpolicies"));
        Assert.Equal("Deny", (string?)gnp["spec"]!["ingress"]![0]!["action"]);
        Assert.Equal("203.0.113.7/32", (string?)gnp["spec"]!["ingress"]![0]!["source"]!["nets"]![0]);
        Assert.Equal("Pass", (string?)gnp["spec"]!["ingress"]![1]!["action"]);
        Assert.NotNull(calicoApi.Get("projectcalico.org", "v3", "tiers", null, "netsec"));
        Assert.Equal(["east", "west"], h.AuditOf(AuditActions.Apply).Select(e => e.Cluster).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Sink_HandsOnlyBlockModeAlerts_AndCountsWhatTheSyncRefuses()
    {
        await using var h = await EnforcementHarness.StartAsync();
        var service = EnforcementService.Create(h.Options(), h.Metrics, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance, h.Time);
        await using var sink = new PolicySyncSink(service, h.Metrics, owned: service);
        using var recorder = new RejectionRecorder(h.Metrics);

        Assert.Equal(BlockSubmission.NotRunning, service.Submit(Attack()));
        await sink.StartAsync(CancellationToken.None);
        await sink.WriteAsync(
        [
            Attack(id: "B1"),
            Alert(External("203.0.113.50"), Pod("10.244.1.5", "shop", ("app", "cart")), mode: Mode.Alert, id: "N1"),
            Attack("10.0.0.7", "B2"),
        ], CancellationToken.None);
        await h.AuditCount(2);

        Assert.Single(h.CiliumPolicies);
        Assert.Single(h.AuditOf(AuditActions.Apply), e => e.AlertId == "B1");
        Assert.Single(h.AuditOf(AuditActions.SkipAllowlisted), e => e.AlertId == "B2");
        Assert.Equal(1, recorder.Rejected("policy_sync", "not_enforceable"));
        await sink.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Throughput_ABurstOfBlocks_IsAppliedWithinItsBudget()
    {
        // Budget: 300 distinct blocks through server-side apply on loopback in under 30 s on a shared 2-vCPU machine.
        const int Blocks = 300;
        await using var h = await EnforcementHarness.StartAsync(fakeTime: false);
        var service = await h.StartServiceAsync(h.Options(o =>
        {
            o.MaxNewBlocksPerMinute = 100_000;
            o.QueueCapacity = Blocks;
        }));
        var alerts = Enumerable.Range(0, Blocks).Select(i => Attack($"198.51.{100 + (i / 250)}.{(i % 250) + 1}", $"T{i}")).ToList();

        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.All(alerts, a => Assert.Equal(BlockSubmission.Queued, service.Submit(a)));
        await EnforcementHarness.Eventually(() => service.ActiveBlocks.Count == Blocks, $"{Blocks} blocks are applied");
        clock.Stop();

        Assert.Equal(Blocks, h.CiliumPolicies.Count);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"{Blocks} blocks took {clock.Elapsed}");
        output.WriteLine($"{Blocks} blocks applied in {clock.Elapsed.TotalMilliseconds:F0} ms: {Blocks / clock.Elapsed.TotalSeconds:F0} blocks/s");
    }

    private static bool Step(EnforcementHarness h, TimeSpan by)
    {
        h.FakeTime.Advance(by);
        return true;
    }

    [Fact]
    public async Task Stop_IsBounded_WhenTheApiHangs()
    {
        await using var h = await EnforcementHarness.StartAsync(fakeTime: false);
        var service = await h.StartServiceAsync(h.Options(o => o.RequestTimeout = TimeSpan.FromSeconds(60)));
        h.Api.Faults.Enqueue(new KubernetesFault("PATCH", 200, Delay: TimeSpan.FromSeconds(40)));
        service.Submit(Attack());
        await EnforcementHarness.Eventually(() => h.Api.Faults.IsEmpty, "the apply hangs");

        var clock = System.Diagnostics.Stopwatch.StartNew();
        await service.StopAsync(CancellationToken.None);

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"stop took {clock.Elapsed}");
    }

    [Fact]
    public async Task Metrics_CountBlocksAppliedExpiredAndRefused()
    {
        await using var h = await EnforcementHarness.StartAsync();
        using var recorder = new RejectionRecorder(h.Metrics);
        var service = await h.StartServiceAsync(h.Options(o => o.MaxNewBlocksPerMinute = 1));

        service.Submit(Attack("203.0.113.1", "A1"));
        service.Submit(Attack("203.0.113.2", "A2"));
        service.Submit(Attack("10.0.0.9", "A3"));
        await h.AuditCount(3);
        h.FakeTime.Advance(TimeSpan.FromMinutes(61));
        await h.AuditCount(4);

        Assert.Equal(1, recorder.Count("netsec_blocks_applied", "cluster", "c1"));
        Assert.Equal(1, recorder.Count("netsec_blocks_expired", "cluster", "c1"));
        Assert.Equal(1, recorder.Count("netsec_blocks_refused", "reason", "rate_limited"));
        Assert.Equal(1, recorder.Count("netsec_blocks_refused", "reason", "allowlisted_peer"));
    }

    [Fact]
    public async Task Calico_BlocksAreAdoptedAfterRestart_AndExpire()
    {
        await using var h = await EnforcementHarness.StartAsync();
        var options = h.Options(o => o.Clusters[0].Flavor = PolicyFlavor.Calico);
        var first = await h.StartServiceAsync(options);
        first.Submit(Alert(Pod("10.244.3.3", "dev", ("app", "shell")), Pod("10.244.1.5", "shop", ("app", "db"))));
        await h.AuditCount(1);
        await h.StopAsync(first);

        var gnp = Assert.Single(h.Api.Objects("projectcalico.org", "v3", "globalnetworkpolicies"));
        Assert.StartsWith("netsec.block-", (string?)gnp["metadata"]!["name"], StringComparison.Ordinal);
        Assert.Equal("projectcalico.org/name == 'dev'", (string?)gnp["spec"]!["ingress"]![0]!["source"]!["namespaceSelector"]);
        Assert.Equal("app == 'shell'", (string?)gnp["spec"]!["ingress"]![0]!["source"]!["selector"]);

        var second = await h.StartServiceAsync(options);
        Assert.Single(second.ActiveBlocks);
        h.FakeTime.Advance(TimeSpan.FromMinutes(61));
        await EnforcementHarness.Eventually(() => h.AuditOf(AuditActions.Expire).Count == 1, "the adopted Calico block expires");
        Assert.Empty(h.Api.Objects("projectcalico.org", "v3", "globalnetworkpolicies"));
        Assert.NotNull(h.Api.Get("projectcalico.org", "v3", "tiers", null, "netsec"));
    }

    /// <summary>Counts the long counters of the NetSecStream meter by instrument and one tag's value.</summary>
    private sealed class RejectionRecorder : IDisposable
    {
        private readonly System.Diagnostics.Metrics.MeterListener _listener = new();
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _counts = new();

        public RejectionRecorder(NetSecStream.Core.Telemetry.NetSecMetrics? only = null)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == NetSecStream.Core.Telemetry.NetSecMetrics.MeterName && (only is null || instrument.Meter == only.Meter))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            {
                var key = new List<string> { instrument.Name };
                foreach (var tag in tags)
                {
                    key.Add($"{tag.Key}={tag.Value}");
                }

                _counts.AddOrUpdate(string.Join("|", key), value, (_, n) => n + value);
            });
            _listener.Start();
        }

        /// <summary>The sum over measurements of <paramref name="instrument"/> carrying every one of <paramref name="tags"/>.</summary>
        public long CountWith(string instrument, params string[] tags) => _counts
            .Where(c => c.Key.Split('|') is var parts && parts[0] == instrument && tags.All(parts.Contains))
            .Sum(c => c.Value);

        public long Count(string instrument, string tag, string value) => CountWith(instrument, $"{tag}={value}");

        public long Rejected(string component, string reason) => CountWith("netsec_events_rejected", $"component={component}", $"reason={reason}");

        public void Dispose() => _listener.Dispose();
    }
}
