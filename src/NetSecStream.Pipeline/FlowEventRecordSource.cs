using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using NetSecStream.Core.Components;
using NetSecStream.Core.Telemetry;

namespace NetSecStream.Pipeline;

/// <summary>
/// Presents an <see cref="IFlowEventSource"/> (a collector that decodes its own input: NetFlow, pcap, Hubble Relay)
/// as a record source, so it runs through the same graph and the same <c>netsec collect</c> loop as every other
/// source: each flow travels as a <see cref="RawRecord"/> carrying <see cref="RawRecord.Flow"/> (the decoder is
/// skipped), and each input the collector rejected as one carrying <see cref="RawRecord.Rejection"/> and the raw bytes,
/// which the pipeline dead-letters. Rejections wait in a bounded queue; past its bound they are only counted.
/// </summary>
public sealed class FlowEventRecordSource : IRecordSource
{
    private const int MaxQueuedRejections = 10_000;

    private readonly IFlowEventSource _inner;
    private readonly NetSecMetrics? _metrics;
    private readonly ConcurrentQueue<DeadLetter> _rejections = new();
    private int _queued;
    private long _overflowed;

    public FlowEventRecordSource(IFlowEventSource inner, NetSecMetrics? metrics = null)
    {
        _inner = inner ?? throw new ArgumentNullException(nameof(inner));
        _metrics = metrics;
        _inner.Rejected += OnRejected;
    }

    public string Id => _inner.Id;

    public ComponentKind Kind => ComponentKind.Source;

    /// <summary>Rejections that arrived while the queue was full: counted, not dead-lettered.</summary>
    public long OverflowedRejections => Interlocked.Read(ref _overflowed);

    public IFlowEventSource Inner => _inner;

    public Task StartAsync(CancellationToken cancellationToken) => _inner.StartAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => _inner.StopAsync(cancellationToken);

    public async IAsyncEnumerable<RawRecord> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var sourced in _inner.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (TryDequeue(out var rejected))
            {
                yield return rejected;
            }

            yield return new RawRecord(ReadOnlyMemory<byte>.Empty, sourced.Origin, sourced.Position) { Flow = sourced.Flow };
        }

        while (TryDequeue(out var rejected))
        {
            yield return rejected;
        }
    }

    public ValueTask CommitAsync(string origin, long position, CancellationToken cancellationToken) =>
        _inner.CommitAsync(origin, position, cancellationToken);

    private bool TryDequeue(out RawRecord record)
    {
        if (_rejections.TryDequeue(out var rejected))
        {
            Interlocked.Decrement(ref _queued);
            record = new RawRecord(rejected.Payload, rejected.Origin, rejected.Position) { Rejection = rejected.Reason };
            return true;
        }

        record = default;
        return false;
    }

    private void OnRejected(DeadLetter rejected)
    {
        if (Interlocked.Increment(ref _queued) > MaxQueuedRejections)
        {
            Interlocked.Decrement(ref _queued);
            Interlocked.Increment(ref _overflowed);
            _metrics?.EventRejected(_inner.Id, "rejection_queue_full");
            return;
        }

        _rejections.Enqueue(rejected);
    }
}
