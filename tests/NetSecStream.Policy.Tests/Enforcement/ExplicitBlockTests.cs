using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using NetSecStream.Core;
using NetSecStream.Policy.Blocking;
using NetSecStream.Policy.Enforcement;
using NetSecStream.Testing.Kubernetes;
using static NetSecStream.Policy.Tests.Blocking.BlockAlerts;

namespace NetSecStream.Policy.Tests.Enforcement;

/// <summary>Operators' blocks and revokes (the control plane's POST and DELETE /api/blocks) against an in-process Kubernetes API.</summary>
public sealed class ExplicitBlockTests
{
    private static readonly Dictionary<string, string> Cart = new() { ["app"] = "cart" };

    private static ExplicitBlockRequest BySource(string source, TimeSpan? ttl = null, string actor = "admin-user") =>
        new(actor, ttl ?? TimeSpan.FromHours(1), "scanning the cart")
        {
            Source = IPAddress.Parse(source),
            Namespace = "shop",
            Labels = Cart,
        };

    private static string Annotation(JsonObject obj, string key) => (string)obj["metadata"]!["annotations"]![key]!;

    [Fact]
    public async Task ExplicitBlock_IsAppliedAtOnce_WithTheOperatorsTtl_AndAuditedWithTheActor()
    {
        await using var h = await EnforcementHarness.StartAsync();
        var service = await h.StartServiceAsync(h.Options());

        var result = await service.BlockNowAsync(BySource("203.0.113.50", TimeSpan.FromMinutes(30)), CancellationToken.None);

        Assert.Equal(ExplicitOutcome.Applied, result.Outcome);
        var policy = Assert.Single(h.CiliumPolicies);
        Assert.Equal("shop", (string?)policy["metadata"]!["namespace"]);
        Assert.Equal("203.0.113.50/32", (string?)policy["spec"]!["ingressDeny"]![0]!["fromCIDR"]![0]);
        Assert.Equal("cart", (string?)policy["spec"]!["endpointSelector"]!["matchLabels"]!["app"]);
        Assert.Equal(Start.AddMinutes(30), DateTimeOffset.Parse(Annotation(policy, BlockPolicyWriter.ExpiresAnnotation), CultureInfo.InvariantCulture));
        Assert.Equal(ExplicitBlockRequest.ManualAlertId, Annotation(policy, BlockPolicyWriter.AlertIdAnnotation));
        Assert.Contains("manual block by admin-user: scanning the cart", Annotation(policy, BlockPolicyWriter.ReasonAnnotation), StringComparison.Ordinal);
        var block = Assert.Single(result.Blocks);
        Assert.Equal(Start.AddMinutes(30), block.Expires);
        Assert.Equal(16, block.Id.Length);
        Assert.EndsWith(block.Id, (string)policy["metadata"]!["name"]!, StringComparison.Ordinal);
        var applied = Assert.Single(h.AuditOf(AuditActions.Apply));
        Assert.Equal("admin-user", applied.Actor);
        Assert.Equal("cidr:203.0.113.50/32", applied.Peer);

        // Asked again for less time: already held, nothing written; for longer: extended in place.
        Assert.Equal(ExplicitOutcome.AlreadyHeld, (await service.BlockNowAsync(BySource("203.0.113.50", TimeSpan.FromMinutes(10)), CancellationToken.None)).Outcome);
        Assert.Equal(1, h.Api.Count("PATCH"));
        var longer = await service.BlockNowAsync(BySource("203.0.113.50", TimeSpan.FromHours(2)), CancellationToken.None);
        Assert.Equal(ExplicitOutcome.Applied, longer.Outcome);
        Assert.Equal(Start.AddHours(2), Assert.Single(longer.Blocks).Expires);
        Assert.Single(h.AuditOf(AuditActions.Extend));
        Assert.Single(h.CiliumPolicies);
    }

    [Fact]
    public async Task ExplicitBlock_FromAnAlert_BlocksItsOffender_WhateverTheAlertsMode()
    {
        await using var h = await EnforcementHarness.StartAsync();
        var service = await h.StartServiceAsync(h.Options());
        var alertOnly = Alert(External("203.0.113.7"), Pod("10.244.1.5", "shop", ("app", "cart")), mode: Mode.Alert, requestsBlock: false, id: "A-ALERT");

        var result = await service.BlockNowAsync(new ExplicitBlockRequest("admin-user", TimeSpan.FromHours(1), "from the alert view") { Alert = alertOnly },
            CancellationToken.None);

        Assert.Equal(ExplicitOutcome.Applied, result.Outcome);
        var policy = Assert.Single(h.CiliumPolicies);
        Assert.Equal("A-ALERT", Annotation(policy, BlockPolicyWriter.AlertIdAnnotation));
        Assert.Equal("203.0.113.7/32", (string?)policy["spec"]!["ingressDeny"]![0]!["fromCIDR"]![0]);
    }

