using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using NetSecStream.Policy.Blocking;

namespace NetSecStream.Policy.Enforcement;

/// <summary>
/// A cluster's API server through KubernetesClient: server-side apply (PATCH with
/// <c>application/apply-patch+yaml</c>, field manager <c>netsec</c>, force) of custom objects, list by the
/// managed-by label, delete. One instance per kubeconfig context.
/// </summary>
public sealed class KubernetesPolicyTarget : IPolicyTarget, IDisposable
{
    public const string FieldManager = "netsec";


    private readonly IKubernetes _client;
    private readonly string _calicoTier;

    public KubernetesPolicyTarget(string name, PolicyFlavor flavor, IKubernetes client, string calicoTier)
    {
        Name = name;
        Flavor = flavor;
        _client = client ?? throw new ArgumentNullException(nameof(client));
        _calicoTier = calicoTier;
    }

    public string Name { get; }

    public PolicyFlavor Flavor { get; }

    /// <summary>Objects per list request; more are fetched page by page with the server's continue token.</summary>
    internal int ListPageSize { get; init; } = 500;

    /// <summary>A client for one cluster of the options: its kubeconfig and context, or the pod's service account.</summary>
    public static KubernetesPolicyTarget Create(EnforcementClusterOptions cluster, EnforcementOptions options)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(options);
        var config = string.IsNullOrWhiteSpace(cluster.KubeConfig) && string.IsNullOrWhiteSpace(cluster.Context) && KubernetesClientConfiguration.IsInCluster()
            ? KubernetesClientConfiguration.InClusterConfig()
            : KubernetesClientConfiguration.BuildConfigFromConfigFile(
                string.IsNullOrWhiteSpace(cluster.KubeConfig) ? null : cluster.KubeConfig,
                string.IsNullOrWhiteSpace(cluster.Context) ? null : cluster.Context);
        config.HttpClientTimeout = options.RequestTimeout;
        return new KubernetesPolicyTarget(cluster.Name, cluster.Flavor, new Kubernetes(config), options.CalicoTier);
    }

    public async Task PrepareAsync(CancellationToken cancellationToken)
    {
        if (Flavor == PolicyFlavor.Calico)
        {
            var tier = PolicyResource.CalicoTier;
            await _client.CustomObjects.PatchClusterCustomObjectAsync(new V1Patch(BlockPolicyWriter.CalicoTierJson(_calicoTier), V1Patch.PatchType.ApplyPatch),
                tier.Group, tier.Version, tier.Plural, _calicoTier, fieldManager: FieldManager, force: true, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }

    public Task ApplyAsync(BlockPolicy policy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return PatchAsync(policy.Resource, policy.Namespace, policy.Name, policy.Json, cancellationToken);
    }

    /// <summary>
    /// The custom-objects client builds <c>/apis/{group}/{version}/...</c> paths, which serve built-in groups such as
    /// networking.k8s.io as well, so one apply path covers NetworkPolicy and the Cilium kinds.
    /// </summary>
    public Task ApplyDocumentAsync(PolicyDocument document, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(document);
        return PatchAsync(document.Resource, document.Namespace, document.Name, document.Json, cancellationToken);
    }

    private async Task PatchAsync(PolicyResource resource, string? ns, string name, string json, CancellationToken cancellationToken)
    {
        var patch = new V1Patch(json, V1Patch.PatchType.ApplyPatch);
        if (resource.Namespaced)
        {
            await _client.CustomObjects.PatchNamespacedCustomObjectAsync(patch, resource.Group, resource.Version, ns!, resource.Plural, name,
                fieldManager: FieldManager, force: true, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await _client.CustomObjects.PatchClusterCustomObjectAsync(patch, resource.Group, resource.Version, resource.Plural, name,
                fieldManager: FieldManager, force: true, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<IReadOnlyList<ManagedObject>> ListManagedAsync(CancellationToken cancellationToken)
    {
        var resource = Flavor == PolicyFlavor.Calico ? PolicyResource.CalicoGlobalNetworkPolicy : PolicyResource.CiliumNetworkPolicy;
        var objects = new List<ManagedObject>();
        string? continueToken = null;
        do
        {
            // The cluster-wide path lists a namespaced kind in every namespace.
            object page = await _client.CustomObjects.ListClusterCustomObjectAsync(resource.Group, resource.Version, resource.Plural,
                continueParameter: continueToken, labelSelector: BlockPolicyWriter.ManagedSelector, limit: ListPageSize,
                cancellationToken: cancellationToken).ConfigureAwait(false);
            var list = page is JsonElement element ? JsonNode.Parse(element.GetRawText()) : JsonSerializer.SerializeToNode(page);
            foreach (var item in list?["items"]?.AsArray() ?? [])
            {
                if (ReadManaged(item, resource) is { } managed)
                {
                    objects.Add(managed);
                }
            }

            continueToken = list?["metadata"]?["continue"]?.GetValue<string>();
        }
        while (!string.IsNullOrEmpty(continueToken));

        return objects;
    }

    public async Task DeleteAsync(PolicyResource resource, string? ns, string name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(resource);
        try
        {
            if (resource.Namespaced)
            {
                await _client.CustomObjects.DeleteNamespacedCustomObjectAsync(resource.Group, resource.Version, ns!, resource.Plural, name,
                    cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await _client.CustomObjects.DeleteClusterCustomObjectAsync(resource.Group, resource.Version, resource.Plural, name,
                    cancellationToken: cancellationToken).ConfigureAwait(false);
            }
        }
        catch (HttpOperationException ex) when (ex.Response?.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            // Already gone (deleted by hand, or by another replica): the goal is reached.
        }
    }

    /// <summary>The managed object a listed item (or a GitOps file) describes, or null when it is not one of ours.</summary>
    internal static ManagedObject? ReadManaged(JsonNode? item, PolicyResource? expected = null)
    {
        if (item?["metadata"] is not JsonObject metadata || metadata["name"]?.GetValue<string>() is not { Length: > 0 } name)
        {
            return null;
        }

        if (metadata["labels"]?[BlockPolicyWriter.ManagedByLabel]?.GetValue<string>() != BlockPolicyWriter.ManagedByValue)
        {
            return null;
        }

        string? apiVersion = item["apiVersion"]?.GetValue<string>();
        string? kind = item["kind"]?.GetValue<string>();
        var resource = expected ?? new[] { PolicyResource.CiliumNetworkPolicy, PolicyResource.CalicoGlobalNetworkPolicy, PolicyResource.CalicoTier }
            .FirstOrDefault(r => r.ApiVersion == apiVersion && r.Kind == kind);
        if (resource is null)
        {
            return null;
        }

        var annotations = new Dictionary<string, string>(StringComparer.Ordinal);
        if (metadata["annotations"] is JsonObject annotationNode)
        {
            foreach (var (key, value) in annotationNode)
            {
                if (value is JsonValue scalar && scalar.TryGetValue(out string? text))
                {
                    annotations[key] = text;
                }
            }
        }

        return new ManagedObject(resource, resource.Namespaced ? metadata["namespace"]?.GetValue<string>() : null, name, annotations);
    }

    public void Dispose() => (_client as IDisposable)?.Dispose();
}
