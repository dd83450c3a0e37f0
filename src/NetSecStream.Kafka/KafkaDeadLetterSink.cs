using System.Globalization;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NetSecStream.Core.Components;
using NetSecStream.Core.Telemetry;

namespace NetSecStream.Kafka;

/// <summary>
/// Writes records that could not be processed to the dead-letter topic (component id <c>kafka_dead_letter</c>): the
/// original bytes as the value, and headers with the reason, the stage, and the source topic, partition and offset
/// (parsed from origins of the form <c>topic/partition</c>).
/// </summary>
public sealed partial class KafkaDeadLetterSink : IDeadLetterSink, INetSecComponent, IDisposable
{
    public const string ComponentId = "kafka_dead_letter";

    private readonly KafkaOptions _options;
    private readonly NetSecMetrics _metrics;
    private readonly ILogger _logger;
    private BatchProducer? _producer;

    public KafkaDeadLetterSink(KafkaOptions options, NetSecMetrics metrics, ILogger<KafkaDeadLetterSink>? logger = null)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _metrics = metrics ?? throw new ArgumentNullException(nameof(metrics));
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    public string Id => ComponentId;

    public ComponentKind Kind => ComponentKind.Sink;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _producer ??= new BatchProducer(_options.ProducerConfig(), error => LogProducerError(_logger, error.Code.ToString(), error.Reason));
        return Task.CompletedTask;
    }

    public ValueTask WriteAsync(DeadLetter deadLetter, CancellationToken cancellationToken) => WriteAsync([deadLetter], cancellationToken);

    public async ValueTask WriteAsync(IReadOnlyList<DeadLetter> deadLetters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(deadLetters);
        if (_producer is null)
        {
            await StartAsync(cancellationToken).ConfigureAwait(false);
        }

        var messages = new List<Message<byte[], byte[]>>(deadLetters.Count);
        foreach (var deadLetter in deadLetters)
        {
            var (topic, partition) = SplitOrigin(deadLetter.Origin);
            var headers = new Headers
            {
                { KafkaHeaders.Reason, KafkaHeaders.Utf8(deadLetter.Reason) },
                { KafkaHeaders.Stage, KafkaHeaders.Utf8(deadLetter.Stage) },
                { KafkaHeaders.SourceTopic, KafkaHeaders.Utf8(topic) },
                { KafkaHeaders.SourceOffset, KafkaHeaders.Utf8(deadLetter.Position.ToString(CultureInfo.InvariantCulture)) },
            };
            if (partition is not null)
            {
                headers.Add(KafkaHeaders.SourcePartition, KafkaHeaders.Utf8(partition));
            }

            var payload = deadLetter.Payload.Length > _options.MaxMessageBytes ? deadLetter.Payload[.._options.MaxMessageBytes] : deadLetter.Payload;
            messages.Add(new Message<byte[], byte[]> { Value = payload.ToArray(), Headers = headers });
        }

        _metrics.EventsIn(ComponentId, messages.Count);
        await _producer!.ProduceAllAsync(_options.DeadLetterTopic, messages, cancellationToken).ConfigureAwait(false);
        _metrics.EventsOut(ComponentId, messages.Count);
    }

    /// <summary><c>netsec.flows/3</c> → (<c>netsec.flows</c>, <c>3</c>); anything else is the topic alone.</summary>
    internal static (string Topic, string? Partition) SplitOrigin(string origin)
    {
        int slash = origin.LastIndexOf('/');
        return slash > 0 && int.TryParse(origin.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out _)
            ? (origin[..slash], origin[(slash + 1)..])
            : (origin, null);
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _producer?.Flush(TimeSpan.FromSeconds(10));
        _producer?.Dispose();
        _producer = null;
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _producer?.Dispose();
        _producer = null;
    }

    [LoggerMessage(EventId = 340, Level = LogLevel.Warning, Message = "kafka_dead_letter: producer error ({Code}): {Reason}")]
    private static partial void LogProducerError(ILogger logger, string code, string reason);
}
