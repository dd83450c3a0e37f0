using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace NetSecStream.Core.Ecs;

// Values with a JSON form of their own are small wrapper types carrying a type-level [JsonConverter]: the source
// generator keeps its fast serialisation path for every document type then (a property-level converter, or one
// registered in the options, makes it fall back to the slower metadata path or to serialising IPAddress as an object).
// A converter throws a message-less JsonException on bad input so the serializer names the JSON path ("$.source.ip").

/// <summary>An instant written as UTC ISO 8601 with a <c>Z</c> suffix; read from any offset.</summary>
[JsonConverter(typeof(EcsTimestampConverter))]
internal readonly record struct EcsTimestamp(DateTimeOffset Value);

/// <summary>An IP address in its text form.</summary>
[JsonConverter(typeof(EcsIpConverter))]
internal readonly record struct EcsIp(IPAddress Value);

/// <summary>
/// Labels whose keys are written with '.' replaced by '_' (as Beats' <c>labels.dedot</c>), so that
/// <c>app.kubernetes.io/name</c> does not expand into objects in Elasticsearch. Keys are rewritten while writing.
/// </summary>
[JsonConverter(typeof(DedottedLabelsConverter))]
internal sealed class DedottedLabels(IReadOnlyDictionary<string, string> labels)
{
    public IReadOnlyDictionary<string, string> Labels { get; } = labels;
}

internal sealed class EcsTimestampConverter : JsonConverter<EcsTimestamp>
{
    public override EcsTimestamp Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        new(reader.GetDateTimeOffset());

    public override void Write(Utf8JsonWriter writer, EcsTimestamp value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.Value.UtcDateTime);
}

internal sealed class EcsIpConverter : JsonConverter<EcsIp>
{
    // Longest text form: an IPv4-suffixed IPv6 address with a scope id.
    private const int MaxLength = 64;

    // Room for every character of the longest address written as a \uXXXX escape.
    private const int MaxRawLength = MaxLength * 6;

    public override EcsIp Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        // The unescaped text is never longer than the raw (possibly escaped) token.
        long rawLength = reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length;
        if (reader.TokenType != JsonTokenType.String || rawLength > MaxRawLength)
        {
            throw new JsonException();
        }

        Span<char> text = stackalloc char[MaxRawLength];
        int length = reader.CopyString(text);
        return IPAddress.TryParse(text[..length], out var address) ? new EcsIp(address) : throw new JsonException();
    }

    public override void Write(Utf8JsonWriter writer, EcsIp value, JsonSerializerOptions options)
    {
        Span<byte> utf8 = stackalloc byte[MaxLength];
        if (value.Value.TryFormat(utf8, out int written))
        {
            writer.WriteStringValue(utf8[..written]);
        }
        else
        {
            writer.WriteStringValue(value.Value.ToString());
        }
    }
}

internal sealed class DedottedLabelsConverter : JsonConverter<DedottedLabels>
{
    private const int StackLimit = 256;

    public override DedottedLabels? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException();
        }

        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            string key = reader.GetString()!;
            if (!reader.Read() || reader.TokenType != JsonTokenType.String)
            {
                throw new JsonException();
            }

            labels[key] = reader.GetString()!;
        }

        return reader.TokenType == JsonTokenType.EndObject ? new DedottedLabels(labels) : throw new JsonException();
    }

    public override void Write(Utf8JsonWriter writer, DedottedLabels value, JsonSerializerOptions options)
    {
        Span<char> scratch = stackalloc char[StackLimit];
        writer.WriteStartObject();
        foreach (var (key, text) in value.Labels)
        {
            if (!key.Contains('.', StringComparison.Ordinal))
            {
                writer.WriteString(key, text);
            }
            else if (key.Length <= StackLimit)
            {
                var name = scratch[..key.Length];
                key.AsSpan().Replace(name, '.', '_');
                writer.WriteString(name, text);
            }
            else
            {
                writer.WriteString(key.Replace('.', '_'), text);
            }
        }

        writer.WriteEndObject();
    }
}
