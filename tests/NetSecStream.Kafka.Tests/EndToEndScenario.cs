using System.Globalization;
using System.Text;
using System.Text.Json;
using NetSecStream.Testing;
using Xunit.Abstractions;
using static NetSecStream.Kafka.Tests.KafkaScenario;

namespace NetSecStream.Kafka.Tests;

/// <summary>
/// collect → Kafka → process → alerts, against any cluster: the mock in the default test run, a real broker where
/// Docker is available. Generated demo traffic goes through <c>netsec collect</c> into the flows topic with a few
/// garbage messages among it; one processor reads it all. Every event must be processed, every C2 and mining episode
/// must alert, the alerts must reach the alerts topic, the garbage the dead-letter topic, and the group's committed
/// offsets must end at the high watermarks.
/// </summary>
internal static class EndToEndScenario
{
    private const int Garbage = 5;

    public static async Task RunAsync(KafkaTestCluster cluster, int eventCount, ITestOutputHelper output, string encoding = KafkaHeaders.EcsJson)
    {
        // Arrange: generated traffic collected into the flows topic, then a few messages no decoder can read.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var options = Options(cluster.BootstrapServers, "e2e-" + Guid.NewGuid().ToString("N"));
        var generated = Generate(eventCount);
        var rejects = new MemoryDeadLetterSink();
        CollectSummary collected;
        var collectorOptions = CollectorOptions(cluster.BootstrapServers);
        collectorOptions.Encoding = encoding;
        await using (var publisher = new KafkaFlowPublisher(collectorOptions, new Core.Telemetry.NetSecMetrics()))
        {
            collected = await CollectAsync(publisher, generated, rejects);
        }

        Assert.Equal(new CollectSummary(eventCount, eventCount, 0, 0), collected);
        output.WriteLine($"generated and collected {eventCount} events: {clock.Elapsed.TotalSeconds:F1} s");
        var garbage = Enumerable.Range(0, Garbage)
            .Select(i => (Key: Encoding.UTF8.GetBytes("garbage-" + i), Value: Encoding.UTF8.GetBytes(i % 2 == 0 ? "this is not json " + i : "{\"event\":{\"kind\":\"event\"},\"n\":" + i + "}")))
            .ToList();
        var landed = cluster.Produce(options.FlowsTopic, garbage);
        var high = cluster.HighWatermarks(options.FlowsTopic);
        Assert.Equal(eventCount + Garbage, high.Values.Sum());

        // Act: one processor runs until the group has committed everything, then stops.
        await using var processor = new Processor("processor", options, PipelineOptions());
        processor.Start();
        var started = clock.Elapsed;
        await WaitUntilAsync(() => processor.Tracking.TakenCount > 0, CatchUpTimeout, () => "the processor got no record (no partition assigned?)");
        var firstRecord = clock.Elapsed;
        await WaitForGroupCaughtUpAsync(cluster, options, () => $"processor took {processor.Tracking.TakenCount} records");
        var caughtUp = clock.Elapsed;
        await processor.StopAsync();
        output.WriteLine($"first record {(firstRecord - started).TotalSeconds:F1} s after start, all committed {(caughtUp - firstRecord).TotalSeconds:F1} s later, stopped in {(clock.Elapsed - caughtUp).TotalSeconds:F1} s");

        // Assert: every offset processed, the garbage rejected, nothing left uncommitted.
        var stats = processor.Pipeline.Stats;
        output.WriteLine($"records in {stats.RecordsIn}, rejected {stats.Rejected}, alerts {stats.Alerts}, flows at the recording sink {processor.Recorded.Flows.Count}");
        Assert.Empty(processor.Tracking.Anomalies);
        Assert.Empty(Uncovered(high, processor.Tracking.Confirmed()));
        Assert.True(stats.RecordsIn >= eventCount + Garbage, $"records in {stats.RecordsIn} < {eventCount + Garbage}");
        Assert.Equal(Garbage, stats.Rejected);
        Assert.True(processor.Recorded.Flows.Count >= eventCount, $"{processor.Recorded.Flows.Count} flows reached the sinks, {eventCount} were published");
        Assert.Equal(high, cluster.CommittedOffsets(options.GroupId, options.FlowsTopic));
        Assert.Equal(high, processor.Source.CommittedOffsets.Where(c => high.ContainsKey(c.Key)).ToDictionary());

        // Ground truth: every C2 and mining episode alerted on one of its flows.
        var episodes = IntelEpisodes(generated);
        Assert.Contains(episodes.Keys, e => e.StartsWith("c2_beacon", StringComparison.Ordinal));
        Assert.Contains(episodes.Keys, e => e.StartsWith("crypto_mining", StringComparison.Ordinal));
        var missed = EpisodesWithoutAlert(episodes, processor.Alerts);
        Assert.True(missed.Count == 0, "episodes without an intel alert: " + string.Join(", ", missed));

        // The alerts topic holds exactly what the recording sink was given, as ECS alert documents keyed by dedupe key.
        var recorded = processor.Alerts;
        var produced = cluster.ReadAll(options.AlertsTopic, TimeSpan.FromSeconds(30));
        Assert.Equal(recorded.Count, produced.Count);
        Assert.Equal(
            recorded.Select(a => a.DedupeKey).Order(StringComparer.Ordinal),
            produced.Select(m => Encoding.UTF8.GetString(m.Message.Key)).Order(StringComparer.Ordinal));
        foreach (var message in produced)
        {
            using var doc = JsonDocument.Parse(message.Message.Value);
            Assert.Equal("alert", doc.RootElement.GetProperty("event").GetProperty("kind").GetString());
            Assert.Equal("intel", doc.RootElement.GetProperty("netsec").GetProperty("detector").GetString());
            Assert.NotNull(KafkaHeaders.Get(message.Message.Headers, KafkaHeaders.SchemaVersion));
        }

        // The garbage is in the dead-letter topic, unchanged, with the reason and where it came from.
        var deadLetters = cluster.ReadAll(options.DeadLetterTopic, TimeSpan.FromSeconds(30));
        Assert.Equal(Garbage, deadLetters.Count);
        var expected = landed.Select((l, i) => (Where: (l.Topic, l.Partition.Value.ToString(CultureInfo.InvariantCulture), l.Offset.Value.ToString(CultureInfo.InvariantCulture)), garbage[i].Value))
            .ToDictionary(g => g.Where, g => g.Value);
        foreach (var letter in deadLetters)
        {
            var headers = letter.Message.Headers;
            string? reason = KafkaHeaders.Get(headers, KafkaHeaders.Reason);
            var from = (KafkaHeaders.Get(headers, KafkaHeaders.SourceTopic) ?? "", KafkaHeaders.Get(headers, KafkaHeaders.SourcePartition) ?? "", KafkaHeaders.Get(headers, KafkaHeaders.SourceOffset) ?? "");
            output.WriteLine($"dead letter from {from}: {reason}");
            Assert.False(string.IsNullOrWhiteSpace(reason), "a dead letter without a reason");
            Assert.Equal("decode", KafkaHeaders.Get(headers, KafkaHeaders.Stage));
            Assert.True(expected.Remove(from, out byte[]? original), $"dead letter from {from} (reason '{reason}') is not one of the garbage messages");
            Assert.Equal(original, letter.Message.Value);
        }

        Assert.Empty(expected);
    }
}
