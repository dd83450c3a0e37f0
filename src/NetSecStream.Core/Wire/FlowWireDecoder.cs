using Microsoft.Extensions.Options;
using NetSecStream.Core.Components;
using NetSecStream.Core.Ecs;
using NetSecStream.Core.Telemetry;

namespace NetSecStream.Core.Wire;

/// <summary>
/// Decodes a flow as it travels on the flows topic, in either wire encoding NetSecStream publishes (component id
/// <c>flow_wire</c>): <see cref="FlowBinary"/> messages (first byte 0x00) and ECS JSON documents (anything else, read by
/// <see cref="EcsFlowDecoder"/>). A topic may carry both while collectors are switched from one encoding to the other.
/// Thread-safe; never throws for bad input.
/// </summary>
public sealed class FlowWireDecoder : IFlowDecoder
{
    public const string ComponentId = "flow_wire";

    private readonly EcsFlowDecoder _ecs;
    private readonly FlowBinaryCaches _caches;
    private readonly NetSecMetrics? _metrics;

    public FlowWireDecoder(FlowWireDecoderOptions? options = null, NetSecMetrics? metrics = null)
    {
        options ??= new FlowWireDecoderOptions();
        var validation = new FlowWireDecoderOptionsValidator().Validate(null, options);
        if (validation.Failed)
        {
            throw new OptionsValidationException(nameof(FlowWireDecoderOptions), typeof(FlowWireDecoderOptions), validation.Failures);
        }

        MaxRecordBytes = options.MaxRecordBytes;
        _ecs = new EcsFlowDecoder(new EcsDecoderOptions { MaxRecordBytes = options.MaxRecordBytes, InternCapacity = options.InternCapacity });
        _caches = new FlowBinaryCaches(options.InternCapacity);
        _metrics = metrics;
    }

    public string Id => ComponentId;

    public ComponentKind Kind => ComponentKind.Decoder;

    public int MaxRecordBytes { get; }

    public DecodeResult Decode(ReadOnlySpan<byte> payload)
    {
        _metrics?.EventsIn(ComponentId);
        DecodeResult result;
        string reason;
        if (payload.Length > MaxRecordBytes)
        {
            result = DecodeResult.Fail($"record of {payload.Length} bytes exceeds {FlowWireDecoderOptions.SectionName}:MaxRecordBytes ({MaxRecordBytes})");
            reason = "oversized";
        }
        else if (FlowBinary.IsBinary(payload))
        {
            result = FlowBinaryReader.Read(payload, _caches);
            reason = "invalid_binary";
        }
        else
        {
            result = _ecs.Decode(payload);
            reason = "invalid_ecs_json";
        }

        if (result.IsSuccess)
        {
            _metrics?.EventsOut(ComponentId);
        }
        else
        {
            _metrics?.EventRejected(ComponentId, reason);
        }

        return result;
    }
}

/// <summary>Options of the <c>flow_wire</c> decoder (configuration section <c>Decoders:FlowWire</c>).</summary>
public sealed class FlowWireDecoderOptions
{
    public const string SectionName = "Decoders:FlowWire";

    /// <summary>Records longer than this are rejected without being parsed.</summary>
    public int MaxRecordBytes { get; set; } = EcsDecoderOptions.DefaultMaxRecordBytes;

    /// <summary>Slots of the bounded tables that share repeated strings, addresses and endpoint facts between flows.</summary>
    public int InternCapacity { get; set; } = EcsDecoderOptions.DefaultInternCapacity;
}

public sealed class FlowWireDecoderOptionsValidator : IValidateOptions<FlowWireDecoderOptions>
{
    public ValidateOptionsResult Validate(string? name, FlowWireDecoderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        const string Prefix = FlowWireDecoderOptions.SectionName + ":";
        var failures = new List<string>();
        if (options.MaxRecordBytes is <= 0 or > EcsDecoderOptions.MaxAllowedRecordBytes)
        {
            failures.Add($"{Prefix}MaxRecordBytes must be between 1 and {EcsDecoderOptions.MaxAllowedRecordBytes} (was {options.MaxRecordBytes})");
        }

        if (options.InternCapacity is < EcsDecoderOptions.MinInternCapacity or > EcsDecoderOptions.MaxInternCapacity)
        {
            failures.Add($"{Prefix}InternCapacity must be between {EcsDecoderOptions.MinInternCapacity} and {EcsDecoderOptions.MaxInternCapacity} (was {options.InternCapacity})");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
