using Microsoft.ML;
using Microsoft.ML.Data;
using NetSecStream.Behaviour.FlowDatasets;
using NetSecStream.Behaviour.NslKdd;

namespace NetSecStream.Behaviour.Tests;

/// <summary>A real ONNX file: an ML.NET flow model converted with Microsoft.ML.OnnxConverter, scored by ONNX Runtime.</summary>
public sealed class OnnxFlowModelTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "netsec-onnx-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    /// <summary>Synthetic flows (no shared data needed): attacks are short, small, SYN-only TCP flows to many ports.</summary>
    internal static FlowDataset Synthetic(int rows, int seed)
    {
        var random = new Random(seed);
        var records = new List<FlowRecord>();
        for (int i = 0; i < rows; i++)
        {
            bool attack = i % 2 == 0;
            float[] f = new float[FlowFeatureNames.Count];
            f[FlowFeatureNames.DurationSeconds] = attack ? (float)random.NextDouble() * 0.01f : (float)random.NextDouble() * 30;
            f[FlowFeatureNames.PacketsOut] = attack ? random.Next(1, 3) : random.Next(3, 200);
            f[FlowFeatureNames.PacketsIn] = attack ? random.Next(0, 2) : random.Next(2, 200);
            f[FlowFeatureNames.BytesOut] = f[FlowFeatureNames.PacketsOut] * random.Next(40, attack ? 80 : 1500);
            f[FlowFeatureNames.BytesIn] = f[FlowFeatureNames.PacketsIn] * random.Next(40, 1500);
            f[FlowFeatureNames.MeanPacketBytes] = (f[1] + f[2]) / Math.Max(1, f[3] + f[4]);
            f[FlowFeatureNames.SrcPort] = random.Next(1024, 65536);
            f[FlowFeatureNames.DstPort] = attack ? random.Next(1, 10000) : (float)new[] { 53, 80, 443 }[random.Next(3)];
            f[FlowFeatureNames.ProtoTcp] = 1;
            f[FlowFeatureNames.TcpSyn] = 1;
            f[FlowFeatureNames.TcpAck] = attack && random.NextDouble() < 0.8 ? 0 : 1;
            f[FlowFeatureNames.TcpFin] = attack ? 0 : 1;
            records.Add(new FlowRecord { Schema = f, Native = [f[0], f[1], f[2]], Label = attack ^ (random.NextDouble() < 0.03), Family = attack ? "scan" : "benign", File = "synthetic", Line = i + 2 });
        }

        return new FlowDataset { Format = "iot-23", Files = ["synthetic"], Rows = records, NativeNames = ["duration", "orig_ip_bytes", "resp_ip_bytes"], Errors = [] };
    }

    private FlowDataset TrainAndExport()
    {
        FlowDataset data = Synthetic(1200, 7);
        FlowModel.Train(data, FlowFeatureSet.Schema, _dir, "synthetic", new FlowTrainOptions(Folds: 3, Trainers: ["fasttree"]));
        var ml = new MLContext(1);
        ITransformer model = ml.Model.Load(Path.Combine(_dir, FlowModel.ModelFile), out _);
        IDataView sample = ml.Data.LoadFromEnumerable(data.Rows.Take(10).Select(r => new OnnxRow { Features = r.Schema }));
        using (FileStream onnx = File.Create(Path.Combine(_dir, OnnxFlowModel.ModelFile)))
        {
            ml.Model.ConvertToOnnx(model, sample, onnx);
        }

        File.Delete(Path.Combine(_dir, FlowModel.ModelFile));
        File.Delete(Path.Combine(_dir, "metrics.json"));
        WriteDescriptor(FlowFeatureNames.SchemaVersion);
        return data;
    }

    private void WriteDescriptor(string version, string input = "Features", string output = "Probability.output") =>
        new FlowModelInfo(FlowModelInfo.Onnx, null, FlowFeatureSet.Schema, version, FlowFeatureNames.All, input, output).Save(_dir);

    [Fact]
    public void An_onnx_export_scores_like_the_mlnet_model_it_came_from()
    {
        FlowDataset data = Synthetic(1200, 7);
        FlowModel.Train(data, FlowFeatureSet.Schema, _dir, "synthetic", new FlowTrainOptions(Folds: 3, Trainers: ["fasttree"]));
        FlowDataset unseen = Synthetic(500, 99);
        float[][] features = [.. unseen.Rows.Select(r => r.Schema)];
        (bool[] mlPredicted, float[] mlProbability) = FlowModel.ScoreMlNet(_dir, features);
        DetectionMetrics fromZip = FlowModel.Evaluate(_dir, unseen);

        TrainAndExport();
        using OnnxFlowModel onnx = OnnxFlowModel.Load(_dir);
        float[] onnxProbability = onnx.Score(features);
        Assert.Equal(mlProbability.Length, onnxProbability.Length);
        for (int i = 0; i < features.Length; i++)
        {
            Assert.True(Math.Abs(mlProbability[i] - onnxProbability[i]) < 1e-4, $"row {i}: ML.NET {mlProbability[i]} vs ONNX {onnxProbability[i]}");
        }

        DetectionMetrics fromOnnx = FlowModel.Evaluate(_dir, unseen);
        Assert.InRange(fromOnnx.Accuracy, 0.9, 1.0);
        Assert.Equal(fromZip.TruePositives + fromZip.FalsePositives, fromOnnx.TruePositives + fromOnnx.FalsePositives);
        Assert.Equal(mlPredicted.Count(p => p), fromOnnx.TruePositives + fromOnnx.FalsePositives);
        Assert.Equal(fromZip.RocAuc, fromOnnx.RocAuc, 3);
    }

    [Fact]
    public void The_descriptor_may_sit_in_metrics_json_instead_of_model_json()
    {
        TrainAndExport();
        File.Move(Path.Combine(_dir, FlowModelInfo.FileName), Path.Combine(_dir, "descriptor.json"));
        File.WriteAllText(Path.Combine(_dir, "metrics.json"), "{\"accuracy\": 0.9, \"model_info\": " + File.ReadAllText(Path.Combine(_dir, "descriptor.json")) + "}");
        Assert.True(FlowModelInfo.IsFlowModel(_dir));
        using OnnxFlowModel onnx = OnnxFlowModel.Load(_dir);
        Assert.Equal(("Features", "Probability.output", FlowFeatureNames.SchemaVersion), (onnx.Info.Input, onnx.Info.Output, onnx.Info.SchemaVersion));
        Assert.Equal(3, onnx.Score([new float[19], new float[19], new float[19]]).Length);
    }

    [Fact]
    public void A_missing_onnx_file_is_named()
    {
        Directory.CreateDirectory(_dir);
        WriteDescriptor(FlowFeatureNames.SchemaVersion);
        var ex = Assert.Throws<FlowModelException>(() => OnnxFlowModel.Load(_dir));
        Assert.Equal(Path.Combine(_dir, OnnxFlowModel.ModelFile), ex.File);
        Assert.Contains("missing", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_descriptor_is_named()
    {
        Directory.CreateDirectory(_dir);
        File.WriteAllBytes(Path.Combine(_dir, OnnxFlowModel.ModelFile), [1, 2, 3]);
        var ex = Assert.Throws<FlowModelException>(() => OnnxFlowModel.Load(_dir));
        Assert.StartsWith(Path.Combine(_dir, FlowModelInfo.FileName) + ": missing", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_that_is_not_onnx_is_named()
    {
        Directory.CreateDirectory(_dir);
        WriteDescriptor(FlowFeatureNames.SchemaVersion);
        File.WriteAllText(Path.Combine(_dir, OnnxFlowModel.ModelFile), "not a protobuf");
        var ex = Assert.Throws<FlowModelException>(() => OnnxFlowModel.Load(_dir));
        Assert.StartsWith(Path.Combine(_dir, OnnxFlowModel.ModelFile) + ": ONNX Runtime cannot load it", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Another_schema_version_is_refused_naming_model_json()
    {
        TrainAndExport();
        WriteDescriptor("flow.v0");
        var ex = Assert.Throws<FlowModelException>(() => OnnxFlowModel.Load(_dir));
        Assert.StartsWith(Path.Combine(_dir, FlowModelInfo.FileName) + ": schema_version 'flow.v0'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_wrong_input_width_or_tensor_name_is_refused_naming_model_onnx()
    {
        TrainAndExport();
        new FlowModelInfo(FlowModelInfo.Onnx, null, FlowFeatureSet.Native, null, ["a", "b", "c"], "Features", "Probability.output").Save(_dir);
        var width = Assert.Throws<FlowModelException>(() => OnnxFlowModel.Load(_dir));
        Assert.StartsWith(Path.Combine(_dir, OnnxFlowModel.ModelFile) + $": input 'Features' is {FlowFeatureNames.Count} features wide", width.Message, StringComparison.Ordinal);

        WriteDescriptor(FlowFeatureNames.SchemaVersion, input: "features");
        var name = Assert.Throws<FlowModelException>(() => OnnxFlowModel.Load(_dir));
        Assert.Contains("no input tensor 'features' (inputs: Features)", name.Message, StringComparison.Ordinal);

        WriteDescriptor(FlowFeatureNames.SchemaVersion, output: "probability");
        Assert.Contains("no float output tensor 'probability'", Assert.Throws<FlowModelException>(() => OnnxFlowModel.Load(_dir)).Message, StringComparison.Ordinal);
    }

    internal sealed class OnnxRow
    {
        [VectorType(19)]
        public float[] Features { get; set; } = [];
    }
}
