using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NetSecStream.Core.Components;
using NetSecStream.Core.Telemetry;

namespace NetSecStream.Kafka;

/// <summary>
/// A consumer-group member on the flows topic (component id <c>kafka</c>). One dedicated thread runs the blocking
/// consume loop (librdkafka's consumer is single-threaded): it fills a bounded buffer that the pipeline reads, stops
/// polling while the buffer is full (backpressure; librdkafka's fetch queue is bounded too), and commits the offsets the
/// pipeline reports as done (<see cref="CommitAsync"/>: every sink accepted everything up to them).
/// On revocation it commits what is done and forgets the revoked partitions' buffered records; on stop it commits
/// and closes, so the group rebalances at once. <see cref="RawRecord.Origin"/> is <c>topic/partition</c> and
/// <see cref="RawRecord.Position"/> the offset.
/// </summary>
public sealed partial class KafkaRecordSource : IBatchingRecordSource, IRevocableOriginSource, IDisposable
{
    public const string ComponentId = "kafka";

    private readonly KafkaOptions _options;
    private readonly NetSecMetrics _metrics;
    private readonly ILogger _logger;
    // Chunks of records as the consume thread took them; bounded by the record count in _buffered, not by chunks.
    private readonly Channel<Chunk> _buffer = Channel.CreateUnbounded<Chunk>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly ManualResetEventSlim _room = new(initialState: true);
    private long _buffered;
    private int _epoch;
    private volatile int _chunkRecords;
    private long _lingerTicks = TimeSpan.FromMilliseconds(2).Ticks;
    private readonly ConcurrentDictionary<TopicPartition, long> _done = new();
    private readonly ConcurrentDictionary<TopicPartition, long> _committed = new();
    private readonly ConcurrentDictionary<string, TopicPartition> _origins = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<TopicPartition, string> _originNames = new();
    private readonly ConcurrentDictionary<TopicPartition, long> _lag = new();
    // Next offset after the last record handed to the pipeline, per origin; only the consume thread touches it.
    private readonly Dictionary<string, long> _handedNext = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    // Payload buffers: at most the consumer buffer's worth of average messages kept free (64 KiB slabs).
    private readonly PayloadSlabPool _slabs;
    private volatile HashSet<TopicPartition> _assigned = [];
    private IConsumer<Ignore, ReadOnlyMemory<byte>>? _consumer;
    private Thread? _loop;
    private Exception? _fatal;
    private volatile bool _aborted;
    private long _droppedOnRevoke;

