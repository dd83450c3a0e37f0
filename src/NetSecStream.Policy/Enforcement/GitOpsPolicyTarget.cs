using NetSecStream.Policy.Blocking;
using YamlDotNet.Core;

namespace NetSecStream.Policy.Enforcement;

/// <summary>
/// Writes one YAML file per block (<c>kind_namespace_name.yaml</c>) to a directory a GitOps tool (Argo CD, Flux)
/// syncs, and deletes the file when the block expires. Files are written to a temporary name and renamed, so the
/// tool never reads half a policy. Listing reads the files back, so a restart adopts and expires them as it does
/// objects in a cluster.
/// </summary>
public sealed class GitOpsPolicyTarget(string directory, PolicyFlavor flavor, string calicoTier) : IPolicyTarget
{
    public string Directory { get; } = Path.GetFullPath(directory);

    public string Name => "gitops";

    public PolicyFlavor Flavor { get; } = flavor;

    /// <summary>Files in the directory that could not be read as a managed policy when listing.</summary>
    public int UnreadableFiles { get; private set; }

    public async Task PrepareAsync(CancellationToken cancellationToken)
    {
        System.IO.Directory.CreateDirectory(Directory);
        if (Flavor == PolicyFlavor.Calico)
        {
            await WriteAsync($"tier_{calicoTier}.yaml", PolicyYaml.FromJson(BlockPolicyWriter.CalicoTierJson(calicoTier)), cancellationToken).ConfigureAwait(false);
        }
    }

    public Task ApplyAsync(BlockPolicy policy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return WriteAsync(FileName(policy.Resource, policy.Namespace, policy.Name), policy.ToYaml(), cancellationToken);
    }

    public Task ApplyDocumentAsync(PolicyDocument document, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(document);
        return WriteAsync(FileName(document.Resource, document.Namespace, document.Name), document.ToYaml(), cancellationToken);
    }

    public async Task<IReadOnlyList<ManagedObject>> ListManagedAsync(CancellationToken cancellationToken)
    {
        var objects = new List<ManagedObject>();
        if (!System.IO.Directory.Exists(Directory))
        {
            return objects;
        }

        int unreadable = 0;
        foreach (string file in System.IO.Directory.EnumerateFiles(Directory, "*.yaml"))
        {
            try
            {
                var node = PolicyYaml.ToJson(await File.ReadAllTextAsync(file, cancellationToken).ConfigureAwait(false));
                if (KubernetesPolicyTarget.ReadManaged(node) is { } managed && managed.Resource != PolicyResource.CalicoTier)
                {
                    objects.Add(managed);
                }
            }
            catch (Exception ex) when (ex is YamlException or IOException or InvalidCastException or InvalidOperationException)
            {
                unreadable++;
            }
        }

        UnreadableFiles = unreadable;
        return objects;
    }

    public Task DeleteAsync(PolicyResource resource, string? ns, string name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(resource);
        File.Delete(Path.Combine(Directory, FileName(resource, ns, name)));
        return Task.CompletedTask;
    }

    public static string FileName(PolicyResource resource, string? ns, string name)
    {
        ArgumentNullException.ThrowIfNull(resource);
        return ns is null ? $"{resource.Kind.ToLowerInvariant()}_{name}.yaml" : $"{resource.Kind.ToLowerInvariant()}_{ns}_{name}.yaml";
    }

    private async Task WriteAsync(string fileName, string yaml, CancellationToken cancellationToken)
    {
        System.IO.Directory.CreateDirectory(Directory);
        string path = Path.Combine(Directory, fileName);
        string temporary = Path.Combine(Directory, "." + fileName + ".tmp");
        await File.WriteAllTextAsync(temporary, yaml, cancellationToken).ConfigureAwait(false);
        File.Move(temporary, path, overwrite: true);
    }
}
