using System.Net;
using System.Text.Json.Nodes;
using NetSecStream.Core;
using NetSecStream.Policy.Blocking;
using static NetSecStream.Policy.Tests.Blocking.BlockAlerts;

namespace NetSecStream.Policy.Tests.Blocking;

public sealed class BlockPlannerTests
{
    private static readonly BlockAllowlist Allowlist = new(
        namespaces: ["monitoring"],
        cidrs: [IPNetwork.Parse("192.168.0.0/16")],
        clusterDnsIps: [IPAddress.Parse("10.96.0.10")],
        apiServerIps: [IPAddress.Parse("10.96.0.1")],
        nodeCidrs: [IPNetwork.Parse("10.0.0.0/16")]);

    private static readonly BlockPlanner Planner = new(Allowlist);

    private static readonly BlockLifetime Lifetime = new(Start, Start.AddHours(1), 1);

    [Fact]
    public void ExternalAttacker_IsDeniedIngressByAddress_OnTheTargetedWorkload()
    {
        var (plan, refusal) = Planner.Plan(Attack());

        Assert.Null(refusal);
        Assert.Equal(BlockDirection.Ingress, plan!.Direction);
        Assert.Equal("shop", plan.Target.Namespace);
        // The per-revision label is left out, or the selector would miss the next rollout's pods.
        Assert.Equal(new Dictionary<string, string> { ["app"] = "cart" }, plan.Target.Labels);
        Assert.Equal("203.0.113.7/32", plan.Peer.Network!.Value.ToString());
        Assert.Equal("cidr:203.0.113.7/32", plan.Peer.Key);
    }

    [Fact]
    public void PodCallingOut_IsDeniedEgressToTheAddress()
    {
        var (plan, _) = Planner.Plan(Alert(Pod("10.244.2.9", "payments", ("app", "billing")), External("198.51.100.20")));

        Assert.Equal(BlockDirection.Egress, plan!.Direction);
        Assert.Equal("payments", plan.Target.Namespace);
        Assert.Equal("198.51.100.20/32", plan.Peer.Network!.Value.ToString());
    }

    [Fact]
    public void LateralMovement_IsDeniedIngressFromTheInitiatorsWorkload()
    {
        var (plan, _) = Planner.Plan(Alert(Pod("10.244.3.3", "dev", ("app", "shell")), Pod("10.244.1.5", "shop", ("app", "db"))));

        Assert.Equal(BlockDirection.Ingress, plan!.Direction);
        Assert.Equal("shop", plan.Target.Namespace);
        Assert.Null(plan.Peer.Network);
        Assert.Equal("dev", plan.Peer.Namespace);
        Assert.Equal("shell", plan.Peer.Labels!["app"]);
    }

    [Fact]
    public void ReplyEvent_TheInitiatorIsTheDestination()
    {
        // The dataplane reports the server's answer: the attacker is the destination of this event.
        var alert = Alert(Pod("10.244.1.5", "shop", ("app", "cart")), External("203.0.113.7"), isReply: true);

        var (plan, _) = Planner.Plan(alert);

        Assert.Equal(BlockDirection.Ingress, plan!.Direction);
        Assert.Equal("203.0.113.7/32", plan.Peer.Network!.Value.ToString());
    }

    [Theory]
    [InlineData("10.0.4.4", BlockRefusal.AllowlistedPeer)] // node CIDR
    [InlineData("10.96.0.10", BlockRefusal.AllowlistedPeer)] // cluster DNS
    [InlineData("10.96.0.1", BlockRefusal.AllowlistedPeer)] // API server
    [InlineData("192.168.7.7", BlockRefusal.AllowlistedPeer)] // configured CIDR
    [InlineData("::ffff:192.168.7.7", BlockRefusal.AllowlistedPeer)] // the same, IPv4-mapped
    public void AllowlistedAddresses_AreNeverTheOffender(string attacker, string reason)
    {
        var (plan, refusal) = Planner.Plan(Attack(attacker));

        Assert.Null(plan);
        Assert.Equal(reason, refusal!.Reason);
    }

    [Fact]
    public void AllowlistedNamespaces_AreNeverTargetNorPeer()
    {
        Assert.Equal(BlockRefusal.AllowlistedTarget, Planner.Plan(Alert(External("203.0.113.7"), Pod("10.244.0.2", "kube-system", ("k8s-app", "kube-dns")))).Refusal!.Reason);
        Assert.Equal(BlockRefusal.AllowlistedTarget, Planner.Plan(Alert(External("203.0.113.7"), Pod("10.244.0.2", "monitoring", ("app", "prom")))).Refusal!.Reason);
        Assert.Equal(BlockRefusal.AllowlistedPeer, Planner.Plan(Alert(Pod("10.244.0.3", "monitoring", ("app", "prom")), Pod("10.244.1.5", "shop", ("app", "cart")))).Refusal!.Reason);
    }

