using System.Text.RegularExpressions;
using CsCheck;
using NetSecStream.Policy.Suggest;
using YamlDotNet.RepresentationModel;

namespace NetSecStream.Policy.Tests.Suggest;

public sealed class CiliumPolicyWriterTests
{
    private static readonly HashSet<string> SpecKeys = ["endpointSelector", "enableDefaultDeny", "ingress", "egress"];
    private static readonly HashSet<string> IngressKeys = ["fromEndpoints", "fromEntities", "fromCIDR", "toPorts", "icmps"];
    private static readonly HashSet<string> EgressKeys = ["toEndpoints", "toEntities", "toCIDR", "toPorts", "icmps"];
    private static readonly HashSet<string> Entities = ["host", "remote-node", "kube-apiserver", "health", "init", "ingress", "unmanaged", "world", "cluster", "all"];

    [Fact]
    public void Output_IsCiliumNetworkPolicyV2_AndReadsBackAsTheSameRules()
    {
        var learner = new TrafficLearner(new SuggestOptions { AggregateCidrPrefix = 24 });
        foreach (var (flow, _) in SuggestTestFlows.Generated("demo", 10_000, 3))
        {
            learner.Observe(flow);
        }

        var set = learner.Suggest();
        var text = new StringWriter();
        foreach (var policy in set.Policies)
        {
            text.WriteLine("---");
            CiliumPolicyWriter.Write(text, policy, ["learned from a test run", "second line"]);
        }

        var stream = new YamlStream();
        stream.Load(new StringReader(text.ToString()));
        Assert.Equal(set.Policies.Count, stream.Documents.Count);
        Assert.True(set.Policies.Count >= 10);
        for (int i = 0; i < set.Policies.Count; i++)
        {
            var policy = set.Policies[i];
            var root = (YamlMappingNode)stream.Documents[i].RootNode;
            Assert.Equal("cilium.io/v2", Value(root, "apiVersion"));
            Assert.Equal("CiliumNetworkPolicy", Value(root, "kind"));
            var metadata = Map(root, "metadata");
            Assert.Matches(new Regex("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$"), Value(metadata, "name"));
            Assert.Equal(policy.Workload.Namespace, Value(metadata, "namespace"));
            var spec = Map(root, "spec");
            Assert.Subset(SpecKeys, spec.Children.Keys.Select(k => ((YamlScalarNode)k).Value!).ToHashSet());
            var selector = Labels(Map(Map(spec, "endpointSelector"), "matchLabels"));
            Assert.Equal(policy.Workload.Labels.OrderBy(p => p.Key), selector.OrderBy(p => p.Key));
            Assert.Equal("true", Value(Map(spec, "enableDefaultDeny"), "ingress"));
            Assert.Equal("true", Value(Map(spec, "enableDefaultDeny"), "egress"));
            Assert.Equal(Describe(policy.Ingress, policy.Workload.Namespace), ReadRules(spec, "ingress", "from", IngressKeys, policy.Workload.Namespace));
            Assert.Equal(Describe(policy.Egress, policy.Workload.Namespace), ReadRules(spec, "egress", "to", EgressKeys, policy.Workload.Namespace));
        }

        // Cross-namespace peers name their namespace; the header is a comment.
        Assert.Contains("\"k8s:io.kubernetes.pod.namespace\": \"kube-system\"", text.ToString(), StringComparison.Ordinal);
        Assert.StartsWith("---\n# learned from a test run\n# second line\napiVersion: cilium.io/v2", text.ToString().ReplaceLineEndings("\n"), StringComparison.Ordinal);
    }

    [Fact]
    public void Quote_RoundTripsAnyText_ThroughAYamlParser()
    {
        Gen.String[Gen.OneOf(Gen.Char['\0', '\u00ff'], Gen.Char['\u0100', '\ud7ff']), 0, 40].Sample(value =>
        {
            var stream = new YamlStream();
            stream.Load(new StringReader("key: " + CiliumPolicyWriter.Quote(value) + "\n"));
            Assert.Equal(value, Value((YamlMappingNode)stream.Documents[0].RootNode, "key"));
        });
        Assert.Equal("\"true\"", CiliumPolicyWriter.Quote("true"));
    }

