using Microsoft.Extensions.Options;
using NetSecStream.Core.Components;
using NetSecStream.Core.Telemetry;

namespace NetSecStream.Core.Ecs;

/// <summary>
/// Decodes one ECS flow document (what <see cref="EcsJson.SerializeFlow"/> writes, as flows travel on Kafka; an
/// alert document yields its flow) into a <see cref="Events.FlowEvent"/>. Reads with <see cref="System.Text.Json.Utf8JsonReader"/>
/// in one pass and shares repeated strings, addresses and label objects through bounded tables of its own.
/// Thread-safe; never throws for bad input.
/// </summary>
public sealed class EcsFlowDecoder : IFlowDecoder
{
    public const string ComponentId = "ecs_json";

    private readonly EcsReadCaches _caches;
    private readonly NetSecMetrics? _metrics;

    public EcsFlowDecoder(EcsDecoderOptions? options = null, NetSecMetrics? metrics = null)
    {
        options ??= new EcsDecoderOptions();
        var validation = new EcsDecoderOptionsValidator().Validate(null, options);
        if (validation.Failed)
        {
            throw new OptionsValidationException(nameof(EcsDecoderOptions), typeof(EcsDecoderOptions), validation.Failures);
        }

        MaxRecordBytes = options.MaxRecordBytes;
        _caches = new EcsReadCaches(options.InternCapacity);
        _metrics = metrics;
    }

    public string Id => ComponentId;

    public ComponentKind Kind => ComponentKind.Decoder;

    public int MaxRecordBytes { get; }

    public DecodeResult Decode(ReadOnlySpan<byte> payload)
    {
        _metrics?.EventsIn(ComponentId);
        EcsReadFailure failure;
        var result = payload.Length > MaxRecordBytes
            ? Oversized(payload.Length, out failure)
            : EcsRead.Flow(payload, _caches, out failure);
        if (result.IsSuccess)
        {
            _metrics?.EventsOut(ComponentId);
        }
        else
        {
            _metrics?.EventRejected(ComponentId, ReasonTag(failure));
        }

        return result;
    }

    private DecodeResult Oversized(int length, out EcsReadFailure failure)
    {
        failure = EcsReadFailure.Oversized;
        return DecodeResult.Fail($"record of {length} bytes exceeds Decoders:Ecs:MaxRecordBytes ({MaxRecordBytes})");
    }

    private static string ReasonTag(EcsReadFailure failure) => failure switch
    {
        EcsReadFailure.Oversized => "oversized",
        EcsReadFailure.UnsupportedSchema => "unsupported_schema",
        EcsReadFailure.MissingField => "missing_field",
        EcsReadFailure.InvalidValue => "invalid_value",
        _ => "invalid_json",
    };
}
