using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NetSecStream.Core.Components;
using NetSecStream.Core.Ecs;
using NetSecStream.Core.Events;
using NetSecStream.Core.Telemetry;

namespace NetSecStream.Sinks.Delivery;

/// <summary>
/// Delivery guarantees for any sink: wraps an <see cref="IAlertSink"/> (same id) and makes its writes survive the
/// destination being down.
/// <list type="bullet">
/// <item>Up: a write goes to the destination, retried <see cref="DeliveryOptions.Attempts"/> times with backoff; at most
/// <see cref="DeliveryOptions.MemoryBatches"/> batches are held in memory (in flight or retrying), further writes wait.</item>
/// <item>Down (a batch used up its attempts): that batch and every later one are appended to an on-disk spill
/// (<see cref="SpillSegments"/>, fsynced per <see cref="DeliveryOptions.Fsync"/>) and the write returns. A background
/// loop replays the spill to the destination oldest first, retrying with backoff, deletes replayed segments, and
/// switches back to direct writes once the spill is empty.</item>
/// <item>Full (the spill reached <see cref="DeliveryOptions.MaxSpillBytes"/>): the write waits until replay frees space.
/// The pipeline stops committing behind it (backpressure); nothing is dropped.</item>
/// <item>Restart: segments a previous run left are found at start and replayed before anything newer.</item>
/// </list>
/// For offset commits a spilled batch counts as accepted: it is on disk before the write returns and is replayed until
/// the destination takes it, so a committed position never covers data that exists only in memory (at-least-once;
/// a crash during replay can deliver a segment's records twice). Spilled records whose checksum fails are
/// dead-lettered with the reason, not replayed.
/// </summary>
public sealed partial class BufferedSink : IAlertSink, IAsyncDisposable
{
    private const byte AlertsRecord = (byte)'A';
    private const byte FlowsRecord = (byte)'F';

    private readonly IAlertSink _inner;
    private readonly DeliveryOptions _options;
    private readonly NetSecMetrics _metrics;
    private readonly IDeadLetterSink? _deadLetters;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly SpillSegments _spill;
    private readonly SemaphoreSlim _memory;
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _replaySignal = new(0, int.MaxValue);
    private readonly CancellationTokenSource _stopping = new();
    private TaskCompletionSource _spaceFreed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _replay;
    private bool _spilling;
    private int _inMemory;

    /// <param name="inner">The sink that talks to the destination.</param>
    /// <param name="options">Resolved options of this sink (<see cref="DeliveryOptions.For"/>).</param>
    /// <param name="spillName">Folder name of this sink's spill under <see cref="DeliveryOptions.SpillDirectory"/>; unique per sink instance.</param>
    /// <param name="metrics">Where sent, retried, failed, buffered and spilled are counted, tagged with the sink's id.</param>
    /// <param name="deadLetters">Where corrupt spill records go; null: they are only logged and counted.</param>
    /// <param name="logger">Log of outages, spills and replays.</param>
    /// <param name="time">Clock of the backoff waits.</param>
    public BufferedSink(IAlertSink inner, DeliveryOptions options, string spillName, NetSecMetrics metrics, IDeadLetterSink? deadLetters = null,
        ILogger<BufferedSink>? logger = null, TimeProvider? time = null)
    {
        _inner = inner ?? throw new ArgumentNullException(nameof(inner));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _metrics = metrics ?? throw new ArgumentNullException(nameof(metrics));
        ArgumentException.ThrowIfNullOrWhiteSpace(spillName);
        var validation = new DeliveryOptionsValidator().Validate(null, options);
        if (validation.Failed)
        {
            throw new ArgumentException(validation.FailureMessage, nameof(options));
        }

        if (string.IsNullOrWhiteSpace(options.SpillDirectory))
        {
            throw new ArgumentException($"{DeliveryOptions.SectionName}:SpillDirectory is required", nameof(options));
        }

        _deadLetters = deadLetters;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _time = time ?? TimeProvider.System;
        _spill = new SpillSegments(Path.Combine(options.SpillDirectory, spillName), options.MaxSpillBytes, options.EffectiveSegmentBytes, options.Fsync == SpillFsync.Always);
        _memory = new SemaphoreSlim(options.MemoryBatches, options.MemoryBatches);
    }

    public string Id => _inner.Id;

    public ComponentKind Kind => ComponentKind.Sink;

    /// <summary>The wrapped sink.</summary>
    public IAlertSink Inner => _inner;

