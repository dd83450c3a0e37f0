using Microsoft.Extensions.Options;

namespace NetSecStream.Policy.Audit;

/// <summary>Configuration section <c>Detectors:Policy</c>: policy audit (component id <c>policy</c>).</summary>
public sealed class PolicyAuditOptions
{
    public const string Section = "Detectors:Policy";

    /// <summary>Off by default: audit needs the cluster's policies, which only the operator can point at.</summary>
    public bool Enabled { get; set; }

    /// <summary>Policy files or folders (every *.yaml, *.yml and *.json below a folder).</summary>
    public List<string> Paths { get; set; } = [];

    /// <summary>How often the files are checked for changes; a changed set is reloaded, a broken one keeps the policies in force.</summary>
    public TimeSpan ReloadInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Severity (1 highest .. 4 lowest) of the alert raised for a flow the policies would deny.</summary>
    public int Severity { get; set; } = 3;

    /// <summary>Verdicts cached by the facts that decide them; the cache starts over when full.</summary>
    public int VerdictCacheCapacity { get; set; } = 262_144;
}

public sealed class PolicyAuditOptionsValidator : IValidateOptions<PolicyAuditOptions>
{
    public ValidateOptionsResult Validate(string? name, PolicyAuditOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.ReloadInterval < TimeSpan.FromMilliseconds(100))
        {
            failures.Add($"{PolicyAuditOptions.Section}:ReloadInterval must be at least 00:00:00.1 (got {options.ReloadInterval}).");
        }

        if (options.Severity is < 1 or > 4)
        {
            failures.Add($"{PolicyAuditOptions.Section}:Severity must be 1-4 (got {options.Severity}).");
        }

        if (options.VerdictCacheCapacity is < 0 or > 16_777_216)
        {
            failures.Add($"{PolicyAuditOptions.Section}:VerdictCacheCapacity must be 0-16777216 (got {options.VerdictCacheCapacity}).");
        }

        if (options.Enabled && options.Paths.Count == 0)
        {
            failures.Add($"{PolicyAuditOptions.Section}:Paths must name at least one policy file or folder when Enabled is true.");
        }

        for (int i = 0; i < options.Paths.Count; i++)
        {
            string path = options.Paths[i];
            if (string.IsNullOrWhiteSpace(path))
            {
                failures.Add($"{PolicyAuditOptions.Section}:Paths:{i} is empty.");
            }
            else if (options.Enabled && !File.Exists(path) && !Directory.Exists(path))
            {
                failures.Add($"{PolicyAuditOptions.Section}:Paths:{i} '{path}' does not exist.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
