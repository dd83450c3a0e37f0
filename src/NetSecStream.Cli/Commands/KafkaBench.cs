using System.Diagnostics;
using Confluent.Kafka;
using NetSecStream.Cli.Configuration;
using NetSecStream.Cli.Hosting;
using NetSecStream.Core.Configuration;
using NetSecStream.Core.Events;
using NetSecStream.Kafka;
using NetSecStream.Pipeline;

namespace NetSecStream.Cli.Commands;

/// <summary>
/// <c>netsec bench --transport kafka</c>: the processor's path through a real Kafka wire protocol (librdkafka's mock
/// cluster, in process). In one run: raw consume of the flows (the floor cost of Kafka input), then the full pipeline
/// from consume to committed alert over the same messages, then event-to-alert latency at half the measured load.
/// </summary>
internal static class KafkaBench
{
    private static readonly TimeSpan PhaseTimeout = TimeSpan.FromMinutes(3);

    /// <summary>Rounds of raw consume and pipeline over the same messages, alternating; the medians are reported.</summary>
    public const int Rounds = 5;

    public sealed record Result(double RawConsumePerSecond, double PipelinePerSecond, double? P50Ms, double? P99Ms, long Lost, long Alerts,
        double PipelineSeconds, double HalfLoadRate, long HalfLoadEvents, IReadOnlyList<(double Raw, double Pipeline)> PerRound);

