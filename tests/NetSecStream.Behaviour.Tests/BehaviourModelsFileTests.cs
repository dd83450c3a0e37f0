using System.Diagnostics.Metrics;
using System.Text;
using System.Text.Json;
using NetSecStream.Behaviour.Detection;
using NetSecStream.Behaviour.Scoring;
using NetSecStream.Behaviour.Training;
using NetSecStream.Core.Events;
using NetSecStream.Core.Telemetry;

namespace NetSecStream.Behaviour.Tests;

/// <summary>
/// The control plane's models file (<c>Detectors:Behaviour:ModelsFile</c>): the behaviour detector switches to the
/// models it names without a restart, and a file or model that does not load leaves the models in force.
/// </summary>
public sealed class BehaviourModelsFileTests : IDisposable
{
    private static readonly Lazy<WorkloadBaseline> Trained = new(() =>
        BaselineTraining.Train(() => Flows.Generated("quiet", 4_000, 2), new BaselineOptions { MinRowsPerProfile = 100 }).Model);

    private readonly string _root = Directory.CreateTempSubdirectory("netsec-models-file-").FullName;
    private readonly string _modelsFile;
    private DateTime _clock = DateTime.UtcNow;

    public BehaviourModelsFileTests() => _modelsFile = Path.Combine(_root, "control", "models.json");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task ActiveAndShadowModels_FollowTheFile_ABrokenFileOrModelKeepsTheModelsInForce()
    {
        string first = WriteModel("first");
        string second = WriteModel("second");
        using var metrics = new NetSecMetrics();
        var reloads = new List<string>();
        using var listener = ListenReloads(metrics, reloads);
        using var detector = new BehaviourDetector(new BehaviourOptions { Enabled = true, ModelPath = first, ModelsFile = _modelsFile, ReloadInterval = TimeSpan.FromHours(1) }, metrics);

        // No file yet (nothing chosen through the API): the configured model.
        await detector.StartAsync(CancellationToken.None);
        Assert.Equal("first", detector.Live!.Name);
        Assert.All(Score(detector), a => Assert.Equal("behaviour:first", a.RuleId));

        // The control plane chose another active model: alerts now name it.
        WriteModelsFile(("ModelPath", second));
        detector.ReloadChanged();
        Assert.Equal("second", detector.Live!.Name);
        var alerts = Score(detector);
        Assert.NotEmpty(alerts);
        Assert.All(alerts, a => Assert.Equal("behaviour:second", a.RuleId));

        // A model folder that does not load (no model in it) is refused: the model in force keeps scoring.
        string empty = Directory.CreateDirectory(Path.Combine(_root, "empty")).FullName;
        WriteModelsFile(("ModelPath", empty));
        detector.ReloadChanged();
        Assert.Equal("second", detector.Live!.Name);

        // So is a file that is not a models file; an unchanged file is not read again (one refusal each).
        WriteText("{ \"Detectors\": { \"Behaviour\": { \"ModelPath\": ");
        detector.ReloadChanged();
        detector.ReloadChanged();
        Assert.Equal("second", detector.Live!.Name);
        Assert.All(Score(detector), a => Assert.Equal("behaviour:second", a.RuleId));

        // A shadow model chosen beside it, then dropped again.
        WriteModelsFile(("ModelPath", second), ("ShadowModelPath", first));
        detector.ReloadChanged();
        Assert.Equal("first", detector.Shadow?.Name);
        Assert.Equal("second", detector.Live!.Name);
        WriteModelsFile(("ModelPath", second));
        detector.ReloadChanged();
        Assert.Null(detector.Shadow);

        // The file gone (a shared volume unmounted): the models in force stay.
        File.Delete(_modelsFile);
        detector.ReloadChanged();
        Assert.Equal("second", detector.Live!.Name);

        // Back, with the choice removed (as DELETE of a choice writes it): the configured model.
        WriteText("{\"Detectors\":{\"Behaviour\":{}}}");
        detector.ReloadChanged();
        Assert.Equal("first", detector.Live!.Name);
        Assert.All(Score(detector), a => Assert.Equal("behaviour:first", a.RuleId));

        lock (reloads)
        {
            Assert.Equal(3, reloads.Count(r => r == "failed"));
            Assert.Equal(4, reloads.Count(r => r == "ok"));
        }
    }

