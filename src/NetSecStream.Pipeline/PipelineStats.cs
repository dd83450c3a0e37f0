using System.Collections.Concurrent;

namespace NetSecStream.Pipeline;

/// <summary>Running totals of one pipeline run, for progress lines, summaries and the benchmark.</summary>
public sealed class PipelineStats
{
    private const int ReservoirSize = 100_000;

    private readonly ConcurrentDictionary<string, long> _alertsByDetector = new(StringComparer.Ordinal);
    private readonly double[] _latencyReservoir = new double[ReservoirSize];
    private readonly Lock _latencyLock = new();
    private readonly Random _random = new(12345);
    private long _recordsIn;
    private long _eventsDecoded;
    private long _rejected;
    private long _alerts;
    private long _latencySamples;
    private long _committedBatches;
    private long _inFlightEvents;

    public long RecordsIn => Interlocked.Read(ref _recordsIn);

    public long EventsDecoded => Interlocked.Read(ref _eventsDecoded);

    public long Rejected => Interlocked.Read(ref _rejected);

    public long Alerts => Interlocked.Read(ref _alerts);

    public long CommittedBatches => Interlocked.Read(ref _committedBatches);

    /// <summary>Events read but not yet accepted by every sink.</summary>
    public long InFlightEvents => Interlocked.Read(ref _inFlightEvents);

    public IReadOnlyDictionary<string, long> AlertsByDetector => new SortedDictionary<string, long>(_alertsByDetector, StringComparer.Ordinal);

    internal void OnRecords(int count)
    {
        Interlocked.Add(ref _recordsIn, count);
        Interlocked.Add(ref _inFlightEvents, count);
    }

    internal void OnDecoded(int decoded, int rejected)
    {
        Interlocked.Add(ref _eventsDecoded, decoded);
        Interlocked.Add(ref _rejected, rejected);
    }

    internal void OnCommitted(int records)
    {
        Interlocked.Increment(ref _committedBatches);
        Interlocked.Add(ref _inFlightEvents, -records);
    }

    internal void OnAlert(string detector)
    {
        Interlocked.Increment(ref _alerts);
        _alertsByDetector.AddOrUpdate(detector, 1, (_, n) => n + 1);
    }

    /// <summary>Keeps a uniform sample (reservoir) of event-to-alert latencies.</summary>
    internal void OnLatency(double seconds)
    {
        lock (_latencyLock)
        {
            long n = _latencySamples++;
            if (n < ReservoirSize)
            {
                _latencyReservoir[n] = seconds;
            }
            else
            {
                long slot = _random.NextInt64(n + 1);
                if (slot < ReservoirSize)
                {
                    _latencyReservoir[slot] = seconds;
                }
            }
        }
    }

    /// <summary>Latency percentile in milliseconds over the sample, or null with no alerts.</summary>
    public double? LatencyPercentileMs(double percentile)
    {
        double[] sample;
        lock (_latencyLock)
        {
            int count = (int)Math.Min(_latencySamples, ReservoirSize);
            if (count == 0)
            {
                return null;
            }

            sample = _latencyReservoir[..count];
        }

        Array.Sort(sample);
        int index = (int)Math.Clamp(Math.Ceiling(percentile / 100.0 * sample.Length) - 1, 0, sample.Length - 1);
        return sample[index] * 1000.0;
    }
}
