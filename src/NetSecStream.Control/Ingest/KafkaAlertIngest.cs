using NetSecStream.Core;
using NetSecStream.Policy.Enforcement;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NetSecStream.Core.Ecs;
using NetSecStream.Core.Events;
using NetSecStream.Core.Telemetry;
using NetSecStream.Kafka;

namespace NetSecStream.Control.Ingest;

/// <summary>
/// Consumes the alerts topic (<c>Kafka:AlertsTopic</c>, ECS JSON as <see cref="KafkaAlertSink"/> writes it) into the
/// triage store (component id <c>triage_store_kafka</c>). Offsets are committed only after the store committed the
/// batch, so a crash redelivers, and the store's alert-id uniqueness drops the repeats. A message that is not an
/// alert is counted, logged and skipped (committed past): it would never decode on redelivery either.
/// </summary>
public sealed partial class KafkaAlertIngest : BackgroundService
{
    public const string ComponentId = "triage_store_kafka";

    private readonly KafkaRecordSource _source;
    private readonly TriageIngest _ingest;
    private readonly NetSecMetrics _metrics;
    private readonly ILogger _logger;
    private readonly int _batchSize;
    private readonly IBlockSubmitter? _blocks;
    private long _consumed;
    private long _rejected;

    public KafkaAlertIngest(KafkaOptions kafka, ControlOptions options, TriageIngest ingest, NetSecMetrics metrics, ILoggerFactory? loggerFactory = null,
        IBlockSubmitter? blocks = null)
    {
        _blocks = blocks;
        ArgumentNullException.ThrowIfNull(kafka);
        ArgumentNullException.ThrowIfNull(options);
        _ingest = ingest ?? throw new ArgumentNullException(nameof(ingest));
        _metrics = metrics ?? throw new ArgumentNullException(nameof(metrics));
        loggerFactory ??= NullLoggerFactory.Instance;
        _logger = loggerFactory.CreateLogger<KafkaAlertIngest>();
        _batchSize = options.IngestBatchSize;
        // The record source reads "the flows topic" of the options it is given: here that is the alerts topic.
        var consumer = new KafkaOptions
        {
            BootstrapServers = kafka.BootstrapServers,
            ClientId = kafka.ClientId + "-control",
            GroupId = options.KafkaGroupId,
            FlowsTopic = kafka.AlertsTopic,
            AlertsTopic = kafka.AlertsTopic,
            DeadLetterTopic = kafka.DeadLetterTopic,
            Properties = new Dictionary<string, string>(kafka.Properties, StringComparer.Ordinal),
            ConsumerBufferRecords = kafka.ConsumerBufferRecords,
            ConsumerBatchRecords = Math.Max(kafka.ConsumerBatchRecords, Math.Min(options.IngestBatchSize, kafka.ConsumerBufferRecords)),
            CommitInterval = kafka.CommitInterval,
            LagInterval = kafka.LagInterval,
            Encoding = kafka.Encoding,
            MaxMessageBytes = kafka.MaxMessageBytes,
        };
        _source = new KafkaRecordSource(consumer, metrics, loggerFactory.CreateLogger<KafkaRecordSource>());
    }

    /// <summary>Messages taken from the topic (stored, duplicate or rejected).</summary>
    public long Consumed => Interlocked.Read(ref _consumed);

    /// <summary>Messages that were not ECS alerts.</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

    /// <summary>What the consumer has committed, per partition (next offset to read).</summary>
    public IReadOnlyDictionary<Confluent.Kafka.TopicPartition, long> CommittedOffsets => _source.CommittedOffsets;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await _source.StartAsync(cancellationToken).ConfigureAwait(false);
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var alerts = new List<Alert>(_batchSize);
        var last = new Dictionary<string, long>(StringComparer.Ordinal);
        try
        {
            await foreach (var records in _source.ReadBatchesAsync(_batchSize, TimeSpan.FromMilliseconds(20), stoppingToken).ConfigureAwait(false))
            {
                alerts.Clear();
                last.Clear();
                foreach (var record in records)
                {
                    last[record.Origin] = record.Position;
                    if (EcsJson.TryReadAlert(record.Payload.Span, out var alert, out string? error))
                    {
                        alerts.Add(alert);
                    }
                    else
                    {
                        Interlocked.Increment(ref _rejected);
                        _metrics.EventRejected(ComponentId, "not_an_alert");
                        LogRejected(_logger, record.Origin, record.Position, error);
                    }
                }

                await _ingest.WriteAsync(alerts, stoppingToken).ConfigureAwait(false);
                SubmitBlocks(alerts);
                Interlocked.Add(ref _consumed, records.Count);
                foreach (var (origin, position) in last)
                {
                    await _source.CommitAsync(origin, position, stoppingToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down; what was stored is committed by StopAsync.
        }
    }

    // Stored first, then handed to the sync: the control plane is the only writer of block rules, and a block
    // request it refuses (allowlist, rate limit, full queue) is audited and counted by the sync itself.
    private void SubmitBlocks(List<Alert> alerts)
    {
        if (_blocks is null)
        {
            return;
        }

        foreach (var alert in alerts)
        {
            if (alert.Mode == Mode.Block)
            {
                _blocks.Submit(alert);
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        await _source.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    public override void Dispose()
    {
        _source.Dispose();
        base.Dispose();
    }

    [LoggerMessage(EventId = 901, Level = LogLevel.Warning, Message = "triage_store_kafka: {Origin}@{Position} is not an ECS alert and is skipped: {Reason}")]
    private static partial void LogRejected(ILogger logger, string origin, long position, string reason);
}
