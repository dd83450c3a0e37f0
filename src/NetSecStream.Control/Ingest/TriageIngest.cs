using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NetSecStream.Control.Store;
using NetSecStream.Core.Events;
using NetSecStream.Core.Telemetry;

namespace NetSecStream.Control.Ingest;

/// <summary>
/// The store's single writer: alerts from every producer (the in-process sink, the Kafka consumer) queue in one
/// bounded channel (a full queue makes producers wait) and are written in batched transactions. A producer's
/// <see cref="WriteAsync"/> returns once its alerts are committed, so a Kafka offset is committed only after that.
/// </summary>
public sealed partial class TriageIngest : IAsyncDisposable
{
    public const string ComponentId = "triage_store";

    private readonly TriageStore _store;
    private readonly int _batchSize;
    private readonly NetSecMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Channel<Pending> _queue;
    private readonly Task _writer;
    private long _depth;
    private long _stored;
    private long _duplicates;

    public TriageIngest(TriageStore store, ControlOptions options, NetSecMetrics metrics, ILogger<TriageIngest>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _metrics = metrics ?? throw new ArgumentNullException(nameof(metrics));
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _batchSize = options.IngestBatchSize;
        _queue = Channel.CreateBounded<Pending>(new BoundedChannelOptions(options.IngestQueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _metrics.TrackQueue("triage_store_ingest", () => Interlocked.Read(ref _depth));
        _writer = Task.Factory.StartNew(WriteLoopAsync, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    /// <summary>Alerts stored since start (duplicates not counted).</summary>
    public long Stored => Interlocked.Read(ref _stored);

    /// <summary>Alerts skipped because their id was stored already (redeliveries).</summary>
    public long Duplicates => Interlocked.Read(ref _duplicates);

    /// <summary>Queues the alerts; completes when all are committed to the store (or fails with the store's error).</summary>
    public async ValueTask WriteAsync(IReadOnlyList<Alert> alerts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alerts);
        if (alerts.Count == 0)
        {
            return;
        }

        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        for (int i = 0; i < alerts.Count; i++)
        {
            Interlocked.Increment(ref _depth);
            try
            {
                await _queue.Writer.WriteAsync(new Pending(alerts[i], i == alerts.Count - 1 ? done : null), cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                Interlocked.Decrement(ref _depth);
                throw;
            }
        }

        _metrics.EventsIn(ComponentId, alerts.Count);
        await done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task WriteLoopAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<Alert>(_batchSize);
        var waiting = new List<TaskCompletionSource>();
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < _batchSize && reader.TryRead(out var item))
            {
                batch.Add(item.Alert);
                if (item.Done is { } done)
                {
                    waiting.Add(done);
                }
            }

            try
            {
                int added = _store.InsertAlerts(batch);
                Interlocked.Add(ref _stored, added);
                Interlocked.Add(ref _duplicates, batch.Count - added);
                _metrics.EventsOut(ComponentId, added);
                foreach (var done in waiting)
                {
                    done.TrySetResult();
                }
            }
            catch (Exception ex) when (ex is SqliteException or IOException or InvalidOperationException)
            {
                // The producers hear of it (the pipeline fails its sink, Kafka offsets stay uncommitted); the writer goes on.
                _metrics.SinkError(ComponentId);
                LogWriteFailed(_logger, batch.Count, ex.Message);
                foreach (var done in waiting)
                {
                    done.TrySetException(ex);
                }
            }

            Interlocked.Add(ref _depth, -batch.Count);
            batch.Clear();
            waiting.Clear();
        }
    }

    /// <summary>Writes what is queued, then stops the writer.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
    }

    [LoggerMessage(EventId = 900, Level = LogLevel.Error, Message = "triage_store: {Count} alerts could not be written: {Reason}")]
    private static partial void LogWriteFailed(ILogger logger, int count, string reason);

    private readonly record struct Pending(Alert Alert, TaskCompletionSource? Done);
}
