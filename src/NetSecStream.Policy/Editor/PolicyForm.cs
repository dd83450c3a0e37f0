using System.Text.Json.Serialization;
using NetSecStream.Policy.Evaluation;
using NetSecStream.Policy.Model;

namespace NetSecStream.Policy.Editor;

/// <summary>A peer as the editor's form shows it: pods by labels (in a namespace, <c>*</c> for any) or a CIDR.</summary>
public sealed record FormPeer(
    [property: JsonPropertyName("labels")] IReadOnlyDictionary<string, string>? Labels,
    [property: JsonPropertyName("namespace")] string? Namespace,
    [property: JsonPropertyName("cidr")] string? Cidr);

/// <summary>A port of a rule; a null port is every port of the protocol.</summary>
public sealed record FormPort([property: JsonPropertyName("port")] int? Port, [property: JsonPropertyName("protocol")] string Protocol);

/// <summary>One allow rule; no peers means any peer, no ports means every port.</summary>
public sealed record FormRule([property: JsonPropertyName("peers")] IReadOnlyList<FormPeer> Peers, [property: JsonPropertyName("ports")] IReadOnlyList<FormPort> Ports);

/// <summary>
/// The subset of a policy the editor's form can show and write back without loss: kind, name, namespace, a
/// <c>key=value</c> endpoint selector, and allow rules whose peers are pods by labels (optionally in a named
/// namespace) or plain CIDRs, on numbered ports. The page writes the YAML from it; the server reads it from the
/// parsed policy, so the two views stay in sync through the one parser.
/// </summary>
public sealed record PolicyForm(
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("namespace")] string? Namespace,
    [property: JsonPropertyName("selector")] IReadOnlyDictionary<string, string> Selector,
    [property: JsonPropertyName("ingress_isolated")] bool IngressIsolated,
    [property: JsonPropertyName("egress_isolated")] bool EgressIsolated,
    [property: JsonPropertyName("ingress")] IReadOnlyList<FormRule> Ingress,
    [property: JsonPropertyName("egress")] IReadOnlyList<FormRule> Egress)
{
    /// <summary>The form of one parsed policy, or the reason the form cannot show it (edit it as YAML then).</summary>
    public static (PolicyForm? Form, string? Reason) From(IReadOnlyList<PolicyDefinition> definitions)
    {
        ArgumentNullException.ThrowIfNull(definitions);
        if (definitions.Count != 1)
        {
            return (null, definitions.Count == 0 ? "no policy" : "several policies or specs in one document");
        }

        var policy = definitions[0];
        if (policy.Kind == PolicyKind.CiliumClusterwideNetworkPolicy)
        {
            return (null, "cluster-wide policies are edited as YAML");
        }

        if (policy.IngressDeny.Count > 0 || policy.EgressDeny.Count > 0)
        {
            return (null, "deny rules are edited as YAML");
        }

        var selector = PolicyInsight.EqualityOnly(policy.Subject);
        if (selector is null)
        {
            return (null, "the endpoint selector uses expressions");
        }

        selector.Remove(EndpointIdentity.NamespaceLabel);
        bool cilium = policy.Kind == PolicyKind.CiliumNetworkPolicy;
        if (cilium && (policy.IsolatesIngress != policy.Ingress.Count > 0 || policy.IsolatesEgress != policy.Egress.Count > 0))
        {
            return (null, "enableDefaultDeny is edited as YAML");
        }

        var ingress = new List<FormRule>();
        var egress = new List<FormRule>();
        foreach (var (rules, into) in (ValueTuple<IReadOnlyList<PolicyRule>, List<FormRule>>[])[(policy.Ingress, ingress), (policy.Egress, egress)])
        {
            foreach (var rule in rules)
            {
                var (form, reason) = Rule(rule, policy, cilium);
                if (form is null)
                {
                    return (null, $"the rule at line {rule.Location.Line}: {reason}");
                }

                into.Add(form);
            }
        }

        return (new PolicyForm(policy.Kind.ToString(), policy.Name, policy.Namespace, selector, policy.IsolatesIngress, policy.IsolatesEgress, ingress, egress), null);
    }

    private static (FormRule? Rule, string? Reason) Rule(PolicyRule rule, PolicyDefinition policy, bool cilium)
    {
        if (rule.UnevaluatedPeers is not null)
        {
            return (null, rule.UnevaluatedPeers + " peers");
        }

        var peers = new List<FormPeer>();
        if (!rule.AnyPeer)
        {
            foreach (var peer in rule.Peers)
            {
                switch (peer)
                {
                    case CidrPeer { Except.Count: 0 } cidr:
                        peers.Add(new FormPeer(null, null, cidr.Network.ToString()));
                        break;
                    case SelectorPeer selector when !selector.SelectsReserved && PolicyInsight.EqualityOnly(selector.Pods) is { } labels:
                        string? ns = selector.Namespace;
                        if (labels.Remove(EndpointIdentity.NamespaceLabel, out var named))
                        {
                            ns = named;
                        }
                        else if (selector.NamespaceSelector is { } nsSelector)
                        {
                            var nsLabels = PolicyInsight.EqualityOnly(nsSelector);
                            if (nsLabels is null || nsLabels.Count > 1 || (nsLabels.Count == 1 && !nsLabels.ContainsKey(EndpointIdentity.NamespaceNameLabel)))
                            {
                                return (null, "a namespace selector other than a namespace name");
                            }

                            ns = nsLabels.Count == 0 ? "*" : nsLabels[EndpointIdentity.NamespaceNameLabel];
                        }
                        else if (ns is null)
                        {
                            return (null, "a peer in any namespace");
                        }

                        peers.Add(new FormPeer(labels, ns == policy.Namespace ? null : ns, null));
                        break;
                    default:
                        return (null, $"the peer {peer} (line {peer.Location.Line})");
                }
            }

            if (peers.Count == 0)
            {
                return (null, "a rule without peers");
            }
        }

        var ports = new List<FormPort>();
        foreach (var port in rule.Ports)
        {
            if (port.Icmp || port.NamedPort is not null || port.L7 is not null || (port.EndPort > port.Port) || (port.Protocol == PortProtocol.Any && !cilium))
            {
                return (null, $"the port {port}");
            }

            ports.Add(new FormPort(port.Port == 0 ? null : port.Port, port.Protocol.ToString().ToUpperInvariant()));
        }

        return (new FormRule(peers, ports), null);
    }
}
