using System.Runtime.CompilerServices;
using NetSecStream.Core.Components;

namespace NetSecStream.Kafka.Tests;

/// <summary>
/// Wraps a record source and records which records the pipeline took (<c>origin</c>, <c>position</c>) and which it
/// confirmed: the pipeline commits a position only after every sink accepted the batch holding it, in read order, so a
/// commit of position P for an origin confirms every record of that origin taken up to and including P.
/// A record of the same partition can be taken more than once (re-read after a rebalance); each take counts.
/// </summary>
internal sealed class TrackingSource(IRecordSource inner) : IRecordSource
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Queue<long>> _taken = new(StringComparer.Ordinal);
    private readonly List<(string Origin, long Position)> _confirmed = [];
    private readonly List<string> _anomalies = [];
    private long _takenCount;

    public string Id => inner.Id;

    public ComponentKind Kind => inner.Kind;

    /// <summary>Records handed to the pipeline so far.</summary>
    public long TakenCount => Interlocked.Read(ref _takenCount);

    /// <summary>Records confirmed so far (every sink accepted them).</summary>
    public int ConfirmedCount
    {
        get
        {
            lock (_lock)
            {
                return _confirmed.Count;
            }
        }
    }

    /// <summary>Commits for positions this source never handed out: each one is a bug somewhere.</summary>
    public IReadOnlyList<string> Anomalies
    {
        get
        {
            lock (_lock)
            {
                return [.. _anomalies];
            }
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => inner.StartAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => inner.StopAsync(cancellationToken);

    public async IAsyncEnumerable<RawRecord> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var record in inner.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            lock (_lock)
            {
                if (!_taken.TryGetValue(record.Origin, out var queue))
                {
                    _taken[record.Origin] = queue = new Queue<long>();
                }

                queue.Enqueue(record.Position);
            }

            Interlocked.Increment(ref _takenCount);
            yield return record;
        }
    }

    public ValueTask CommitAsync(string origin, long position, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (!_taken.TryGetValue(origin, out var queue) || !queue.Contains(position))
            {
                _anomalies.Add($"commit of {origin}@{position}, which was not handed out (or was confirmed already)");
            }
            else
            {
                long taken;
                do
                {
                    taken = queue.Dequeue();
                    _confirmed.Add((origin, taken));
                }
                while (taken != position);
            }
        }

        return inner.CommitAsync(origin, position, cancellationToken);
    }

    /// <summary>The records confirmed so far, one entry per confirmation.</summary>
    public IReadOnlyList<(string Origin, long Position)> Confirmed()
    {
        lock (_lock)
        {
            return [.. _confirmed];
        }
    }

    /// <summary>
    /// The pipeline finished normally (its run returned): it drained every record it took, so the records taken but
    /// not yet matched by a commit (a batch's commit names only its highest position) were processed too.
    /// </summary>
    /// <returns>How many records were taken but not matched by a commit.</returns>
    public int PipelineCompleted()
    {
        int unmatched = 0;
        lock (_lock)
        {
            foreach (var (origin, queue) in _taken)
            {
                while (queue.Count > 0)
                {
                    _confirmed.Add((origin, queue.Dequeue()));
                    unmatched++;
                }
            }
        }

        return unmatched;
    }
}