    /// <summary>Folder of this sink's spill segments.</summary>
    public string SpillPath => _spill.Directory;

    /// <summary>Batches held in memory on their way to the destination.</summary>
    public int BufferedBatches => Volatile.Read(ref _inMemory);

    /// <summary>Bytes of spill segments not yet replayed.</summary>
    public long SpillBytes
    {
        get
        {
            lock (_gate)
            {
                return _spill.TotalBytes;
            }
        }
    }

    /// <summary>True while writes go to the spill (the destination is down or the spill is being replayed).</summary>
    public bool IsSpilling
    {
        get
        {
            lock (_gate)
            {
                return _spilling;
            }
        }
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _spill.Open();
            _spilling = !_spill.IsEmpty;
        }

        if (_spilling)
        {
            LogLeftoverSpill(_logger, Id, _spill.SegmentCount, _spill.TotalBytes);
        }

        _metrics.TrackSinkBuffer(_spill.Directory, Id, () => (BufferedBatches, SpillBytes));
        await _inner.StartAsync(cancellationToken).ConfigureAwait(false);
        _replay = Task.Run(() => ReplayLoopAsync(_stopping.Token), CancellationToken.None);
        _replaySignal.Release();
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_replay is not null)
        {
            await _replay.ConfigureAwait(false);
            _replay = null;
        }

        long left;
        lock (_gate)
        {
            // What is left stays on disk and is replayed first by the next run.
            left = _spill.TotalBytes;
            _spill.Dispose();
        }

        if (left > 0)
        {
            LogStoppedWithSpill(_logger, Id, left, _spill.Directory);
        }

        _metrics.UntrackSinkBuffer(_spill.Directory);
        await _inner.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    public ValueTask WriteAsync(IReadOnlyList<Alert> alerts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alerts);
        return alerts.Count == 0 ? ValueTask.CompletedTask : new ValueTask(DeliverAsync(new Batch(alerts, null), cancellationToken));
    }

    public ValueTask WriteFlowsAsync(IReadOnlyList<FlowEvent> flows, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(flows);
        return flows.Count == 0 ? ValueTask.CompletedTask : new ValueTask(DeliverAsync(new Batch(null, flows), cancellationToken));
    }

    public async ValueTask DisposeAsync()
    {
        if (_replay is not null)
        {
            await StopAsync(CancellationToken.None).ConfigureAwait(false);
        }

        _stopping.Dispose();
        _memory.Dispose();
        _replaySignal.Dispose();
        (_inner as IDisposable)?.Dispose();
    }

    private async Task DeliverAsync(Batch batch, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping.Token);
        var token = linked.Token;
        if (!IsSpilling)
        {
            await _memory.WaitAsync(token).ConfigureAwait(false);
            Interlocked.Increment(ref _inMemory);
            try
            {
                if (!IsSpilling && await TryDestinationAsync(batch, _options.Attempts, replaying: false, token).ConfigureAwait(false))
                {
                    return;
                }
            }
            finally
            {
                Interlocked.Decrement(ref _inMemory);
                _memory.Release();
            }
        }

        await SpillAsync(Encode(batch), token).ConfigureAwait(false);
    }

    /// <summary>Writes to the destination with up to <paramref name="attempts"/> tries; false when every one failed.</summary>
    private async Task<bool> TryDestinationAsync(Batch batch, int attempts, bool replaying, CancellationToken token)
    {
        var backoff = _options.InitialBackoff;
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                if (batch.Alerts is { } alerts)
                {
                    await _inner.WriteAsync(alerts, token).ConfigureAwait(false);
                }
                else
                {
                    await _inner.WriteFlowsAsync(batch.Flows!, token).ConfigureAwait(false);
                }

                _metrics.SinkSent(Id, batch.Count);
                return true;
            }
#pragma warning disable CA1031 // Any failure of the destination is what the spill is for; only cancellation ends the write.
            catch (Exception ex) when (ex is not OperationCanceledException || !token.IsCancellationRequested)
