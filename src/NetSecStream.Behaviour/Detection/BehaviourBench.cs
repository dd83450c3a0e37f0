using System.Diagnostics;
using NetSecStream.Behaviour.Features;
using NetSecStream.Core.Events;
using NetSecStream.Core.Telemetry;

namespace NetSecStream.Behaviour.Detection;

/// <summary>
/// <c>netsec bench --collector behaviour</c>: the scoring stage as the pipeline runs it (features in order, the batch
/// scored score-only in parallel, explanations only for alerts) beside one-at-a-time scoring of the same events in the
/// same run (features, then the model's full <c>Score</c> with its explanation, event by event).
/// </summary>
public static class BehaviourBench
{
    /// <param name="Events">Events scored by each path.</param>
    /// <param name="BatchedPerSecond">The scoring stage, batches of <paramref name="BatchSize"/>.</param>
    /// <param name="OneAtATimePerSecond">The baseline: extract and fully score each event in turn.</param>
    /// <param name="BatchedAlerts">Alerts the stage raised.</param>
    /// <param name="OneAtATimeAlerts">Events the baseline found at or above the threshold (must equal the stage's).</param>
    /// <param name="BatchSize">Events per batch handed to the stage.</param>
    /// <param name="Parallelism">Threads scoring one batch.</param>
    /// <param name="BatchedSeconds">Time the stage took.</param>
    /// <param name="Threshold">The model's threshold both paths used.</param>
    /// <param name="Model">The model's name.</param>
    public sealed record Result(int Events, double BatchedPerSecond, double OneAtATimePerSecond, long BatchedAlerts, long OneAtATimeAlerts,
        int BatchSize, int Parallelism, double BatchedSeconds, double Threshold, string Model);

    public static Result Run(IReadOnlyList<FlowEvent> flows, string modelPath, int batchSize, int parallelism, Action<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(flows);
        var options = new BehaviourOptions { Enabled = true, ModelPath = modelPath, ScoringParallelism = parallelism };
        var model = BehaviourDetector.LoadedModel.Load(modelPath, null);
        if (model.Baseline is null)
        {
            throw new InvalidOperationException($"the behaviour bench measures a workload baseline; {modelPath} holds a {model.Kind} flow model");
        }

        int warm = Math.Min(flows.Count, 20_000);
        progress?.Invoke($"model {model.Name} ({model.Version}), threshold {model.DefaultThreshold:F2}; warm-up over {warm:N0} events ...");
        OneAtATime(model, flows, warm);
        Batched(options, flows, warm, batchSize);

        progress?.Invoke($"one-at-a-time over {flows.Count:N0} events ...");
        var clock = Stopwatch.StartNew();
        long single = OneAtATime(model, flows, flows.Count);
        double singleSeconds = clock.Elapsed.TotalSeconds;

        progress?.Invoke($"batched (batches of {batchSize}, {parallelism} scoring threads) over {flows.Count:N0} events ...");
        clock.Restart();
        long batched = Batched(options, flows, flows.Count, batchSize);
        double batchedSeconds = clock.Elapsed.TotalSeconds;
        return new Result(flows.Count, flows.Count / batchedSeconds, flows.Count / singleSeconds, batched, single, batchSize, parallelism,
            batchedSeconds, model.DefaultThreshold, model.Name);
    }

    private static long OneAtATime(BehaviourDetector.LoadedModel model, IReadOnlyList<FlowEvent> flows, int count)
    {
        var extractorOptions = new BehaviourOptions().ExtractorOptions();
        extractorOptions.KnownDestinations = model.Baseline!.KnownDestinationSets();
        var extractor = new FlowFeatureExtractor(extractorOptions);
        long alerts = 0;
        for (int i = 0; i < count; i++)
        {
            var flow = flows[i];
            var features = extractor.Extract(flow, flow.Origin ?? "");
            var score = model.Baseline!.Score(features.Values, features.WorkloadKey, features.DestinationKey);
            if (score.Score >= model.DefaultThreshold)
            {
                alerts++;
            }
        }

        return alerts;
    }

    private static long Batched(BehaviourOptions options, IReadOnlyList<FlowEvent> flows, int count, int batchSize)
    {
        using var metrics = new NetSecMetrics();
        using var detector = new BehaviourDetector(options, metrics);
        detector.StartAsync(CancellationToken.None).GetAwaiter().GetResult();
        var alerts = new List<Alert>();
        var batch = new List<FlowEvent>(batchSize);
        long raised = 0;
        for (int i = 0; i < count; i++)
        {
            batch.Add(flows[i]);
            if (batch.Count == batchSize || i == count - 1)
            {
                detector.Detect(batch, alerts);
                raised += alerts.Count;
                alerts.Clear();
                batch.Clear();
            }
        }

        detector.StopAsync(CancellationToken.None).GetAwaiter().GetResult();
        return raised;
    }
}
