using Confluent.Kafka;
using Microsoft.Extensions.Options;

namespace NetSecStream.Kafka;

/// <summary>
/// Configuration section <c>Kafka</c>: brokers, topics, the processors' consumer group, and any librdkafka
/// property under <c>Kafka:Properties</c> (security.protocol, sasl.*, ssl.*, ...), passed through as written.
/// </summary>
public sealed class KafkaOptions
{
    public const string Section = "Kafka";

    /// <summary>Comma-separated host:port list. Required by every Kafka component.</summary>
    public string BootstrapServers { get; set; } = "";

    public string ClientId { get; set; } = "netsec";

    /// <summary>Consumer group of <c>netsec process</c>; processors with the same group share the partitions.</summary>
    public string GroupId { get; set; } = "netsec-process";

    public string FlowsTopic { get; set; } = "netsec.flows";

    public string AlertsTopic { get; set; } = "netsec.alerts";

    public string DeadLetterTopic { get; set; } = "netsec.deadletter";

    /// <summary>Any librdkafka property, e.g. <c>security.protocol</c>, <c>sasl.mechanism</c>, <c>session.timeout.ms</c>.</summary>
    public Dictionary<string, string> Properties { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Records the consumer may hold ahead of the pipeline; when full it stops polling (backpressure).</summary>
    public int ConsumerBufferRecords { get; set; } = 8192;

    /// <summary>
    /// Most records the consumer hands to the pipeline at once (and at most <c>Pipeline:BatchSize</c> and <c>ConsumerBufferRecords</c>). Smaller chunks
    /// cut event-to-alert latency under bursty fetches; larger ones cost less per event (bench/RESULTS.md).
    /// </summary>
    public int ConsumerBatchRecords { get; set; } = 256;

    /// <summary>
    /// How often processed offsets are committed while records keep arriving. When the consumer finds nothing new to
    /// read it commits what is done at once (at most every few milliseconds), so a quiet topic's last events are not
    /// left uncommitted for a whole interval.
    /// </summary>
    public TimeSpan CommitInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How often consumer lag is recomputed for the <c>netsec_kafka_consumer_lag</c> metric.</summary>
    public TimeSpan LagInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Wire encoding of published flows: <c>binary</c> (the default: NetSecStream's compact encoding,
    /// docs/specs/flow-wire.md; 720 bytes per flow against 1,865 and about twice the processor's throughput, measured in
    /// bench/RESULTS.md) or <c>ecs_json</c> (the ECS document, for topics that tools other than NetSecStream read).
    /// Processors read both.
    /// </summary>
    public string Encoding { get; set; } = KafkaHeaders.Binary;

    /// <summary>Largest message produced or accepted; bigger flows are dead-lettered.</summary>
    public int MaxMessageBytes { get; set; } = 1024 * 1024;

    public ProducerConfig ProducerConfig()
    {
        // Defaults chosen for at-least-once without reordering; any of them can be overridden in Properties.
        var defaults = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["enable.idempotence"] = "true",
            ["acks"] = "all",
            ["linger.ms"] = "5",
            ["compression.type"] = "lz4",
            ["message.max.bytes"] = Math.Max(MaxMessageBytes + 64 * 1024, 1_000_000).ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        foreach (var (key, value) in Properties)
        {
            defaults[key] = value;
        }

        return new ProducerConfig(defaults) { BootstrapServers = BootstrapServers, ClientId = ClientId };
    }

    public ConsumerConfig ConsumerConfig()
    {
        var defaults = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["auto.offset.reset"] = "earliest",
            ["enable.partition.eof"] = "false",
            ["session.timeout.ms"] = "10000",
            // Bound what librdkafka prefetches while the pipeline applies backpressure (default 64 MiB).
            ["queued.max.messages.kbytes"] = "16384",
            // When that queue is full librdkafka waits fetch.queue.backoff.ms (default 1 s) before fetching again;
            // under backpressure that left the pipeline idle for most of each second (measured: 21k vs 75k events/s).
            ["fetch.queue.backoff.ms"] = "10",
            // The processor reads topic, partition, offset and value only; not marshalling headers and timestamps
            // for every message saves an allocation-heavy step per record.
            ["dotnet.consumer.consume.result.fields"] = "topic",
        };
        foreach (var (key, value) in Properties)
        {
            defaults[key] = value;
        }

        // Commits are the pipeline's business: only after every sink accepted the events.
        defaults["enable.auto.commit"] = "false";
        defaults["enable.auto.offset.store"] = "false";
        return new ConsumerConfig(defaults) { BootstrapServers = BootstrapServers, ClientId = ClientId, GroupId = GroupId };
    }
}

public sealed class KafkaOptionsValidator : IValidateOptions<KafkaOptions>
{
    private static readonly string[] Forced = ["enable.auto.commit", "enable.auto.offset.store"];

