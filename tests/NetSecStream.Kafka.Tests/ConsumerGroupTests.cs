using NetSecStream.Collectors.Generator;
using NetSecStream.Testing;
using Xunit.Abstractions;
using static NetSecStream.Kafka.Tests.KafkaScenario;

namespace NetSecStream.Kafka.Tests;

/// <summary>
/// The Kafka transport on librdkafka's mock cluster: end to end, processors sharing partitions through a rebalance,
/// and a processor crashing without committing. Events are identified by (partition, offset); "processed" means every
/// sink accepted the record (the pipeline committed it). Delivery is at-least-once: nothing may be lost, and the
/// re-processing is counted, printed and bounded.
/// </summary>
public sealed class ConsumerGroupTests(ITestOutputHelper output)
{
    [Fact]
    public async Task CollectProcessAlert_20kDemoEvents_EveryEventProcessed_EveryEpisodeAlerts_GarbageDeadLettered_OffsetsCommitted()
    {
        using var cluster = new MockKafkaCluster();
        await EndToEndScenario.RunAsync(cluster, 20_000, output);
    }

    [Fact]
    public async Task CollectProcessAlert_BinaryEncoding_SameOutcomeAsEcsJson()
    {
        using var cluster = new MockKafkaCluster();
        await EndToEndScenario.RunAsync(cluster, 20_000, output, KafkaHeaders.Binary);
    }

    [Fact]
    public async Task TwoProcessors_SecondJoinsMidStream_EveryEventProcessedAtLeastOnce_BothShare_DuplicatesBounded()
    {
        // Arrange: a first part of the traffic in the topic, processor A alone in the group.
        using var cluster = new MockKafkaCluster();
        var options = Options(cluster.BootstrapServers, "rebalance");
        var pipelineOptions = PipelineOptions();
        using var traffic = new TrafficGenerator().Generate(new GeneratorOptions(Events: 200_000, Seed: 11)).GetEnumerator();
        var rejects = new MemoryDeadLetterSink();
        await using var publisher = new KafkaFlowPublisher(CollectorOptions(cluster.BootstrapServers), new Core.Telemetry.NetSecMetrics());
        long published = 0;
        async Task PublishNext(int count)
        {
            var chunk = new List<GeneratedEvent>(count);
            while (chunk.Count < count && traffic.MoveNext())
            {
                chunk.Add(traffic.Current);
            }

            Assert.True(chunk.Count == count, "the generator ran out of events");
            var summary = await CollectAsync(publisher, chunk, rejects);
            published += count;
            Assert.Equal(published, summary.Published);
        }

        await PublishNext(5_000);
        await using var a = new Processor("A", options, pipelineOptions, output);
        await using var b = new Processor("B", options, pipelineOptions, output);
        a.Start();
        await WaitUntilAsync(() => a.Tracking.ConfirmedCount >= 5_000, CatchUpTimeout, () => $"A confirmed {a.Tracking.ConfirmedCount} of 5000");

        // Act: traffic keeps arriving while B joins (a rebalance moves partitions from A to B under load); it keeps
        // arriving until B has processed some of it, then both run until the group committed everything.
        b.Start();
        var deadline = DateTime.UtcNow + CatchUpTimeout;
        while (b.Tracking.ConfirmedCount == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, $"B processed nothing within {CatchUpTimeout.TotalSeconds} s; A confirmed {a.Tracking.ConfirmedCount}, {published} published");
            await PublishNext(250);
            await Task.Delay(100);
        }

        await PublishNext(2_000);
        await WaitForGroupCaughtUpAsync(cluster, options, () => $"A took {a.Tracking.TakenCount}, B took {b.Tracking.TakenCount}");
        var high = cluster.HighWatermarks(options.FlowsTopic);
        await Task.WhenAll(a.StopAsync(), b.StopAsync());