#pragma warning restore CA1031
            {
                _metrics.SinkError(Id);
                if (attempt >= attempts)
                {
                    if (replaying)
                    {
                        LogReplayAttemptFailed(_logger, Id, ex.Message);
                    }
                    else
                    {
                        LogDestinationDown(_logger, Id, attempt, ex.Message);
                    }

                    return false;
                }

                _metrics.SinkRetry(Id);
                LogRetry(_logger, Id, attempt, backoff, ex.Message);
                await Task.Delay(backoff, _time, token).ConfigureAwait(false);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _options.MaxBackoff.Ticks));
            }
        }
    }

    private async Task SpillAsync(byte[] record, CancellationToken token)
    {
        bool waited = false;
        while (true)
        {
            Task freed;
            lock (_gate)
            {
                if (_spill.TryAppend(record))
                {
                    if (!_spilling)
                    {
                        LogSpilling(_logger, Id, _spill.Directory);
                    }

                    _spilling = true;
                    _metrics.SinkSpilled(Id);
                    _replaySignal.Release();
                    return;
                }

                freed = _spaceFreed.Task;
            }

            if (!waited)
            {
                LogSpillFull(_logger, Id, _options.MaxSpillBytes);
                waited = true;
            }

            // Backpressure: the write (and so the pipeline's commit) waits for the replay to free a segment.
            await freed.WaitAsync(token).ConfigureAwait(false);
        }
    }

    private async Task ReplayLoopAsync(CancellationToken stop)
    {
        var backoff = _options.InitialBackoff;
        while (!stop.IsCancellationRequested)
        {
            SpillRead read;
            lock (_gate)
            {
                read = _spill.ReadNext();
                if (read.Kind == SpillReadKind.End)
                {
                    if (_spilling)
                    {
                        LogRecovered(_logger, Id);
                    }

                    _spilling = false;
                }
            }

            try
            {
                if (read.Kind == SpillReadKind.End)
                {
                    await _replaySignal.WaitAsync(stop).ConfigureAwait(false);
                    continue;
                }

                if (read.Kind == SpillReadKind.Corrupt)
                {
                    await DeadLetterAsync(read, read.Reason!, read.Payload).ConfigureAwait(false);
                    Acknowledge(read);
                    continue;
                }

                var batch = await DecodeAsync(read).ConfigureAwait(false);
                if (batch is not null && !await TryDestinationAsync(batch, 1, replaying: true, stop).ConfigureAwait(false))
                {
                    // Still down: the same record again after a wait, so the order of replay is kept.
                    await Task.Delay(backoff, _time, stop).ConfigureAwait(false);
                    backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _options.MaxBackoff.Ticks));
                    continue;
                }

                backoff = _options.InitialBackoff;
                Acknowledge(read);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // The replay loop must outlive a failing disk or dead-letter path; it logs and tries again.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogReplayFailed(_logger, Id, ex);
                try
                {
                    await Task.Delay(backoff, _time, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private void Acknowledge(SpillRead read)
    {
        TaskCompletionSource freed;
        lock (_gate)
        {
            long before = _spill.TotalBytes;
            _spill.Acknowledge(read);
            if (_spill.TotalBytes == before)
            {
                return;
            }

            freed = _spaceFreed;
            _spaceFreed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        freed.TrySetResult();
    }

    private async Task DeadLetterAsync(SpillRead read, string reason, ReadOnlyMemory<byte> payload)
    {
        _metrics.DeadLettered(Id, "spill_corrupt");
        _metrics.EventRejected(Id, "spill_corrupt");
        LogCorrupt(_logger, Id, read.Segment, read.Offset, reason);
        if (_deadLetters is not null)
        {
            await _deadLetters.WriteAsync(new DeadLetter(Id + "_spill", read.Segment, read.Offset, reason, payload, _time.GetUtcNow()), CancellationToken.None)
                .ConfigureAwait(false);
        }
    }

    private byte[] Encode(Batch batch)
    {
        using var buffer = new MemoryStream();
        buffer.WriteByte(batch.Alerts is null ? FlowsRecord : AlertsRecord);
        int count = batch.Count;
        for (int i = 0; i < count; i++)
        {
            byte[] document;
            try
            {
                document = batch.Alerts is { } alerts ? EcsJson.SerializeAlert(alerts[i]) : EcsJson.SerializeFlow(batch.Flows![i]);
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.Text.Json.JsonException or NotSupportedException)
            {
                // The destination could not have taken it either; one bad alert must not hold up the spill.
                _metrics.EventRejected(Id, "unserialisable");
                LogUnserialisable(_logger, Id, ex.Message);
                continue;
            }

            buffer.Write(document);
            buffer.WriteByte((byte)'\n');
        }

        return buffer.ToArray();
    }

    private async Task<Batch?> DecodeAsync(SpillRead read)
    {
        ReadOnlyMemory<byte> payload = read.Payload;
        bool alerts = payload.Span[0] == AlertsRecord;
        if (payload.Span[0] is not (AlertsRecord or FlowsRecord))
        {
            await DeadLetterAsync(read, $"unknown record type 0x{payload.Span[0]:x2}", payload).ConfigureAwait(false);
            return null;
        }

        var alertList = alerts ? new List<Alert>() : null;
        var flowList = alerts ? null : new List<FlowEvent>();
        var rest = payload[1..];
        while (!rest.IsEmpty)
        {
            int end = rest.Span.IndexOf((byte)'\n');
            var line = end < 0 ? rest : rest[..end];
            rest = end < 0 ? ReadOnlyMemory<byte>.Empty : rest[(end + 1)..];
            if (alerts)
            {
                if (EcsJson.TryReadAlert(line.Span, out var alert, out string? error))
                {
                    alertList!.Add(alert);
                }
                else
                {
                    await DeadLetterAsync(read, "spilled alert unreadable: " + error, line).ConfigureAwait(false);
                }
            }
            else if (EcsJson.ReadFlow(line.Span) is { Event: { } flow })
            {
                flowList!.Add(flow);
            }
            else
            {
                await DeadLetterAsync(read, "spilled flow unreadable: " + Encoding.UTF8.GetString(line.Span[..Math.Min(line.Length, 64)]), line).ConfigureAwait(false);
            }
        }

        var batch = new Batch(alertList, flowList);
        return batch.Count == 0 ? null : batch;
    }

    private sealed record Batch(IReadOnlyList<Alert>? Alerts, IReadOnlyList<FlowEvent>? Flows)
    {
        public int Count => Alerts?.Count ?? Flows!.Count;
    }

    [LoggerMessage(EventId = 1401, Level = LogLevel.Warning, Message = "sink {Sink} write failed (attempt {Attempt}), retrying in {Backoff}: {Reason}")]
    private static partial void LogRetry(ILogger logger, string sink, int attempt, TimeSpan backoff, string reason);

    [LoggerMessage(EventId = 1402, Level = LogLevel.Warning, Message = "sink {Sink} destination down after {Attempts} attempts ({Reason}); spilling batches to disk")]
    private static partial void LogDestinationDown(ILogger logger, string sink, int attempts, string reason);

    [LoggerMessage(EventId = 1403, Level = LogLevel.Warning, Message = "sink {Sink} spilling to {Directory}")]
    private static partial void LogSpilling(ILogger logger, string sink, string directory);

    [LoggerMessage(EventId = 1404, Level = LogLevel.Warning, Message = "sink {Sink} spill is full ({MaxBytes} bytes); writes wait for the replay (the pipeline stops committing)")]
    private static partial void LogSpillFull(ILogger logger, string sink, long maxBytes);

    [LoggerMessage(EventId = 1405, Level = LogLevel.Information, Message = "sink {Sink} spill replayed; writing to the destination directly again")]
    private static partial void LogRecovered(ILogger logger, string sink);

    [LoggerMessage(EventId = 1406, Level = LogLevel.Information, Message = "sink {Sink} found {Segments} spill segments ({Bytes} bytes) from an earlier run; replaying them first")]
    private static partial void LogLeftoverSpill(ILogger logger, string sink, int segments, long bytes);

    [LoggerMessage(EventId = 1407, Level = LogLevel.Error, Message = "sink {Sink} spill record in {Segment} at {Offset} is corrupt and dead-lettered: {Reason}")]
    private static partial void LogCorrupt(ILogger logger, string sink, string segment, long offset, string reason);

    [LoggerMessage(EventId = 1408, Level = LogLevel.Error, Message = "sink {Sink} spill replay failed; trying again")]
    private static partial void LogReplayFailed(ILogger logger, string sink, Exception exception);

    [LoggerMessage(EventId = 1410, Level = LogLevel.Warning, Message = "sink {Sink} stopped with {Bytes} bytes spilled in {Directory}; they are replayed when the sink next starts")]
    private static partial void LogStoppedWithSpill(ILogger logger, string sink, long bytes, string directory);

    [LoggerMessage(EventId = 1411, Level = LogLevel.Debug, Message = "sink {Sink} destination still down, replay waits: {Reason}")]
    private static partial void LogReplayAttemptFailed(ILogger logger, string sink, string reason);

    [LoggerMessage(EventId = 1409, Level = LogLevel.Error, Message = "sink {Sink}: an alert cannot be serialised for the spill and is skipped: {Reason}")]
    private static partial void LogUnserialisable(ILogger logger, string sink, string reason);
}
