using System.Runtime.CompilerServices;
using System.Threading.Channels;
using NetSecStream.Core.Components;
using NetSecStream.Core.Telemetry;

namespace NetSecStream.Pipeline.InProcess;

/// <summary>
/// The in-process transport (component id <c>in_process</c>): collectors publish into a bounded channel and the
/// pipeline reads it; a full channel makes publishers wait (backpressure). Stands in for Kafka in the embedded
/// <c>netsec run</c>. Committed positions are tracked per origin so callers can see what is durable.
/// </summary>
public sealed class InProcessRecordSource : IRecordSource
{
    public const string ComponentId = "in_process";

    private readonly Channel<RawRecord> _channel;
    private readonly Dictionary<string, long> _committed = new(StringComparer.Ordinal);
    private readonly Lock _commitLock = new();
    private readonly NetSecMetrics? _metrics;

    public InProcessRecordSource(NetSecMetrics? metrics = null, int capacity = 16_384)
    {
        _metrics = metrics;
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _channel = Channel.CreateBounded<RawRecord>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });
    }

    public string Id => ComponentId;

    public ComponentKind Kind => ComponentKind.Source;

    /// <summary>Records waiting to be read.</summary>
    public int Depth => _channel.Reader.Count;

    /// <summary>Waits while the channel is full; throws when the transport was completed.</summary>
    public ValueTask PublishAsync(RawRecord record, CancellationToken cancellationToken)
    {
        _metrics?.EventsIn(ComponentId);
        return _channel.Writer.WriteAsync(record, cancellationToken);
    }

    /// <summary>No more records: the pipeline drains what is queued and completes.</summary>
    public void Complete() => _channel.Writer.TryComplete();

    public long CommittedPosition(string origin)
    {
        lock (_commitLock)
        {
            return _committed.TryGetValue(origin, out long position) ? position : 0;
        }
    }

    public async IAsyncEnumerable<RawRecord> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var reader = _channel.Reader;
        while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (reader.TryRead(out var record))
            {
                _metrics?.EventsOut(ComponentId);
                yield return record;
            }
        }
    }

    public ValueTask CommitAsync(string origin, long position, CancellationToken cancellationToken)
    {
        lock (_commitLock)
        {
            if (!_committed.TryGetValue(origin, out long previous) || position > previous)
            {
                _committed[origin] = position;
            }
        }

        return ValueTask.CompletedTask;
    }
}
