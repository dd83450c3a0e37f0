using System.Net;
using Microsoft.Extensions.Options;
using NetSecStream.Policy.Blocking;

namespace NetSecStream.Policy.Enforcement;

/// <summary>Section <c>Enforcement</c>: whether and where block rules are written, and the safety rails around them.</summary>
public sealed class EnforcementOptions
{
    public const string SectionName = "Enforcement";

    /// <summary>Off by default: nothing is ever written to a cluster unless this is set.</summary>
    public bool Enabled { get; set; }

    /// <summary>Decide, audit and count every block, but write nothing (no apply, no delete).</summary>
    public bool DryRun { get; set; }

    /// <summary>Write one YAML file per block here (and delete it on expiry) instead of applying to clusters.</summary>
    public string? GitOpsDirectory { get; set; }

    /// <summary>The flavor of the files written to <see cref="GitOpsDirectory"/>.</summary>
    public PolicyFlavor GitOpsFlavor { get; set; } = PolicyFlavor.Cilium;

    /// <summary>Clusters to apply to, by kubeconfig context.</summary>
    public List<EnforcementClusterOptions> Clusters { get; set; } = [];

    public TimeSpan DefaultTtl { get; set; } = TimeSpan.FromHours(1);

    public TimeSpan MaxTtl { get; set; } = TimeSpan.FromHours(24);

    /// <summary>A peer blocked again within <see cref="RepeatOffenderWindow"/> gets the previous TTL times this (capped by <see cref="MaxTtl"/>).</summary>
    public double RepeatOffenderFactor { get; set; } = 2;

    public TimeSpan RepeatOffenderWindow { get; set; } = TimeSpan.FromHours(24);

    /// <summary>New blocks (not extensions of existing ones) allowed per minute, over all clusters; the rest are refused and audited.</summary>
    public int MaxNewBlocksPerMinute { get; set; } = 10;

    /// <summary>Block requests waiting for the sync; when full, new requests are refused (and counted), never queued without bound.</summary>
    public int QueueCapacity { get; set; } = 1024;

    /// <summary>Blocks held at once (per cluster); beyond it new blocks are refused.</summary>
    public int MaxActiveBlocks { get; set; } = 10_000;

    /// <summary>How often expired blocks are looked for and deleted.</summary>
    public TimeSpan ExpiryInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Attempts per API call on 409, 429, 5xx and timeouts, the first included.</summary>
    public int MaxAttempts { get; set; } = 5;

    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Longest wait between attempts, a server's Retry-After included.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(10);

    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Calico: the tier block rules go in (created if missing, ordered before the default tier).</summary>
    public string CalicoTier { get; set; } = BlockPolicyWriter.DefaultCalicoTier;

    public EnforcementAllowlistOptions Allowlist { get; set; } = new();

    /// <summary>JSON lines, one per action. <c>netsec run</c> defaults it to <c>Storage:DataDirectory/enforcement/audit.jsonl</c>.</summary>
    public string? AuditLogPath { get; set; }
}

/// <summary>One cluster block rules are applied to.</summary>
public sealed class EnforcementClusterOptions
{
    /// <summary>Name in logs, metrics and the audit log.</summary>
    public string Name { get; set; } = "";

    /// <summary>Kubeconfig file; empty: in-cluster service account when running in a pod, else <c>~/.kube/config</c>.</summary>
    public string? KubeConfig { get; set; }

    /// <summary>Kubeconfig context; empty: the file's current context.</summary>
    public string? Context { get; set; }

    public PolicyFlavor Flavor { get; set; } = PolicyFlavor.Cilium;
}

/// <summary>What is never blocked. kube-system is always in <see cref="Namespaces"/>.</summary>
public sealed class EnforcementAllowlistOptions
{
    public List<string> Namespaces { get; set; } = [];

    public List<string> Cidrs { get; set; } = [];

    public List<string> ClusterDnsIps { get; set; } = [];

    public List<string> ApiServerIps { get; set; } = [];

    public List<string> NodeCidrs { get; set; } = [];

    /// <summary>The allowlist these options describe; call after validation.</summary>
    public BlockAllowlist Build() => new(
        Namespaces,
        Cidrs.Select(c => IPNetwork.Parse(c.Trim())),
        ClusterDnsIps.Select(ip => IPAddress.Parse(ip.Trim())),
        ApiServerIps.Select(ip => IPAddress.Parse(ip.Trim())),
        NodeCidrs.Select(c => IPNetwork.Parse(c.Trim())));
}

public sealed class EnforcementOptionsValidator : IValidateOptions<EnforcementOptions>
{
    private const string S = EnforcementOptions.SectionName;

    public ValidateOptionsResult Validate(string? name, EnforcementOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.DefaultTtl <= TimeSpan.Zero)
        {
            failures.Add($"{S}:DefaultTtl must be positive (got {options.DefaultTtl}).");
        }

        if (options.MaxTtl < options.DefaultTtl)
        {
            failures.Add($"{S}:MaxTtl ({options.MaxTtl}) must not be shorter than {S}:DefaultTtl ({options.DefaultTtl}).");
        }

        if (options.RepeatOffenderFactor is < 1 or > 100 || double.IsNaN(options.RepeatOffenderFactor))
        {
            failures.Add($"{S}:RepeatOffenderFactor must be between 1 and 100 (got {options.RepeatOffenderFactor}).");
        }

