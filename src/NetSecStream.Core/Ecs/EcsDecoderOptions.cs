using Microsoft.Extensions.Options;

namespace NetSecStream.Core.Ecs;

/// <summary>Options of the <c>ecs_json</c> decoder (configuration section <c>Decoders:Ecs</c>).</summary>
public sealed class EcsDecoderOptions
{
    public const string SectionName = "Decoders:Ecs";

    public const int DefaultMaxRecordBytes = 1024 * 1024;

    public const int MaxAllowedRecordBytes = 256 * 1024 * 1024;

    public const int DefaultInternCapacity = 8192;

    public const int MinInternCapacity = 16;

    public const int MaxInternCapacity = 1 << 24;

    /// <summary>Records longer than this are rejected without being parsed.</summary>
    public int MaxRecordBytes { get; set; } = DefaultMaxRecordBytes;

    /// <summary>Slots of the bounded tables that share repeated strings, addresses and label objects between flows.</summary>
    public int InternCapacity { get; set; } = DefaultInternCapacity;
}

public sealed class EcsDecoderOptionsValidator : IValidateOptions<EcsDecoderOptions>
{
    public ValidateOptionsResult Validate(string? name, EcsDecoderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        const string Prefix = EcsDecoderOptions.SectionName + ":";
        var failures = new List<string>();
        if (options.MaxRecordBytes <= 0)
        {
            failures.Add($"{Prefix}MaxRecordBytes must be > 0 (was {options.MaxRecordBytes})");
        }
        else if (options.MaxRecordBytes > EcsDecoderOptions.MaxAllowedRecordBytes)
        {
            failures.Add($"{Prefix}MaxRecordBytes must be at most {EcsDecoderOptions.MaxAllowedRecordBytes} (was {options.MaxRecordBytes})");
        }

        if (options.InternCapacity is < EcsDecoderOptions.MinInternCapacity or > EcsDecoderOptions.MaxInternCapacity)
        {
            failures.Add($"{Prefix}InternCapacity must be between {EcsDecoderOptions.MinInternCapacity} and {EcsDecoderOptions.MaxInternCapacity} (was {options.InternCapacity})");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
