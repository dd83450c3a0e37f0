using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NetSecStream.Core.Components;
using NetSecStream.Core.Ecs;
using NetSecStream.Core.Events;
using NetSecStream.Core.Telemetry;
using NetSecStream.Core.Wire;

namespace NetSecStream.Kafka;

/// <summary>
/// Publishes flow events to the flows topic (component id <c>kafka_flows</c>): ECS JSON (or, with
/// <c>Kafka:Encoding=binary</c>, <see cref="FlowBinary"/>) values keyed by Community ID
/// (both directions of a connection land in one partition), with schema-version and encoding headers, through an
/// idempotent, batching (linger), lz4-compressing producer. A message the broker refuses is retried by librdkafka
/// until <c>message.timeout.ms</c>, then dead-lettered with the reason; nothing is dropped silently.
/// </summary>
public sealed partial class KafkaFlowPublisher : INetSecComponent, IAsyncDisposable
{
    public const string ComponentId = "kafka_flows";

    private readonly KafkaOptions _options;
    private readonly NetSecMetrics _metrics;
    private readonly IDeadLetterSink? _deadLetters;
    private readonly ILogger _logger;
    private readonly IProducer<byte[], byte[]> _producer;
    private readonly Action<DeliveryReport<byte[], byte[]>> _onDelivery;
    private readonly bool _binary;
    private long _delivered;
    private long _failed;
    private long _published;

    public KafkaFlowPublisher(KafkaOptions options, NetSecMetrics metrics, IDeadLetterSink? deadLetters = null, ILogger<KafkaFlowPublisher>? logger = null)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _metrics = metrics ?? throw new ArgumentNullException(nameof(metrics));
        _deadLetters = deadLetters;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _producer = new ProducerBuilder<byte[], byte[]>(options.ProducerConfig())
            .SetErrorHandler((_, error) => LogProducerError(_logger, error.Code.ToString(), error.Reason))
            .SetLogHandler((_, message) => KafkaLog.Forward(_logger, message))
            .Build();
        _onDelivery = OnDelivery;
        _binary = options.Encoding == KafkaHeaders.Binary;
    }

    public string Id => ComponentId;

    public ComponentKind Kind => ComponentKind.Sink;

    public long Published => Interlocked.Read(ref _published);

    public long Delivered => Interlocked.Read(ref _delivered);

    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>Messages handed to the producer and not yet acknowledged or failed.</summary>
    public long InFlight => Published - Delivered - Failed;

    /// <summary>Queues one flow; waits (backpressure) while the producer's local queue is full.</summary>
    public async ValueTask PublishAsync(FlowEvent flow, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(flow);
        byte[] value = _binary ? FlowBinary.Serialize(flow) : EcsJson.SerializeFlow(flow);
        if (value.Length > _options.MaxMessageBytes)
        {
            Interlocked.Increment(ref _failed);
            Interlocked.Increment(ref _published);
            await DeadLetterAsync(value, $"message of {value.Length} bytes exceeds Kafka:MaxMessageBytes ({_options.MaxMessageBytes})").ConfigureAwait(false);
            return;
        }

        var message = new Message<byte[], byte[]>
        {
            Key = flow.CommunityId is null ? null! : KafkaHeaders.Utf8(flow.CommunityId),
            Value = value,
            Headers = KafkaHeaders.ForFlow(_options.Encoding),
            Timestamp = new Timestamp(flow.Timestamp),
        };
        while (true)
        {
            try
            {
                _producer.Produce(_options.FlowsTopic, message, _onDelivery);
                Interlocked.Increment(ref _published);
                _metrics.EventsIn(ComponentId);
                return;
            }
            catch (ProduceException<byte[], byte[]> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull)
            {
                // The local queue is bounded (queue.buffering.max.messages): wait for deliveries to make room.
                await Task.Delay(5, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Waits until every queued message is acknowledged or failed.</summary>
    public Task FlushAsync(CancellationToken cancellationToken) => Task.Run(() => _producer.Flush(cancellationToken), cancellationToken);

    private void OnDelivery(DeliveryReport<byte[], byte[]> report)
    {
        if (report.Error.IsError)
        {
            Interlocked.Increment(ref _failed);
            _metrics.SinkError(ComponentId);
            LogDeliveryFailed(_logger, report.Error.Code.ToString(), report.Error.Reason);
            // The delivery callback runs on librdkafka's poll thread: hand the dead letter off, do not block here.
            _ = DeadLetterAsync(report.Message.Value, $"broker refused the message: {report.Error.Code}: {report.Error.Reason}");
        }
        else
        {
            Interlocked.Increment(ref _delivered);
            _metrics.EventsOut(ComponentId);
        }
    }

    private async Task DeadLetterAsync(byte[] value, string reason)
    {
        _metrics.DeadLettered(ComponentId, "kafka_delivery");
        if (_deadLetters is null)
        {
            return;
        }

        try
        {
            await _deadLetters.WriteAsync(new DeadLetter(ComponentId, _options.FlowsTopic, -1, reason, value, DateTimeOffset.UtcNow), CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or KafkaException or ObjectDisposedException)
        {
            LogDeadLetterFailed(_logger, ex.Message);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await FlushAsync(CancellationToken.None).ConfigureAwait(false);
        _producer.Dispose();
    }

    [LoggerMessage(EventId = 320, Level = LogLevel.Warning, Message = "kafka_flows: producer error ({Code}): {Reason}")]
    private static partial void LogProducerError(ILogger logger, string code, string reason);

    [LoggerMessage(EventId = 321, Level = LogLevel.Error, Message = "kafka_flows: delivery failed ({Code}): {Reason}; dead-lettered")]
    private static partial void LogDeliveryFailed(ILogger logger, string code, string reason);

    [LoggerMessage(EventId = 322, Level = LogLevel.Error, Message = "kafka_flows: could not write a dead letter: {Reason}")]
    private static partial void LogDeadLetterFailed(ILogger logger, string reason);
}
