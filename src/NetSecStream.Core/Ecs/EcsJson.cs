using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text.Encodings.Web;
using System.Text.Json;
using NetSecStream.Core.Components;
using NetSecStream.Core.Events;

namespace NetSecStream.Core.Ecs;

/// <summary>
/// Flows and alerts as ECS JSON documents: the form they take on Kafka, in Elasticsearch and in files.
/// Every document carries <c>ecs.version</c> and <c>netsec.schema_version</c>.
/// </summary>
public static class EcsJson
{
    // A thread keeps its buffer unless one huge document grew it past this.
    private const int MaxRetainedBuffer = 1 << 20;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? _threadBuffer;

    [ThreadStatic]
    private static Utf8JsonWriter? _threadWriter;

    /// <summary>
    /// The writer options NetSecStream's own writers use: compact, and escaping only what JSON requires
    /// (the default encoder would write '+' in community ids as <c>\u002B</c>). Documents are never embedded in HTML.
    /// </summary>
    public static JsonWriterOptions WriterOptions { get; } = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
    };

    /// <summary>The flow as one compact ECS document (UTF-8, no trailing newline).</summary>
    public static byte[] SerializeFlow(FlowEvent flow)
    {
        ArgumentNullException.ThrowIfNull(flow);
        return Serialize(EcsMapper.FromFlow(flow));
    }

    /// <summary>The alert as one compact ECS document (UTF-8, no trailing newline).</summary>
    public static byte[] SerializeAlert(Alert alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        return Serialize(EcsMapper.FromAlert(alert));
    }

    /// <summary>Writes the flow's document to <paramref name="writer"/> (its options decide escaping and indentation).</summary>
    public static void WriteFlow(Utf8JsonWriter writer, FlowEvent flow)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(flow);
        JsonSerializer.Serialize(writer, EcsMapper.FromFlow(flow), EcsJsonContext.Default.EcsDocument);
    }

    /// <summary>Writes the alert's document to <paramref name="writer"/> (its options decide escaping and indentation).</summary>
    public static void WriteAlert(Utf8JsonWriter writer, Alert alert)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(alert);
        JsonSerializer.Serialize(writer, EcsMapper.FromAlert(alert), EcsJsonContext.Default.EcsDocument);
    }

    /// <summary>
    /// Parses an ECS flow document (or the flow inside an alert document) back into a <see cref="FlowEvent"/>.
    /// Never throws for bad input: returns <see cref="DecodeResult.Fail"/> with a reason naming the field.
    /// </summary>
    public static DecodeResult ReadFlow(ReadOnlySpan<byte> json) => EcsRead.Flow(json, EcsReadCaches.Shared, out _);

    /// <summary>Parses an ECS alert document back into an <see cref="Alert"/>; never throws for bad input.</summary>
    public static bool TryReadAlert(ReadOnlySpan<byte> json, [NotNullWhen(true)] out Alert? alert, [NotNullWhen(false)] out string? error) =>
        EcsRead.Alert(json, EcsReadCaches.Shared, out alert, out error);

    private static byte[] Serialize(EcsDocument doc)
    {
        var buffer = _threadBuffer ??= new ArrayBufferWriter<byte>(4096);
        var writer = _threadWriter ??= new Utf8JsonWriter(buffer, WriterOptions);
        buffer.ResetWrittenCount();
        writer.Reset(buffer);
        JsonSerializer.Serialize(writer, doc, EcsJsonContext.Default.EcsDocument);
        writer.Flush();
        byte[] result = buffer.WrittenSpan.ToArray();
        if (buffer.Capacity > MaxRetainedBuffer)
        {
            _threadBuffer = null;
            _threadWriter = null;
        }

        return result;
    }
}
