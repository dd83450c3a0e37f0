using System.Diagnostics.Metrics;
using Microsoft.ML;
using NetSecStream.Behaviour.Detection;
using NetSecStream.Behaviour.FlowDatasets;
using NetSecStream.Behaviour.Scoring;
using NetSecStream.Behaviour.Training;
using NetSecStream.Core.Events;
using NetSecStream.Core.Telemetry;

namespace NetSecStream.Behaviour.Tests;

/// <summary>The scoring stage: batched scoring, per-namespace thresholds, shadow mode, hot reload, per-origin state.</summary>
public sealed class BehaviourDetectorTests : IDisposable
{
    private static readonly Lazy<WorkloadBaseline> Trained = new(() =>
        BaselineTraining.Train(() => Flows.Generated("quiet", 20_000, 1)).Model);

    private readonly string _root = Directory.CreateTempSubdirectory("netsec-behaviour-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task AttackTraffic_RaisesExplainedBehaviourAlerts_MostlyOnAttackFlows()
    {
        // Arrange: the model trained on normal traffic, the default threshold from its metrics.json.
        string model = WriteModel("live", threshold: 20);
        using var metrics = new NetSecMetrics();
        using var detector = new BehaviourDetector(new BehaviourOptions { Enabled = true, ModelPath = model }, metrics);
        await detector.StartAsync(CancellationToken.None);
        var flows = Flows.Generated("attack-heavy", 6_000, 9).ToList();

        // Act: batches of 500, as the pipeline hands them over.
        var alerts = new List<Alert>();
        foreach (var batch in flows.Chunk(500))
        {
            detector.Detect([.. batch.Select(f => f.Flow)], alerts);
        }

        // Assert: alerts, nearly all on attack flows, each explained by features with typical values and z-scores.
        var labelOf = flows.ToDictionary(f => f.Flow, f => f.Label);
        Assert.True(alerts.Count > 50, $"{alerts.Count} behaviour alerts");
        double attackShare = alerts.Count(a => labelOf[a.Flow] != "normal") / (double)alerts.Count;
        Assert.True(attackShare > 0.9, $"only {attackShare:P1} of the alerts are on attack flows");
        Assert.All(alerts, a =>
        {
            Assert.Equal(DetectorKinds.Behaviour, a.Detector);
            Assert.Equal("behaviour:live", a.RuleId);
            Assert.Contains("typical", a.Explanation, StringComparison.Ordinal);
            Assert.Contains(">= threshold 20.0", a.Explanation, StringComparison.Ordinal);
            Assert.InRange(a.RiskScore, 50, 99);
        });
        Assert.Equal(20, detector.Live!.DefaultThreshold);
    }

    [Fact]
    public async Task NamespaceThreshold_OverridesTheDefaultForThatNamespaceOnly()
    {
        string model = WriteModel("live", threshold: 20);
        var flows = Flows.Generated("attack-heavy", 6_000, 9).Select(f => f.Flow).ToList();
        var plain = await AlertsAsync(new BehaviourOptions { Enabled = true, ModelPath = model }, flows);
        string busiest = plain.GroupBy(a => Namespace(a)).OrderByDescending(g => g.Count()).First().Key!;

        var tuned = await AlertsAsync(new BehaviourOptions
        {
            Enabled = true,
            ModelPath = model,
            NamespaceThresholds = { [busiest] = 1e9 },
        }, flows);

        Assert.DoesNotContain(tuned, a => Namespace(a) == busiest);
        Assert.Equal(plain.Count(a => Namespace(a) != busiest), tuned.Count);
    }

    [Fact]
    public async Task ShadowModel_ScoresAndCountsButNeverAlerts()
    {
        // Arrange: a live model that alerts on nothing, a shadow candidate with a low threshold.
        string live = WriteModel("live", threshold: 1e9);
        string shadow = WriteModel("candidate", threshold: 20);
        using var metrics = new NetSecMetrics();
        var scored = new Dictionary<string, long>(StringComparer.Ordinal);
        using var listener = Listen("netsec_behaviour_scored", (value, tags) =>
        {
            string key = $"{tags["model"]}/{tags["role"]}/{tags["outcome"]}";
            scored[key] = scored.GetValueOrDefault(key) + value;
        });
        using var detector = new BehaviourDetector(new BehaviourOptions { Enabled = true, ModelPath = live, ShadowModelPath = shadow }, metrics);
        await detector.StartAsync(CancellationToken.None);

        var alerts = new List<Alert>();
        detector.Detect([.. Flows.Generated("attack-heavy", 4_000, 9).Select(f => f.Flow)], alerts);

        Assert.Empty(alerts);
        var (both, shadowOnly, liveOnly) = detector.ShadowComparison;
        Assert.Equal(0, both);
        Assert.Equal(0, liveOnly);
        Assert.True(shadowOnly > 20, $"shadow flagged {shadowOnly}");
        Assert.Equal(shadowOnly, scored["candidate/shadow/above"]);
        Assert.Equal(4_000, scored["live/live/below"]);
        Assert.Equal(4_000, scored["candidate/shadow/above"] + scored["candidate/shadow/below"]);
    }

    [Fact]
    public async Task ModelFileReplaced_IsTakenWithoutRestart_ABrokenOneIsRefusedAndTheOldKept()
    {
        string folder = WriteModel("live", threshold: 20);
        using var metrics = new NetSecMetrics();
        using var detector = new BehaviourDetector(new BehaviourOptions { Enabled = true, ModelPath = folder, ReloadInterval = TimeSpan.FromHours(1) }, metrics);
        await detector.StartAsync(CancellationToken.None);
        string first = detector.Live!.Version;

        // A retrained model (other data) lands in the folder: taken at the next check.
        BaselineTraining.Train(() => Flows.Generated("quiet", 4_000, 2), new BaselineOptions { MinRowsPerProfile = 100 }).Model.Save(folder);
        File.SetLastWriteTimeUtc(Path.Combine(folder, WorkloadBaseline.ModelFile), DateTime.UtcNow.AddMinutes(1));
        detector.ReloadChanged();
        string second = detector.Live!.Version;
        Assert.NotEqual(first, second);

        // A broken file: refused, the model in force stays and keeps scoring.
        await File.WriteAllTextAsync(Path.Combine(folder, WorkloadBaseline.ModelFile), "{ not a model");
        File.SetLastWriteTimeUtc(Path.Combine(folder, WorkloadBaseline.ModelFile), DateTime.UtcNow.AddMinutes(2));
        detector.ReloadChanged();
        Assert.Equal(second, detector.Live!.Version);
        var alerts = new List<Alert>();
        detector.Detect([.. Flows.Generated("attack-heavy", 2_000, 9).Select(f => f.Flow)], alerts);
        Assert.NotEmpty(alerts);
    }

    [Fact]
    public async Task RevokedOrigin_ItsFeatureStateIsDroppedBeforeTheNextBatch()
    {
        string folder = WriteModel("live", threshold: 20);
        using var metrics = new NetSecMetrics();
        using var detector = new BehaviourDetector(new BehaviourOptions { Enabled = true, ModelPath = folder }, metrics);
        await detector.StartAsync(CancellationToken.None);
        var flows = Flows.Generated("quiet", 400, 3).Select(f => f.Flow).ToList();
        for (int i = 0; i < flows.Count; i++)
        {
            flows[i].Origin = i % 2 == 0 ? "netsec.flows/0" : "netsec.flows/1";
        }

        detector.Detect(flows, new List<Alert>());
        Assert.Equal(["netsec.flows/0", "netsec.flows/1"], detector.Origins.Order(StringComparer.Ordinal));

        detector.DropOrigins(["netsec.flows/1"]);
        detector.Detect(flows.Where(f => f.Origin == "netsec.flows/0").Take(1).ToList(), new List<Alert>());
        Assert.Equal(["netsec.flows/0"], detector.Origins);
    }

    [Fact]
    public void Validator_NamesTheKeyOfEveryBadSetting()
    {
        var result = new BehaviourOptionsValidator().Validate(null, new BehaviourOptions
        {
            Enabled = true,
            ModelPath = Path.Combine(_root, "missing"),
            Threshold = -1,
            NamespaceThresholds = { ["payments"] = 0 },
            ExplainTop = 0,
        });

        Assert.True(result.Failed);
        string all = string.Join("\n", result.Failures!);
        Assert.Contains("Detectors:Behaviour:ModelPath", all, StringComparison.Ordinal);
        Assert.Contains("netsec train --dataset generator", all, StringComparison.Ordinal);
        Assert.Contains("Detectors:Behaviour:Threshold", all, StringComparison.Ordinal);
        Assert.Contains("Detectors:Behaviour:NamespaceThresholds:payments", all, StringComparison.Ordinal);
        Assert.Contains("Detectors:Behaviour:ExplainTop", all, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingModel_FailsAtStartWithTheTrainCommand()
    {
        using var metrics = new NetSecMetrics();
        using var detector = new BehaviourDetector(new BehaviourOptions { Enabled = true, ModelPath = _root }, metrics);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => detector.StartAsync(CancellationToken.None));
        Assert.Contains("netsec train --dataset generator", error.Message, StringComparison.Ordinal);
    }

    private static async Task<List<Alert>> AlertsAsync(BehaviourOptions options, IReadOnlyList<FlowEvent> flows)
    {
        using var metrics = new NetSecMetrics();
        using var detector = new BehaviourDetector(options, metrics);
        await detector.StartAsync(CancellationToken.None);
        var alerts = new List<Alert>();
        foreach (var batch in flows.Chunk(500))
        {
            detector.Detect(batch, alerts);
        }

        return alerts;
    }

    private static string? Namespace(Alert alert)
    {
        string workload = alert.DedupeKey.Split('|')[2];
        int slash = workload.IndexOf('/', StringComparison.Ordinal);
        return slash > 0 ? workload[..slash] : null;
    }

    private string WriteModel(string name, double threshold)
    {
        string folder = Path.Combine(_root, name);
        Trained.Value.Save(folder);
        File.WriteAllText(Path.Combine(folder, "metrics.json"),
            "{\"evaluation\":{\"threshold_at_1pct_fpr\":" + threshold.ToString(System.Globalization.CultureInfo.InvariantCulture) + "}}");
        return folder;
    }

    private static MeterListener Listen(string instrument, Action<long, Dictionary<string, object?>> onValue)
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (i, l) =>
            {
                if (i.Name == instrument)
                {
                    l.EnableMeasurementEvents(i);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            var map = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (var tag in tags)
            {
                map[tag.Key] = tag.Value;
            }

            lock (listener)
            {
                onValue(value, map);
            }
        });
        listener.Start();
        return listener;
    }
}

/// <summary>Supervised flow models (ML.NET, or ONNX trained elsewhere) as the scoring stage's live or shadow model.</summary>
public sealed class BehaviourDetectorFlowModelTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("netsec-behaviour-flow-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task MlNetModelLive_OnnxExportOfItInShadow_FlagTheSameFlows_AlertsListTheModelsInputs()
    {
        // Arrange: a schema-feature flow model, and its ONNX conversion in a folder of its own.
        string live = Path.Combine(_root, "flows-mlnet");
        string shadow = Path.Combine(_root, "flows-onnx");
        var data = OnnxFlowModelTests.Synthetic(1200, 7);
        FlowModel.Train(data, FlowFeatureSet.Schema, live, "synthetic", new FlowTrainOptions(Folds: 3, Trainers: ["fasttree"]));
        Directory.CreateDirectory(shadow);
        var ml = new MLContext(1);
        ITransformer model = ml.Model.Load(Path.Combine(live, FlowModel.ModelFile), out _);
        using (var onnx = File.Create(Path.Combine(shadow, OnnxFlowModel.ModelFile)))
        {
            ml.Model.ConvertToOnnx(model, ml.Data.LoadFromEnumerable(data.Rows.Take(10).Select(r => new OnnxFlowModelTests.OnnxRow { Features = r.Schema })), onnx);
        }

        new FlowModelInfo(FlowModelInfo.Onnx, null, FlowFeatureSet.Schema, FlowFeatureNames.SchemaVersion, FlowFeatureNames.All, "Features", "Probability.output").Save(shadow);
        using var metrics = new NetSecMetrics();
        using var detector = new BehaviourDetector(new BehaviourOptions { Enabled = true, ModelPath = live, ShadowModelPath = shadow }, metrics);
        await detector.StartAsync(CancellationToken.None);
        Assert.Equal("ml.net", detector.Live!.Kind);
        Assert.Equal("onnx", detector.Shadow!.Kind);
        Assert.Equal(0.5, detector.Live.DefaultThreshold);

        // Act: generator traffic through both.
        var alerts = new List<Alert>();
        foreach (var batch in Flows.Generated("attack-heavy", 3_000, 9).Select(f => f.Flow).Chunk(500))
        {
            detector.Detect(batch, alerts);
        }

        // Assert: the ONNX export agrees with the model it came from on every flow, and alerts name the inputs.
        var (both, shadowOnly, liveOnly) = detector.ShadowComparison;
        Assert.NotEmpty(alerts);
        Assert.Equal(alerts.Count, both + liveOnly);
        Assert.True(shadowOnly + liveOnly <= Math.Max(1, both / 100), $"both {both}, shadow only {shadowOnly}, live only {liveOnly}");
        Assert.All(alerts, a =>
        {
            Assert.Equal("behaviour:flows-mlnet", a.RuleId);
            Assert.Contains("classified as attack", a.Explanation, StringComparison.Ordinal);
            Assert.Contains("inputs: ", a.Explanation, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task NativeFeatureModel_IsRefusedAtStart_NamingTheDescriptor()
    {
        string folder = Path.Combine(_root, "native");
        var data = OnnxFlowModelTests.Synthetic(600, 3);
        FlowModel.Train(data, FlowFeatureSet.Native, folder, "synthetic", new FlowTrainOptions(Folds: 3, Trainers: ["fasttree"]));
        using var metrics = new NetSecMetrics();
        using var detector = new BehaviourDetector(new BehaviourOptions { Enabled = true, ModelPath = folder }, metrics);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => detector.StartAsync(CancellationToken.None));
        Assert.Contains("model.json", error.Message, StringComparison.Ordinal);
        Assert.Contains("--features schema", error.Message, StringComparison.Ordinal);
    }
}
