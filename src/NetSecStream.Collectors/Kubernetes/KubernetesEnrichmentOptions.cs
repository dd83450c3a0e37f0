using Microsoft.Extensions.Options;

namespace NetSecStream.Collectors.Kubernetes;

/// <summary>Options of the <c>kubernetes</c> enricher (configuration section <c>Enrichers:Kubernetes</c>).</summary>
public sealed class KubernetesEnrichmentOptions
{
    public const string SectionName = "Enrichers:Kubernetes";

    /// <summary>
    /// Kubeconfig file to reach the API server with. Empty: the pod's service account when running in a cluster,
    /// else <c>$KUBECONFIG</c> or <c>~/.kube/config</c>.
    /// </summary>
    public string? KubeconfigPath { get; set; }

    /// <summary>Kubeconfig context to use; empty for the file's current context.</summary>
    public string? Context { get; set; }

    /// <summary>Require the in-cluster service account (and fail at start-up outside a cluster).</summary>
    public bool InCluster { get; set; }

    /// <summary>Only pods of these namespaces are indexed (one list and watch each); empty: every namespace.</summary>
    public List<string> Namespaces { get; set; } = [];

    /// <summary>Most pods indexed at once; pods beyond it are counted (reason <c>cache_full</c>) and not indexed.</summary>
    public int MaxPods { get; set; } = 100_000;

    /// <summary>How often the pods are listed again from scratch, healing anything a watch missed; 0 disables it.</summary>
    public TimeSpan Resync { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How long the API server keeps one watch open before the enricher opens the next from where it was.</summary>
    public TimeSpan WatchTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>First wait after a failed list or watch; doubled (with jitter) on each failure in a row.</summary>
    public TimeSpan ReconnectInitialBackoff { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest wait between attempts.</summary>
    public TimeSpan ReconnectMaxBackoff { get; set; } = TimeSpan.FromSeconds(30);
}

public sealed class KubernetesEnrichmentOptionsValidator : IValidateOptions<KubernetesEnrichmentOptions>
{
    private static readonly TimeSpan LongestBackoff = TimeSpan.FromMinutes(10);

    public ValidateOptionsResult Validate(string? name, KubernetesEnrichmentOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        const string Prefix = KubernetesEnrichmentOptions.SectionName + ":";
        var failures = new List<string>();
        if (options.InCluster && !string.IsNullOrWhiteSpace(options.KubeconfigPath))
        {
            failures.Add($"{Prefix}KubeconfigPath cannot be set with InCluster: choose the service account or a kubeconfig file");
        }

        if (options.InCluster && !string.IsNullOrWhiteSpace(options.Context))
        {
            failures.Add($"{Prefix}Context applies to a kubeconfig file only, not to InCluster");
        }

        for (int i = 0; i < (options.Namespaces?.Count ?? 0); i++)
        {
            string ns = options.Namespaces![i];
            if (!IsDnsLabel(ns))
            {
                failures.Add($"{Prefix}Namespaces:{i} '{ns}' is not a Kubernetes namespace name (lower-case letters, digits and '-', at most 63)");
            }
        }

        if (options.Namespaces is { Count: > 0 } && options.Namespaces.Distinct(StringComparer.Ordinal).Count() != options.Namespaces.Count)
        {
            failures.Add($"{Prefix}Namespaces lists a namespace more than once");
        }

        if (options.MaxPods is < 1 or > 10_000_000)
        {
            failures.Add($"{Prefix}MaxPods must be between 1 and 10000000 (was {options.MaxPods})");
        }

        if (options.Resync < TimeSpan.Zero || options.Resync > TimeSpan.FromDays(1))
        {
            failures.Add($"{Prefix}Resync must be between 00:00:00 (disabled) and 1.00:00:00 (was {options.Resync})");
        }

        if (options.WatchTimeout < TimeSpan.FromSeconds(1) || options.WatchTimeout > TimeSpan.FromHours(1))
        {
            failures.Add($"{Prefix}WatchTimeout must be between 00:00:01 and 01:00:00 (was {options.WatchTimeout})");
        }

        if (options.ReconnectInitialBackoff <= TimeSpan.Zero || options.ReconnectInitialBackoff > LongestBackoff)
        {
            failures.Add($"{Prefix}ReconnectInitialBackoff must be greater than 0 and at most {LongestBackoff} (was {options.ReconnectInitialBackoff})");
        }

        if (options.ReconnectMaxBackoff < options.ReconnectInitialBackoff || options.ReconnectMaxBackoff > LongestBackoff)
        {
            failures.Add($"{Prefix}ReconnectMaxBackoff must be at least ReconnectInitialBackoff and at most {LongestBackoff} (was {options.ReconnectMaxBackoff})");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static bool IsDnsLabel(string? value) =>
        !string.IsNullOrEmpty(value) && value.Length <= 63
        && char.IsAsciiLetterLower(value[0]) | char.IsAsciiDigit(value[0])
        && char.IsAsciiLetterLower(value[^1]) | char.IsAsciiDigit(value[^1])
        && value.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-');
}
