using NetSecStream.Core.Selectors;

namespace NetSecStream.Policy.Model;

/// <summary>The resource kinds the policy model reads.</summary>
public enum PolicyKind
{
    NetworkPolicy,
    CiliumNetworkPolicy,
    CiliumClusterwideNetworkPolicy,
}

/// <summary>A traffic direction as seen from the endpoint a policy selects.</summary>
public enum PolicyDirection
{
    Ingress,
    Egress,
}

/// <summary>Where a policy or one of its parts was declared, for diagnostics and reports.</summary>
public readonly record struct SourceLocation(string File, int Line)
{
    public override string ToString() => $"{File}:{Line}";
}

/// <summary>
/// One declared policy in a form both Kubernetes NetworkPolicy and Cilium policies map onto: who it selects, whether
/// it makes them default-deny per direction, and its allow and deny rules. Kind-specific meaning (e.g. what an empty
/// rule selects) is resolved by the parser, so the evaluator reads every kind alike.
/// </summary>
public sealed class PolicyDefinition
{
    public required PolicyKind Kind { get; init; }

    public required string Name { get; init; }

    /// <summary>The policy's namespace; null for cluster-wide policies.</summary>
    public string? Namespace { get; init; }

    /// <summary>The endpoints the policy applies to (pods of <see cref="Namespace"/>, or of every namespace when cluster-wide).</summary>
    public required LabelSelector Subject { get; init; }

    /// <summary>Whether the selected endpoints become default-deny for ingress (policyTypes, or Cilium's rules plus enableDefaultDeny).</summary>
    public bool IsolatesIngress { get; init; }

    public bool IsolatesEgress { get; init; }

    public IReadOnlyList<PolicyRule> Ingress { get; init; } = [];

    public IReadOnlyList<PolicyRule> Egress { get; init; } = [];

    /// <summary>Cilium <c>ingressDeny</c>: a match denies whatever any allow rule says.</summary>
    public IReadOnlyList<PolicyRule> IngressDeny { get; init; } = [];

    public IReadOnlyList<PolicyRule> EgressDeny { get; init; } = [];

    public SourceLocation Location { get; init; }

    /// <summary><c>namespace/name</c>, or the bare name for a cluster-wide policy: how reports and alerts name it.</summary>
    public string FullName => Namespace is null ? Name : Namespace + "/" + Name;

    public bool Isolates(PolicyDirection direction) => direction == PolicyDirection.Ingress ? IsolatesIngress : IsolatesEgress;

    public IReadOnlyList<PolicyRule> AllowRules(PolicyDirection direction) => direction == PolicyDirection.Ingress ? Ingress : Egress;

    public IReadOnlyList<PolicyRule> DenyRules(PolicyDirection direction) => direction == PolicyDirection.Ingress ? IngressDeny : EgressDeny;

    /// <summary>Whether the policy has anything to say about a direction at all.</summary>
    public bool Concerns(PolicyDirection direction) =>
        Isolates(direction) || AllowRules(direction).Count > 0 || DenyRules(direction).Count > 0;

    public bool HasCidrPeers =>
        Ingress.Concat(Egress).Concat(IngressDeny).Concat(EgressDeny).Any(r => r.Peers.Any(p => p is CidrPeer));

    public override string ToString() => $"{Kind} {FullName}";
}

/// <summary>
/// One rule: the peers it names (any of them) and the ports it names (any of them). A rule matches a flow when the
/// peer and the port both match.
/// </summary>
public sealed class PolicyRule
{
    /// <summary>True when the rule restricts no peer (NetworkPolicy without <c>from</c>/<c>to</c>, Cilium with only <c>toPorts</c>).</summary>
    public bool AnyPeer { get; init; }

    public IReadOnlyList<PolicyPeer> Peers { get; init; } = [];

    /// <summary>Empty: every port and protocol.</summary>
    public IReadOnlyList<PortRule> Ports { get; init; } = [];

    /// <summary>
    /// Peer kinds the evaluator cannot judge from a flow (toFQDNs, toServices, fromRequires ...): a flow no other
    /// peer matches may still be matched by these, so the rule's verdict on it is "not evaluated". Null when none.
    /// </summary>
    public string? UnevaluatedPeers { get; init; }

    public SourceLocation Location { get; init; }
}

/// <summary>A peer of a rule: a selector of endpoints, a CIDR, or a Cilium entity.</summary>
public abstract class PolicyPeer
{
    public SourceLocation Location { get; init; }
}

/// <summary>
/// Endpoints chosen by labels. <see cref="Namespace"/> pins the namespace (a NetworkPolicy podSelector alone, a
/// CiliumNetworkPolicy selector without a namespace label); <see cref="NamespaceSelector"/> chooses namespaces by
/// their labels (NetworkPolicy namespaceSelector, ANDed with <see cref="Pods"/>).
/// </summary>
public sealed class SelectorPeer : PolicyPeer
{
    public required LabelSelector Pods { get; init; }

    public LabelSelector? NamespaceSelector { get; init; }

    public string? Namespace { get; init; }

    /// <summary>Whether the selector may match Cilium reserved identities (it names a <c>reserved:</c> label).</summary>
    public bool SelectsReserved { get; init; }

    public override string ToString() =>
        (Namespace is null ? "" : "ns=" + Namespace + " ") + (NamespaceSelector is null ? "" : "nsSelector{" + NamespaceSelector + "} ") + "{" + Pods + "}";
}

/// <summary>A CIDR with excepted sub-ranges (NetworkPolicy ipBlock, Cilium fromCIDR/fromCIDRSet).</summary>
public sealed class CidrPeer : PolicyPeer
{
    public required IpNetwork Network { get; init; }

    public IReadOnlyList<IpNetwork> Except { get; init; } = [];

    public override string ToString() => Except.Count == 0 ? Network.ToString() : Network + " except " + string.Join(",", Except);
}

/// <summary>A Cilium entity (<c>world</c>, <c>cluster</c>, <c>host</c>, <c>kube-apiserver</c>, <c>all</c> ...).</summary>
public sealed class EntityPeer : PolicyPeer
{
    public required string Entity { get; init; }

    public override string ToString() => "entity " + Entity;
}

/// <summary>Transport protocols a port rule names; <see cref="Any"/> is Cilium's ANY (TCP, UDP and SCTP).</summary>
public enum PortProtocol
{
    Tcp,
    Udp,
    Sctp,
    Any,
}

/// <summary>
/// A port or port range on a protocol. <see cref="Port"/> 0 means every port of the protocol. A named port
/// (<see cref="NamedPort"/>) needs the pod spec to resolve, which a flow does not carry.
/// </summary>
public sealed class PortRule
{
    public PortProtocol Protocol { get; init; } = PortProtocol.Tcp;

    public int Port { get; init; }

    /// <summary>Last port of the range (inclusive); equal to <see cref="Port"/> for a single port.</summary>
    public int EndPort { get; init; }

    public string? NamedPort { get; init; }

    /// <summary>L7 rules (http, kafka, dns ...) attached to this port: a flow the port matches is decided by a proxy we do not model.</summary>
    public string? L7 { get; init; }

    /// <summary>Cilium <c>icmps</c>: ICMP types are not evaluated; an ICMP flow this rule could match is "not evaluated".</summary>
    public bool Icmp { get; init; }

    public override string ToString()
    {
        if (Icmp)
        {
            return "icmp";
        }

        string port = NamedPort ?? (Port == 0 ? "*" : EndPort > Port ? $"{Port}-{EndPort}" : Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return $"{port}/{Protocol.ToString().ToUpperInvariant()}" + (L7 is null ? "" : $" ({L7})");
    }
}
