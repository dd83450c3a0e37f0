using Microsoft.Extensions.Options;

namespace NetSecStream.Collectors.Hubble;

/// <summary>Options of the <c>hubble_json</c> decoder (configuration section <c>Decoders:Hubble</c>).</summary>
public sealed class HubbleDecoderOptions
{
    public const string SectionName = "Decoders:Hubble";

    public const int DefaultMaxLineBytes = 1024 * 1024;

    /// <summary>Written to <c>FlowEvent.CollectorId</c> of every decoded flow.</summary>
    public string CollectorId { get; set; } = "hubble";

    /// <summary>Cluster name written to <c>FlowEvent.Cluster</c>; Hubble flows do not carry it.</summary>
    public string? Cluster { get; set; }

    /// <summary>Records longer than this are rejected without being parsed.</summary>
    public int MaxLineBytes { get; set; } = DefaultMaxLineBytes;

    /// <summary>Slots of the bounded tables that share repeated strings, addresses and label sets between flows.</summary>
    public int InternCapacity { get; set; } = 8192;
}

public sealed class HubbleDecoderOptionsValidator : IValidateOptions<HubbleDecoderOptions>
{
    public ValidateOptionsResult Validate(string? name, HubbleDecoderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        const string Prefix = HubbleDecoderOptions.SectionName + ":";
        if (string.IsNullOrWhiteSpace(options.CollectorId))
        {
            failures.Add(Prefix + "CollectorId is required");
        }

        if (options.MaxLineBytes is < 64 or > 256 * 1024 * 1024)
        {
            failures.Add($"{Prefix}MaxLineBytes must be between 64 and {256 * 1024 * 1024} (was {options.MaxLineBytes})");
        }

        if (options.InternCapacity is < 16 or > 1 << 24)
        {
            failures.Add($"{Prefix}InternCapacity must be between 16 and {1 << 24} (was {options.InternCapacity})");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
