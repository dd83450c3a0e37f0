using NetSecStream.Core.Components;
using NetSecStream.Core.Telemetry;
using NetSecStream.Pipeline.Decide;
using NetSecStream.Pipeline.Detectors.Intel;
using NetSecStream.Pipeline.Enrichment;
using NetSecStream.Pipeline.InProcess;
using NetSecStream.Sinks.Delivery;
using NetSecStream.Testing;

namespace NetSecStream.Pipeline.Tests;

/// <summary><see cref="BufferedSink"/> in a running pipeline: a spilled batch counts as accepted for commits and still arrives.</summary>
public sealed class DeliveryPipelineTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("netsec-delivery-").FullName;
    private readonly NetSecMetrics _metrics = new();

    public void Dispose()
    {
        _metrics.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private DeliveryOptions Delivery() => new()
    {
        SpillDirectory = Path.Combine(_dir, "spill"),
        Attempts = 1,
        InitialBackoff = TimeSpan.FromMilliseconds(1),
        MaxBackoff = TimeSpan.FromMilliseconds(20),
    };

    private FlowPipeline Build(IRecordSource source, IAlertSink sink)
    {
        string feed = Path.Combine(_dir, "feed.txt");
        File.WriteAllText(feed, "203.0.113.7\n");
        return new FlowPipeline(new PipelineOptions { BatchSize = 128, DedupeWindow = TimeSpan.Zero, SinkMaxAttempts = 2, SinkInitialBackoff = TimeSpan.FromMilliseconds(1) },
            new PipelineComponents(source, new CsvFlowDecoder(), [new CommunityIdEnricher()], [new IntelDetector(new IntelOptions { Paths = [feed] }, _metrics)],
                [sink], new MemoryDeadLetterSink()),
            new ModeResolver(new ModeOptions()), _metrics);
    }

    private static List<byte[]> Records() =>
        [.. Enumerable.Range(0, 2000).Select(i => CsvFlowDecoder.Record("10.0.0.1", 30000 + i, i % 100 == 0 ? "203.0.113.7" : "10.1.0.1", 443, "shop", second: i))];

    [Fact]
    public async Task DestinationDown_ThePipelineCommitsWhatWasSpilled_AndTheNextStartDeliversIt()
    {
        var destination = new FlakySink("kafka_alerts") { Down = true };
        var source = new MemoryRecordSource(Records());
        await using (var buffered = new BufferedSink(destination, Delivery(), "kafka_alerts", _metrics))
        {
            await Build(source, buffered).RunAsync(CancellationToken.None);
        }

        // Spilled = accepted: every position is committed although the destination took nothing.
        Assert.Equal(2000, source.CommittedPosition);
        Assert.Empty(destination.Alerts);
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(_dir, "spill", "kafka_alerts"), "*.spill"));

        // The next start, with the destination back, replays the spill.
        destination.Down = false;
        await using (var buffered = new BufferedSink(destination, Delivery(), "kafka_alerts", _metrics))
        {
            await buffered.StartAsync(CancellationToken.None);
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
            while (buffered.IsSpilling && DateTime.UtcNow < deadline)
            {
                await Task.Delay(10);
            }

            await buffered.StopAsync(CancellationToken.None);
        }

        Assert.Equal(20, destination.Alerts.Count);
        Assert.Empty(Directory.GetFiles(Path.Combine(_dir, "spill", "kafka_alerts"), "*.spill"));
    }

    [Fact]
    public async Task WithoutTheBuffer_TheSameOutage_StopsThePipelineWithoutCommitting()
    {
        var destination = new FlakySink("kafka_alerts") { Down = true };
        var source = new MemoryRecordSource(Records());
        await Assert.ThrowsAsync<SinkFailedException>(() => Build(source, destination).RunAsync(CancellationToken.None));
        Assert.True(source.CommittedPosition < 2000, $"committed {source.CommittedPosition} although the sink refused every batch");
    }
}
