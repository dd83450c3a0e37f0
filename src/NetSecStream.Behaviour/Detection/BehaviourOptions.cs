using Microsoft.Extensions.Options;
using NetSecStream.Behaviour.Features;

namespace NetSecStream.Behaviour.Detection;

/// <summary>Configuration section <c>Detectors:Behaviour</c>: the behaviour scoring stage.</summary>
public sealed class BehaviourOptions
{
    public const string Section = "Detectors:Behaviour";

    /// <summary>Off by default: a baseline has to be trained on the cluster's own normal traffic to mean anything there.</summary>
    public bool Enabled { get; set; }

    /// <summary>The live model's folder (a workload baseline: <c>baseline.json</c>, with <c>metrics.json</c> and <c>MODEL_CARD.md</c>).</summary>
    public string ModelPath { get; set; } = Path.Combine("models", "workload-baseline");

    /// <summary>
    /// A candidate model's folder (shadow mode): it scores every event beside the live model and its verdicts are
    /// counted (<c>netsec_behaviour_scored{role="shadow"}</c>) and logged, never raised as alerts.
    /// </summary>
    public string? ShadowModelPath { get; set; }

    /// <summary>
    /// The control plane's models file (<c>Control:ModelsFile</c>; a shared volume or ConfigMap for processors on other
    /// machines): while it exists, its <c>Detectors:Behaviour:ModelPath</c> and <c>ShadowModelPath</c> replace those two
    /// settings. It is checked every <see cref="ReloadInterval"/>; a file or a model that does not load keeps the models in
    /// force (logged and counted). <c>netsec run</c> sets it to its own control plane's file.
    /// </summary>
    public string? ModelsFile { get; set; }

    /// <summary>
    /// Score at or above which an event is an alert. Empty: the model's own <c>threshold_at_1pct_fpr</c> from its
    /// metrics.json, else 25.
    /// </summary>
    public double? Threshold { get; set; }

    /// <summary>Thresholds for the workloads of particular namespaces, e.g. <c>NamespaceThresholds:payments=40</c>.</summary>
    public Dictionary<string, double> NamespaceThresholds { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Features named in each alert's explanation.</summary>
    public int ExplainTop { get; set; } = 5;

    /// <summary>How often the model folders are checked for a new model (hot reload; a model that fails to load is not taken).</summary>
    public TimeSpan ReloadInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Threads that score one batch (feature extraction stays in order on one thread).</summary>
    public int ScoringParallelism { get; set; } = Math.Clamp(Environment.ProcessorCount, 1, 4);

    /// <summary>Sliding window of the source and workload features.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Bounds of the feature state, per origin (Kafka partition): connections, sources, workloads, periodicity pairs.</summary>
    public int MaxConnections { get; set; } = 65_536;

    public int MaxSources { get; set; } = 8_192;

    public int MaxWorkloads { get; set; } = 2_048;

    public int MaxPairs { get; set; } = 16_384;

    internal FlowFeatureExtractorOptions ExtractorOptions() => new()
    {
        Window = Window,
        MaxConnections = MaxConnections,
        MaxSources = MaxSources,
        MaxWorkloads = MaxWorkloads,
        MaxPairs = MaxPairs,
    };
}

public sealed class BehaviourOptionsValidator : IValidateOptions<BehaviourOptions>
{
    public ValidateOptionsResult Validate(string? name, BehaviourOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        const string S = BehaviourOptions.Section;
        var failures = new List<string>();
        if (options.ModelsFile is not null && string.IsNullOrWhiteSpace(options.ModelsFile))
        {
            failures.Add($"{S}:ModelsFile must not be empty (leave it out to use ModelPath only).");
        }

        // A models file that exists names the models itself; the detector's start reports one that does not load.
        if (options.Enabled && !(options.ModelsFile is { } modelsFile && !string.IsNullOrWhiteSpace(modelsFile) && File.Exists(modelsFile)))
        {
            if (string.IsNullOrWhiteSpace(options.ModelPath))
            {
                failures.Add($"{S}:ModelPath is required when the behaviour detector is enabled.");
            }
            else if (!Directory.Exists(options.ModelPath))
            {
                failures.Add($"{S}:ModelPath '{options.ModelPath}' does not exist (train one with: netsec train --dataset generator --out {options.ModelPath}).");
            }

            if (options.ShadowModelPath is { } shadow && !Directory.Exists(shadow))
            {
                failures.Add($"{S}:ShadowModelPath '{shadow}' does not exist.");
            }
        }

        if (options.Threshold is { } t && (double.IsNaN(t) || t <= 0))
        {
            failures.Add($"{S}:Threshold must be a positive number (got {t}).");
        }

        foreach (var (ns, value) in options.NamespaceThresholds)
        {
            if (double.IsNaN(value) || value <= 0)
            {
                failures.Add($"{S}:NamespaceThresholds:{ns} must be a positive number (got {value}).");
            }
        }

        if (options.ExplainTop is < 1 or > 40)
        {
            failures.Add($"{S}:ExplainTop must be between 1 and 40 (got {options.ExplainTop}).");
        }

        if (options.ReloadInterval < TimeSpan.FromMilliseconds(100))
        {
            failures.Add($"{S}:ReloadInterval must be at least 00:00:00.1 (got {options.ReloadInterval}).");
        }

        if (options.ScoringParallelism is < 1 or > 64)
        {
            failures.Add($"{S}:ScoringParallelism must be between 1 and 64 (got {options.ScoringParallelism}).");
        }

        if (options.Window < TimeSpan.FromSeconds(1) || options.Window > TimeSpan.FromHours(24))
        {
            failures.Add($"{S}:Window must be between 00:00:01 and 1.00:00:00 (got {options.Window}).");
        }

        foreach (var (key, value) in new[] { ("MaxConnections", options.MaxConnections), ("MaxSources", options.MaxSources), ("MaxWorkloads", options.MaxWorkloads), ("MaxPairs", options.MaxPairs) })
        {
            if (value is < 1 or > 10_000_000)
            {
                failures.Add($"{S}:{key} must be between 1 and 10000000 (got {value}).");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
