using System.Globalization;
using System.Text;
using System.Text.Json;

namespace NetSecStream.Policy.Blocking;

/// <summary>Which kind of block rule a cluster takes.</summary>
public enum PolicyFlavor
{
    /// <summary>CiliumNetworkPolicy with ingressDeny/egressDeny.</summary>
    Cilium,

    /// <summary>Calico GlobalNetworkPolicy with Deny rules in a tier of its own.</summary>
    Calico,
}

/// <summary>Where a kind of object lives in the Kubernetes API.</summary>
public sealed record PolicyResource(string Group, string Version, string Plural, string Kind, bool Namespaced)
{
    public static PolicyResource CiliumNetworkPolicy { get; } = new("cilium.io", "v2", "ciliumnetworkpolicies", "CiliumNetworkPolicy", true);

    public static PolicyResource CalicoGlobalNetworkPolicy { get; } = new("projectcalico.org", "v3", "globalnetworkpolicies", "GlobalNetworkPolicy", false);

    public static PolicyResource CalicoTier { get; } = new("projectcalico.org", "v3", "tiers", "Tier", false);

    public static PolicyResource NetworkPolicy { get; } = new("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", true);

    public static PolicyResource CiliumClusterwideNetworkPolicy { get; } = new("cilium.io", "v2", "ciliumclusterwidenetworkpolicies", "CiliumClusterwideNetworkPolicy", false);

    /// <summary>The resource of a policy kind the parser reads.</summary>
    public static PolicyResource For(Model.PolicyKind kind) => kind switch
    {
        Model.PolicyKind.NetworkPolicy => NetworkPolicy,
        Model.PolicyKind.CiliumNetworkPolicy => CiliumNetworkPolicy,
        _ => CiliumClusterwideNetworkPolicy,
    };

    public string ApiVersion => Group + "/" + Version;
}

/// <summary>When a block was first made, when it lapses, and how many times its peer has been blocked (1 the first time).</summary>
public sealed record BlockLifetime(DateTimeOffset Created, DateTimeOffset Expires, int RepeatCount);

/// <summary>One object as it is applied: where it goes and its body (JSON, which is also the YAML the apply sends).</summary>
public sealed record BlockPolicy(PolicyResource Resource, string? Namespace, string Name, string Json, BlockLifetime Lifetime, string PeerKey, string AlertId)
{
    /// <summary><c>Kind/namespace/name</c> (cluster-scoped: <c>Kind/name</c>), for logs and the audit log.</summary>
    public string Reference => Namespace is null ? $"{Resource.Kind}/{Name}" : $"{Resource.Kind}/{Namespace}/{Name}";

    /// <summary>The same document as YAML, for GitOps directories.</summary>
    public string ToYaml() => PolicyYaml.FromJson(Json);
}

/// <summary>Turns a <see cref="BlockPlan"/> into the policy object of a flavor, labelled and annotated as NetSecStream's.</summary>
public static class BlockPolicyWriter
{
    public const string ManagedByLabel = "app.kubernetes.io/managed-by";
    public const string ManagedByValue = "netsec";
    public const string AlertIdLabel = "netsec.io/alert-id";
    public const string ReasonAnnotation = "netsec.io/reason";
    public const string CreatedAnnotation = "netsec.io/created";
    public const string ExpiresAnnotation = "netsec.io/expires";
    public const string RepeatCountAnnotation = "netsec.io/repeat-count";
    public const string PeerAnnotation = "netsec.io/peer";
    public const string AlertIdAnnotation = "netsec.io/alert-id";

    /// <summary>The label selector listing every object NetSecStream manages.</summary>
    public const string ManagedSelector = ManagedByLabel + "=" + ManagedByValue;

    /// <summary>Cilium's label for an endpoint's namespace in a peer selector.</summary>
    public const string CiliumNamespaceLabel = "k8s:io.kubernetes.pod.namespace";

    public const string DefaultCalicoTier = "netsec";

    private const double CalicoTierOrder = 100;
    private const double CalicoPolicyOrder = 100;

