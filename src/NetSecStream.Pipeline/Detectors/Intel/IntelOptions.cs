using Microsoft.Extensions.Options;

namespace NetSecStream.Pipeline.Detectors.Intel;

/// <summary>Configuration section <c>Detectors:Intel</c>.</summary>
public sealed class IntelOptions
{
    public const string Section = "Detectors:Intel";

    public bool Enabled { get; set; } = true;

    /// <summary>Indicator files or folders (every *.txt, *.list and *.csv inside). Empty = the shipped lists.</summary>
    public List<string> Paths { get; set; } = [];

    /// <summary>How often the files are checked for changes.</summary>
    public TimeSpan ReloadInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Refuse to start when a file has unusable lines (otherwise they are reported and skipped).</summary>
    public bool Strict { get; set; }
}

public sealed class IntelOptionsValidator : IValidateOptions<IntelOptions>
{
    public ValidateOptionsResult Validate(string? name, IntelOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.ReloadInterval < TimeSpan.FromMilliseconds(100))
        {
            failures.Add($"{IntelOptions.Section}:ReloadInterval must be at least 00:00:00.1 (got {options.ReloadInterval}).");
        }

        for (int i = 0; i < options.Paths.Count; i++)
        {
            string path = options.Paths[i];
            if (string.IsNullOrWhiteSpace(path))
            {
                failures.Add($"{IntelOptions.Section}:Paths:{i} is empty.");
            }
            else if (options.Enabled && !File.Exists(path) && !Directory.Exists(path))
            {
                failures.Add($"{IntelOptions.Section}:Paths:{i} '{path}' does not exist.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
