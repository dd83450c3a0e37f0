using System.Diagnostics;
using System.Runtime.CompilerServices;
using NetSecStream.Core.Components;

namespace NetSecStream.Pipeline;

/// <summary>
/// Groups a record stream into batches opportunistically: a batch takes every record that is already available,
/// up to the batch size, and is emitted as soon as the source would have to wait. A busy source gives full batches
/// (cheap per event), a quiet one gives small batches at once (low latency); no timer is involved.
/// Cancellation ends the stream cleanly after the records already taken.
/// </summary>
public static class BatchingAdapter
{
    public static async IAsyncEnumerable<RecordBatch> Batch(
        IAsyncEnumerable<RawRecord> records,
        int batchSize,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        var enumerator = records.GetAsyncEnumerator(cancellationToken);
        ValueTask<bool> pending = default;
        bool started = false;
        try
        {
            var current = new List<RawRecord>(batchSize);
            long firstArrival = 0;
            pending = enumerator.MoveNextAsync();
            started = true;
            while (true)
            {
                if (!pending.IsCompleted && current.Count > 0)
                {
                    // The source would make us wait: hand over what we have first.
                    yield return new RecordBatch(current, firstArrival);
                    current = new List<RawRecord>(batchSize);
                }

                bool more;
                try
                {
                    more = await pending.ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    more = false;
                }

                started = false;
                if (!more)
                {
                    break;
                }

                if (current.Count == 0)
                {
                    firstArrival = Stopwatch.GetTimestamp();
                }

                current.Add(enumerator.Current);
                if (current.Count >= batchSize)
                {
                    yield return new RecordBatch(current, firstArrival);
                    current = new List<RawRecord>(batchSize);
                }

                pending = enumerator.MoveNextAsync();
                started = true;
            }

            if (current.Count > 0)
            {
                yield return new RecordBatch(current, firstArrival);
            }
        }
        finally
        {
            if (started && !pending.IsCompleted)
            {
                // Torn down while the source was waiting: let that read finish (bounded) before disposing.
                try
                {
                    await pending.AsTask().WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is OperationCanceledException or TimeoutException)
                {
                    // Nothing to keep: the stream is being torn down.
                }
            }

            await enumerator.DisposeAsync().ConfigureAwait(false);
        }
    }
}
