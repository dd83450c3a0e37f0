using System.Globalization;
using System.Net;
using NetSecStream.Core.Events;
using NetSecStream.Core.Selectors;
using NetSecStream.Policy.Evaluation;
using NetSecStream.Policy.Model;

namespace NetSecStream.Policy.Editor;

/// <summary>A workload seen in traffic: its namespace, its name and the labels its pods carry.</summary>
public sealed record WorkloadRef(string Namespace, string Name, IReadOnlyDictionary<string, string> Labels);

/// <summary>A policy in words, for the editor: what it selects and each rule as a sentence.</summary>
public sealed record PolicySummary(string Kind, string Name, string? Namespace, string EndpointSelector, IReadOnlyList<string> Rules);

/// <summary>A workload that one of a policy's rules admits (or denies, for deny rules) as a peer.</summary>
public sealed record AdmittedPeer(string Direction, string Namespace, string Workload, int Line, bool Deny);

/// <summary>Which known workloads a policy selects and which its rules name as peers; CIDRs and entities are listed as written.</summary>
public sealed record PolicySelection(IReadOnlyList<WorkloadRef> Selected, IReadOnlyList<AdmittedPeer> Peers, IReadOnlyList<string> OtherPeers);

/// <summary>
/// Explains parsed policies for the editor without any traffic: a summary in words, and which workloads (as seen in
/// recent flows) a policy selects and admits. Peer matching reuses the evaluator's own rule matcher, so the picture
/// and the backtest cannot disagree about who a selector names.
/// </summary>
public static class PolicyInsight
{
    private static readonly IPAddress AnyPodAddress = IPAddress.Parse("10.0.0.1");

    public static PolicySummary Summarise(PolicyDefinition policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var rules = new List<string>();
        foreach (var direction in (PolicyDirection[])[PolicyDirection.Ingress, PolicyDirection.Egress])
        {
            string dir = direction == PolicyDirection.Ingress ? "ingress" : "egress";
            string fromTo = direction == PolicyDirection.Ingress ? "from" : "to";
            foreach (var rule in policy.DenyRules(direction))
            {
                rules.Add($"{dir} (line {rule.Location.Line}): deny {fromTo} {Peers(rule, policy)}{Ports(rule)}");
            }

            foreach (var rule in policy.AllowRules(direction))
            {
                rules.Add($"{dir} (line {rule.Location.Line}): allow {fromTo} {Peers(rule, policy)}{Ports(rule)}");
            }

            if (policy.Isolates(direction) && policy.AllowRules(direction).Count == 0)
            {
                rules.Add($"{dir}: default deny, nothing allowed");
            }
            else if (policy.Isolates(direction))
            {
                rules.Add($"{dir}: everything else denied (default deny)");
            }
        }

        string scope = policy.Namespace is null ? "in every namespace" : "in namespace " + policy.Namespace;
        string selector = policy.Subject.IsEmpty ? $"every pod {scope}" : $"pods {policy.Subject} {scope}";
        return new PolicySummary(policy.Kind.ToString(), policy.Name, policy.Namespace, selector, rules);
    }

    private static string Peers(PolicyRule rule, PolicyDefinition policy)
    {
        if (rule.AnyPeer)
        {
            return "anyone";
        }

        var parts = rule.Peers.Select(p => p switch
        {
            SelectorPeer s => DescribeSelector(s, policy),
            CidrPeer c => "CIDR " + c,
            EntityPeer e => "entity " + e.Entity,
            _ => p.ToString() ?? "",
        }).ToList();
        if (rule.UnevaluatedPeers is not null)
        {
            parts.Add(rule.UnevaluatedPeers + " (not evaluated)");
        }

        return parts.Count == 0 ? "nobody" : string.Join(" or ", parts);
    }

    private static string DescribeSelector(SelectorPeer peer, PolicyDefinition policy)
    {
        string pods = peer.Pods.IsEmpty ? "every pod" : "pods " + peer.Pods;
        if (peer.Namespace is not null)
        {
            return peer.Namespace == policy.Namespace ? $"{pods} in the same namespace" : $"{pods} in namespace {peer.Namespace}";
        }

        if (peer.NamespaceSelector is not null)
        {
            return peer.NamespaceSelector.IsEmpty ? $"{pods} in every namespace" : $"{pods} in namespaces {peer.NamespaceSelector}";
        }

        return $"{pods} in any namespace";
    }

    private static string Ports(PolicyRule rule) =>
        rule.Ports.Count == 0 ? "" : " on " + string.Join(", ", rule.Ports.Select(p => p.ToString()));

    /// <summary>The workloads <paramref name="policies"/> select and the ones their rules name as peers.</summary>
    public static PolicySelection Select(IReadOnlyList<PolicyDefinition> policies, IReadOnlyList<WorkloadRef> workloads)
    {
        ArgumentNullException.ThrowIfNull(policies);
        ArgumentNullException.ThrowIfNull(workloads);
        var identities = new EndpointIdentity[workloads.Count];
        for (int i = 0; i < workloads.Count; i++)
        {
            identities[i] = EndpointIdentity.Create(i + 1, new FlowEndpoint { Ip = AnyPodAddress, Namespace = workloads[i].Namespace, Labels = workloads[i].Labels });
        }

        var selected = new List<WorkloadRef>();
        var peers = new List<AdmittedPeer>();
        var others = new SortedSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < workloads.Count; i++)
        {
            if (policies.Any(p => Selects(p, identities[i])))
            {
                selected.Add(workloads[i]);
            }
        }

        foreach (var policy in policies)
        {
            foreach (var direction in (PolicyDirection[])[PolicyDirection.Ingress, PolicyDirection.Egress])
            {
                string dir = direction == PolicyDirection.Ingress ? "ingress" : "egress";
                foreach (var (rules, deny) in (ValueTuple<IReadOnlyList<PolicyRule>, bool>[])[(policy.AllowRules(direction), false), (policy.DenyRules(direction), true)])
                {
                    foreach (var rule in rules)
                    {
                        for (int i = 0; i < workloads.Count; i++)
                        {
                            if (rule.AnyPeer || rule.Peers.Any(p => RuleMatcher.PeerMatches(p, identities[i], UInt128.Zero, v4: true)))
                            {
                                peers.Add(new AdmittedPeer(dir, workloads[i].Namespace, workloads[i].Name, rule.Location.Line, deny));
                            }
                        }

                        foreach (var peer in rule.Peers)
                        {
                            if (peer is CidrPeer or EntityPeer)
                            {
                                others.Add(string.Create(CultureInfo.InvariantCulture, $"{dir} {(deny ? "deny" : "allow")} {peer}"));
                            }
                        }
                    }
                }
            }
        }

        return new PolicySelection(selected, [.. peers.Distinct()], [.. others]);
    }

    private static bool Selects(PolicyDefinition policy, EndpointIdentity identity) =>
        (policy.Namespace is null || string.Equals(policy.Namespace, identity.Namespace, StringComparison.Ordinal)) && policy.Subject.Matches(identity.Labels);

    /// <summary>The labels a selector requires with one exact value each, or null when it needs more than <c>key=value</c> pairs.</summary>
    internal static Dictionary<string, string>? EqualityOnly(LabelSelector selector)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var requirement in selector.Requirements)
        {
            if (requirement.Operator != SelectorOperator.In || requirement.Values.Count != 1 || !labels.TryAdd(requirement.Key, requirement.Values[0]))
            {
                return null;
            }
        }

        return labels;
    }
}
