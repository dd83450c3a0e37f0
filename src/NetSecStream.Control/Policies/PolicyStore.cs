using System.Text.Json;
using System.Text.Json.Serialization;
using NetSecStream.Policy.Blocking;
using NetSecStream.Policy.Enforcement;
using NetSecStream.Policy.Model;

namespace NetSecStream.Control.Policies;

/// <summary>One policy of the editor: its latest text and, once applied, the text in force.</summary>
public sealed record StoredPolicy
{
    [JsonPropertyName("id")]
    public required string Id { get; init; }

    [JsonPropertyName("kind")]
    public required string Kind { get; init; }

    [JsonPropertyName("namespace")]
    public string? Namespace { get; init; }

    [JsonPropertyName("name")]
    public required string Name { get; init; }

    [JsonPropertyName("yaml")]
    public required string Yaml { get; init; }

    [JsonPropertyName("applied_yaml")]
    public string? AppliedYaml { get; init; }

    [JsonPropertyName("updated")]
    public DateTimeOffset Updated { get; init; }

    [JsonPropertyName("updated_by")]
    public string UpdatedBy { get; init; } = "";

    [JsonPropertyName("applied_at")]
    public DateTimeOffset? AppliedAt { get; init; }

    [JsonPropertyName("applied_by")]
    public string? AppliedBy { get; init; }

    /// <summary><c>applied</c> when the text in force is the latest text; <c>draft</c> otherwise (never applied, or edited since).</summary>
    [JsonPropertyName("state")]
    public string State => AppliedYaml is not null && AppliedYaml == Yaml ? "applied" : "draft";

    [JsonIgnore]
    public PolicyKind PolicyKind => Enum.Parse<PolicyKind>(Kind);
}

/// <summary>
/// The editor's policies as files: <c>{id}.json</c> per policy under <c>Control:Policies:Directory</c>, and the text in
/// force as <c>{id}.yaml</c> under <c>Control:Policies:AppliedDirectory</c>, the folder <c>Detectors:Policy:Paths</c>
/// reads. Files rather than the triage database: the applied folder has to be files anyway (detectors and GitOps tools
/// read it), policies number in the hundreds, and keeping them apart from the triage store leaves its migrations to
/// the alert workflow. Every write goes to a temporary name and is renamed, so a reader never sees half a policy.
/// </summary>
public sealed class PolicyStore
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private readonly Lock _gate = new();
    private readonly SortedDictionary<string, StoredPolicy> _policies = new(StringComparer.Ordinal);
    private readonly int _maxPolicies;
    private readonly TimeProvider _time;

    public PolicyStore(string directory, string appliedDirectory, int maxPolicies, TimeProvider? time = null)
    {
        Directory = Path.GetFullPath(directory);
        AppliedDirectory = Path.GetFullPath(appliedDirectory);
        _maxPolicies = maxPolicies;
        _time = time ?? TimeProvider.System;
        System.IO.Directory.CreateDirectory(Directory);
        System.IO.Directory.CreateDirectory(AppliedDirectory);
        foreach (string file in System.IO.Directory.EnumerateFiles(Directory, "*.json"))
        {
            try
            {
                var policy = JsonSerializer.Deserialize<StoredPolicy>(File.ReadAllText(file));
                if (policy is not null && Path.GetFileNameWithoutExtension(file) == policy.Id && Enum.TryParse<PolicyKind>(policy.Kind, out _))
                {
                    _policies[policy.Id] = policy;
                }
                else
                {
                    UnreadableFiles++;
                }
            }
            catch (JsonException)
            {
                UnreadableFiles++;
            }
        }
    }

    public string Directory { get; }

    public string AppliedDirectory { get; }

    /// <summary>Files under <see cref="Directory"/> that were not a policy at start (left in place, not loaded).</summary>
    public int UnreadableFiles { get; }

    /// <summary>
    /// The id of a policy: kind, namespace and name, as the GitOps target names its files, so a policy has one id
    /// however often it is edited. Null when the name is not a Kubernetes name (and so not safe as a file name).
    /// </summary>
    public static string? IdOf(PolicyDefinition policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (!IsName(policy.Name) || (policy.Namespace is not null && !IsName(policy.Namespace)))
        {
            return null;
        }

        return Path.GetFileNameWithoutExtension(GitOpsPolicyTarget.FileName(PolicyResource.For(policy.Kind), policy.Namespace, policy.Name));
    }

    public static bool IsId(string id) =>
        id.Length is > 0 and <= 400 && id.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '.' or '_');

    private static bool IsName(string name) =>
        name.Length is > 0 and <= 253 && char.IsAsciiLetterOrDigit(name[0]) && char.IsAsciiLetterOrDigit(name[^1])
        && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '.');

    public IReadOnlyList<StoredPolicy> List()
    {
        lock (_gate)
        {
            return [.. _policies.Values];
        }
    }

    public StoredPolicy? Get(string id)
    {
        lock (_gate)
        {
            return _policies.GetValueOrDefault(id);
        }
    }

    /// <summary>Creates or updates the draft of <paramref name="policy"/>; null when the store is full.</summary>
    public (StoredPolicy? Policy, bool Created) Save(PolicyDefinition policy, string yaml, string actor)
    {
        ArgumentNullException.ThrowIfNull(policy);
        string id = IdOf(policy) ?? throw new ArgumentException("the policy's name is not a Kubernetes name", nameof(policy));
        lock (_gate)
        {
            var existing = _policies.GetValueOrDefault(id);
            if (existing is null && _policies.Count >= _maxPolicies)
            {
                return (null, false);
            }

            var saved = new StoredPolicy
            {
                Id = id,
                Kind = policy.Kind.ToString(),
                Namespace = policy.Namespace,
                Name = policy.Name,
                Yaml = yaml,
                AppliedYaml = existing?.AppliedYaml,
                AppliedAt = existing?.AppliedAt,
                AppliedBy = existing?.AppliedBy,
                Updated = _time.GetUtcNow(),
                UpdatedBy = actor,
            };
            Write(saved);
            return (saved, existing is null);
        }
    }

    /// <summary>Writes the latest text to the applied folder; null for an unknown id.</summary>
    public StoredPolicy? MarkApplied(string id, string actor)
    {
        lock (_gate)
        {
            if (!_policies.TryGetValue(id, out var existing))
            {
                return null;
            }

            WriteAtomically(AppliedPath(id), existing.Yaml);
            var applied = existing with { AppliedYaml = existing.Yaml, AppliedAt = _time.GetUtcNow(), AppliedBy = actor };
            Write(applied);
            return applied;
        }
    }

    /// <summary>Removes the policy and its applied file; null for an unknown id.</summary>
    public StoredPolicy? Delete(string id)
    {
        lock (_gate)
        {
            if (!_policies.Remove(id, out var existing))
            {
                return null;
            }

            File.Delete(AppliedPath(id));
            File.Delete(Path.Combine(Directory, id + ".json"));
            return existing;
        }
    }

    public string AppliedPath(string id) => Path.Combine(AppliedDirectory, id + ".yaml");

    private void Write(StoredPolicy policy)
    {
        WriteAtomically(Path.Combine(Directory, policy.Id + ".json"), JsonSerializer.Serialize(policy, Indented));
        _policies[policy.Id] = policy;
    }

    private static void WriteAtomically(string path, string text)
    {
        string staging = Path.Combine(Path.GetDirectoryName(path)!, "." + Path.GetFileName(path) + ".tmp");
        File.WriteAllText(staging, text);
        File.Move(staging, path, overwrite: true);
    }
}