    public static async Task<Result> RunAsync(AppSettings settings, ComponentServices services, List<FlowEvent> flows, CancellationToken token)
    {
        var adminConfig = new AdminClientConfig { BootstrapServers = "127.0.0.1:1" };
        adminConfig.Set("test.mock.num.brokers", "3");
        using var admin = new AdminClientBuilder(adminConfig).Build();
        var metadata = admin.GetMetadata(TimeSpan.FromSeconds(10));
        string brokers = string.Join(",", metadata.Brokers.Select(b => $"{b.Host}:{b.Port}"));
        string runId = Guid.NewGuid().ToString("N")[..8];
        string encoding = PipelineAssembler.KafkaOptionsFor(settings).Encoding;
        KafkaOptions Options(string topic, string group) => new()
        {
            BootstrapServers = brokers,
            FlowsTopic = topic,
            GroupId = group,
            AlertsTopic = "netsec.alerts." + runId,
            DeadLetterTopic = "netsec.deadletter." + runId,
            Encoding = encoding,
            Properties = { ["session.timeout.ms"] = "6000", ["heartbeat.interval.ms"] = "500" },
        };

        // Warm-up: both paths over their own topic, so the timed runs measure jitted, steady-state code as a
        // long-running processor runs it (a cold run of under a second mostly measures the JIT). The pipeline has far
        // more code for tiered compilation to get through than the raw loop: it runs three passes (one pass left the
        // JIT thread busy in the timed run, measured with per-thread CPU times).
        var warmFlows = flows.GetRange(0, Math.Min(flows.Count, 40_000));
        string warmTopic = "netsec.flows.warmup." + runId;
        await PublishAsync(Options(warmTopic, "unused"), services, warmFlows, token).ConfigureAwait(false);
        Console.Error.WriteLine($"[bench] warm-up: {warmFlows.Count:N0} flows through raw consume and the pipeline ...");
        RawConsume(Options(warmTopic, "netsec-bench-warm-raw-" + runId), warmFlows.Count);
        for (int pass = 0; pass < 3; pass++)
        {
            await RunPipelineAsync(settings, services, Options(warmTopic, $"netsec-bench-warm-{pass}-" + runId), warmFlows.Count, token).ConfigureAwait(false);
        }

        string topic = "netsec.flows." + runId;
        Console.Error.WriteLine($"[bench] mock Kafka cluster {brokers}; producing {flows.Count:N0} flows to {topic} ({encoding}) ...");
        await PublishAsync(Options(topic, "unused"), services, flows, token).ConfigureAwait(false);

        // Raw consume and the full pipeline over the same messages, alternating for a few rounds (each with a group of its
        // own, so each reads everything): one round's pair swings by 1.5x on a shared VM, the medians much less.
        var rounds = new List<(double Raw, double Pipeline)>(Rounds);
        var seconds = new List<double>(Rounds);
        long lost = 0, alerts = 0;
        for (int round = 1; round <= Rounds; round++)
        {
            double raw = RawConsume(Options(topic, $"netsec-bench-raw-{round}-" + runId), flows.Count);
            Console.Error.WriteLine($"[bench] round {round}: raw consume {raw:N0} messages/s; running the pipeline ...");

            // Full pipeline over the same messages, timed from the first record in to the last offset committed.
            var (rate, elapsed, roundLost, roundAlerts) = await RunPipelineAsync(settings, services, Options(topic, $"netsec-bench-pipeline-{round}-" + runId), flows.Count, token).ConfigureAwait(false);
            Console.Error.WriteLine($"[bench] round {round}: pipeline {rate:N0} events/s ({100 * rate / raw:F0}% of raw consume)");
            rounds.Add((raw, rate));
            seconds.Add(elapsed);
            lost += roundLost;
            alerts = roundAlerts;
        }

        double rawMedian = Median(rounds.Select(r => r.Raw));
        double pipelineRate = Median(rounds.Select(r => r.Pipeline));
        Console.Error.WriteLine($"[bench] medians: raw consume {rawMedian:N0} messages/s, pipeline {pipelineRate:N0} events/s; latency at half load ...");

        // Latency at half the measured maximum: a live producer at that rate, the pipeline keeping up.
        var latency = await HalfLoadLatencyAsync(settings, services, Options("netsec.flows.latency." + runId, "netsec-bench-latency-" + runId), flows, pipelineRate / 2, token).ConfigureAwait(false);
        return new Result(rawMedian, pipelineRate, latency.P50, latency.P99, lost, alerts, Median(seconds), pipelineRate / 2, latency.Events, rounds);
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static async Task PublishAsync(KafkaOptions options, ComponentServices services, List<FlowEvent> flows, CancellationToken token)
    {
        await using var publisher = new KafkaFlowPublisher(options, services.Metrics);
        foreach (var flow in flows)
        {
            await publisher.PublishAsync(flow, token).ConfigureAwait(false);
        }

        await publisher.FlushAsync(token).ConfigureAwait(false);
    }

    private static double RawConsume(KafkaOptions options, int expected)
    {
        using var consumer = new ConsumerBuilder<Ignore, byte[]>(options.ConsumerConfig()).Build();
        consumer.Subscribe(options.FlowsTopic);
        var deadline = Stopwatch.StartNew();
        Stopwatch? clock = null;
        long bytes = 0;
        int seen = 0;
        while (seen < expected && deadline.Elapsed < PhaseTimeout)
        {
            var result = consumer.Consume(TimeSpan.FromMilliseconds(100));
            if (result?.Message is null)
            {
                continue;
            }

            clock ??= Stopwatch.StartNew();
            bytes += result.Message.Value.Length;
            seen++;
        }

        double seconds = clock?.Elapsed.TotalSeconds ?? double.NaN;
        consumer.Close();
        if (seen < expected)
        {
            throw new InvalidOperationException($"raw consume saw {seen} of {expected} messages within {PhaseTimeout}");
        }

        return Math.Round(seen / seconds, 0);
    }

    private static async Task<(double Rate, double Seconds, long Lost, long Alerts)> RunPipelineAsync(AppSettings settings, ComponentServices services, KafkaOptions options, int expected, CancellationToken token)
    {
        var source = new KafkaRecordSource(options, services.Metrics);
        var pipeline = Build(settings, services, source, options);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(token);
        var run = pipeline.RunAsync(stop.Token);
        var deadline = Stopwatch.StartNew();
        while (pipeline.Stats.RecordsIn == 0 && deadline.Elapsed < PhaseTimeout && !run.IsCompleted)
        {
            await Task.Delay(1, token).ConfigureAwait(false);
        }

        var clock = Stopwatch.StartNew();
        long committed = 0;
        while (deadline.Elapsed < PhaseTimeout && !run.IsCompleted)
        {
            committed = source.CommittedOffsets.Values.Sum();
            if (committed >= expected)
            {
                break;
            }

            await Task.Delay(2, token).ConfigureAwait(false);
        }

        double seconds = clock.Elapsed.TotalSeconds;
        await stop.CancelAsync().ConfigureAwait(false);
        await run.ConfigureAwait(false);
        committed = source.CommittedOffsets.Values.Sum();
        source.Dispose();
        return (Math.Round(expected / seconds, 0), Math.Round(seconds, 3), Math.Max(0, expected - committed), pipeline.Stats.Alerts);
    }

    private static async Task<(double? P50, double? P99, long Events)> HalfLoadLatencyAsync(AppSettings settings, ComponentServices services, KafkaOptions options,
        List<FlowEvent> flows, double rate, CancellationToken token)
    {
        var source = new KafkaRecordSource(options, services.Metrics);
        var pipeline = Build(settings, services, source, options);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(token);
        var run = pipeline.RunAsync(stop.Token);
        await using var publisher = new KafkaFlowPublisher(options, services.Metrics);

        // Wait until the group is formed and a first message made it through, so joining is not measured.
        await publisher.PublishAsync(flows[0], token).ConfigureAwait(false);
        await publisher.FlushAsync(token).ConfigureAwait(false);
        var deadline = Stopwatch.StartNew();
        while (pipeline.Stats.CommittedBatches == 0 && deadline.Elapsed < PhaseTimeout && !run.IsCompleted)
        {
            await Task.Delay(10, token).ConfigureAwait(false);
        }

        int total = (int)Math.Min(flows.Count, Math.Max(1000, rate * 5));
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < total; i++)
        {
            // Pace the producer: event i is due at i / rate seconds.
            double due = i / rate;
            double ahead = due - clock.Elapsed.TotalSeconds;
            if (ahead > 0.002)
            {
                await Task.Delay(TimeSpan.FromSeconds(ahead), token).ConfigureAwait(false);
            }

            await publisher.PublishAsync(flows[i], token).ConfigureAwait(false);
        }

        await publisher.FlushAsync(token).ConfigureAwait(false);
        while (source.CommittedOffsets.Values.Sum() < total + 1 && deadline.Elapsed < PhaseTimeout)
        {
            await Task.Delay(10, token).ConfigureAwait(false);
        }

        await stop.CancelAsync().ConfigureAwait(false);
        await run.ConfigureAwait(false);
        source.Dispose();
        return (pipeline.Stats.LatencyPercentileMs(50), pipeline.Stats.LatencyPercentileMs(99), total);
    }

    private static FlowPipeline Build(AppSettings settings, ComponentServices services, KafkaRecordSource source, KafkaOptions options)
    {
        var alertSink = new KafkaAlertSink(options, services.Metrics);
        var deadLetters = new KafkaDeadLetterSink(options, services.Metrics);
        return PipelineAssembler.Build(settings, source, services, "", "", role: PipelineRole.KafkaProcessor, sinks: [alertSink], deadLetters: deadLetters);
    }
}
