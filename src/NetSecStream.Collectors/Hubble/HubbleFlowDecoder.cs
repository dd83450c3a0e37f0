using System.Text.Json;
using Microsoft.Extensions.Options;
using NetSecStream.Core.Components;
using NetSecStream.Core.Events;
using NetSecStream.Core.Telemetry;

namespace NetSecStream.Collectors.Hubble;

/// <summary>
/// Decodes one JSON line of Cilium Hubble flows (<c>hubble observe -o jsonpb</c>, the Hubble exporter's files, or
/// the bare flow object of <c>-o json</c>) into a <see cref="FlowEvent"/>. Reads with <see cref="Utf8JsonReader"/> in
/// one pass and shares repeated strings, addresses and label sets through bounded tables, so steady traffic
/// decodes with few allocations beyond the event itself. Thread-safe; never throws for bad input.
/// </summary>
public sealed class HubbleFlowDecoder : IFlowDecoder
{
    public const string ComponentId = "hubble_json";

    private readonly HubbleDecoderCaches _caches;
    private readonly NetSecMetrics? _metrics;
    private readonly string? _cluster;

    public HubbleFlowDecoder(HubbleDecoderOptions? options = null, NetSecMetrics? metrics = null)
    {
        options ??= new HubbleDecoderOptions();
        var validation = new HubbleDecoderOptionsValidator().Validate(null, options);
        if (validation.Failed)
        {
            throw new OptionsValidationException(nameof(HubbleDecoderOptions), typeof(HubbleDecoderOptions), validation.Failures);
        }

        CollectorId = options.CollectorId;
        MaxLineBytes = options.MaxLineBytes;
        _cluster = string.IsNullOrWhiteSpace(options.Cluster) ? null : options.Cluster;
        _caches = new HubbleDecoderCaches(options.InternCapacity);
        _metrics = metrics;
    }

    [ThreadStatic]
    private static byte[]? t_scratch;

    public string Id => ComponentId;

    public ComponentKind Kind => ComponentKind.Decoder;

    /// <summary>The <see cref="FlowEvent.CollectorId"/> given to decoded flows.</summary>
    public string CollectorId { get; }

    public int MaxLineBytes { get; }

    public DecodeResult Decode(ReadOnlySpan<byte> payload)
    {
        _metrics?.EventsIn(ComponentId);
        var result = DecodeCore(payload, out var failure);
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

    private DecodeResult DecodeCore(ReadOnlySpan<byte> payload, out HubbleDecodeFailure failure)
    {
        if (payload.Length > MaxLineBytes)
        {
            failure = HubbleDecodeFailure.Oversized;
            return DecodeResult.Fail($"record of {payload.Length} bytes exceeds MaxLineBytes ({MaxLineBytes})");
        }

        if (payload.StartsWith("\uFEFF"u8))
        {
            payload = payload[3..];
        }

        if (payload.TrimStart(" \t\r\n"u8).IsEmpty)
        {
            failure = HubbleDecodeFailure.InvalidJson;
            return DecodeResult.Fail("empty record");
        }

        // A per-thread scratch buffer: a stackalloc of this size is zeroed on every call, which profiling showed
        // to be the largest single cost of decoding. The parser writes before it reads any part of it.
        Span<byte> scratch = t_scratch ??= new byte[HubbleFlowParser.ScratchBytes];
        var parser = new HubbleFlowParser(payload, scratch, _caches);
        FlowEvent? flow;
        try
        {
            flow = parser.Parse(CollectorId, _cluster);
        }
        catch (JsonException ex)
        {
            failure = HubbleDecodeFailure.InvalidJson;
            return DecodeResult.Fail(DescribeJsonError(ex));
        }
        catch (InvalidOperationException ex)
        {
            // Utf8JsonReader reports undecodable string contents (invalid UTF-8 or escapes) this way.
            failure = HubbleDecodeFailure.InvalidJson;
            return DecodeResult.Fail("invalid JSON string: " + ex.Message);
        }

        failure = parser.Failure;
        return flow is null ? DecodeResult.Fail(parser.Error ?? "not a flow") : DecodeResult.Ok(flow);
    }

    private static string DescribeJsonError(JsonException ex)
    {
        string message = ex.Message;
        int location = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (location >= 0)
        {
            message = message[..location];
        }

        if (ex.BytePositionInLine is not long position)
        {
            return "invalid JSON: " + message;
        }

        return ex.LineNumber is > 0
            ? $"invalid JSON at line {ex.LineNumber + 1} byte {position}: {message}"
            : $"invalid JSON at byte {position}: {message}";
    }

    private static string ReasonTag(HubbleDecodeFailure failure) => failure switch
    {
        HubbleDecodeFailure.Oversized => "oversized",
        HubbleDecodeFailure.NotAFlow => "not_a_flow",
        HubbleDecodeFailure.MissingField => "missing_field",
        HubbleDecodeFailure.InvalidValue => "invalid_value",
        _ => "invalid_json",
    };
}