        if (options.RepeatOffenderWindow < TimeSpan.Zero)
        {
            failures.Add($"{S}:RepeatOffenderWindow must not be negative (got {options.RepeatOffenderWindow}).");
        }

        Range(failures, "MaxNewBlocksPerMinute", options.MaxNewBlocksPerMinute, 1, 100_000);
        Range(failures, "QueueCapacity", options.QueueCapacity, 1, 1_000_000);
        Range(failures, "MaxActiveBlocks", options.MaxActiveBlocks, 1, 1_000_000);
        Range(failures, "MaxAttempts", options.MaxAttempts, 1, 20);
        Positive(failures, "ExpiryInterval", options.ExpiryInterval);
        Positive(failures, "RetryBaseDelay", options.RetryBaseDelay);
        Positive(failures, "MaxRetryDelay", options.MaxRetryDelay);
        Positive(failures, "RequestTimeout", options.RequestTimeout);
        if (!Blocking.KubernetesNames.IsDnsLabel(options.CalicoTier))
        {
            failures.Add($"{S}:CalicoTier '{options.CalicoTier}' must be a DNS label (lower-case letters, digits and '-', at most 63).");
        }

        ValidateAllowlist(options.Allowlist, failures);
        if (options.Enabled)
        {
            ValidateTargets(options, failures);
            if (string.IsNullOrWhiteSpace(options.AuditLogPath))
            {
                failures.Add($"{S}:AuditLogPath must name the audit log file when {S}:Enabled is true.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void ValidateTargets(EnforcementOptions options, List<string> failures)
    {
        bool gitOps = !string.IsNullOrWhiteSpace(options.GitOpsDirectory);
        if (gitOps && options.Clusters.Count > 0)
        {
            failures.Add($"{S}:GitOpsDirectory and {S}:Clusters are alternatives: GitOps writes files instead of applying to clusters; set one.");
        }
        else if (!gitOps && options.Clusters.Count == 0)
        {
            failures.Add($"{S}:Clusters must list at least one cluster (or set {S}:GitOpsDirectory) when {S}:Enabled is true.");
        }

        if (!Enum.IsDefined(options.GitOpsFlavor))
        {
            failures.Add($"{S}:GitOpsFlavor must be cilium or calico.");
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < options.Clusters.Count; i++)
        {
            var cluster = options.Clusters[i];
            string key = $"{S}:Clusters:{i}";
            if (string.IsNullOrWhiteSpace(cluster.Name))
            {
                failures.Add($"{key}:Name must not be empty.");
            }
            else if (!names.Add(cluster.Name))
            {
                failures.Add($"{key}:Name '{cluster.Name}' is used by another cluster.");
            }

            if (!string.IsNullOrWhiteSpace(cluster.KubeConfig) && !File.Exists(cluster.KubeConfig))
            {
                failures.Add($"{key}:KubeConfig '{cluster.KubeConfig}' does not exist.");
            }

            if (!Enum.IsDefined(cluster.Flavor))
            {
                failures.Add($"{key}:Flavor must be cilium or calico.");
            }
        }
    }

    private static void ValidateAllowlist(EnforcementAllowlistOptions allowlist, List<string> failures)
    {
        for (int i = 0; i < allowlist.Namespaces.Count; i++)
        {
            if (!Blocking.KubernetesNames.IsDnsLabel(allowlist.Namespaces[i]))
            {
                failures.Add($"{S}:Allowlist:Namespaces:{i} '{allowlist.Namespaces[i]}' is not a namespace name.");
            }
        }

        Networks(failures, "Cidrs", allowlist.Cidrs);
        Networks(failures, "NodeCidrs", allowlist.NodeCidrs);
        Addresses(failures, "ClusterDnsIps", allowlist.ClusterDnsIps);
        Addresses(failures, "ApiServerIps", allowlist.ApiServerIps);
    }

    private static void Networks(List<string> failures, string key, List<string> values)
    {
        for (int i = 0; i < values.Count; i++)
        {
            if (!IsCanonicalNetwork(values[i]))
            {
                failures.Add($"{S}:Allowlist:{key}:{i} '{values[i]}' is not a CIDR with its host bits zero (e.g. 10.0.0.0/8).");
            }
        }
    }

    /// <summary>A CIDR whose host bits are zero: <c>10.0.0.1/8</c> is most likely a typo for a /32 or for 10.0.0.0/8, so neither is guessed.</summary>
    internal static bool IsCanonicalNetwork(string? text)
    {
        string trimmed = text?.Trim() ?? "";
        int slash = trimmed.IndexOf('/', StringComparison.Ordinal);
        return slash > 0 && IPNetwork.TryParse(trimmed, out var network) && IPAddress.TryParse(trimmed[..slash], out var address)
            && network.BaseAddress.Equals(address);
    }

    private static void Addresses(List<string> failures, string key, List<string> values)
    {
        for (int i = 0; i < values.Count; i++)
        {
            if (!IPAddress.TryParse(values[i]?.Trim(), out _))
            {
                failures.Add($"{S}:Allowlist:{key}:{i} '{values[i]}' is not an IP address.");
            }
        }
    }

    private static void Range(List<string> failures, string key, int value, int min, int max)
    {
        if (value < min || value > max)
        {
            failures.Add($"{S}:{key} must be between {min} and {max} (got {value}).");
        }
    }

    private static void Positive(List<string> failures, string key, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            failures.Add($"{S}:{key} must be positive (got {value}).");
        }
    }
}
