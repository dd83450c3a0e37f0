using System.Collections.Frozen;
using NetSecStream.Core.Events;
using NetSecStream.Policy.Model;

namespace NetSecStream.Policy.Evaluation;

/// <summary>
/// One side of a flow reduced to what policies look at, once per distinct label set: the namespace, the pod labels
/// (with the namespace label Cilium adds), the namespace's labels, and the Cilium entity for anything that is not a
/// pod. Flows of the same pod share one identity, so per-identity work (which policies select it) is done once.
/// </summary>
public sealed class EndpointIdentity
{
    /// <summary>The label Cilium gives every pod with its namespace.</summary>
    public const string NamespaceLabel = "io.kubernetes.pod.namespace";

    /// <summary>Cilium's prefix for the labels of a pod's namespace, copied onto the pod's identity.</summary>
    public const string NamespaceLabelsPrefix = "io.cilium.k8s.namespace.labels.";

    /// <summary>The label Kubernetes sets on every namespace with its name.</summary>
    public const string NamespaceNameLabel = "kubernetes.io/metadata.name";

    private static readonly FrozenDictionary<string, string> NoLabels = FrozenDictionary<string, string>.Empty;

    internal EndpointIdentity(int id, string? ns, string? entity, IReadOnlyDictionary<string, string> labels, IReadOnlyDictionary<string, string> namespaceLabels)
    {
        Id = id;
        Namespace = ns;
        Entity = entity;
        Labels = labels;
        NamespaceLabels = namespaceLabels;
    }

    public int Id { get; }

    /// <summary>The pod's namespace; null for reserved entities and addresses outside the cluster.</summary>
    public string? Namespace { get; }

    /// <summary>Cilium entity for non-pods (<c>world</c>, <c>host</c>, <c>remote-node</c>, <c>kube-apiserver</c> ...); null for pods.</summary>
    public string? Entity { get; }

    public bool IsPod => Entity is null;

    /// <summary>Pod labels without source prefixes, plus <c>io.kubernetes.pod.namespace</c>; <c>reserved:&lt;entity&gt;</c> for entities.</summary>
    public IReadOnlyDictionary<string, string> Labels { get; }

    public IReadOnlyDictionary<string, string> NamespaceLabels { get; }

    /// <summary>Whether CIDR rules can match this endpoint: Cilium applies them to addresses outside the cluster only.</summary>
    public bool MatchesCidrs => Entity is "world" or "kube-apiserver";

    /// <summary>Per-evaluator memo: policies that select this endpoint, per direction (null until computed).</summary>
    internal PolicyDefinition[]? SelectingIngress { get; set; }

    internal PolicyDefinition[]? SelectingEgress { get; set; }

    public string Describe()
    {
        if (!IsPod)
        {
            return Entity!;
        }

        string? app = Labels.TryGetValue("app", out var a) ? a : Labels.TryGetValue("app.kubernetes.io/name", out var n) ? n : null;
        return app is null ? Namespace + "/pod" : Namespace + "/" + app;
    }

    /// <summary>Builds the identity of a flow endpoint; <paramref name="id"/> is assigned by the caller's interner.</summary>
    public static EndpointIdentity Create(int id, FlowEndpoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        string? entity = NormaliseEntity(endpoint.ReservedEntity);
        string? ns = endpoint.Namespace;
        var labels = endpoint.Labels;
        if (ns is null && labels is not null && labels.TryGetValue(NamespaceLabel, out var fromLabel))
        {
            ns = fromLabel;
        }

        if (entity is null && ns is null)
        {
            // Cilium gives every address it knows no endpoint for the world identity.
            entity = "world";
        }

        if (entity is not null)
        {
            var reserved = new Dictionary<string, string>(StringComparer.Ordinal) { ["reserved:" + entity] = "" };
            return new EndpointIdentity(id, null, entity, reserved.ToFrozenDictionary(StringComparer.Ordinal), NoLabels);
        }

        var podLabels = new Dictionary<string, string>(StringComparer.Ordinal);
        var namespaceLabels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (labels is not null)
        {
            foreach (var (key, value) in labels)
            {
                podLabels[key] = value;
                if (key.StartsWith(NamespaceLabelsPrefix, StringComparison.Ordinal))
                {
                    namespaceLabels[key[NamespaceLabelsPrefix.Length..]] = value;
                }
            }
        }

        podLabels[NamespaceLabel] = ns!;
        namespaceLabels.TryAdd(NamespaceNameLabel, ns!);
        return new EndpointIdentity(id, ns, null, podLabels.ToFrozenDictionary(StringComparer.Ordinal), namespaceLabels.ToFrozenDictionary(StringComparer.Ordinal));
    }

    /// <summary>Hubble's reserved names as Cilium's entity names (<c>world-ipv4</c> is still world for policy).</summary>
    public static string? NormaliseEntity(string? reserved) => reserved switch
    {
        null or "" => null,
        "world-ipv4" or "world-ipv6" => "world",
        "remote_node" => "remote-node",
        "kube_apiserver" => "kube-apiserver",
        _ => reserved,
    };
}