    [Fact]
    public async Task ExplicitBlock_OfAnAllowlistedSource_IsRefused_NamingTheAllowlistEntry()
    {
        await using var h = await EnforcementHarness.StartAsync();
        var service = await h.StartServiceAsync(h.Options(o => o.Allowlist.Cidrs = ["198.51.100.0/24"]));

        var configured = await service.BlockNowAsync(BySource("198.51.100.77"), CancellationToken.None);
        Assert.Equal(ExplicitOutcome.Refused, configured.Outcome);
        Assert.Equal(BlockRefusal.AllowlistedPeer, configured.RefusalReason);
        Assert.Contains("198.51.100.0/24 (Enforcement:Allowlist:Cidrs)", configured.Detail, StringComparison.Ordinal);

        var dns = await service.BlockNowAsync(BySource("10.96.0.10"), CancellationToken.None);
        Assert.Contains("10.96.0.10/32 (Enforcement:Allowlist:ClusterDnsIps)", dns.Detail, StringComparison.Ordinal);

        var preview = service.PlanExplicit(BySource("10.0.4.4"));
        Assert.Null(preview.Plan);
        Assert.Contains("10.0.0.0/16 (Enforcement:Allowlist:NodeCidrs)", preview.Refusal!.Detail, StringComparison.Ordinal);

        var skipped = h.AuditOf(AuditActions.SkipAllowlisted);
        Assert.Equal(2, skipped.Count);
        Assert.All(skipped, e => Assert.Equal("admin-user", e.Actor));
        Assert.Equal(0, h.Api.Count("PATCH"));
    }

    [Fact]
    public async Task ExplicitBlock_TtlOverTheMaximum_OrNotPositive_IsInvalid()
    {
        await using var h = await EnforcementHarness.StartAsync();
        var service = await h.StartServiceAsync(h.Options(o => o.MaxTtl = TimeSpan.FromHours(4)));

        var tooLong = await service.BlockNowAsync(BySource("203.0.113.50", TimeSpan.FromHours(5)), CancellationToken.None);
        Assert.Equal(ExplicitOutcome.InvalidTtl, tooLong.Outcome);
        Assert.Contains("Enforcement:MaxTtl", tooLong.Detail, StringComparison.Ordinal);
        Assert.Equal(ExplicitOutcome.InvalidTtl, (await service.BlockNowAsync(BySource("203.0.113.50", TimeSpan.Zero), CancellationToken.None)).Outcome);
        Assert.Empty(h.CiliumPolicies);
    }

    [Fact]
    public async Task ExplicitBlocks_CountAgainstTheRateLimit()
    {
        await using var h = await EnforcementHarness.StartAsync();
        var service = await h.StartServiceAsync(h.Options(o => o.MaxNewBlocksPerMinute = 2));

        Assert.Equal(BlockSubmission.Queued, service.Submit(Attack("203.0.113.1", "A1")));
        await h.AuditCount(1);
        Assert.Equal(ExplicitOutcome.Applied, (await service.BlockNowAsync(BySource("203.0.113.2"), CancellationToken.None)).Outcome);
        var third = await service.BlockNowAsync(BySource("203.0.113.3"), CancellationToken.None);
        Assert.Equal(ExplicitOutcome.RateLimited, third.Outcome);
        Assert.Contains("MaxNewBlocksPerMinute", third.Detail, StringComparison.Ordinal);
        Assert.Equal(2, h.CiliumPolicies.Count);
    }

    [Fact]
    public async Task ExplicitBlock_Expires_LikeAnyOther()
    {
        await using var h = await EnforcementHarness.StartAsync();
        var service = await h.StartServiceAsync(h.Options());
        Assert.Equal(ExplicitOutcome.Applied, (await service.BlockNowAsync(BySource("203.0.113.50", TimeSpan.FromMinutes(20)), CancellationToken.None)).Outcome);
        Assert.Single(h.CiliumPolicies);

        h.FakeTime.Advance(TimeSpan.FromMinutes(21));
        await EnforcementHarness.Eventually(() => h.AuditOf(AuditActions.Expire).Count == 1, "the explicit block expires");
        Assert.Empty(h.CiliumPolicies);
        Assert.Empty(service.ActiveBlocks);
        Assert.Equal(1, h.Api.Count("DELETE"));
    }

