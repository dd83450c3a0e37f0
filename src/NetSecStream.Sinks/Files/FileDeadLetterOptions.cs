using Microsoft.Extensions.Options;

namespace NetSecStream.Sinks.Files;

/// <summary>Options of the file dead-letter writer (configuration section <c>DeadLetter:File</c>).</summary>
public sealed class FileDeadLetterOptions
{
    public const string SectionName = "DeadLetter:File";

    /// <summary>Folder the <c>deadletter-*.ndjson</c> files are written to; created when missing. Required.</summary>
    public string Directory { get; set; } = "";

    public long MaxFileBytes { get; set; } = 128L * 1024 * 1024;

    public TimeSpan MaxFileAge { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Flush each record to the disk (fsync) before the write returns.</summary>
    public bool FsyncOnWrite { get; set; } = true;
}

/// <summary>Rejects <see cref="FileDeadLetterOptions"/> at start-up with messages naming the configuration key.</summary>
public sealed class FileDeadLetterOptionsValidator : IValidateOptions<FileDeadLetterOptions>
{
    public ValidateOptionsResult Validate(string? name, FileDeadLetterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = RotatingFileOptionsChecks.Check(FileDeadLetterOptions.SectionName, options.Directory, options.MaxFileBytes, options.MaxFileAge);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