    [Theory]
    [InlineData("host")]
    [InlineData("kube-apiserver")]
    [InlineData("remote-node")]
    public void ReservedInfrastructureEntities_AreNeverTheOffender(string entity)
    {
        var alert = Alert(External("172.18.0.3", entity), Pod("10.244.1.5", "shop", ("app", "cart")));

        Assert.Equal(BlockRefusal.AllowlistedPeer, Planner.Plan(alert).Refusal!.Reason);
    }

    [Fact]
    public void WorkloadWithoutStableLabels_IsNotSelected_ByAnEmptySelector()
    {
        var alert = Alert(External("203.0.113.7"), Pod("10.244.1.5", "shop", ("pod-template-hash", "7d9f"), ("io.cilium.k8s.policy.cluster", "c1")));

        Assert.Equal(BlockRefusal.TargetUnidentified, Planner.Plan(alert).Refusal!.Reason);
    }

    [Fact]
    public void PodPeerWithoutLabels_IsNotBlockedByItsReusableAddress()
    {
        var alert = Alert(Pod("10.244.3.3", "dev"), Pod("10.244.1.5", "shop", ("app", "db")));

        Assert.Equal(BlockRefusal.PeerUnidentified, Planner.Plan(alert).Refusal!.Reason);
    }

    [Theory]
    [InlineData("shop' || all() || '")]
    [InlineData("Shop")]
    [InlineData("")]
    public void NamespacesThatAreNotNames_AreRefused_NotWrittenIntoSelectors(string ns)
    {
        var alert = Alert(External("203.0.113.7"), Pod("10.244.1.5", ns, ("app", "cart")));

        var refusal = Planner.Plan(alert).Refusal!;

        Assert.Contains(refusal.Reason, new[] { BlockRefusal.TargetUnidentified, BlockRefusal.NoWorkload });
    }

    [Fact]
    public void LabelsThatAreNotLabels_AreLeftOut()
    {
        var alert = Alert(External("203.0.113.7"), Pod("10.244.1.5", "shop", ("app", "cart"), ("tier", "a' || all()"), ("bad key", "x")));

        var (plan, _) = Planner.Plan(alert);

        Assert.Equal(["app"], plan!.Target.Labels.Keys);
    }

    [Fact]
    public void NonBlockModes_AndAlertOnlyRules_AreNotPlanned()
    {
        Assert.Equal(BlockRefusal.NotBlockMode, Planner.Plan(Alert(External("203.0.113.7"), Pod("10.244.1.5", "shop", ("app", "cart")), mode: Mode.Alert)).Refusal!.Reason);
        Assert.Equal(BlockRefusal.NotBlockMode, Planner.Plan(Alert(External("203.0.113.7"), Pod("10.244.1.5", "shop", ("app", "cart")), requestsBlock: false)).Refusal!.Reason);
    }

    [Fact]
    public void TwoOutsiders_AreNoWorkloadToProtect()
    {
        Assert.Equal(BlockRefusal.NoWorkload, Planner.Plan(Alert(External("203.0.113.7"), External("198.51.100.1"))).Refusal!.Reason);
    }

    [Fact]
    public void Names_AreDeterministicInTargetAndPeer_NotInTheAlert()
    {
        var first = Planner.Plan(Attack(id: "A1")).Plan!;
        var again = Planner.Plan(Attack(id: "A2")).Plan!;
        var other = Planner.Plan(Attack("203.0.113.8")).Plan!;

        Assert.Equal(BlockPolicyWriter.NameOf(first, PolicyFlavor.Cilium), BlockPolicyWriter.NameOf(again, PolicyFlavor.Cilium));
        Assert.NotEqual(BlockPolicyWriter.NameOf(first, PolicyFlavor.Cilium), BlockPolicyWriter.NameOf(other, PolicyFlavor.Cilium));
        Assert.Matches("^netsec-block-[0-9a-f]{16}$", BlockPolicyWriter.NameOf(first, PolicyFlavor.Cilium));
        Assert.Matches("^netsec\\.block-[0-9a-f]{16}$", BlockPolicyWriter.NameOf(first, PolicyFlavor.Calico));
    }

