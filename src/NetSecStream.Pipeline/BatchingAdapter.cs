using System.Diagnostics;
using System.Runtime.CompilerServices;
using NetSecStream.Core.Components;

namespace NetSecStream.Pipeline;

/// <summary>
/// Groups a record stream into batches opportunistically: a batch takes every record that is already available,
/// up to the batch size. When the source would make it wait, a part-filled batch lingers at most <c>linger</c> for
/// more and is then handed over. A busy source gives full batches (cheap per event), a quiet one small batches
/// quickly (low latency). Cancellation ends the stream cleanly after the records already taken.
/// </summary>
public static class BatchingAdapter
{
    public static async IAsyncEnumerable<RecordBatch> Batch(
        IAsyncEnumerable<RawRecord> records,
        int batchSize,
        TimeSpan linger,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        var enumerator = records.GetAsyncEnumerator(cancellationToken);
        Task<bool>? inFlight = null;
        try
        {
            var current = new List<RawRecord>(batchSize);
            long firstArrival = 0;
            while (true)
            {
                bool more;
                var move = enumerator.MoveNextAsync();
                if (move.IsCompletedSuccessfully)
                {
                    more = move.Result;
                }
                else
                {
                    inFlight = move.AsTask();
                    if (current.Count > 0)
                    {
                        if (linger > TimeSpan.Zero)
                        {
                            await Task.WhenAny(inFlight, Task.Delay(linger, CancellationToken.None)).ConfigureAwait(false);
                        }

                        if (!inFlight.IsCompleted)
                        {
                            // The source is quiet: hand over what we have.
                            yield return new RecordBatch(current, firstArrival);
                            current = new List<RawRecord>(batchSize);
                        }
                    }

                    try
                    {
                        more = await inFlight.ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                    {
                        more = false;
                    }

                    inFlight = null;
                }

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
            }

            if (current.Count > 0)
            {
                yield return new RecordBatch(current, firstArrival);
            }
        }
        finally
        {
            if (inFlight is { IsCompleted: false })
            {
                // Torn down while the source was waiting: let that read finish (bounded) before disposing.
                try
                {
                    await inFlight.WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is OperationCanceledException or TimeoutException)
                {
                    // Nothing to keep: the stream is being torn down.
                }
            }

            await enumerator.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Stamps the batches of a batching source with their arrival time; cancellation ends the stream cleanly.</summary>
    public static async IAsyncEnumerable<RecordBatch> Stamp(
        IAsyncEnumerable<IReadOnlyList<RawRecord>> batches,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batches);
        var enumerator = batches.GetAsyncEnumerator(cancellationToken);
        try
        {
            while (true)
            {
                bool more;
                try
                {
                    more = await enumerator.MoveNextAsync().ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    more = false;
                }

                if (!more)
                {
                    break;
                }

                yield return new RecordBatch(enumerator.Current, Stopwatch.GetTimestamp());
            }
        }
        finally
        {
            await enumerator.DisposeAsync().ConfigureAwait(false);
        }
    }
}
