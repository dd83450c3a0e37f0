using NetSecStream.Policy.Blocking;

namespace NetSecStream.Policy.Enforcement;

/// <summary>An object NetSecStream manages in a target, as listed there.</summary>
public sealed record ManagedObject(PolicyResource Resource, string? Namespace, string Name, IReadOnlyDictionary<string, string> Annotations)
{
    public string Reference => Namespace is null ? $"{Resource.Kind}/{Name}" : $"{Resource.Kind}/{Namespace}/{Name}";
}

/// <summary>
/// Where block rules are written: a cluster's API server or a GitOps directory. Calls may throw; the sync retries
/// those <see cref="ApiRetry"/> classes as transient and records the rest as errors.
/// </summary>
/// <summary>
/// A policy written by a person (the control plane's policy editor), applied as it is: unlike a block it carries no
/// managed-by label, so reconciliation and expiry never touch it.
/// </summary>
public sealed record PolicyDocument(PolicyResource Resource, string? Namespace, string Name, string Json)
{
    public string Reference => Namespace is null ? $"{Resource.Kind}/{Name}" : $"{Resource.Kind}/{Namespace}/{Name}";

    public string ToYaml() => PolicyYaml.FromJson(Json);
}

public interface IPolicyTarget
{
    string Name { get; }

    PolicyFlavor Flavor { get; }

    /// <summary>Creates what block rules need before the first one (the Calico tier); idempotent.</summary>
    Task PrepareAsync(CancellationToken cancellationToken);

    /// <summary>Creates or updates <paramref name="policy"/> (server-side apply: the same object applied twice is one object).</summary>
    Task ApplyAsync(BlockPolicy policy, CancellationToken cancellationToken);

    /// <summary>Creates or updates an arbitrary policy document (server-side apply, as <see cref="ApplyAsync"/>).</summary>
    Task ApplyDocumentAsync(PolicyDocument document, CancellationToken cancellationToken);

    /// <summary>Every block rule labelled as NetSecStream's.</summary>
    Task<IReadOnlyList<ManagedObject>> ListManagedAsync(CancellationToken cancellationToken);

    /// <summary>Deletes the object; one that is already gone is not an error.</summary>
    Task DeleteAsync(PolicyResource resource, string? ns, string name, CancellationToken cancellationToken);
}