    private static List<string> Describe(IReadOnlyList<SuggestedRule> rules, string ns) =>
        [.. rules.Select(r => string.Join(" ", r.Peers.Select(p => p.Kind switch
            {
                PeerKind.Endpoint => "ep:" + p.Endpoint!.Namespace + ":" + string.Join(",", p.Endpoint.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => l.Key + "=" + l.Value)),
                PeerKind.Entity => "entity:" + p.Entity,
                _ => "cidr:" + p.Cidr,
            }).Order(StringComparer.Ordinal)) + " | " + string.Join(",", r.Ports.Select(p => p.ToString())))];

    private static List<string> ReadRules(YamlMappingNode spec, string section, string prefix, HashSet<string> allowedKeys, string ns)
    {
        if (!spec.Children.TryGetValue(new YamlScalarNode(section), out var node))
        {
            return [];
        }

        var rules = new List<string>();
        foreach (YamlMappingNode rule in ((YamlSequenceNode)node).Children.Cast<YamlMappingNode>())
        {
            var keys = rule.Children.Keys.Select(k => ((YamlScalarNode)k).Value!).ToList();
            Assert.Subset(allowedKeys, keys.ToHashSet());
            // One kind of peer per rule.
            Assert.Single(keys, k => k == prefix + "Endpoints" || k == prefix + "Entities" || k == prefix + "CIDR");
            var peers = new List<string>();
            if (rule.Children.TryGetValue(new YamlScalarNode(prefix + "Endpoints"), out var endpoints))
            {
                foreach (YamlMappingNode selector in ((YamlSequenceNode)endpoints).Children.Cast<YamlMappingNode>())
                {
                    var labels = Labels(Map(selector, "matchLabels"));
                    string peerNs = labels.Remove(CiliumPolicyWriter.NamespaceLabel, out string? named) ? named! : ns;
                    peers.Add("ep:" + peerNs + ":" + string.Join(",", labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => l.Key + "=" + l.Value)));
                }
            }

            if (rule.Children.TryGetValue(new YamlScalarNode(prefix + "Entities"), out var entities))
            {
                foreach (var entity in ((YamlSequenceNode)entities).Children.Cast<YamlScalarNode>())
                {
                    Assert.Contains(entity.Value!, Entities);
                    peers.Add("entity:" + entity.Value);
                }
            }

            if (rule.Children.TryGetValue(new YamlScalarNode(prefix + "CIDR"), out var cidrs))
            {
                foreach (var cidr in ((YamlSequenceNode)cidrs).Children.Cast<YamlScalarNode>())
                {
                    Assert.True(System.Net.IPNetwork.TryParse(cidr.Value, out _), cidr.Value);
                    peers.Add("cidr:" + cidr.Value);
                }
            }

            var ports = new List<string>();
            if (rule.Children.TryGetValue(new YamlScalarNode("toPorts"), out var toPorts))
            {
                foreach (YamlMappingNode group in ((YamlSequenceNode)toPorts).Children.Cast<YamlMappingNode>())
                {
                    foreach (YamlMappingNode port in ((YamlSequenceNode)group.Children[new YamlScalarNode("ports")]).Children.Cast<YamlMappingNode>())
                    {
                        var portNode = (YamlScalarNode)port.Children[new YamlScalarNode("port")];
                        // A string, as the CRD's schema wants.
                        Assert.Equal(YamlDotNet.Core.ScalarStyle.DoubleQuoted, portNode.Style);
                        Assert.InRange(int.Parse(portNode.Value!, System.Globalization.CultureInfo.InvariantCulture), 0, 65535);
                        string protocol = Value(port, "protocol");
                        Assert.Contains(protocol, (string[])["TCP", "UDP", "SCTP"]);
                        ports.Add(new PortProtocol(protocol, int.Parse(portNode.Value!, System.Globalization.CultureInfo.InvariantCulture)).ToString());
                    }
                }
            }

            if (rule.Children.TryGetValue(new YamlScalarNode("icmps"), out var icmps))
            {
                foreach (YamlMappingNode group in ((YamlSequenceNode)icmps).Children.Cast<YamlMappingNode>())
                {
                    foreach (YamlMappingNode field in ((YamlSequenceNode)group.Children[new YamlScalarNode("fields")]).Children.Cast<YamlMappingNode>())
                    {
                        string family = Value(field, "family");
                        ports.Add(new PortProtocol(family == "IPv6" ? "ICMPv6" : "ICMP", int.Parse(Value(field, "type"), System.Globalization.CultureInfo.InvariantCulture)).ToString());
                    }
                }
            }

            rules.Add(string.Join(" ", peers.Order(StringComparer.Ordinal)) + " | " + string.Join(",", ports));
        }

        return rules;
    }

    private static YamlMappingNode Map(YamlMappingNode node, string key) => (YamlMappingNode)node.Children[new YamlScalarNode(key)];

    private static string Value(YamlMappingNode node, string key) => ((YamlScalarNode)node.Children[new YamlScalarNode(key)]).Value!;

    private static Dictionary<string, string> Labels(YamlMappingNode node) =>
        node.Children.ToDictionary(p => ((YamlScalarNode)p.Key).Value!, p => ((YamlScalarNode)p.Value).Value!, StringComparer.Ordinal);
}