        // Assert: every offset processed by A or B, both processed some, re-processing within the bound.
        var byA = a.Tracking.Confirmed();
        var byB = b.Tracking.Confirmed();
        int duplicates = Duplicates(byA.Concat(byB));
        int bound = DuplicateBound(high.Count, pipelineOptions);
        output.WriteLine($"published {published}; A processed {byA.Count}, B processed {byB.Count}; duplicates {duplicates} (bound {bound}); " +
                         $"dropped on revoke A {a.Source.DroppedOnRevoke}, B {b.Source.DroppedOnRevoke}; unmatched at completion A {a.UnmatchedAtCompletion}, B {b.UnmatchedAtCompletion}");
        Assert.Equal(published, high.Values.Sum());
        Assert.Empty(a.Tracking.Anomalies);
        Assert.Empty(b.Tracking.Anomalies);
        var lost = Uncovered(high, byA.Concat(byB));
        Assert.True(lost.Count == 0, $"{lost.Count} events processed by neither A nor B, e.g. {string.Join(", ", lost.Take(10))}");
        Assert.NotEmpty(byA);
        Assert.NotEmpty(byB);
        Assert.InRange(duplicates, 0, bound);
        Assert.Equal(high, cluster.CommittedOffsets(options.GroupId, options.FlowsTopic));
    }

    [Fact]
    public async Task ProcessorCrashesWithoutCommitting_SuccessorResumesAtTheCommittedOffsets_NothingLost_DuplicatesBounded()
    {
        // Arrange: half the traffic in the topic; processor A processes it.
        using var cluster = new MockKafkaCluster();
        var options = Options(cluster.BootstrapServers, "crash");
        var pipelineOptions = PipelineOptions();
        var generated = Generate(20_000, seed: 13);
        var rejects = new MemoryDeadLetterSink();
        await using var publisher = new KafkaFlowPublisher(CollectorOptions(cluster.BootstrapServers), new Core.Telemetry.NetSecMetrics());
        await CollectAsync(publisher, generated.Take(10_000), rejects);
        await using var a = new Processor("A", options, pipelineOptions, output);
        a.Start();
        await WaitUntilAsync(() => a.Tracking.ConfirmedCount >= 5_000, CatchUpTimeout, () => $"A confirmed {a.Tracking.ConfirmedCount} of 5000");

        // Act: A crashes (no commit, no leaving the group); the rest of the traffic arrives; B takes over after the
        // group notices A is gone (the session timeout) and runs until everything is committed.
        var byA = a.Crash();
        var alertsByA = a.Alerts;
        var committedByA = cluster.CommittedOffsets(options.GroupId, options.FlowsTopic);
        await CollectAsync(publisher, generated.Skip(10_000), rejects);
        await using var b = new Processor("B", options, pipelineOptions, output);
        b.Start();
        await WaitForGroupCaughtUpAsync(cluster, options, () => $"B took {b.Tracking.TakenCount}");
        var high = cluster.HighWatermarks(options.FlowsTopic);
        await b.StopAsync();

        // Assert: A's own record of its commits matches the group's; B started every partition exactly there; every
        // offset was processed by A before the crash or by B; re-processing is what A did after its last commit.
        var byB = b.Tracking.Confirmed();
        int duplicates = Duplicates(byA.Concat(byB));
        int bound = DuplicateBound(high.Count, pipelineOptions);
        output.WriteLine($"A processed {byA.Count} before the crash and committed {Format(committedByA)}; B processed {byB.Count}; " +
                         $"duplicates {duplicates} (bound {bound}); high watermarks {Format(high)}");
        Assert.Equal(generated.Count, high.Values.Sum());
        Assert.Empty(b.Tracking.Anomalies);
        Assert.Equal(
            a.Source.CommittedOffsets.OrderBy(c => c.Key.Partition.Value),
            committedByA.Where(c => c.Value >= 0).OrderBy(c => c.Key.Partition.Value));
        foreach (var (partition, _) in high)
        {
            string origin = Origin(partition);
            long resumeAt = committedByA[partition] >= 0 ? committedByA[partition] : 0;
            long firstByB = byB.Where(r => r.Origin == origin).Select(r => r.Position).DefaultIfEmpty(-1).Min();
            Assert.True(firstByB == resumeAt, $"B's first offset in {origin} is {firstByB}, A had committed {resumeAt}");
        }

        var lost = Uncovered(high, byA.Concat(byB));
        Assert.True(lost.Count == 0, $"{lost.Count} events processed by neither A before its crash nor B, e.g. {string.Join(", ", lost.Take(10))}");
        Assert.Empty(Uncovered(high, byB, from: committedByA));
        int reprocessedFromA = byA.Count(r => r.Position >= committedByA.Single(c => Origin(c.Key) == r.Origin).Value);
        Assert.Equal(reprocessedFromA, duplicates);
        Assert.InRange(duplicates, 0, bound);
        Assert.Equal(high, cluster.CommittedOffsets(options.GroupId, options.FlowsTopic));

        var missed = EpisodesWithoutAlert(IntelEpisodes(generated), alertsByA.Concat(b.Alerts));
        Assert.True(missed.Count == 0, "episodes without an intel alert after the crash: " + string.Join(", ", missed));
    }
}