    public ValidateOptionsResult Validate(string? name, KafkaOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        const string S = KafkaOptions.Section;
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.BootstrapServers))
        {
            failures.Add($"{S}:BootstrapServers is required (host:port[,host:port...]).");
        }

        foreach (var (label, topic) in new[] { ("FlowsTopic", options.FlowsTopic), ("AlertsTopic", options.AlertsTopic), ("DeadLetterTopic", options.DeadLetterTopic) })
        {
            if (string.IsNullOrWhiteSpace(topic) || topic.Length > 249 || topic.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-')))
            {
                failures.Add($"{S}:{label} '{topic}' is not a valid topic name (1-249 of a-z A-Z 0-9 . _ -).");
            }
        }

        if (string.IsNullOrWhiteSpace(options.GroupId))
        {
            failures.Add($"{S}:GroupId must not be empty.");
        }

        if (options.ConsumerBufferRecords is < 1 or > 1_000_000)
        {
            failures.Add($"{S}:ConsumerBufferRecords must be between 1 and 1000000 (got {options.ConsumerBufferRecords}).");
        }

        if (options.ConsumerBatchRecords is < 1 or > 1_000_000)
        {
            failures.Add($"{S}:ConsumerBatchRecords must be between 1 and 1000000 (got {options.ConsumerBatchRecords}).");
        }

        if (options.CommitInterval <= TimeSpan.Zero || options.CommitInterval > TimeSpan.FromMinutes(1))
        {
            failures.Add($"{S}:CommitInterval must be between 0 and 00:01:00 (got {options.CommitInterval}).");
        }

        if (options.LagInterval <= TimeSpan.Zero)
        {
            failures.Add($"{S}:LagInterval must be positive.");
        }

        if (options.Encoding is not (KafkaHeaders.EcsJson or KafkaHeaders.Binary))
        {
            failures.Add($"{S}:Encoding must be '{KafkaHeaders.EcsJson}' or '{KafkaHeaders.Binary}' (got '{options.Encoding}').");
        }

        if (options.MaxMessageBytes is < 1024 or > 100 * 1024 * 1024)
        {
            failures.Add($"{S}:MaxMessageBytes must be between 1024 and 104857600 (got {options.MaxMessageBytes}).");
        }

        foreach (string key in Forced)
        {
            if (options.Properties.ContainsKey(key))
            {
                failures.Add($"{S}:Properties:{key} cannot be set: offsets are committed only after every sink accepted the events.");
            }
        }

        // librdkafka knows its properties: building a client config surfaces unknown names and bad values.
        foreach (var (key, value) in options.Properties)
        {
            try
            {
                using var probe = new ProducerBuilder<Null, Null>(new ProducerConfig(new Dictionary<string, string> { [key] = value })
                {
                    BootstrapServers = "127.0.0.1:1",
                }).Build();
            }
            catch (Exception ex) when (ex is ArgumentException or KafkaException or InvalidOperationException)
            {
                failures.Add($"{S}:Properties:{key}: {ex.Message}");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
