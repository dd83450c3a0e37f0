using Confluent.Kafka;

namespace NetSecStream.Kafka;

/// <summary>Header names NetSecStream puts on its Kafka messages.</summary>
public static class KafkaHeaders
{
    public const string SchemaVersion = "netsec-schema-version";
    public const string Encoding = "netsec-encoding";
    /// <summary>Value of <see cref="Encoding"/> (and of <c>Kafka:Encoding</c>) for ECS JSON documents.</summary>
    public const string EcsJson = "ecs_json";

    /// <summary>Value of <see cref="Encoding"/> (and of <c>Kafka:Encoding</c>) for <see cref="Core.Wire.FlowBinary"/> messages.</summary>
    public const string Binary = "binary";
    public const string Reason = "netsec-dlq-reason";
    public const string Stage = "netsec-dlq-stage";
    public const string SourceTopic = "netsec-dlq-topic";
    public const string SourcePartition = "netsec-dlq-partition";
    public const string SourceOffset = "netsec-dlq-offset";

    private static readonly byte[] SchemaVersionValue = System.Text.Encoding.UTF8.GetBytes(Core.Events.SchemaVersion.Current);
    private static readonly byte[] EcsJsonValue = System.Text.Encoding.UTF8.GetBytes(EcsJson);
    private static readonly byte[] BinaryValue = System.Text.Encoding.UTF8.GetBytes(Binary);

    /// <summary>Headers of every flow and alert message: schema version and wire encoding.</summary>
    public static Headers Standard() => new()
    {
        { SchemaVersion, SchemaVersionValue },
        { Encoding, EcsJsonValue },
    };

    /// <summary>Headers of a flow message in <paramref name="encoding"/> (<see cref="EcsJson"/> or <see cref="Binary"/>).</summary>
    public static Headers ForFlow(string encoding) => encoding == Binary
        ? new() { { SchemaVersion, SchemaVersionValue }, { Encoding, BinaryValue } }
        : Standard();

    public static string? Get(Headers? headers, string name) =>
        headers is not null && headers.TryGetLastBytes(name, out byte[] value) ? System.Text.Encoding.UTF8.GetString(value) : null;

    internal static byte[] Utf8(string text) => System.Text.Encoding.UTF8.GetBytes(text);
}
