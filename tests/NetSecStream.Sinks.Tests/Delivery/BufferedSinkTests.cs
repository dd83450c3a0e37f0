using System.Buffers.Binary;
using System.Diagnostics.Metrics;
using NetSecStream.Core.Telemetry;
using NetSecStream.Sinks.Delivery;
using NetSecStream.Sinks.Tests.Files;
using NetSecStream.Testing;

namespace NetSecStream.Sinks.Tests.Delivery;

public sealed class BufferedSinkTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    private readonly TempDirectory _dir = new();
    private readonly NetSecMetrics _metrics = new();
    private readonly MetricsRecorder _recorder;
    private readonly List<BufferedSink> _sinks = [];

    public BufferedSinkTests() => _recorder = new MetricsRecorder(_metrics);

    public void Dispose()
    {
        foreach (var sink in _sinks)
        {
            sink.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        _recorder.Dispose();
        _metrics.Dispose();
        _dir.Dispose();
    }

    private DeliveryOptions Options(long maxSpillBytes = 1 << 20, long segmentBytes = 1 << 20, int memoryBatches = 8) => new()
    {
        SpillDirectory = _dir.Path,
        Attempts = 2,
        InitialBackoff = TimeSpan.FromMilliseconds(1),
        MaxBackoff = TimeSpan.FromMilliseconds(20),
        MaxSpillBytes = maxSpillBytes,
        SegmentBytes = segmentBytes,
        MemoryBatches = memoryBatches,
    };

    private async Task<BufferedSink> StartedAsync(FlakySink destination, DeliveryOptions? options = null, MemoryDeadLetterSink? deadLetters = null)
    {
        var sink = new BufferedSink(destination, options ?? Options(), "flaky", _metrics, deadLetters);
        _sinks.Add(sink);
        await sink.StartAsync(CancellationToken.None);
        return sink;
    }

    private string SpillFolder => Path.Combine(_dir.Path, "flaky");

    private string[] Segments() => Directory.Exists(SpillFolder) ? [.. Directory.GetFiles(SpillFolder, "*.spill").Order(StringComparer.Ordinal)] : [];

    private static async Task Eventually(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for: " + what);
            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task DestinationDown_TheBatchIsSpilledDurably_AndTheWriteReturns()
    {
        var destination = new FlakySink { Down = true };
        var sink = await StartedAsync(destination);

        await sink.WriteAsync(SinkSamples.Alerts(0, 3), CancellationToken.None).AsTask().WaitAsync(Patience);

        Assert.True(sink.IsSpilling);
        Assert.Empty(destination.Alerts);
        var segment = Assert.Single(Segments());
        Assert.Equal(new FileInfo(segment).Length, sink.SpillBytes);
        Assert.Equal(1, _recorder.Total("netsec_sink_spilled", "flaky"));
        Assert.True(_recorder.Total("netsec_sink_errors", "flaky") >= 2, "both attempts count as failed");
        Assert.True(_recorder.Total("netsec_sink_retries", "flaky") >= 1, "the first failed attempt was retried");
        Assert.Equal(0, _recorder.Total("netsec_sink_sent", "flaky"));
    }

    [Fact]
    public async Task Recovery_ReplaysTheSpillInOrder_DeletesIt_AndWritesDirectlyAgain()
    {
        var destination = new FlakySink { Down = true };
        var sink = await StartedAsync(destination);
        for (int batch = 0; batch < 5; batch++)
        {
            await sink.WriteAsync(SinkSamples.Alerts(batch * 3, 3), CancellationToken.None);
        }

        destination.Down = false;
        await Eventually(() => destination.Alerts.Count == 15 && !sink.IsSpilling, "the spill to be replayed");
        Assert.Equal(Enumerable.Range(0, 15).Select(n => SinkSamples.Alert(n).Id), destination.Alerts.Select(a => a.Id));
        Assert.Empty(Segments());
        Assert.Equal(0, sink.SpillBytes);

        await sink.WriteAsync(SinkSamples.Alerts(15, 1), CancellationToken.None);
        Assert.Equal(SinkSamples.Alert(15).Id, destination.Alerts.Last().Id);
        Assert.Empty(Segments());
        Assert.Equal(16, _recorder.Total("netsec_sink_sent", "flaky"));
    }

    [Fact]
    public async Task ReplayedAlerts_KeepWhatEcsCarries()
    {
        var destination = new FlakySink { Down = true };
        var sink = await StartedAsync(destination);
        var original = SinkSamples.Alert(7);
        original.DedupeCount = 4;
        await sink.WriteAsync([original], CancellationToken.None);
        destination.Down = false;
        await Eventually(() => !destination.Alerts.IsEmpty, "the replay");

        var replayed = Assert.Single(destination.Alerts);
        Assert.Equal(original.Id, replayed.Id);
        Assert.Equal(original.RuleId, replayed.RuleId);
        Assert.Equal(original.Explanation, replayed.Explanation);
        Assert.Equal(4, replayed.DedupeCount);
        Assert.Equal(original.Flow.Source.Port, replayed.Flow.Source.Port);
    }

    [Fact]
    public async Task Flows_AreSpilledAndReplayed_AsWellAsAlerts()
    {
        var destination = new FlakySink { Down = true };
        var sink = await StartedAsync(destination);
        await sink.WriteFlowsAsync([SinkSamples.Flow(1), SinkSamples.Flow(2)], CancellationToken.None);
        await sink.WriteAsync(SinkSamples.Alerts(3, 1), CancellationToken.None);
        destination.Down = false;
        await Eventually(() => destination.Flows.Count == 2 && destination.Alerts.Count == 1, "flows and alerts replayed");
        Assert.Equal([40001, 40002], destination.Flows.Select(f => (int)f.Source.Port));
    }

    [Fact]
    public async Task Restart_ReplaysLeftoverSegments_BeforeAnythingNewer()
    {
        var down = new FlakySink { Down = true };
        var first = await StartedAsync(down);
        for (int batch = 0; batch < 3; batch++)
        {
            await first.WriteAsync(SinkSamples.Alerts(batch * 2, 2), CancellationToken.None);
        }

        await first.StopAsync(CancellationToken.None);
        Assert.NotEmpty(Segments());

        // A new process: the destination is back; what the last run spilled goes first.
        var destination = new FlakySink();
        var second = await StartedAsync(destination);
        await second.WriteAsync(SinkSamples.Alerts(100, 2), CancellationToken.None);
        await Eventually(() => destination.Alerts.Count == 8 && !second.IsSpilling, "leftover and new alerts");
        Assert.Equal(
            Enumerable.Range(0, 6).Concat([100, 101]).Select(n => SinkSamples.Alert(n).Id),
            destination.Alerts.Select(a => a.Id));
        Assert.Empty(Segments());
    }

    [Fact]
    public async Task FullSpill_MakesTheWriteWait_WithoutLossOrGrowthPastTheBound()
    {
        const long bound = 8192;
        var destination = new FlakySink { Down = true };
        var sink = await StartedAsync(destination, Options(maxSpillBytes: bound, segmentBytes: 1024));
        int written = 0;
        Task? blocked = null;
        for (int n = 0; n < 100; n++)
        {
            var write = sink.WriteAsync(SinkSamples.Alerts(n, 1), CancellationToken.None).AsTask();
            if (await Task.WhenAny(write, Task.Delay(500)) != write)
            {
                blocked = write;
                break;
            }

            written++;
            Assert.True(sink.SpillBytes <= bound, $"spill grew to {sink.SpillBytes} bytes past its bound of {bound}");
        }

        Assert.NotNull(blocked);
        Assert.True(written >= 2, $"only {written} batches fitted");
        await Task.Delay(200);
        Assert.False(blocked.IsCompleted, "a write into a full spill must wait, not drop or fail");
        Assert.True(sink.SpillBytes <= bound);

        destination.Down = false;
        await blocked.WaitAsync(Patience);
        await Eventually(() => destination.Alerts.Count == written + 1, "every batch, the waiting one included");
        Assert.Equal(Enumerable.Range(0, written + 1).Select(n => SinkSamples.Alert(n).Id), destination.Alerts.Select(a => a.Id));
    }

    [Fact]
    public async Task CorruptRecord_IsDeadLetteredWithItsReason_AndTheOthersAreReplayed()
    {
        var down = new FlakySink { Down = true };
        var first = await StartedAsync(down);
        for (int n = 0; n < 3; n++)
        {
            await first.WriteAsync(SinkSamples.Alerts(n, 1), CancellationToken.None);
        }

        await first.StopAsync(CancellationToken.None);

        // Flip one byte inside the second record's payload; append a torn header as a crash mid-write would leave.
        // (The replay loop may have sealed a segment while the sink was down, so the records can span segments.)
        var records = new List<(string Segment, int Offset)>();
        foreach (string path in Segments())
        {
            byte[] content = await File.ReadAllBytesAsync(path);
            for (int offset = 0; offset < content.Length; offset += SpillSegments.HeaderBytes + BinaryPrimitives.ReadInt32LittleEndian(content.AsSpan(offset)))
            {
                records.Add((path, offset));
            }
        }

        Assert.Equal(3, records.Count);
        var (segment, second) = records[1];
        byte[] bytes = await File.ReadAllBytesAsync(segment);
        bytes[second + SpillSegments.HeaderBytes + 20] ^= 0x55;
        await File.WriteAllBytesAsync(segment, bytes);
        string last = Segments()[^1];
        await File.AppendAllBytesAsync(last, [0x10, 0x00, 0x00]);

        var destination = new FlakySink();
        var deadLetters = new MemoryDeadLetterSink();
        var sink = await StartedAsync(destination, deadLetters: deadLetters);
        await Eventually(() => !sink.IsSpilling && deadLetters.Items.Count == 2, "the replay past the corrupt records");

        Assert.Equal([SinkSamples.Alert(0).Id, SinkSamples.Alert(2).Id], destination.Alerts.Select(a => a.Id));
        var letters = deadLetters.Items.ToList();
        Assert.Contains("checksum mismatch", letters[0].Reason, StringComparison.Ordinal);
        Assert.Equal("flaky_spill", letters[0].Stage);
        Assert.Equal(segment, letters[0].Origin);
        Assert.Equal(second, letters[0].Position);
        Assert.Contains("truncated record header", letters[1].Reason, StringComparison.Ordinal);
        Assert.Equal(last, letters[1].Origin);
        Assert.Equal(2, _recorder.Total("netsec_dead_letters", "flaky"));
        Assert.Empty(Segments());
    }

    [Fact]
    public async Task MemoryBuffer_IsBounded_AndReportedAsAGauge()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var destination = new FlakySink { BeforeWrite = _ => release.Task };
        var sink = await StartedAsync(destination, Options(memoryBatches: 2));

        var writes = Enumerable.Range(0, 3).Select(n => sink.WriteAsync(SinkSamples.Alerts(n, 1), CancellationToken.None).AsTask()).ToList();
        await Eventually(() => destination.Attempts == 2, "two batches in flight");
        await Task.Delay(100);
        Assert.Equal(2, destination.Attempts);
        Assert.Equal(2, sink.BufferedBatches);
        Assert.Equal(2, ObserveGauge("netsec_sink_buffered"));

        release.SetResult();
        await Task.WhenAll(writes).WaitAsync(Patience);
        Assert.Equal(3, destination.Alerts.Count);
        Assert.Equal(0, sink.BufferedBatches);
        Assert.Equal(0, ObserveGauge("netsec_sink_buffered"));
    }

    [Fact]
    public async Task SpillBytes_AreReportedAsAGauge_UntilReplayed()
    {
        var destination = new FlakySink { Down = true };
        var sink = await StartedAsync(destination);
        await sink.WriteAsync(SinkSamples.Alerts(0, 2), CancellationToken.None);
        Assert.Equal(sink.SpillBytes, ObserveGauge("netsec_sink_spill_bytes"));
        Assert.True(sink.SpillBytes > 0);

        destination.Down = false;
        await Eventually(() => !sink.IsSpilling, "the replay");
        Assert.Equal(0, ObserveGauge("netsec_sink_spill_bytes"));
        Assert.Equal(2, _recorder.Total("netsec_sink_sent", "flaky"));
    }

    [Fact]
    public async Task AnUnserialisableAlert_IsCountedAndSkippedBySpill_AndTheRestOfItsBatchArrives()
    {
        var destination = new FlakySink { Down = true };
        var sink = await StartedAsync(destination);
        var bad = SinkSamples.Alert(1);
        bad = new NetSecStream.Core.Events.Alert
        {
            Id = bad.Id, Timestamp = bad.Timestamp, Detector = bad.Detector, RuleId = bad.RuleId, RuleName = bad.RuleName, Severity = bad.Severity,
            RiskScore = double.NaN, Explanation = bad.Explanation, DedupeKey = bad.DedupeKey, Flow = bad.Flow,
        };
        await sink.WriteAsync([bad, SinkSamples.Alert(2)], CancellationToken.None);
        Assert.Equal(1, _recorder.Total("netsec_events_rejected", "flaky"));

        destination.Down = false;
        await Eventually(() => !sink.IsSpilling, "the replay");
        Assert.Equal(SinkSamples.Alert(2).Id, Assert.Single(destination.Alerts).Id);
    }

    [Fact]
    public void BadOptions_AreRejected_NamingTheKey()
    {
        var options = new DeliveryOptions { MemoryBatches = 0, MaxSpillBytes = 10, Overrides = { ["kafka_alerts"] = new DeliveryOverride { Attempts = 0 } } };
        var result = new DeliveryOptionsValidator().Validate(null, options);
        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.StartsWith("Sinks:Delivery:MemoryBatches", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.StartsWith("Sinks:Delivery:MaxSpillBytes", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.StartsWith("Sinks:Delivery:Overrides:kafka_alerts:Attempts", StringComparison.Ordinal));
    }

    [Fact]
    public void Overrides_ChangeOneSink_AndKeepTheSharedValuesForTheRest()
    {
        var options = new DeliveryOptions { MemoryBatches = 4, Overrides = { ["kafka_alerts"] = new DeliveryOverride { MaxSpillBytes = 1 << 20, Fsync = SpillFsync.Never } } };
        var kafka = options.For("kafka_alerts");
        Assert.Equal(1 << 20, kafka.MaxSpillBytes);
        Assert.Equal(SpillFsync.Never, kafka.Fsync);
        Assert.Equal(4, kafka.MemoryBatches);
        Assert.Equal(SpillFsync.Always, options.For("elasticsearch").Fsync);
        Assert.Equal((1 << 20) / 4, kafka.EffectiveSegmentBytes);
        Assert.Equal(16L << 20, options.For("elasticsearch").EffectiveSegmentBytes);
    }

    private long ObserveGauge(string name)
    {
        long total = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, _metrics.Meter) && instrument.Name == name)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "component" && Equals(tag.Value, "flaky"))
                {
                    total += value;
                }
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return total;
    }
}