    [Fact]
    public async Task Revoke_DeletesTheRuleFromEveryTargetNow_AndAuditsWhoDidIt()
    {
        await using var h = await EnforcementHarness.StartAsync();
        long revokedCount = 0;
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == "netsec_blocks_revoked")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref revokedCount, value));
        listener.Start();
        await using var second = await FakeKubernetesApi.StartAsync();
        FakeKubernetesApi.WriteKubeconfig(h.Kubeconfig, ("c1", h.Api.Url), ("c2", second.Url));
        var service = await h.StartServiceAsync(h.Options(o => o.Clusters.Add(new EnforcementClusterOptions
        {
            Name = "c2", KubeConfig = h.Kubeconfig, Context = "c2", Flavor = PolicyFlavor.Cilium,
        })));
        service.Submit(Attack());
        await h.AuditCount(2);
        Assert.Single(h.CiliumPolicies);
        Assert.Single(second.Objects("cilium.io", "v2", "ciliumnetworkpolicies"));
        string id = Assert.Single(service.ActiveBlocks.Select(b => b.Id).Distinct());

        var result = await service.RevokeAsync(id, "admin-user", "false positive", CancellationToken.None);

        Assert.Equal(ExplicitOutcome.Revoked, result.Outcome);
        Assert.Equal(2, result.Blocks.Count);
        Assert.Empty(h.CiliumPolicies);
        Assert.Empty(second.Objects("cilium.io", "v2", "ciliumnetworkpolicies"));
        Assert.Empty(service.ActiveBlocks);
        var revoked = h.AuditOf(AuditActions.Revoke);
        Assert.Equal(["c1", "c2"], revoked.Select(e => e.Cluster).Order(StringComparer.Ordinal));
        Assert.All(revoked, e => Assert.Equal("admin-user", e.Actor));
        Assert.All(revoked, e => Assert.Equal("revoked by admin-user: false positive", e.Reason));
        Assert.True(Interlocked.Read(ref revokedCount) >= 2, $"netsec_blocks_revoked counted {revokedCount}");

        // Gone: a second revoke, or one of an id never held, is not found.
        Assert.Equal(ExplicitOutcome.NotFound, (await service.RevokeAsync(id, "admin-user", null, CancellationToken.None)).Outcome);
        Assert.Equal(ExplicitOutcome.NotFound, (await service.RevokeAsync("0123456789abcdef", "admin-user", null, CancellationToken.None)).Outcome);
    }

    [Fact]
    public async Task Revoke_ThatTheApiRefuses_KeepsTheBlock_AndSaysSo()
    {
        await using var h = await EnforcementHarness.StartAsync();
        var service = await h.StartServiceAsync(h.Options());
        var applied = await service.BlockNowAsync(BySource("203.0.113.50"), CancellationToken.None);
        string id = Assert.Single(applied.Blocks).Id;

        h.Api.Faults.Enqueue(new KubernetesFault("DELETE", 403));
        var result = await service.RevokeAsync(id, "admin-user", null, CancellationToken.None);

        Assert.Equal(ExplicitOutcome.Failed, result.Outcome);
        Assert.Contains("c1", result.Detail, StringComparison.Ordinal);
        Assert.Single(service.ActiveBlocks);
        Assert.Single(h.CiliumPolicies);
        Assert.Equal(ExplicitOutcome.Revoked, (await service.RevokeAsync(id, "admin-user", null, CancellationToken.None)).Outcome);
        Assert.Empty(h.CiliumPolicies);
    }

    [Fact]
    public async Task NotRunning_ExplicitBlocksAndRevokes_SaySo()
    {
        await using var h = await EnforcementHarness.StartAsync();
        var service = EnforcementService.Create(h.Options(), h.Metrics, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance, h.Time);
        await using (service)
        {
            Assert.Equal(ExplicitOutcome.NotRunning, (await service.BlockNowAsync(BySource("203.0.113.50"), CancellationToken.None)).Outcome);
            Assert.Equal(ExplicitOutcome.NotRunning, (await service.RevokeAsync("0123456789abcdef", "admin-user", null, CancellationToken.None)).Outcome);
        }
    }
}
