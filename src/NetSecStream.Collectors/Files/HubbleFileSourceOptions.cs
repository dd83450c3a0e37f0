using Microsoft.Extensions.Options;

namespace NetSecStream.Collectors.Files;

/// <summary>Options of the <c>hubble_file</c> source (configuration section <c>Sources:Hubble</c>).</summary>
public sealed class HubbleFileSourceOptions
{
    public const string SectionName = "Sources:Hubble";

    /// <summary>The <see cref="Path"/> that means standard input.</summary>
    public const string StdinPath = "-";

    /// <summary>File of JSON lines to read, or <c>-</c> for standard input. Required.</summary>
    public string Path { get; set; } = "";

    /// <summary>Keep reading as the file grows and across rotation, like <c>tail -F</c>.</summary>
    public bool Follow { get; set; }

    /// <summary>How often a followed file is checked for new data, rotation or truncation.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Longer lines are skipped (without being buffered) and reported.</summary>
    public int MaxLineBytes { get; set; } = 1024 * 1024;

    /// <summary>With <see cref="Follow"/>: skip what the file already holds and read only what is appended.</summary>
    public bool StartAtEnd { get; set; }
}

public sealed class HubbleFileSourceOptionsValidator : IValidateOptions<HubbleFileSourceOptions>
{
    public const int MaxAllowedLineBytes = 256 * 1024 * 1024;

    public ValidateOptionsResult Validate(string? name, HubbleFileSourceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        const string Prefix = HubbleFileSourceOptions.SectionName + ":";
        var failures = new List<string>();
        bool stdin = options.Path == HubbleFileSourceOptions.StdinPath;
        if (string.IsNullOrWhiteSpace(options.Path))
        {
            failures.Add(Prefix + "Path is required");
        }

        if (options.PollInterval <= TimeSpan.Zero || options.PollInterval > TimeSpan.FromMinutes(1))
        {
            failures.Add($"{Prefix}PollInterval must be greater than 0 and at most 00:01:00 (was {options.PollInterval})");
        }

        if (options.MaxLineBytes is < 1 or > MaxAllowedLineBytes)
        {
            failures.Add($"{Prefix}MaxLineBytes must be between 1 and {MaxAllowedLineBytes} (was {options.MaxLineBytes})");
        }

        if (options.Follow && stdin)
        {
            failures.Add(Prefix + "Follow cannot be used with standard input (Path '-'): it is read until it closes");
        }

        if (options.StartAtEnd && !options.Follow)
        {
            failures.Add(Prefix + "StartAtEnd requires Follow");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
