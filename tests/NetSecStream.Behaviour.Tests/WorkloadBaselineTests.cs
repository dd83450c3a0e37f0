using NetSecStream.Behaviour.Features;
using NetSecStream.Behaviour.Scoring;
using NetSecStream.Behaviour.Training;
using NetSecStream.Collectors.Generator;

namespace NetSecStream.Behaviour.Tests;

public sealed class WorkloadBaselineTests
{
    [Fact]
    public void A_small_baseline_trained_on_normal_traffic_ranks_unseen_attacks_above_normal_flows_and_explains_why()
    {
        // Measured with these sizes: overall ROC AUC 0.970-0.985 over evaluation seeds 2, 3 and 5; port-scan recall at 1% FPR 0.62-1.0.
        var (model, rows) = BaselineTraining.Train(() => Flows.Generated("quiet", 20_000, 1));
        Assert.Equal(20_000, rows);
        Assert.NotEmpty(model.Profiles);
        Assert.Contains("shop/frontend", model.KnownDestinations.Keys);

        var metrics = BaselineTraining.Evaluate(model, Flows.Generated("attack-heavy", 10_000, 3));
        Assert.InRange(metrics.RocAuc, 0.95, 1.0);
        Assert.Equal(TrafficLabels.Attacks.Order(StringComparer.Ordinal), metrics.ByType.Select(t => t.Label));
        Assert.All(metrics.ByType, t => Assert.InRange(t.RocAuc, 0.75, 1.0));
        Assert.InRange(metrics.ByType.Single(t => t.Label == TrafficLabels.PortScan).RecallAtOnePercentFpr, 0.4, 1.0);
        Assert.Equal(metrics.NormalRows + metrics.AttackRows, metrics.Rows);

        // The explanation names the features that drove a score, with the workload's typical value.
        var x = new FlowFeatureExtractor(new FlowFeatureExtractorOptions { KnownDestinations = model.KnownDestinationSets() });
        var scan = x.ExtractRows(Flows.Generated("attack-heavy", 10_000, 3)).Where(r => r.Label == TrafficLabels.PortScan)
            .Select(r => (Row: r, Score: model.Score(r.Values, r.WorkloadKey, r.DestinationKey))).MaxBy(s => s.Score.Score);
        Assert.Equal(5, scan.Score.Top.Count);
        Assert.All(scan.Score.Top, c => Assert.True(c.Surprise > 0 && c.TailProbability is > 0 and <= 1));
        Assert.Equal(scan.Score.Top.OrderByDescending(c => c.Surprise).Select(c => c.Feature), scan.Score.Top.Select(c => c.Feature));
        Assert.Contains("typical", BaselineTraining.Explain(scan.Row, scan.Score), StringComparison.Ordinal);
    }

    [Fact]
    public void The_model_saves_and_loads_and_scores_the_same()
    {
        var (model, _) = BaselineTraining.Train(() => Flows.Generated("quiet", 3_000, 1), new BaselineOptions { MinRowsPerProfile = 100 });
        string dir = Path.Combine(Path.GetTempPath(), "netsec-baseline-" + Guid.NewGuid().ToString("N"));
        try
        {
            model.Save(dir);
            var loaded = WorkloadBaseline.Load(dir);
            var row = new FlowFeatureExtractor().ExtractRows(Flows.Generated("attack-heavy", 500, 4)).Last();
            Assert.Equal(model.Score(row.Values, row.WorkloadKey, row.DestinationKey).Score, loaded.Score(row.Values, row.WorkloadKey, row.DestinationKey).Score, 9);
            Assert.Equal(model.Profiles.Keys.Order(StringComparer.Ordinal), loaded.Profiles.Keys.Order(StringComparer.Ordinal));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void The_committed_model_matches_this_schema_and_its_card_reports_the_target()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "NetSecStream.sln")))
        {
            dir = dir.Parent;
        }

        string model = Path.Combine(dir!.FullName, "models", "workload-baseline");
        var loaded = WorkloadBaseline.Load(model); // throws when the schema changed and the model was not retrained
        Assert.Equal(FeatureSchema.Version, loaded.SchemaVersion);
        using var metrics = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(model, "metrics.json")));
        Assert.InRange(metrics.RootElement.GetProperty("evaluation").GetProperty("roc_auc").GetDouble(), 0.95, 1.0);
        Assert.Contains("recall at 1% FPR", File.ReadAllText(Path.Combine(model, "MODEL_CARD.md")), StringComparison.Ordinal);
    }

    [Fact]
    public void Training_refuses_too_little_normal_traffic()
    {
        var rows = new FlowFeatureExtractor().ExtractRows(Flows.Generated("quiet", 50, 1)).ToList();
        Assert.Throws<ArgumentException>(() => BaselineTraining.Train(rows));
    }

    [Fact]
    public void Roc_auc_counts_ties_as_half()
    {
        Assert.Equal(1.0, BaselineTraining.RocAuc([3, 4], [1, 2]));
        Assert.Equal(0.5, BaselineTraining.RocAuc([1, 1], [1, 1]));
        Assert.Equal(0.625, BaselineTraining.RocAuc([2, 3], [1, 3])); // (1 + 0 + 1 + 0.5) / 4
    }
}