    public static BlockPolicy Write(BlockPlan plan, PolicyFlavor flavor, BlockLifetime lifetime, string calicoTier = DefaultCalicoTier)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(lifetime);
        return flavor == PolicyFlavor.Calico ? WriteCalico(plan, lifetime, calicoTier) : WriteCilium(plan, lifetime);
    }

    /// <summary>Name of the block for <paramref name="plan"/> in <paramref name="flavor"/>: the same target and peer always give the same name.</summary>
    public static string NameOf(BlockPlan plan, PolicyFlavor flavor, string calicoTier = DefaultCalicoTier)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return flavor == PolicyFlavor.Calico ? $"{calicoTier}.block-{plan.Hash}" : $"netsec-block-{plan.Hash}";
    }

    private static BlockPolicy WriteCilium(BlockPlan plan, BlockLifetime lifetime)
    {
        var rule = plan.Peer.Network is { } network
            ? plan.Direction == BlockDirection.Ingress
                ? new CiliumDenyRule { FromCidr = [network.ToString()] }
                : new CiliumDenyRule { ToCidr = [network.ToString()] }
            : plan.Direction == BlockDirection.Ingress
                ? new CiliumDenyRule { FromEndpoints = [CiliumPeer(plan.Peer)] }
                : new CiliumDenyRule { ToEndpoints = [CiliumPeer(plan.Peer)] };
        var document = new CiliumNetworkPolicyDocument
        {
            Metadata = Metadata(NameOf(plan, PolicyFlavor.Cilium), plan.Target.Namespace, plan, lifetime),
            Spec = new CiliumPolicySpec
            {
                EndpointSelector = new CiliumSelector { MatchLabels = new(plan.Target.Labels.ToDictionary(), StringComparer.Ordinal) },
                EnableDefaultDeny = new CiliumDefaultDeny { Ingress = false, Egress = false },
                IngressDeny = plan.Direction == BlockDirection.Ingress ? [rule] : null,
                EgressDeny = plan.Direction == BlockDirection.Egress ? [rule] : null,
            },
        };
        string json = JsonSerializer.Serialize(document, PolicyJsonContext.Default.CiliumNetworkPolicyDocument);
        return new BlockPolicy(PolicyResource.CiliumNetworkPolicy, plan.Target.Namespace, document.Metadata.Name, json, lifetime, plan.Peer.Key, plan.AlertId);
    }

    private static CiliumSelector CiliumPeer(BlockPeer peer)
    {
        var labels = new SortedDictionary<string, string>(peer.Labels!.ToDictionary(), StringComparer.Ordinal)
        {
            // Without it a peer selector only matches endpoints in the policy's own namespace.
            [CiliumNamespaceLabel] = peer.Namespace!,
        };
        return new CiliumSelector { MatchLabels = labels };
    }

    private static BlockPolicy WriteCalico(BlockPlan plan, BlockLifetime lifetime, string tier)
    {
        // The trailing Pass hands everything the Deny did not match to the next tier: without it the end of this
        // tier would deny all other traffic of the selected workload (Calico's implicit end-of-tier deny).
        var peer = plan.Peer.Network is { } network
            ? new CalicoEntity { Nets = [network.ToString()] }
            : new CalicoEntity { NamespaceSelector = $"projectcalico.org/name == '{plan.Peer.Namespace}'", Selector = CalicoSelector(plan.Peer.Labels!) };
        List<CalicoRule> rules = plan.Direction == BlockDirection.Ingress
            ? [new CalicoRule { Action = "Deny", Source = peer }, new CalicoRule { Action = "Pass" }]
            : [new CalicoRule { Action = "Deny", Destination = peer }, new CalicoRule { Action = "Pass" }];
        var document = new CalicoGlobalNetworkPolicyDocument
        {
            Metadata = Metadata(NameOf(plan, PolicyFlavor.Calico, tier), null, plan, lifetime),
            Spec = new CalicoPolicySpec
            {
                Tier = tier,
                Order = CalicoPolicyOrder,
                Selector = $"projectcalico.org/namespace == '{plan.Target.Namespace}' && {CalicoSelector(plan.Target.Labels)}",
                Types = [plan.Direction == BlockDirection.Ingress ? "Ingress" : "Egress"],
                Ingress = plan.Direction == BlockDirection.Ingress ? rules : null,
                Egress = plan.Direction == BlockDirection.Egress ? rules : null,
            },
        };
        string json = JsonSerializer.Serialize(document, PolicyJsonContext.Default.CalicoGlobalNetworkPolicyDocument);
        return new BlockPolicy(PolicyResource.CalicoGlobalNetworkPolicy, null, document.Metadata.Name, json, lifetime, plan.Peer.Key, plan.AlertId);
    }

    /// <summary>The tier Calico block rules go in; applied once per cluster before the first rule.</summary>
    public static string CalicoTierJson(string tier) => JsonSerializer.Serialize(new CalicoTierDocument
    {
        Metadata = new ObjectMetadata
        {
            Name = tier,
            Labels = new(StringComparer.Ordinal) { [ManagedByLabel] = ManagedByValue },
            Annotations = new(StringComparer.Ordinal) { [ReasonAnnotation] = "tier of NetSecStream block rules (deny, then pass to the next tier)" },
        },
        Spec = new CalicoTierSpec { Order = CalicoTierOrder },
    }, PolicyJsonContext.Default.CalicoTierDocument);

    // Keys and values were checked as Kubernetes label syntax by the planner, so they need no quoting beyond the quotes.
    private static string CalicoSelector(IReadOnlyDictionary<string, string> labels) =>
        string.Join(" && ", labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key} == '{l.Value}'"));

    private static ObjectMetadata Metadata(string name, string? ns, BlockPlan plan, BlockLifetime lifetime) => new()
    {
        Name = name,
        Namespace = ns,
        Labels = new(StringComparer.Ordinal)
        {
            [ManagedByLabel] = ManagedByValue,
            [AlertIdLabel] = LabelValue(plan.AlertId),
        },
        Annotations = new(StringComparer.Ordinal)
        {
            [AlertIdAnnotation] = plan.AlertId,
            [ReasonAnnotation] = plan.Reason,
            [CreatedAnnotation] = lifetime.Created.UtcDateTime.ToString("O", CultureInfo.InvariantCulture),
            [ExpiresAnnotation] = lifetime.Expires.UtcDateTime.ToString("O", CultureInfo.InvariantCulture),
            [RepeatCountAnnotation] = lifetime.RepeatCount.ToString(CultureInfo.InvariantCulture),
            [PeerAnnotation] = plan.Peer.Key,
        },
    };

    /// <summary>An alert id as a label value: at most 63 of <c>[A-Za-z0-9-_.]</c>, alphanumeric at both ends (the annotation keeps it whole).</summary>
    public static string LabelValue(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var builder = new StringBuilder(Math.Min(text.Length, 63));
        foreach (char c in text)
        {
            if (builder.Length == 63)
            {
                break;
            }

            builder.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '-');
        }

        string value = builder.ToString().Trim('-', '_', '.');
        return value.Length == 0 ? "unknown" : value;
    }
}