    public KafkaRecordSource(KafkaOptions options, NetSecMetrics metrics, ILogger<KafkaRecordSource>? logger = null)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _metrics = metrics ?? throw new ArgumentNullException(nameof(metrics));
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _chunkRecords = Math.Min(options.ConsumerBatchRecords, options.ConsumerBufferRecords);
        _slabs = new PayloadSlabPool(SlabBytes, Math.Clamp(options.ConsumerBufferRecords / 64, 16, 1024));
    }

    /// <summary>Size of the buffers message payloads are copied into.</summary>
    public const int SlabBytes = 64 * 1024;

    public string Id => ComponentId;

    /// <summary>Payload slabs allocated so far (the rest were reused).</summary>
    public long PayloadSlabsAllocated => Interlocked.Read(ref _slabs.Allocated);

    /// <inheritdoc />
    public event Action<IReadOnlyCollection<string>>? OriginsRevoked;

    public ComponentKind Kind => ComponentKind.Source;

    /// <summary>Next offset to read per partition, as last committed by this member.</summary>
    public IReadOnlyDictionary<TopicPartition, long> CommittedOffsets => new Dictionary<TopicPartition, long>(_committed);

    /// <summary>Partitions this member owns now.</summary>
    public IReadOnlyCollection<TopicPartition> Assignment => _assigned;

    /// <summary>Buffered records of revoked partitions that were dropped (their new owner reads them again).</summary>
    public long DroppedOnRevoke => Interlocked.Read(ref _droppedOnRevoke);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _consumer = new ConsumerBuilder<Ignore, ReadOnlyMemory<byte>>(_options.ConsumerConfig())
            .SetValueDeserializer(_slabs)
            .SetPartitionsAssignedHandler((_, partitions) => OnAssigned(partitions))
            .SetPartitionsRevokedHandler((consumer, partitions) => OnRevoked(consumer, partitions, lost: false))
            .SetPartitionsLostHandler((consumer, partitions) => OnRevoked(consumer, partitions, lost: true))
            .SetErrorHandler((_, error) => OnError(error))
            .SetLogHandler((_, message) =>
            {
                if (_logger.IsEnabled(LogLevel.Debug))
                {
                    LogLibrdkafka(_logger, message.Facility, message.Message);
                }
            })
            .Build();
        _consumer.Subscribe(_options.FlowsTopic);
        _metrics.TrackConsumerLag(ComponentId + ":" + _options.GroupId, () => _lag.Select(p => (p.Key.Topic, p.Key.Partition.Value, p.Value)).ToList());
        _metrics.TrackQueue("kafka_consumer_buffer", () => Interlocked.Read(ref _buffered));
        _loop = new Thread(ConsumeLoop) { IsBackground = true, Name = "netsec-kafka-consumer" };
        _loop.Start();
        LogStarted(_logger, _options.FlowsTopic, _options.GroupId);
        return Task.CompletedTask;
    }

    public async IAsyncEnumerable<RawRecord> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var chunk in ReadBatchesAsync(_chunkRecords, TimeSpan.FromMilliseconds(2), cancellationToken).ConfigureAwait(false))
        {
            foreach (var record in chunk)
            {
                yield return record;
            }
        }
    }

    /// <summary>
    /// Records in the chunks the consume thread took them in: each chunk holds at most <paramref name="maxBatch"/>
    /// records, what librdkafka had fetched, waiting at most <paramref name="linger"/> for more once it has one.
    /// </summary>
    public async IAsyncEnumerable<IReadOnlyList<RawRecord>> ReadBatchesAsync(int maxBatch, TimeSpan linger, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        _chunkRecords = Math.Clamp(Math.Min(maxBatch, _options.ConsumerBatchRecords), 1, _options.ConsumerBufferRecords);
        Interlocked.Exchange(ref _lingerTicks, Math.Max(0, linger.Ticks));
        var reader = _buffer.Reader;
        while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (reader.TryRead(out var chunk))
            {
                Interlocked.Add(ref _buffered, -chunk.Records.Count);
                _room.Set();
                var records = chunk.Records;
                if (chunk.Epoch != Volatile.Read(ref _epoch))
                {
                    // A rebalance happened since this chunk was taken: drop the records of partitions revoked while they
                    // waited here; their new owner reads them from the committed offset.
                    var assigned = _assigned;
                    records = records.Filter(r => assigned.Contains(_origins[r.Origin]));
                    Interlocked.Add(ref _droppedOnRevoke, chunk.Records.Count - records.Count);
                    if (records.Count == 0)
                    {
                        records.ReleasePayloads();
                        continue;
                    }
                }

                _metrics.EventsOut(ComponentId, records.Count);
                yield return records;
            }
        }

        if (_fatal is not null)
        {
            throw new KafkaException(new Error(ErrorCode.Local_Fatal, "kafka consumer stopped: " + _fatal.Message));
        }
    }

    /// <summary>Marks everything up to <paramref name="position"/> in that partition as done; committed within <see cref="KafkaOptions.CommitInterval"/>.</summary>
    public ValueTask CommitAsync(string origin, long position, CancellationToken cancellationToken)
    {
        if (!_aborted && _origins.TryGetValue(origin, out var partition))
        {
            _done.AddOrUpdate(partition, position + 1, (_, previous) => Math.Max(previous, position + 1));
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Commits what is done, leaves the group (so it rebalances at once) and releases the consumer.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_loop is null)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await Task.Run(() => _loop.Join(TimeSpan.FromSeconds(30)), CancellationToken.None).ConfigureAwait(false);
        _loop = null;
    }

    /// <summary>
    /// Simulates a crash (for failure testing, or an emergency stop): stops consuming at once, commits nothing more and
    /// drops the consumer without leaving the group, which reassigns the partitions after the session timeout.
    /// </summary>
    public void Abort()
    {
        _aborted = true;
        _stop.Cancel();
        _loop?.Join(TimeSpan.FromSeconds(30));
        _loop = null;
    }

    public void Dispose()
    {
        if (_loop is not null)
        {
            _stop.Cancel();
            _loop.Join(TimeSpan.FromSeconds(30));
        }

        _consumer?.Dispose();
        _consumer = null;
        _stop.Dispose();
        _room.Dispose();
    }

    private void ConsumeLoop()
    {
        var consumer = _consumer!;
        var nextCommit = DateTime.UtcNow + _options.CommitInterval;
        var lastCommit = DateTime.UtcNow;
        var nextLag = DateTime.UtcNow + _options.LagInterval;
        SlabBatch? chunk = null;
        int chunkEpoch = 0;
        long chunkStarted = 0;
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var now = DateTime.UtcNow;
                if (now >= nextCommit)
                {
                    CommitDone(consumer, _assigned);
                    lastCommit = now;
                    nextCommit = now + _options.CommitInterval;
                }

                if (now >= nextLag)
                {
                    UpdateLag(consumer);
                    nextLag = now + _options.LagInterval;
                }

                // Backpressure: while the pipeline is behind, do not poll for more. librdkafka's own fetch queue is
                // bounded (queued.max.messages.kbytes), so nothing grows; the wait is short (the buffer drains at the
                // pipeline's rate), which keeps rebalance callbacks, served inside Consume, prompt. Pausing the
                // partitions instead costs a fetch round trip on every resume and starved the pipeline (measured).
                if (Interlocked.Read(ref _buffered) + (chunk?.Count ?? 0) >= _options.ConsumerBufferRecords)
                {
                    if (chunk is not null)
                    {
                        Hand(chunk, chunkEpoch);
                        chunk = null;
                        continue;
                    }

                    _room.Reset();
                    if (Interlocked.Read(ref _buffered) >= _options.ConsumerBufferRecords)
                    {
                        _room.Wait(50, _stop.Token);
                    }

                    continue;
                }

                // The first record of a chunk is waited for up to 100 ms (a few ms while handed records are still in the
                // pipeline, so their offsets are committed soon after it finishes them); after it, the chunk takes what
                // librdkafka has already fetched and lingers for more at most the linger time, then goes to the pipeline.
                TimeSpan wait = TimeSpan.FromMilliseconds(100);
                if (chunk is null && HasUncommittedWork())
                {
                    wait = IdlePoll;
                }
                else if (chunk is not null)
                {
                    long left = Interlocked.Read(ref _lingerTicks) - Stopwatch.GetElapsedTime(chunkStarted).Ticks;
                    wait = left > 0 ? TimeSpan.FromTicks(Math.Min(left, TimeSpan.TicksPerMillisecond)) : TimeSpan.Zero;
                }

                ConsumeResult<Ignore, ReadOnlyMemory<byte>>? result;
                try
                {
                    result = consumer.Consume(wait);
                }
                catch (ConsumeException ex) when (!ex.Error.IsFatal)
                {
                    LogConsumeError(_logger, ex.Error.Code.ToString(), ex.Error.Reason);
                    continue;
                }

                if (result?.Message is null)
                {
                    if (chunk is not null && wait == TimeSpan.Zero)
                    {
                        Hand(chunk, chunkEpoch);
                        chunk = null;
                    }
                    else if (chunk is null && DateTime.UtcNow >= lastCommit + IdlePoll)
                    {
                        // Nothing new to read: commit what the pipeline finished now instead of at the next interval.
                        CommitDone(consumer, _assigned);
                        lastCommit = DateTime.UtcNow;
                        nextCommit = lastCommit + _options.CommitInterval;
                    }

                    continue;
                }

                if (chunk is null)
                {
                    // The epoch of the chunk's first record: a revocation served by a later Consume call bumps the
                    // epoch, and the reader then checks every record of this chunk against the new assignment.
                    chunk = new SlabBatch(_slabs, _chunkRecords);
                    chunkEpoch = Volatile.Read(ref _epoch);
                    chunkStarted = Stopwatch.GetTimestamp();
                }

                chunk.Add(new RawRecord(result.Message.Value, OriginOf(result.TopicPartition), result.Offset.Value));
                if (chunk.Count >= _chunkRecords)
                {
                    Hand(chunk, chunkEpoch);
                    chunk = null;
                }
            }

            if (!_aborted)
            {
                CommitDone(consumer, _assigned);
                consumer.Close();
                LogClosed(_logger, _options.GroupId);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            if (!_aborted)
            {
                CommitDone(consumer, _assigned);
                consumer.Close();
                LogClosed(_logger, _options.GroupId);
            }
        }
        catch (KafkaException ex)
        {
            _fatal = ex;
            LogFatal(_logger, ex);
        }
        finally
        {
            _buffer.Writer.TryComplete();
            if (_aborted)
            {
                consumer.Dispose();
                _consumer = null;
            }
        }
    }

    private void Hand(SlabBatch chunk, int epoch)
    {
        _slabs.Seal(chunk);
        string? origin = null;
        for (int i = chunk.Count - 1; i >= 0; i--)
        {
            // Chunks hold runs of one partition's records in offset order: the last record of each run is its highest.
            var record = chunk[i];
            if (!ReferenceEquals(record.Origin, origin))
            {
                origin = record.Origin;
                if (!_handedNext.TryGetValue(origin, out long next) || record.Position + 1 > next)
                {
                    _handedNext[origin] = record.Position + 1;
                }
            }
        }


        _metrics.EventsIn(ComponentId, chunk.Count);
        Interlocked.Add(ref _buffered, chunk.Count);
        _buffer.Writer.TryWrite(new Chunk(chunk, epoch));
    }

    private static readonly TimeSpan IdlePoll = TimeSpan.FromMilliseconds(5);

    /// <summary>True while records handed to the pipeline are not all committed (consume thread only).</summary>
    private bool HasUncommittedWork()
    {
        foreach (var (origin, next) in _handedNext)
        {
            if (_origins.TryGetValue(origin, out var partition) && _assigned.Contains(partition)
                && (!_committed.TryGetValue(partition, out long committed) || committed < next))
            {
                return true;
            }
        }

        return false;
    }

    private void OnAssigned(List<TopicPartition> partitions)
    {
        var assigned = new HashSet<TopicPartition>(_assigned);
        foreach (var partition in partitions)
        {
            assigned.Add(partition);
            OriginOf(partition);
        }

        _assigned = assigned;
        if (_logger.IsEnabled(LogLevel.Information))
        {
            LogAssigned(_logger, string.Join(",", partitions.Select(p => p.Partition.Value)));
        }
    }

    private void OnRevoked(IConsumer<Ignore, ReadOnlyMemory<byte>> consumer, List<TopicPartitionOffset> partitions, bool lost)
    {
        var revoked = partitions.Select(p => p.TopicPartition).ToHashSet();
        if (!lost && !_aborted)
        {
            // Commit what the pipeline finished before the partitions go; what is in flight is read again by the new owner.
            CommitDone(consumer, revoked);
        }

        var assigned = new HashSet<TopicPartition>(_assigned);
        assigned.ExceptWith(revoked);
        _assigned = assigned;
        Interlocked.Increment(ref _epoch);
        foreach (var partition in revoked)
        {
            _done.TryRemove(partition, out _);
            _lag.TryRemove(partition, out _);
            _handedNext.Remove(OriginOf(partition));
        }

        OriginsRevoked?.Invoke([.. revoked.Select(OriginOf)]);

        if (_logger.IsEnabled(LogLevel.Information))
        {
            LogRevoked(_logger, lost ? "lost" : "revoked", string.Join(",", revoked.Select(p => p.Partition.Value)));
        }
    }

    private void CommitDone(IConsumer<Ignore, ReadOnlyMemory<byte>> consumer, IReadOnlySet<TopicPartition> partitions)
    {
        var offsets = new List<TopicPartitionOffset>();
        foreach (var partition in partitions)
        {
            if (_done.TryGetValue(partition, out long next) && (!_committed.TryGetValue(partition, out long committed) || next > committed))
            {
                offsets.Add(new TopicPartitionOffset(partition, next));
            }
        }

        if (offsets.Count == 0)
        {
            return;
        }

        try
        {
            consumer.Commit(offsets);
            foreach (var offset in offsets)
            {
                _committed[offset.TopicPartition] = offset.Offset.Value;
            }
        }
        catch (KafkaException ex) when (!ex.Error.IsFatal)
        {
            // Not committed now (e.g. a rebalance is in progress): tried again at the next interval; at worst re-read.
            LogCommitFailed(_logger, ex.Error.Code.ToString(), ex.Error.Reason);
        }
    }

    private void UpdateLag(IConsumer<Ignore, ReadOnlyMemory<byte>> consumer)
    {
        foreach (var partition in _assigned)
        {
            var watermarks = consumer.GetWatermarkOffsets(partition);
            if (watermarks.High.Value < 0)
            {
                continue;
            }

            long committed = _committed.TryGetValue(partition, out long c) ? c : watermarks.Low.Value;
            _lag[partition] = Math.Max(0, watermarks.High.Value - committed);
        }
    }

    private string OriginOf(TopicPartition partition)
    {
        if (_originNames.TryGetValue(partition, out string? name))
        {
            return name;
        }

        name = partition.Topic + "/" + partition.Partition.Value.ToString(CultureInfo.InvariantCulture);
        _originNames[partition] = name;
        _origins[name] = partition;
        return name;
    }

    private void OnError(Error error)
    {
        if (error.IsFatal)
        {
            LogFatal(_logger, new KafkaException(error));
        }
        else
        {
            LogConsumeError(_logger, error.Code.ToString(), error.Reason);
        }
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "kafka: consuming {Topic} as group {Group}")]
    private static partial void LogStarted(ILogger logger, string topic, string group);

    [LoggerMessage(EventId = 301, Level = LogLevel.Information, Message = "kafka: assigned partitions {Partitions}")]
    private static partial void LogAssigned(ILogger logger, string partitions);

    [LoggerMessage(EventId = 302, Level = LogLevel.Information, Message = "kafka: partitions {How}: {Partitions}")]
    private static partial void LogRevoked(ILogger logger, string how, string partitions);

    [LoggerMessage(EventId = 303, Level = LogLevel.Warning, Message = "kafka: commit failed ({Code}): {Reason}; retrying at the next interval")]
    private static partial void LogCommitFailed(ILogger logger, string code, string reason);

    [LoggerMessage(EventId = 304, Level = LogLevel.Warning, Message = "kafka: consumer error ({Code}): {Reason}")]
    private static partial void LogConsumeError(ILogger logger, string code, string reason);

    [LoggerMessage(EventId = 305, Level = LogLevel.Critical, Message = "kafka: fatal consumer error; stopping")]
    private static partial void LogFatal(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 306, Level = LogLevel.Information, Message = "kafka: committed and left group {Group}")]
    private static partial void LogClosed(ILogger logger, string group);

    [LoggerMessage(EventId = 307, Level = LogLevel.Debug, Message = "librdkafka {Facility}: {Message}")]
    private static partial void LogLibrdkafka(ILogger logger, string facility, string message);

    private sealed record Chunk(SlabBatch Records, int Epoch);
}