    [Fact]
    public async Task AFileThereAtStart_NamesTheModels_ABrokenOneIsAStartError()
    {
        string first = WriteModel("first");
        string second = WriteModel("second");
        WriteModelsFile(("ModelPath", second), ("ShadowModelPath", first));
        using var metrics = new NetSecMetrics();
        var options = new BehaviourOptions { Enabled = true, ModelPath = Path.Combine(_root, "not-trained-here"), ModelsFile = _modelsFile };
        // The configured ModelPath need not exist when the file names the model.
        Assert.True(new BehaviourOptionsValidator().Validate(null, options).Succeeded);
        using (var detector = new BehaviourDetector(options, metrics))
        {
            await detector.StartAsync(CancellationToken.None);
            Assert.Equal("second", detector.Live!.Name);
            Assert.Equal("first", detector.Shadow!.Name);
            await detector.StopAsync(CancellationToken.None);
        }

        WriteText("{\"Detectors\":{\"Behaviour\":{\"ModelPath\":\"x\",\"Threshold\":3}}}");
        using var broken = new BehaviourDetector(options, metrics);
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => broken.StartAsync(CancellationToken.None));
        Assert.Contains("Detectors:Behaviour:ModelsFile:", ex.Message, StringComparison.Ordinal);
        Assert.Contains("unknown key Detectors:Behaviour:Threshold", ex.Message, StringComparison.Ordinal);

        var blank = new BehaviourOptions { ModelsFile = " " };
        Assert.Contains("Detectors:Behaviour:ModelsFile must not be empty", string.Join("\n", new BehaviourOptionsValidator().Validate(null, blank).Failures ?? []), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[]", "the root must be a JSON object")]
    [InlineData("{\"Modes\":{}}", "unknown key 'Modes' in the root")]
    [InlineData("{\"Detectors\":{\"Signatures\":{}}}", "unknown key 'Signatures' in Detectors")]
    [InlineData("{\"Detectors\":{\"Behaviour\":{\"ModelPath\":5}}}", "Detectors:Behaviour:ModelPath must be a string")]
    [InlineData("{\"Detectors\":{\"Behaviour\":{\"ModelPath\":\"a\",\"ShadowModelPath\":\"b\",\"Other\":\"c\"}}}", "unknown key Detectors:Behaviour:Other")]
    [InlineData("not json", "models.json:1: not JSON")]
    public void Parse_NamesTheFileAndTheProblem(string json, string expected)
    {
        var ex = Assert.Throws<InvalidDataException>(() => BehaviourModelsFile.Parse(Encoding.UTF8.GetBytes(json), "models.json"));
        Assert.StartsWith("models.json", ex.Message, StringComparison.Ordinal);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ReadsTheControlPlanesFormat_KeysInAnyCase_EmptyMeansUnset()
    {
        var choice = BehaviourModelsFile.Parse("{\"detectors\":{\"behaviour\":{\"modelPath\":\"/m/a\",\"ShadowModelPath\":\"\"}}}"u8, "f");
        Assert.Equal(new BehaviourModelChoice("/m/a", null), choice);
        Assert.Equal(new BehaviourModelChoice(null, null), BehaviourModelsFile.Parse("{\"Detectors\":{\"Behaviour\":{}}}"u8, "f"));
    }

    private static List<Alert> Score(BehaviourDetector detector)
    {
        var alerts = new List<Alert>();
        detector.Detect([.. Flows.Generated("attack-heavy", 2_000, 9).Select(f => f.Flow)], alerts);
        return alerts;
    }

    private string WriteModel(string name)
    {
        string folder = Path.Combine(_root, "models", name);
        Trained.Value.Save(folder);
        File.WriteAllText(Path.Combine(folder, "metrics.json"), "{\"evaluation\":{\"threshold_at_1pct_fpr\":20}}");
        return folder;
    }

    /// <summary>As the control plane writes it (<c>ModelSelection.Set</c>): the whole file, then a rename.</summary>
    private void WriteModelsFile(params (string Key, string Value)[] values) =>
        WriteText(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["Detectors"] = new Dictionary<string, object> { ["Behaviour"] = values.ToDictionary(v => v.Key, v => v.Value) },
        }));

    private void WriteText(string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_modelsFile)!);
        File.WriteAllText(_modelsFile + ".tmp", text);
        File.Move(_modelsFile + ".tmp", _modelsFile, overwrite: true);
        _clock = _clock.AddSeconds(2);
        File.SetLastWriteTimeUtc(_modelsFile, _clock);
    }

    private static MeterListener ListenReloads(NetSecMetrics metrics, List<string> outcomes)
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (i, l) =>
            {
                if (i.Meter == metrics.Meter && i.Name == "netsec_component_reloads")
                {
                    l.EnableMeasurementEvents(i);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            string? component = null, outcome = null;
            foreach (var tag in tags)
            {
                component = tag.Key == "component" ? tag.Value as string : component;
                outcome = tag.Key == "outcome" ? tag.Value as string : outcome;
            }

            if (component == BehaviourDetector.ComponentId && outcome is not null)
            {
                lock (outcomes)
                {
                    outcomes.Add(outcome);
                }
            }
        });
        listener.Start();
        return listener;
    }
}
