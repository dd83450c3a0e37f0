using Microsoft.Extensions.Options;
using NetSecStream.Sinks.Files;

namespace NetSecStream.Sinks.Eve;

/// <summary>Options of the <c>eve_file</c> sink (configuration section <c>Sinks:Eve</c>).</summary>
public sealed class EveFileSinkOptions
{
    public const string SectionName = "Sinks:Eve";

    /// <summary>Folder the <c>eve-*.json</c> files are written to; created when missing. Required.</summary>
    public string Directory { get; set; } = "";

    /// <summary>A file is closed and a new one started before it would grow past this many bytes.</summary>
    public long MaxFileBytes { get; set; } = 128L * 1024 * 1024;

    /// <summary>A file older than this is closed at the next write and a new one started.</summary>
    public TimeSpan MaxFileAge { get; set; } = TimeSpan.FromHours(1);

    /// <summary>True (default): every batch is fsynced before the write returns; false: flushed to the operating system only.</summary>
    public bool FsyncOnWrite { get; set; } = true;
}

/// <summary>Rejects <see cref="EveFileSinkOptions"/> at start-up with messages naming the configuration key.</summary>
public sealed class EveFileSinkOptionsValidator : IValidateOptions<EveFileSinkOptions>
{
    public ValidateOptionsResult Validate(string? name, EveFileSinkOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = RotatingFileOptionsChecks.Check(EveFileSinkOptions.SectionName, options.Directory, options.MaxFileBytes, options.MaxFileAge);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
