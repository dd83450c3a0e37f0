using System.Globalization;
using NetSecStream.Collectors.Generator;
using NetSecStream.Collectors.Hubble;
using NetSecStream.Core.Events;
using NetSecStream.Core.Telemetry;
using NetSecStream.Pipeline;
using NetSecStream.Pipeline.Enrichment;
using NetSecStream.Pipeline.InProcess;
using NetSecStream.Testing;

namespace NetSecStream.Kafka.Tests;

/// <summary>Shared parts of the Kafka transport scenarios: settings, generated traffic, collecting, waiting, accounting.</summary>
internal static class KafkaScenario
{
    /// <summary>Records a consumer may buffer ahead of its pipeline; small, so the duplicate bound below means something.</summary>
    public const int ConsumerBufferRecords = 1024;

    /// <summary>How long a group may take to commit up to the high watermarks (joins and rebalances take seconds in the mock).</summary>
    public static readonly TimeSpan CatchUpTimeout = TimeSpan.FromSeconds(60);

    public static PipelineOptions PipelineOptions() => new()
    {
        BatchSize = 256,
        DecodeParallelism = 2,
        StageBuffer = 2,
        // No folding of repeats: every matching event alerts, so the episode checks are about delivery, not dedupe
        // across partitions whose events arrive out of time order.
        DedupeWindow = TimeSpan.Zero,
    };

    /// <summary>
    /// Most events a processor can hold between reading and committing: its consumer buffer plus every pipeline stage's
    /// buffered batches (the batching adapter, the decoders, and three asynchronous islands each buffering StageBuffer).
    /// </summary>
    public static int PipelineInFlightBound(PipelineOptions options) =>
        options.BatchSize * (1 + options.DecodeParallelism + (3 * options.StageBuffer) + 1);

    /// <summary>Re-processing a rebalance or crash may cause: every partition's worth of buffered and in-flight records.</summary>
    public static int DuplicateBound(int partitions, PipelineOptions options) =>
        partitions * (ConsumerBufferRecords + PipelineInFlightBound(options));

    public static KafkaOptions Options(string bootstrapServers, string groupId) => new()
    {
        BootstrapServers = bootstrapServers,
        GroupId = groupId,
        ConsumerBufferRecords = ConsumerBufferRecords,
        CommitInterval = TimeSpan.FromMilliseconds(100),
        // The mock's group timing (ENVIRONMENT.md): below 6 s sessions consumers flap or never get an assignment.
        Properties = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["session.timeout.ms"] = "6000",
            ["heartbeat.interval.ms"] = "500",
        },
    };

    /// <summary>The collector's settings: the same brokers and topics, no consumer properties.</summary>
    public static KafkaOptions CollectorOptions(string bootstrapServers) => new() { BootstrapServers = bootstrapServers };

    /// <summary>Demo traffic, deterministic for a seed.</summary>
    public static List<GeneratedEvent> Generate(int events, int seed = 7) =>
        new TrafficGenerator().Generate(new GeneratorOptions(Events: events, Seed: seed)).ToList();

    /// <summary>
    /// <c>netsec collect</c> over the events: Hubble decoding, Community ID, publishing to the flows topic; returns its
    /// summary after every message was acknowledged.
    /// </summary>
    public static async Task<CollectSummary> CollectAsync(KafkaFlowPublisher publisher, IEnumerable<GeneratedEvent> events, MemoryDeadLetterSink rejects)
    {
        using var metrics = new NetSecMetrics();
        var source = new MemoryRecordSource(events.Select(e => e.Json).ToList(), "generated");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        return await KafkaCollector.RunAsync(source, new HubbleFlowDecoder(), [new CommunityIdEnricher()], publisher, rejects, metrics, timeout.Token);
    }

    /// <summary>Polls <paramref name="condition"/> until it holds; fails the test with <paramref name="describe"/> when <paramref name="timeout"/> passes first.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, Func<string> describe)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"not reached within {timeout.TotalSeconds} s: {describe()}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Waits until the group has committed every partition of the flows topic up to its high watermark.</summary>
    public static Task WaitForGroupCaughtUpAsync(KafkaTestCluster cluster, KafkaOptions options, Func<string>? progress = null) =>
        WaitUntilAsync(
            () => cluster.GroupCaughtUp(options.GroupId, options.FlowsTopic),
            CatchUpTimeout,
            () => $"group {options.GroupId} committed {Format(cluster.CommittedOffsets(options.GroupId, options.FlowsTopic))}, " +
                  $"high watermarks {Format(cluster.HighWatermarks(options.FlowsTopic))}" + (progress is null ? "" : "; " + progress()));

    public static string Format(IReadOnlyDictionary<Confluent.Kafka.TopicPartition, long> offsets) =>
        "{" + string.Join(", ", offsets.OrderBy(o => o.Key.Partition.Value).Select(o => $"{o.Key.Partition.Value}: {o.Value}")) + "}";

    public static string Origin(Confluent.Kafka.TopicPartition partition) =>
        partition.Topic + "/" + partition.Partition.Value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Offsets in [from, high watermark) of each partition that no processing covers, as "topic/partition@offset".</summary>
    public static List<string> Uncovered(
        IReadOnlyDictionary<Confluent.Kafka.TopicPartition, long> highWatermarks,
        IEnumerable<(string Origin, long Position)> processed,
        IReadOnlyDictionary<Confluent.Kafka.TopicPartition, long>? from = null)
    {
        var seen = processed.ToHashSet();
        var missing = new List<string>();
        foreach (var (partition, high) in highWatermarks)
        {
            string origin = Origin(partition);
            long start = from is not null && from.TryGetValue(partition, out long f) && f >= 0 ? f : 0;
            for (long offset = start; offset < high; offset++)
            {
                if (!seen.Contains((origin, offset)))
                {
                    missing.Add(origin + "@" + offset.ToString(CultureInfo.InvariantCulture));
                }
            }
        }

        return missing;
    }

    /// <summary>Processings beyond the first of the same record: the at-least-once price.</summary>
    public static int Duplicates(IEnumerable<(string Origin, long Position)> processed)
    {
        int total = 0;
        var distinct = new HashSet<(string, long)>();
        foreach (var record in processed)
        {
            total++;
            distinct.Add(record);
        }

        return total - distinct.Count;
    }

    /// <summary>The c2_beacon and crypto_mining episodes among the events, each with the community ids of its flows.</summary>
    public static Dictionary<string, HashSet<string>> IntelEpisodes(IEnumerable<GeneratedEvent> events)
    {
        var episodes = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var e in events)
        {
            if (e.Label is TrafficLabels.C2Beacon or TrafficLabels.CryptoMining && e.Episode is { } episode)
            {
                if (!episodes.TryGetValue(episode, out var ids))
                {
                    episodes[episode] = ids = new HashSet<string>(StringComparer.Ordinal);
                }

                ids.Add(e.CommunityId);
            }
        }

        return episodes;
    }

    /// <summary>Episodes none of whose flows has an alert.</summary>
    public static List<string> EpisodesWithoutAlert(Dictionary<string, HashSet<string>> episodes, IEnumerable<Alert> alerts)
    {
        var alerted = alerts.Select(a => a.Flow.CommunityId).OfType<string>().ToHashSet(StringComparer.Ordinal);
        return episodes.Where(e => !e.Value.Overlaps(alerted)).Select(e => e.Key).Order(StringComparer.Ordinal).ToList();
    }
}
