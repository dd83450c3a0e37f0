using Microsoft.ML;
using Microsoft.ML.Data;

namespace NetSecStream.Behaviour.FlowDatasets;

/// <summary>
/// A flow model folder loaded once to score many batches: ML.NET (<c>model.zip</c>) or ONNX (<c>model.onnx</c>) as
/// <c>model.json</c> says. Only models on the flow schema's features can score live traffic (native-column models need
/// their dataset's columns, which collectors do not produce).
/// </summary>
public sealed class FlowModelScorer : IDisposable
{
    private readonly OnnxFlowModel? _onnx;
    private readonly MLContext? _ml;
    private readonly ITransformer? _model;
    private readonly int _width;

    private FlowModelScorer(FlowModelInfo info, string file, OnnxFlowModel? onnx, MLContext? ml, ITransformer? model, int width)
    {
        Info = info;
        File = file;
        _onnx = onnx;
        _ml = ml;
        _model = model;
        _width = width;
    }

    public FlowModelInfo Info { get; }

    /// <summary>The model file itself (for change checks).</summary>
    public string File { get; }

    public static FlowModelScorer Load(string dir)
    {
        var info = FlowModelInfo.Load(dir);
        if (info.Features != FlowFeatureSet.Schema)
        {
            throw new FlowModelException(Path.Combine(dir, FlowModelInfo.FileName),
                "a native-feature model cannot score live flows (it takes its dataset's own columns); train one with --features schema");
        }

        if (info.Format == FlowModelInfo.Onnx)
        {
            var onnx = OnnxFlowModel.Load(dir);
            return new FlowModelScorer(info, Path.Combine(dir, OnnxFlowModel.ModelFile), onnx, null, null, info.FeatureNames.Count);
        }

        string path = Path.Combine(dir, FlowModel.ModelFile);
        if (!System.IO.File.Exists(path))
        {
            throw new FlowModelException(path, "missing: model.json names an ML.NET model");
        }

        var ml = new MLContext(1);
        ITransformer model;
        DataViewSchema input;
        try
        {
            model = ml.Model.Load(path, out input);
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException or InvalidDataException or ArgumentException)
        {
            throw new FlowModelException(path, "ML.NET cannot load it: " + ex.Message);
        }

        int width = input.GetColumnOrNull("Features")?.Type is VectorDataViewType v ? v.Size : -1;
        if (width != info.FeatureNames.Count)
        {
            throw new FlowModelException(path, $"takes {width} features, model.json lists {info.FeatureNames.Count}");
        }

        return new FlowModelScorer(info, path, null, ml, model, width);
    }

    /// <summary>Attack probability (or score) of each row, the rows in the model's feature order.</summary>
    public float[] Score(IReadOnlyList<float[]> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (_onnx is not null)
        {
            return _onnx.Score(rows);
        }

        var definition = SchemaDefinition.Create(typeof(Row));
        definition[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, _width);
        IDataView scored = _model!.Transform(_ml!.Data.LoadFromEnumerable(rows.Select(r => new Row { Features = r }), definition));
        return [.. _ml.Data.CreateEnumerable<Scored>(scored, reuseRowObject: true).Select(p => p.Probability)];
    }

    public void Dispose() => _onnx?.Dispose();

    private sealed class Row
    {
        public float[] Features { get; set; } = [];
    }

    private sealed class Scored
    {
        public float Probability { get; set; }
    }
}
