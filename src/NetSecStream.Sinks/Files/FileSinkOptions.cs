using Microsoft.Extensions.Options;

namespace NetSecStream.Sinks.Files;

/// <summary>Options of the <c>file</c> sink (configuration section <c>Sinks:File</c>).</summary>
public sealed class FileSinkOptions
{
    public const string SectionName = "Sinks:File";

    /// <summary>Folder the NDJSON files are written to; created when missing. Required.</summary>
    public string Directory { get; set; } = "";

    /// <summary>A file is closed and a new one started before it would grow past this many bytes.</summary>
    public long MaxFileBytes { get; set; } = 128L * 1024 * 1024;

    /// <summary>A file older than this is closed at the next write and a new one started.</summary>
    public TimeSpan MaxFileAge { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Also write flows (<c>flows-*.ndjson</c>), not only alerts.</summary>
    public bool IncludeFlows { get; set; }

    /// <summary>
    /// True (default): every batch is flushed to the disk (fsync) before the write returns, so a committed offset
    /// survives a power loss. False: flushed to the operating system only, which survives a crash of the process.
    /// </summary>
    public bool FsyncOnWrite { get; set; } = true;
}

/// <summary>Rejects <see cref="FileSinkOptions"/> at start-up with messages naming the configuration key.</summary>
public sealed class FileSinkOptionsValidator : IValidateOptions<FileSinkOptions>
{
    public ValidateOptionsResult Validate(string? name, FileSinkOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = RotatingFileOptionsChecks.Check(FileSinkOptions.SectionName, options.Directory, options.MaxFileBytes, options.MaxFileAge);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

internal static class RotatingFileOptionsChecks
{
    public static List<string> Check(string section, string? directory, long maxFileBytes, TimeSpan maxFileAge)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(directory))
        {
            failures.Add($"{section}:Directory is required");
        }
        else if (directory.AsSpan().IndexOfAny(Path.GetInvalidPathChars()) >= 0)
        {
            failures.Add($"{section}:Directory '{directory}' contains characters not allowed in a path");
        }

        if (maxFileBytes <= 0)
        {
            failures.Add($"{section}:MaxFileBytes must be > 0 (was {maxFileBytes})");
        }

        if (maxFileAge <= TimeSpan.Zero)
        {
            failures.Add($"{section}:MaxFileAge must be > 0 (was {maxFileAge})");
        }

        return failures;
    }
}
