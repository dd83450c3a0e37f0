using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace NetSecStream.Behaviour.FlowDatasets;

/// <summary>
/// A flow model trained elsewhere and exported to ONNX (<c>model.onnx</c> + <c>model.json</c>), run with ONNX Runtime
/// on the CPU. Checked at load: the file exists and parses, the named input is a float tensor as wide as the
/// descriptor's feature list, the named output exists; every failure names the file.
/// </summary>
public sealed class OnnxFlowModel : IDisposable
{
    public const string ModelFile = "model.onnx";

    private const int Batch = 4096;
    private readonly InferenceSession _session;
    private readonly bool _batched;

    private OnnxFlowModel(InferenceSession session, FlowModelInfo info, bool batched)
    {
        _session = session;
        Info = info;
        _batched = batched;
    }

    public FlowModelInfo Info { get; }

    public static OnnxFlowModel Load(string dir)
    {
        FlowModelInfo info = FlowModelInfo.Load(dir);
        string path = Path.Combine(dir, ModelFile);
        if (info.Format != FlowModelInfo.Onnx)
        {
            throw new FlowModelException(Path.Combine(dir, FlowModelInfo.FileName), $"format is {info.Format}, not {FlowModelInfo.Onnx}");
        }

        if (!File.Exists(path))
        {
            throw new FlowModelException(path, "missing: model.json names an ONNX model");
        }

        InferenceSession session;
        try
        {
            session = new InferenceSession(path);
        }
        catch (OnnxRuntimeException ex)
        {
            throw new FlowModelException(path, "ONNX Runtime cannot load it: " + ex.Message);
        }

        try
        {
            if (!session.InputMetadata.TryGetValue(info.Input, out NodeMetadata? input))
            {
                throw new FlowModelException(path, $"no input tensor '{info.Input}' (inputs: {string.Join(", ", session.InputMetadata.Keys)})");
            }

            if (session.InputMetadata.Count != 1)
            {
                throw new FlowModelException(path, $"{session.InputMetadata.Count} inputs; a flow model takes one feature tensor");
            }

            if (!input.IsTensor || input.ElementType != typeof(float) || input.Dimensions.Length != 2)
            {
                throw new FlowModelException(path, $"input '{info.Input}' is not a 2-D float tensor [rows, features]");
            }

            int width = input.Dimensions[1];
            if (width != info.FeatureNames.Count)
            {
                throw new FlowModelException(path, $"input '{info.Input}' is {width} features wide, the {(info.Features == FlowFeatureSet.Schema ? "flow schema " + FlowFeatureNames.SchemaVersion : "descriptor")} has {info.FeatureNames.Count}");
            }

            if (!session.OutputMetadata.TryGetValue(info.Output, out NodeMetadata? output) || !output.IsTensor || output.ElementType != typeof(float))
            {
                throw new FlowModelException(path, $"no float output tensor '{info.Output}' (outputs: {string.Join(", ", session.OutputMetadata.Keys)})");
            }

            return new OnnxFlowModel(session, info, input.Dimensions[0] != 1);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>The attack probability (or score) of each feature vector, in the descriptor's feature order.</summary>
    public float[] Score(IReadOnlyList<float[]> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        int width = Info.FeatureNames.Count;
        float[] scores = new float[rows.Count];
        int step = _batched ? Batch : 1;
        for (int start = 0; start < rows.Count; start += step)
        {
            int n = Math.Min(step, rows.Count - start);
            var data = new float[n * width];
            for (int i = 0; i < n; i++)
            {
                rows[start + i].AsSpan(0, width).CopyTo(data.AsSpan(i * width));
            }

            using var results = _session.Run([NamedOnnxValue.CreateFromTensor(Info.Input, new DenseTensor<float>(data, [n, width]))], [Info.Output]);
            Tensor<float> output = results[0].AsTensor<float>();
            ReadOnlySpan<int> dims = output.Dimensions;
            int columns = dims.Length == 2 ? dims[1] : 1;
            for (int i = 0; i < n; i++)
            {
                // [rows] or [rows, 1]: the score; [rows, 2]: per-class probabilities, column 1 = attack.
                scores[start + i] = dims.Length == 1 ? output[i] : output[i, columns >= 2 ? 1 : 0];
            }
        }

        return scores;
    }

    public void Dispose() => _session.Dispose();
}
