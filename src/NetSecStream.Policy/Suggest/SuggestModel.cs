using System.Collections.Frozen;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using NetSecStream.Core.Events;

namespace NetSecStream.Policy.Suggest;

/// <summary>What a suggested rule names on the other side of a connection.</summary>
public enum PeerKind
{
    /// <summary>Pods by namespace and labels (<c>fromEndpoints</c>/<c>toEndpoints</c>).</summary>
    Endpoint,

    /// <summary>A Cilium entity: host, remote-node, kube-apiserver, health ... (<c>fromEntities</c>/<c>toEntities</c>).</summary>
    Entity,

    /// <summary>Addresses outside the cluster (<c>fromCIDR</c>/<c>toCIDR</c>).</summary>
    Cidr,
}

/// <summary>
/// A workload as a policy selects it: its namespace and the labels that identify it across pod restarts and
/// rollouts. <see cref="Name"/> is for people (file and policy names), never for matching.
/// </summary>
public sealed class WorkloadId : IEquatable<WorkloadId>
{
    public WorkloadId(string ns, IReadOnlyDictionary<string, string> labels, string name)
    {
        Namespace = ns;
        Labels = labels.ToFrozenDictionary(StringComparer.Ordinal);
        Name = name;
        Key = ns + "/" + string.Join(",", Labels.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + "=" + p.Value));
    }

    public string Namespace { get; }

    public FrozenDictionary<string, string> Labels { get; }

    public string Name { get; }

    /// <summary>Namespace and sorted labels: equal keys select the same pods.</summary>
    public string Key { get; }

    public bool Matches(FlowEndpoint endpoint) =>
        string.Equals(endpoint.Namespace, Namespace, StringComparison.Ordinal) && Labels.Count > 0 && LabelsMatch(Labels, endpoint.Labels);

    internal static bool LabelsMatch(IReadOnlyDictionary<string, string> required, IReadOnlyDictionary<string, string>? actual)
    {
        foreach (var (key, value) in required)
        {
            if (actual is null || !actual.TryGetValue(key, out string? other) || !string.Equals(value, other, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    public bool Equals(WorkloadId? other) => other is not null && string.Equals(Key, other.Key, StringComparison.Ordinal);

    public override bool Equals(object? obj) => Equals(obj as WorkloadId);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Key);

    public override string ToString() => Namespace + "/" + Name;
}

/// <summary>The other side of a suggested rule.</summary>
public sealed class SuggestedPeer : IEquatable<SuggestedPeer>
{
    private SuggestedPeer(PeerKind kind, WorkloadId? endpoint, string? entity, IPNetwork? cidr, string key)
    {
        Kind = kind;
        Endpoint = endpoint;
        Entity = entity;
        Cidr = cidr;
        Key = key;
    }

    public PeerKind Kind { get; }

    /// <summary>For <see cref="PeerKind.Endpoint"/>: the pods' namespace and labels (labels may be empty: the whole namespace).</summary>
    public WorkloadId? Endpoint { get; }

    public string? Entity { get; }

    public IPNetwork? Cidr { get; }

    public string Key { get; }

    public static SuggestedPeer ForEndpoint(WorkloadId id) => new(PeerKind.Endpoint, id, null, null, "ep:" + id.Key);

    public static SuggestedPeer ForEntity(string entity) => new(PeerKind.Entity, null, entity, null, "entity:" + entity);

    public static SuggestedPeer ForCidr(IPNetwork network) => new(PeerKind.Cidr, null, null, network, "cidr:" + network);

    public static SuggestedPeer ForAddress(IPAddress address) =>
        ForCidr(new IPNetwork(address, address.AddressFamily == AddressFamily.InterNetworkV6 ? 128 : 32));

    /// <summary>Whether this peer names <paramref name="endpoint"/>, as Cilium would decide it for an L3 rule.</summary>
    public bool Matches(FlowEndpoint endpoint, PeerIdentity identity) => Kind switch
    {
        PeerKind.Endpoint => identity.Kind == PeerKind.Endpoint
            && string.Equals(endpoint.Namespace, Endpoint!.Namespace, StringComparison.Ordinal)
            && WorkloadId.LabelsMatch(Endpoint.Labels, endpoint.Labels),
        // The world entity is every address outside the cluster; cluster is everything inside it.
        PeerKind.Entity => Entity switch
        {
            "world" => identity.Kind == PeerKind.Cidr,
            "cluster" => identity.Kind != PeerKind.Cidr,
            _ => identity.Kind == PeerKind.Entity && string.Equals(identity.Entity, Entity, StringComparison.Ordinal),
        },
        // CIDR rules select addresses outside the cluster only; a pod's address is matched by its labels.
        _ => identity.Kind == PeerKind.Cidr && Cidr!.Value.Contains(endpoint.Ip),
    };

    public bool Equals(SuggestedPeer? other) => other is not null && string.Equals(Key, other.Key, StringComparison.Ordinal);

    public override bool Equals(object? obj) => Equals(obj as SuggestedPeer);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Key);

    public override string ToString() => Kind switch
    {
        PeerKind.Endpoint => Endpoint!.Labels.Count == 0 ? Endpoint.Namespace + "/*" : Endpoint.ToString(),
        PeerKind.Entity => "entity:" + Entity,
        _ => Cidr!.Value.ToString(),
    };
}

/// <summary>A protocol and port (for ICMP, the message type) a rule allows.</summary>
public readonly record struct PortProtocol(string Protocol, int Port)
{
    public bool IsIcmp => Protocol is "ICMP" or "ICMPv6";

    /// <summary>By protocol, then port: the order rules are written in.</summary>
    public static readonly IComparer<PortProtocol> Order = Comparer<PortProtocol>.Create((a, b) =>
    {
        int byProtocol = string.CompareOrdinal(a.Protocol, b.Protocol);
        return byProtocol != 0 ? byProtocol : a.Port.CompareTo(b.Port);
    });

    public override string ToString() => IsIcmp
        ? string.Create(CultureInfo.InvariantCulture, $"{Protocol} type {Port}")
        : string.Create(CultureInfo.InvariantCulture, $"{Port}/{Protocol}");
}

/// <summary>One allow rule: any of <see cref="Peers"/> on any of <see cref="Ports"/>.</summary>
public sealed record SuggestedRule(IReadOnlyList<SuggestedPeer> Peers, IReadOnlyList<PortProtocol> Ports)
{
    public bool Allows(FlowEndpoint peer, PeerIdentity identity, PortProtocol port)
    {
        bool portAllowed = false;
        foreach (var allowed in Ports)
        {
            if (allowed == port)
            {
                portAllowed = true;
                break;
            }
        }

        if (!portAllowed)
        {
            return false;
        }

        foreach (var candidate in Peers)
        {
            if (candidate.Matches(peer, identity))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>
/// The least-privilege policy suggested for one workload: it selects the workload and, in both directions, allows
/// only the rules listed (an empty list allows nothing: default deny is on for both directions).
/// </summary>
public sealed record SuggestedPolicy(WorkloadId Workload, string PolicyName, IReadOnlyList<SuggestedRule> Ingress, IReadOnlyList<SuggestedRule> Egress)
{
    public const string NamePrefix = "netsec-suggest-";

    /// <summary><c>namespace/name</c>, unique among the suggestions (two label sets of one name get distinct policy names).</summary>
    public string DisplayName => Workload.Namespace + "/" + (PolicyName.StartsWith(NamePrefix, StringComparison.Ordinal) ? PolicyName[NamePrefix.Length..] : PolicyName);

    public bool AllowsIngress(FlowEndpoint from, PeerIdentity identity, PortProtocol port) => Ingress.Any(r => r.Allows(from, identity, port));

    public bool AllowsEgress(FlowEndpoint to, PeerIdentity identity, PortProtocol port) => Egress.Any(r => r.Allows(to, identity, port));
}