    [Fact]
    public void CiliumPolicy_DeniesIngressFromCidr_WithoutDefaultDeny_AndCarriesItsMetadata()
    {
        var plan = Planner.Plan(Attack()).Plan!;

        var policy = BlockPolicyWriter.Write(plan, PolicyFlavor.Cilium, Lifetime);
        var doc = JsonNode.Parse(policy.Json)!;

        Assert.Equal("cilium.io/v2", (string?)doc["apiVersion"]);
        Assert.Equal("CiliumNetworkPolicy", (string?)doc["kind"]);
        Assert.Equal("shop", (string?)doc["metadata"]!["namespace"]);
        Assert.Equal("netsec", (string?)doc["metadata"]!["labels"]!["app.kubernetes.io/managed-by"]);
        Assert.Equal("01JALERT0001", (string?)doc["metadata"]!["labels"]!["netsec.io/alert-id"]);
        var annotations = doc["metadata"]!["annotations"]!;
        Assert.Equal("2026-11-27T11:00:00.0000000Z", (string?)annotations["netsec.io/expires"]);
        Assert.Equal("2026-11-27T10:00:00.0000000Z", (string?)annotations["netsec.io/created"]);
        Assert.Equal("1", (string?)annotations["netsec.io/repeat-count"]);
        Assert.StartsWith("intel intel:feodo", (string?)annotations["netsec.io/reason"], StringComparison.Ordinal);
        Assert.False((bool)doc["spec"]!["enableDefaultDeny"]!["ingress"]!);
        Assert.False((bool)doc["spec"]!["enableDefaultDeny"]!["egress"]!);
        Assert.Equal("cart", (string?)doc["spec"]!["endpointSelector"]!["matchLabels"]!["app"]);
        Assert.Equal("203.0.113.7/32", (string?)doc["spec"]!["ingressDeny"]![0]!["fromCIDR"]![0]);
        Assert.Null(doc["spec"]!["egressDeny"]);
        Assert.Null(doc["spec"]!["ingress"]);
    }

    [Fact]
    public void CiliumPeerSelector_NamesThePeersNamespace()
    {
        var plan = Planner.Plan(Alert(Pod("10.244.3.3", "dev", ("app", "shell")), Pod("10.244.1.5", "shop", ("app", "db")))).Plan!;

        var doc = JsonNode.Parse(BlockPolicyWriter.Write(plan, PolicyFlavor.Cilium, Lifetime).Json)!;
        var peer = doc["spec"]!["ingressDeny"]![0]!["fromEndpoints"]![0]!["matchLabels"]!;

        Assert.Equal("dev", (string?)peer["k8s:io.kubernetes.pod.namespace"]);
        Assert.Equal("shell", (string?)peer["app"]);
    }

    [Fact]
    public void CalicoPolicy_DeniesThenPasses_InItsOwnTier()
    {
        var plan = Planner.Plan(Alert(Pod("10.244.2.9", "payments", ("app", "billing")), External("198.51.100.20"))).Plan!;

        var policy = BlockPolicyWriter.Write(plan, PolicyFlavor.Calico, Lifetime);
        var doc = JsonNode.Parse(policy.Json)!;

        Assert.Null(policy.Namespace);
        Assert.Equal("GlobalNetworkPolicy", (string?)doc["kind"]);
        Assert.Equal("netsec", (string?)doc["spec"]!["tier"]);
        Assert.Equal("projectcalico.org/namespace == 'payments' && app == 'billing'", (string?)doc["spec"]!["selector"]);
        Assert.Equal("Egress", (string?)doc["spec"]!["types"]![0]);
        var rules = doc["spec"]!["egress"]!.AsArray();
        Assert.Equal("Deny", (string?)rules[0]!["action"]);
        Assert.Equal("198.51.100.20/32", (string?)rules[0]!["destination"]!["nets"]![0]);
        Assert.Equal("Pass", (string?)rules[1]!["action"]);
        Assert.Null(rules[1]!["destination"]);
    }

    [Fact]
    public void Yaml_SaysWhatTheJsonSays()
    {
        var plan = Planner.Plan(Attack()).Plan!;
        var policy = BlockPolicyWriter.Write(plan, PolicyFlavor.Cilium, Lifetime);

        string yaml = policy.ToYaml();

        Assert.Contains("enableDefaultDeny:", yaml, StringComparison.Ordinal);
        Assert.DoesNotContain("...", yaml, StringComparison.Ordinal);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(policy.Json), PolicyYaml.ToJson(yaml)));
    }

    [Fact]
    public void AlertIdLabel_IsAValidLabelValue_TheAnnotationKeepsItWhole()
    {
        Assert.Equal("a-b-c", BlockPolicyWriter.LabelValue("a/b c"));
        Assert.Equal(63, BlockPolicyWriter.LabelValue(new string('x', 100)).Length);
        Assert.Equal("unknown", BlockPolicyWriter.LabelValue("///"));
    }
}
