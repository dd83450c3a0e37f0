using System.Globalization;
using System.Text.Json;

namespace NetSecStream.Behaviour.FlowDatasets;

/// <summary>A model folder that cannot be used; the message names the file.</summary>
public sealed class FlowModelException(string file, string reason) : Exception($"{file}: {reason}")
{
    public string File { get; } = file;
}

/// <summary>
/// <c>model.json</c>, the descriptor of a flow model folder: which file holds the model (<c>model.zip</c> for ML.NET,
/// <c>model.onnx</c> for a model trained elsewhere), the features it takes in order (the flow schema at
/// <see cref="SchemaVersion"/>, or named native columns), and for ONNX the input and output tensor names and whether the
/// output is a probability (attack if ≥ threshold, default 0.5) or a raw score (attack if &gt; threshold, default 0).
/// An ONNX folder without <c>model.json</c> may carry the same object as <c>"model"</c> in <c>metrics.json</c>.
/// </summary>
public sealed record FlowModelInfo(
    string Format, string? Dataset, FlowFeatureSet Features, string? SchemaVersion, IReadOnlyList<string> FeatureNames,
    string Input = "features", string Output = "probability", bool OutputIsProbability = true, double? Threshold = null)
{
    public const string FileName = "model.json";
    public const string MlNet = "ml.net";
    public const string Onnx = "onnx";

    public double DecisionThreshold => Threshold ?? (OutputIsProbability ? 0.5 : 0.0);

    /// <summary>Whether a folder holds a flow model (a <c>model.json</c>, or a <c>model.onnx</c>).</summary>
    public static bool IsFlowModel(string dir) =>
        File.Exists(Path.Combine(dir, FileName)) || File.Exists(Path.Combine(dir, OnnxFlowModel.ModelFile));

    public static FlowModelInfo Load(string dir)
    {
        string path = Path.Combine(dir, FileName);
        string metrics = Path.Combine(dir, "metrics.json");
        JsonElement root;
        string source = path;
        try
        {
            if (File.Exists(path))
            {
                root = JsonDocument.Parse(File.ReadAllText(path)).RootElement;
            }
            else if (File.Exists(metrics) && JsonDocument.Parse(File.ReadAllText(metrics)).RootElement.TryGetProperty("model_info", out JsonElement inMetrics))
            {
                root = inMetrics;
                source = metrics + " (model_info)";
            }
            else
            {
                throw new FlowModelException(path, $"missing: a flow model folder needs {FileName} (or \"model_info\" in metrics.json) naming its format, features and schema version");
            }
        }
        catch (JsonException ex)
        {
            throw new FlowModelException(path, "not valid JSON: " + ex.Message);
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new FlowModelException(source, "not a JSON object");
        }

        string format = String(root, "format", source) ?? throw new FlowModelException(source, "no \"format\" (ml.net or onnx)");
        if (format is not (MlNet or Onnx))
        {
            throw new FlowModelException(source, $"format '{format}' is neither {MlNet} nor {Onnx}");
        }

        FlowFeatureSet features = (String(root, "features", source) ?? "schema") switch
        {
            "schema" => FlowFeatureSet.Schema,
            "native" => FlowFeatureSet.Native,
            var other => throw new FlowModelException(source, $"features '{other}' is neither schema nor native"),
        };
        string? version = String(root, "schema_version", source);
        string[] names = root.TryGetProperty("feature_names", out JsonElement n) && n.ValueKind == JsonValueKind.Array
            ? [.. n.EnumerateArray().Select(e => e.GetString() ?? "")]
            : [];
        if (features == FlowFeatureSet.Schema)
        {
            if (version != FlowFeatureNames.SchemaVersion)
            {
                throw new FlowModelException(source, version is null
                    ? $"no \"schema_version\": this build's flow feature schema is {FlowFeatureNames.SchemaVersion}"
                    : $"schema_version '{version}' but this build's flow feature schema is {FlowFeatureNames.SchemaVersion}");
            }

            if (names.Length > 0 && !names.SequenceEqual(FlowFeatureNames.All))
            {
                throw new FlowModelException(source, $"feature_names differ from the {FlowFeatureNames.SchemaVersion} schema ({names.Length} names, schema has {FlowFeatureNames.Count})");
            }

            names = [.. FlowFeatureNames.All];
        }
        else if (names.Length == 0)
        {
            throw new FlowModelException(source, "a native-feature model must list its \"feature_names\"");
        }

        double? threshold = root.TryGetProperty("threshold", out JsonElement t) && t.ValueKind == JsonValueKind.Number ? t.GetDouble() : null;
        string kind = String(root, "output_kind", source) ?? "probability";
        if (kind is not ("probability" or "score"))
        {
            throw new FlowModelException(source, $"output_kind '{kind}' is neither probability nor score");
        }

        return new FlowModelInfo(format, String(root, "dataset", source), features, version, names,
            String(root, "input", source) ?? "features", String(root, "output", source) ?? "probability", kind == "probability", threshold);
    }

    public void Save(string dir)
    {
        using var stream = File.Create(Path.Combine(dir, FileName));
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        Write(w);
        w.Flush();
        stream.WriteByte((byte)'\n');
    }

    public void Write(Utf8JsonWriter w)
    {
        ArgumentNullException.ThrowIfNull(w);
        w.WriteStartObject();
        w.WriteString("format", Format);
        if (Dataset is not null)
        {
            w.WriteString("dataset", Dataset);
        }

        w.WriteString("features", Features == FlowFeatureSet.Schema ? "schema" : "native");
        if (SchemaVersion is not null)
        {
            w.WriteString("schema_version", SchemaVersion);
        }

        w.WriteStartArray("feature_names");
        foreach (string name in FeatureNames)
        {
            w.WriteStringValue(name);
        }

        w.WriteEndArray();
        if (Format == Onnx)
        {
            w.WriteString("input", Input);
            w.WriteString("output", Output);
            w.WriteString("output_kind", OutputIsProbability ? "probability" : "score");
            w.WriteNumber("threshold", DecisionThreshold);
        }

        w.WriteEndObject();
    }

    private static string? String(JsonElement root, string name, string source) =>
        !root.TryGetProperty(name, out JsonElement e) ? null
        : e.ValueKind == JsonValueKind.String ? e.GetString()
        : throw new FlowModelException(source, string.Create(CultureInfo.InvariantCulture, $"\"{name}\" must be a string"));
}
