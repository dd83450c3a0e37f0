using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using NetSecStream.Core.Components;
using NetSecStream.Core.Events;

namespace NetSecStream.Core.Ecs;

/// <summary>Runs <see cref="EcsDocumentReader"/> over one document and turns malformed JSON into a reason, never an exception.</summary>
internal static class EcsRead
{
    // A per-thread scratch buffer for unescaping: a stackalloc of this size would be zeroed on every call.
    [ThreadStatic]
    private static byte[]? _threadScratch;

    public static DecodeResult Flow(ReadOnlySpan<byte> json, EcsReadCaches caches, out EcsReadFailure failure)
    {
        if (json.IsEmpty)
        {
            failure = EcsReadFailure.InvalidJson;
            return DecodeResult.Fail("empty input");
        }

        var reader = new EcsDocumentReader(json, _threadScratch ??= new byte[EcsDocumentReader.ScratchBytes], caches);
        FlowEvent? flow;
        try
        {
            flow = reader.ReadDocument() ? reader.BuildFlow() : null;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or ArgumentException)
        {
            // Malformed JSON (JsonException), undecodable escaped text (InvalidOperationException).
            failure = EcsReadFailure.InvalidJson;
            return DecodeResult.Fail("invalid ECS JSON: " + ex.Message);
        }

        failure = reader.Failure;
        return flow is null ? DecodeResult.Fail(reader.Error ?? "not a flow document") : DecodeResult.Ok(flow);
    }

    public static bool Alert(ReadOnlySpan<byte> json, EcsReadCaches caches, [NotNullWhen(true)] out Alert? alert, [NotNullWhen(false)] out string? error)
    {
        alert = null;
        if (json.IsEmpty)
        {
            error = "empty input";
            return false;
        }

        var reader = new EcsDocumentReader(json, _threadScratch ??= new byte[EcsDocumentReader.ScratchBytes], caches);
        try
        {
            alert = reader.ReadDocument() ? reader.BuildAlert() : null;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or ArgumentException)
        {
            error = "invalid ECS JSON: " + ex.Message;
            return false;
        }

        error = alert is null ? reader.Error ?? "not an alert document" : null;
        return alert is not null;
    }
}
