using Microsoft.Extensions.Options;
using NetSecStream.Core.Selectors;
using NetSecStream.Core.Telemetry;

namespace NetSecStream.Pipeline.Decide;

/// <summary>
/// Configuration section <c>Modes</c>: what happens to detections per namespace and per workload (by name or by label
/// selector), with a cluster default. Values are <c>log</c>, <c>alert</c> or <c>block</c>. Precedence: workload by name,
/// then the first matching selector (those scoped to the flow's namespace before cluster-wide ones, each group in
/// order), then the namespace, then the default.
/// </summary>
public sealed class ModeOptions
{
    public const string Section = "Modes";

    public string Default { get; set; } = "alert";

    /// <summary>Namespace name → mode.</summary>
    public Dictionary<string, string> Namespaces { get; set; } = new(StringComparer.Ordinal);

    /// <summary><c>namespace/workload</c> → mode; wins over everything else.</summary>
    public Dictionary<string, string> Workloads { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Workloads chosen by label selector; wins over the namespace's mode.</summary>
    public List<ModeSelectorOptions> Selectors { get; set; } = [];

    /// <summary>
    /// A YAML or JSON file with the same keys as this section (less <c>File</c> and the reload settings). Read at start
    /// and whenever it changes; while it reads, it replaces the modes set here. A broken file keeps the modes in force.
    /// </summary>
    public string? File { get; set; }

    /// <summary>How often <see cref="File"/> is checked for changes.</summary>
    public TimeSpan ReloadInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Bound on the (namespace, labels) → selector cache of the resolver.</summary>
    public int SelectorCacheSize { get; set; } = 4096;
}

/// <summary>One entry of <c>Modes:Selectors</c>.</summary>
public sealed class ModeSelectorOptions
{
    /// <summary>Namespace the selector applies in; all namespaces when absent.</summary>
    public string? Namespace { get; set; }

    /// <summary>Label selector in the <c>kubectl -l</c> form: <c>app=payments,tier in (db)</c>.</summary>
    public string Selector { get; set; } = "";

    public string Mode { get; set; } = "";
}

public sealed class ModeOptionsValidator : IValidateOptions<ModeOptions>
{
    public ValidateOptionsResult Validate(string? name, ModeOptions options)
    {
        var failures = Check(options, ModeOptions.Section, includeFileSettings: true);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Every problem of a mode table, each naming its key under <paramref name="prefix"/>.</summary>
    public static List<string> Check(ModeOptions options, string prefix, bool includeFileSettings)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (!ModeNames.TryParse(options.Default, out _))
        {
            failures.Add($"{prefix}:Default '{options.Default}' is not a mode (log, alert or block).");
        }

        foreach (var (ns, mode) in options.Namespaces)
        {
            if (!ModeNames.TryParse(mode, out _))
            {
                failures.Add($"{prefix}:Namespaces:{ns} '{mode}' is not a mode (log, alert or block).");
            }
        }

        foreach (var (workload, mode) in options.Workloads)
        {
            if (!workload.Contains('/', StringComparison.Ordinal))
            {
                failures.Add($"{prefix}:Workloads:{workload} must be written namespace/workload.");
            }

            if (!ModeNames.TryParse(mode, out _))
            {
                failures.Add($"{prefix}:Workloads:{workload} '{mode}' is not a mode (log, alert or block).");
            }
        }

        for (int i = 0; i < options.Selectors.Count; i++)
        {
            var entry = options.Selectors[i];
            string key = $"{prefix}:Selectors:{i}";
            if (entry is null)
            {
                failures.Add($"{key} is empty.");
                continue;
            }

            if (string.IsNullOrWhiteSpace(entry.Selector))
            {
                // An empty selector would select every labelled workload: that is what a namespace or the default is for.
                failures.Add($"{key}:Selector is missing (use Namespaces or Default to set a mode for everything).");
            }
            else if (!LabelSelector.TryParse(entry.Selector, out _, out string? error))
            {
                failures.Add($"{key}:Selector is not a label selector: {error}.");
            }

            if (entry.Namespace is not null && string.IsNullOrWhiteSpace(entry.Namespace))
            {
                failures.Add($"{key}:Namespace is blank (leave it out to match in every namespace).");
            }

            if (!ModeNames.TryParse(entry.Mode, out _))
            {
                failures.Add($"{key}:Mode '{entry.Mode}' is not a mode (log, alert or block).");
            }
        }

        if (includeFileSettings)
        {
            if (options.File is not null && string.IsNullOrWhiteSpace(options.File))
            {
                failures.Add($"{prefix}:File is blank.");
            }

            if (options.ReloadInterval < TimeSpan.FromMilliseconds(100) || options.ReloadInterval > TimeSpan.FromHours(1))
            {
                failures.Add($"{prefix}:ReloadInterval '{options.ReloadInterval}' must be between 00:00:00.1 and 01:00:00.");
            }

            if (options.SelectorCacheSize is < 16 or > 1_000_000)
            {
                failures.Add($"{prefix}:SelectorCacheSize '{options.SelectorCacheSize}' must be between 16 and 1000000.");
            }
        }

        return failures;
    }
}
