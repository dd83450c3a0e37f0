using Microsoft.Extensions.Options;
using NetSecStream.Core.Telemetry;

namespace NetSecStream.Pipeline.Decide;

/// <summary>
/// Configuration section <c>Modes</c>: what happens to detections per namespace (and optionally per workload),
/// with a cluster default. Values are <c>log</c>, <c>alert</c> or <c>block</c>.
/// </summary>
public sealed class ModeOptions
{
    public const string Section = "Modes";

    public string Default { get; set; } = "alert";

    /// <summary>Namespace name → mode.</summary>
    public Dictionary<string, string> Namespaces { get; set; } = new(StringComparer.Ordinal);

    /// <summary><c>namespace/workload</c> → mode; wins over the namespace's mode.</summary>
    public Dictionary<string, string> Workloads { get; set; } = new(StringComparer.Ordinal);
}

public sealed class ModeOptionsValidator : IValidateOptions<ModeOptions>
{
    public ValidateOptionsResult Validate(string? name, ModeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (!ModeNames.TryParse(options.Default, out _))
        {
            failures.Add($"{ModeOptions.Section}:Default '{options.Default}' is not a mode (log, alert or block).");
        }

        foreach (var (ns, mode) in options.Namespaces)
        {
            if (!ModeNames.TryParse(mode, out _))
            {
                failures.Add($"{ModeOptions.Section}:Namespaces:{ns} '{mode}' is not a mode (log, alert or block).");
            }
        }

        foreach (var (workload, mode) in options.Workloads)
        {
            if (!workload.Contains('/', StringComparison.Ordinal))
            {
                failures.Add($"{ModeOptions.Section}:Workloads:{workload} must be written namespace/workload.");
            }

            if (!ModeNames.TryParse(mode, out _))
            {
                failures.Add($"{ModeOptions.Section}:Workloads:{workload} '{mode}' is not a mode (log, alert or block).");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
