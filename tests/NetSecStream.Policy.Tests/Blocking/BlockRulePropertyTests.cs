using System.Net;
using System.Text.Json.Nodes;
using CsCheck;
using NetSecStream.Core;
using NetSecStream.Core.Events;
using NetSecStream.Policy.Blocking;

namespace NetSecStream.Policy.Tests.Blocking;

/// <summary>
/// Over random alerts (addresses in and out of allowlisted networks, kube-system and other namespaces, odd labels,
/// reserved entities, replies) and random allowlists, every rule as it would be applied (the JSON apply body read as
/// YAML, and the GitOps YAML) keeps the safety rails: the default-deny override is there, no allowlisted peer is
/// denied, no allowlisted namespace is selected, and no selector is empty.
/// </summary>
public sealed class BlockRulePropertyTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly string[] Namespaces = ["kube-system", "shop", "payments", "monitoring", "dev", "Bad_NS", "shop' || all() || '"];

    private static readonly Gen<IPAddress> Address = Gen.OneOf(
        Gen.Select(Gen.Byte, Gen.Byte, (a, b) => IPAddress.Parse($"10.0.{a}.{b}")), // node CIDR candidates
        Gen.Select(Gen.Byte, (a) => IPAddress.Parse($"10.96.0.{a % 16}")), // DNS and API server candidates
        Gen.Select(Gen.Byte, Gen.Byte, (a, b) => IPAddress.Parse($"192.168.{a}.{b}")),
        Gen.Select(Gen.Byte, (a) => IPAddress.Parse($"203.0.113.{a}")),
        Gen.Select(Gen.Byte, (a) => IPAddress.Parse($"198.51.100.{a}")),
        Gen.Select(Gen.Byte, (a) => IPAddress.Parse($"::ffff:203.0.113.{a}")),
        Gen.Select(Gen.UShort, (a) => IPAddress.Parse($"2001:db8::{a:x}")));

    private static readonly Gen<IPNetwork> Network = Gen.OneOf(
        Gen.Const(IPNetwork.Parse("10.0.0.0/16")),
        Gen.Const(IPNetwork.Parse("192.168.0.0/16")),
        Gen.Const(IPNetwork.Parse("203.0.113.0/25")),
        Gen.Const(IPNetwork.Parse("198.51.100.128/25")),
        Gen.Const(IPNetwork.Parse("2001:db8::/112")),
        Gen.Select(Gen.Byte, (a) => IPNetwork.Parse($"203.0.113.{a}/32")));

    private static readonly Gen<(string, string)> Label = Gen.Select(
        Gen.OneOf("app", "tier", "team", "pod-template-hash", "io.kubernetes.pod.namespace", "io.cilium.k8s.policy.cluster", "app.kubernetes.io/name", "bad key!", "k8s-app"),
        Gen.OneOf("web", "db", "cart", "", "true", "1.0", "a b", "x' || all()"));

    private static readonly Gen<FlowEndpoint> Endpoint = Gen.Select(
        Address,
        Gen.OneOf(Namespaces).Null(0.35),
        Label.Array[1, 4],
        Gen.OneOf("world", "host", "kube-apiserver", "remote-node", "health", "world-ipv4").Null(0.8),
        (ip, ns, labels, entity) => new FlowEndpoint
        {
            Ip = ip,
            Port = 443,
            Namespace = ns,
            Pod = ns is null ? null : "p-1",
            Labels = labels.DistinctBy(l => l.Item1).ToDictionary(l => l.Item1, l => l.Item2),
            ReservedEntity = entity,
        });

    private static readonly Gen<Alert> Alerts = Gen.Select(Endpoint, Endpoint, Gen.Bool.Nullable(0.5), Gen.OneOf(Mode.Block, Mode.Block, Mode.Alert),
        (source, destination, reply, mode) => BlockAlerts.Alert(source, destination, mode, reply));

    private static readonly Gen<BlockAllowlist> Allowlists = Gen.Select(
        Gen.OneOf(Namespaces.Where(n => KubernetesNames.IsDnsLabel(n)).ToArray()).Array[0, 3],
        Network.Array[0, 3],
        Address.Array[0, 2],
        Address.Array[0, 2],
        (namespaces, cidrs, dns, api) => new BlockAllowlist(namespaces, cidrs, dns, api));

    [Fact]
    public void NoGeneratedRule_SelectsAnAllowlistedPeerOrNamespace_OrLacksTheDefaultDenyOverride()
    {
        long planned = 0, checkedRules = 0;
        Gen.Select(Alerts, Allowlists).Sample((alert, allowlist) =>
        {
            var (plan, refusal) = new BlockPlanner(allowlist).Plan(alert);
            if (plan is null)
            {
                Assert.NotNull(refusal);
                return;
            }

            Interlocked.Increment(ref planned);
            var lifetime = new BlockLifetime(BlockAlerts.Start, BlockAlerts.Start.AddHours(1), 1);
            foreach (var flavor in new[] { PolicyFlavor.Cilium, PolicyFlavor.Calico })
            {
                var policy = BlockPolicyWriter.Write(plan, flavor, lifetime);

                // As applied (JSON is YAML, and the API server reads it as such) and as written for GitOps.
                var applied = PolicyYaml.ToJson(policy.Json)!;
                var gitOps = PolicyYaml.ToJson(policy.ToYaml())!;
                Assert.True(JsonNode.DeepEquals(applied, gitOps), "the GitOps YAML differs from the applied document");
                if (flavor == PolicyFlavor.Cilium)
                {
                    CheckCilium(applied, allowlist);
                }
                else
                {
                    CheckCalico(applied, allowlist);
                }

                Assert.Equal("netsec", (string?)applied["metadata"]!["labels"]!["app.kubernetes.io/managed-by"]);
                Assert.NotNull(applied["metadata"]!["annotations"]!["netsec.io/expires"]);
                Interlocked.Increment(ref checkedRules);
            }
        }, iter: 3000);

        // Not a vacuous pass: a fair share of the random alerts became rules.
        Assert.True(planned > 120, $"only {planned} of 3000 alerts were planned");
        Assert.Equal(planned * 2, checkedRules);
        output.WriteLine($"{planned} of 3000 random alerts became rules; {checkedRules} documents checked");
    }

    private static void CheckCilium(JsonNode doc, BlockAllowlist allowlist)
    {
        var spec = doc["spec"]!.AsObject();
        Assert.False((bool)spec["enableDefaultDeny"]!["ingress"]!);
        Assert.False((bool)spec["enableDefaultDeny"]!["egress"]!);

        // Deny rules only: an allow section would switch the workload to default deny.
        Assert.All(spec.Select(p => p.Key), key => Assert.Contains(key, new[] { "endpointSelector", "enableDefaultDeny", "ingressDeny", "egressDeny" }));
        string ns = (string)doc["metadata"]!["namespace"]!;
        Assert.True(KubernetesNames.IsDnsLabel(ns));
        Assert.False(allowlist.IsNamespaceAllowlisted(ns), $"targets allowlisted namespace {ns}");
        Assert.NotEmpty(spec["endpointSelector"]!["matchLabels"]!.AsObject());
        var rules = (spec["ingressDeny"] ?? spec["egressDeny"])!.AsArray();
        Assert.NotEmpty(rules);
        foreach (var rule in rules)
        {
            foreach (var (key, value) in rule!.AsObject())
            {
                foreach (var peer in value!.AsArray())
                {
                    if (key is "fromCIDR" or "toCIDR")
                    {
                        var network = IPNetwork.Parse((string)peer!);
                        Assert.False(allowlist.Overlaps(network), $"denies {network}, which overlaps the allowlist");
                    }
                    else
                    {
                        var labels = peer!["matchLabels"]!.AsObject();
                        string peerNs = (string)labels[BlockPolicyWriter.CiliumNamespaceLabel]!;
                        Assert.False(allowlist.IsNamespaceAllowlisted(peerNs), $"denies allowlisted namespace {peerNs}");
                        Assert.True(labels.Count > 1, "peer selected by namespace alone");
                    }
                }
            }
        }
    }

    private static void CheckCalico(JsonNode doc, BlockAllowlist allowlist)
    {
        var spec = doc["spec"]!;
        string selector = (string)spec["selector"]!;
        var match = System.Text.RegularExpressions.Regex.Match(selector, "^projectcalico.org/namespace == '([a-z0-9-]+)' && [^ ]+ == '[^']*'",
            System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromSeconds(1));
        Assert.True(match.Success, $"selector '{selector}' does not name a namespace and a label");
        Assert.False(allowlist.IsNamespaceAllowlisted(match.Groups[1].Value));
        var types = spec["types"]!.AsArray().Select(t => (string)t!).ToList();
        Assert.Single(types);
        var rules = spec[types[0].ToLowerInvariant()]!.AsArray();

        // The override of the end-of-tier deny: everything not denied passes on.
        Assert.Equal("Pass", (string?)rules[^1]!["action"]);
        Assert.Null(rules[^1]!["source"]);
        Assert.Null(rules[^1]!["destination"]);
        foreach (var rule in rules.Take(rules.Count - 1))
        {
            Assert.Equal("Deny", (string?)rule!["action"]);
            var peer = rule["source"] ?? rule["destination"]!;
            foreach (var net in peer["nets"]?.AsArray() ?? [])
            {
                Assert.False(allowlist.Overlaps(IPNetwork.Parse((string)net!)));
            }

            if (peer["namespaceSelector"] is { } namespaceSelector)
            {
                string peerNs = ((string)namespaceSelector!).Split('\'')[1];
                Assert.False(allowlist.IsNamespaceAllowlisted(peerNs));
                Assert.False(string.IsNullOrEmpty((string?)peer["selector"]));
            }
        }
    }
}
