using System.Runtime.CompilerServices;
using NetSecStream.Core.Components;

namespace NetSecStream.Pipeline.InProcess;

/// <summary>
/// Records already in memory (benchmarks, tests, pipeline-as-data cases): origin <c>memory</c>, position = 1-based
/// index. Tracks the highest committed position so callers can check at-least-once delivery.
/// </summary>
public sealed class MemoryRecordSource(IReadOnlyList<byte[]> records, string recordOrigin = "memory") : IRecordSource
{
    private long _committed;

    public string Id => "memory";

    public ComponentKind Kind => ComponentKind.Source;

    public long CommittedPosition => Interlocked.Read(ref _committed);

    public async IAsyncEnumerable<RawRecord> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.Yield();
        for (int i = 0; i < records.Count; i++)
        {
            if ((i & 1023) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            yield return new RawRecord(records[i], recordOrigin, i + 1);
        }
    }

    public ValueTask CommitAsync(string origin, long position, CancellationToken cancellationToken)
    {
        long current;
        do
        {
            current = Interlocked.Read(ref _committed);
            if (position <= current)
            {
                break;
            }
        }
        while (Interlocked.CompareExchange(ref _committed, position, current) != current);
        return ValueTask.CompletedTask;
    }
}
