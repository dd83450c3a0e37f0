using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using NetSecStream.Behaviour.NslKdd;

namespace NetSecStream.Behaviour.FlowDatasets;

/// <summary>
/// How <see cref="FlowModel"/> trains: folds, candidate trainers, seed and a row cap. <see cref="GroupByFile"/> makes
/// each fold hold out whole files (captures) instead of stratified rows: a harder, more honest test where the files
/// are captures of different hosts (IoT-23), meaningless where they are one file per class (CIC-IDS2017).
/// </summary>
public sealed record FlowTrainOptions(int Folds = 5, IReadOnlyList<string>? Trainers = null, int Seed = 1, int MaxRows = FlowDatasetReader.MaxRows, bool GroupByFile = false);

/// <summary>Cross-validated figures of one feature set: each trainer's, and the best one's pooled out-of-fold metrics.</summary>
public sealed record FlowCrossValidation(FlowFeatureSet Features, IReadOnlyList<string> FeatureNames, int Rows, string Chosen, IReadOnlyList<TrainerScore> Trainers, DetectionMetrics OutOfFold, bool GroupedByFile = false)
{
    /// <summary>"schema features", "native features, folds by file" ...</summary>
    public string Title => Features.ToString().ToLowerInvariant() + " features" + (GroupedByFile ? ", folds by file" : "");

    /// <summary>The metrics.json key of a reference run.</summary>
    public string Key => "reference_" + Features.ToString().ToLowerInvariant() + "_features" + (GroupedByFile ? "_folds_by_file" : "");
}

/// <summary>What <see cref="FlowModel.Train"/> produced.</summary>
public sealed record FlowTrainResult(FlowCrossValidation CrossValidation, DetectionMetrics Training, string ModelPath, IReadOnlyList<FlowCrossValidation> References);

/// <summary>
/// Attack-vs-benign models on public flow datasets with the NSL-KDD machinery: FastTree and LightGbm binary
/// classifiers (32 leaves, 200 trees, learning rate 0.1), compared by stratified k-fold cross-validation (rows shuffled
/// with a fixed seed, each family spread over the folds: the samples come as one file per class), the better one by
/// mean accuracy trained on all rows. A model takes either the flow schema's features (<see cref="FlowFeatureNames"/>,
/// what the collectors produce) or the dataset's native numeric columns (a reference for what the schema loses).
/// </summary>
public static class FlowModel
{
    public const string ModelFile = "model.zip";

    public static IReadOnlyList<string> Trainers => NslKddModel.Trainers;

    /// <summary>A seeded random subset of at most <paramref name="maxRows"/> rows (all rows, shuffled, when fewer).</summary>
    public static List<FlowRecord> Sample(IReadOnlyList<FlowRecord> rows, int maxRows, int seed)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var shuffled = rows.ToArray();
        new Random(seed).Shuffle(shuffled);
        return [.. shuffled.Take(maxRows)];
    }

    public static IReadOnlyList<string> FeatureNames(FlowDataset data, FlowFeatureSet set)
    {
        ArgumentNullException.ThrowIfNull(data);
        return set == FlowFeatureSet.Schema ? FlowFeatureNames.All : data.NativeNames;
    }

    /// <summary>Stratified k-fold cross-validation of each candidate trainer on <paramref name="set"/>'s features.</summary>
    public static FlowCrossValidation CrossValidate(FlowDataset data, FlowFeatureSet set, FlowTrainOptions options, Action<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Folds, 2);
        List<FlowRecord> rows = Sample(data.Rows, options.MaxRows, options.Seed);
        if (rows.Count < options.Folds * 10 || rows.All(r => r.Label) || rows.All(r => !r.Label))
        {
            throw new ArgumentException($"need at least {options.Folds * 10} rows with both attacks and benign flows (got {rows.Count})", nameof(data));
        }

        IReadOnlyList<string> names = FeatureNames(data, set);
        if (names.Count == 0)
        {
            throw new ArgumentException("the files read share no native numeric column", nameof(data));
        }

        int[] fold = options.GroupByFile ? FileFolds(rows, options.Folds) : StratifiedFolds(rows, options.Folds, options.Seed);
        var ml = new MLContext(options.Seed);
        var scores = new List<TrainerScore>();
        var outOfFold = new Dictionary<string, (bool[] Predicted, float[] Score)>(StringComparer.Ordinal);
        foreach (string trainer in options.Trainers ?? Trainers)
        {
            progress?.Invoke($"cross-validating {trainer} on {set.ToString().ToLowerInvariant()} features ({options.Folds} folds{(options.GroupByFile ? " by file" : "")} over {rows.Count:N0} rows) ...");
            var clock = Stopwatch.StartNew();
            bool[] predicted = new bool[rows.Count];
            float[] score = new float[rows.Count];
            var accuracy = new List<double>();
            var f1 = new List<double>();
            var auc = new List<double>();
            for (int k = 0; k < options.Folds; k++)
            {
                int[] test = [.. Enumerable.Range(0, rows.Count).Where(i => fold[i] == k)];
                var train = rows.Where((_, i) => fold[i] != k).ToList();
                if (train.All(r => r.Label) || train.All(r => !r.Label))
                {
                    throw new ArgumentException($"fold {k + 1} would train on one class only (files: {string.Join(", ", test.Select(i => rows[i].File).Distinct())} held out)", nameof(data));
                }

                ITransformer model = Pipeline(ml, trainer).Fit(Load(ml, train, set, names.Count));
                (bool[] p, float[] s) = Predict(ml, model, [.. test.Select(i => rows[i])], set, names.Count);
                for (int j = 0; j < test.Length; j++)
                {
                    predicted[test[j]] = p[j];
                    score[test[j]] = s[j];
                }

                DetectionMetrics m = FlowMetrics.Compute([.. test.Select(i => rows[i].Label)], [.. test.Select(i => rows[i].Family)], p, s);
                accuracy.Add(m.Accuracy);
                f1.Add(m.F1);
                auc.Add(m.RocAuc);
            }

            double mean = accuracy.Average();
            scores.Add(new TrainerScore(trainer, options.Folds, mean, Math.Sqrt(accuracy.Average(a => (a - mean) * (a - mean))), f1.Average(),
                auc.Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average(), clock.Elapsed.TotalSeconds));
            outOfFold[trainer] = (predicted, score);
        }

        TrainerScore best = scores.MaxBy(s => s.Accuracy)!;
        (bool[] bp, float[] bs) = outOfFold[best.Trainer];
        return new FlowCrossValidation(set, names, rows.Count, best.Trainer, scores,
            FlowMetrics.Compute([.. rows.Select(r => r.Label)], [.. rows.Select(r => r.Family)], bp, bs), options.GroupByFile);
    }

    /// <summary>
    /// Cross-validates, trains the chosen trainer on all (sampled) rows and writes <c>model.zip</c>, <c>model.json</c>,
    /// <c>metrics.json</c> and <c>MODEL_CARD.md</c>. With <paramref name="compare"/> the other feature set is
    /// cross-validated too, with <paramref name="byFile"/> the same features with folds holding out whole files; both
    /// are reported beside the model's own figures (no model is kept for them).
    /// </summary>
    public static FlowTrainResult Train(FlowDataset data, FlowFeatureSet set, string outDir, string dataName, FlowTrainOptions options, bool compare = false, bool byFile = false, Action<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        FlowCrossValidation cv = CrossValidate(data, set, options, progress);
        var references = new List<FlowCrossValidation>();
        if (compare)
        {
            references.Add(CrossValidate(data, set == FlowFeatureSet.Schema ? FlowFeatureSet.Native : FlowFeatureSet.Schema, options, progress));
        }

        if (byFile && !options.GroupByFile)
        {
            references.Add(CrossValidate(data, set, options with { GroupByFile = true }, progress));
        }

        List<FlowRecord> rows = Sample(data.Rows, options.MaxRows, options.Seed);
        progress?.Invoke($"training {cv.Chosen} on all {rows.Count:N0} rows ...");
        var ml = new MLContext(options.Seed);
        IDataView all = Load(ml, rows, set, cv.FeatureNames.Count);
        ITransformer model = Pipeline(ml, cv.Chosen).Fit(all);
        Directory.CreateDirectory(outDir);
        string modelPath = Path.Combine(outDir, ModelFile);
        ml.Model.Save(model, all.Schema, modelPath);
        (bool[] p, float[] s) = Predict(ml, model, rows, set, cv.FeatureNames.Count);
        DetectionMetrics training = FlowMetrics.Compute([.. rows.Select(r => r.Label)], [.. rows.Select(r => r.Family)], p, s);
        var result = new FlowTrainResult(cv, training, modelPath, references);
        FlowModelInfo info = Info(data.Format, set, cv.FeatureNames);
        info.Save(outDir);
        File.WriteAllText(Path.Combine(outDir, "metrics.json"), MetricsJson(result, data, dataName, info));
        File.WriteAllText(Path.Combine(outDir, "MODEL_CARD.md"), ModelCard(result, data, dataName, options));
        return result;
    }

    /// <summary>The descriptor of an ML.NET flow model.</summary>
    public static FlowModelInfo Info(string dataset, FlowFeatureSet set, IReadOnlyList<string> names) =>
        new(FlowModelInfo.MlNet, dataset, set, set == FlowFeatureSet.Schema ? FlowFeatureNames.SchemaVersion : null, [.. names]);

    /// <summary>Scores <paramref name="data"/> with the model in <paramref name="modelDir"/> (ML.NET <c>model.zip</c> or ONNX <c>model.onnx</c>).</summary>
    public static DetectionMetrics Evaluate(string modelDir, FlowDataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        FlowModelInfo info = FlowModelInfo.Load(modelDir);
        IReadOnlyList<FlowRecord> rows = data.Rows;
        float[][] features = Features(rows, info, data, Path.Combine(modelDir, FlowModelInfo.FileName));
        bool[] predicted;
        float[] scores;
        if (info.Format == FlowModelInfo.Onnx)
        {
            using OnnxFlowModel onnx = OnnxFlowModel.Load(modelDir);
            scores = onnx.Score(features);
            predicted = [.. scores.Select(s => info.OutputIsProbability ? s >= info.DecisionThreshold : s > info.DecisionThreshold)];
        }
        else
        {
            (predicted, scores) = ScoreMlNet(modelDir, features);
        }

        return FlowMetrics.Compute([.. rows.Select(r => r.Label)], [.. rows.Select(r => r.Family)], predicted, scores);
    }

    /// <summary>Decisions and attack probabilities of an ML.NET flow model folder for feature vectors in its order.</summary>
    public static (bool[] Predicted, float[] Probability) ScoreMlNet(string modelDir, IReadOnlyList<float[]> features)
    {
        ArgumentNullException.ThrowIfNull(features);
        string path = Path.Combine(modelDir, ModelFile);
        if (!File.Exists(path))
        {
            throw new FlowModelException(path, "missing: model.json names an ML.NET model");
        }

        var ml = new MLContext(1);
        ITransformer model = ml.Model.Load(path, out DataViewSchema input);
        int width = input.GetColumnOrNull("Features")?.Type is VectorDataViewType v ? v.Size : -1;
        if (features.Count > 0 && width != features[0].Length)
        {
            throw new FlowModelException(path, $"takes {width} features, model.json lists {features[0].Length}");
        }

        return Predict(ml, model, [.. features.Select(f => new FeatureRow { Features = f })], width);
    }

    /// <summary>The rows' feature vectors in the model's order; a native model needs its own dataset and every column it names.</summary>
    public static float[][] Features(IReadOnlyList<FlowRecord> rows, FlowModelInfo info, FlowDataset data, string descriptor = FlowModelInfo.FileName)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(data);
        // Schema features mean the same in every dataset, so a schema model may score another dataset (a transfer test);
        // native columns are the training dataset's own.
        if (info.Features == FlowFeatureSet.Schema)
        {
            return [.. rows.Select(r => r.Schema)];
        }

        if (info.Dataset is not null && info.Dataset != data.Format)
        {
            throw new FlowModelException(descriptor, $"a native-feature model takes {info.Dataset} columns, the data given is {data.Format}");
        }

        var keys = data.NativeNames.Select(CsvHeader.Key).ToList();
        int[] pick = [.. info.FeatureNames.Select(n => keys.IndexOf(CsvHeader.Key(n)))];
        if (Array.IndexOf(pick, -1) is int missing and >= 0)
        {
            throw new FlowModelException(descriptor, $"the model takes column '{info.FeatureNames[missing]}', which the data lacks");
        }

        return [.. rows.Select(r => pick.Select(i => r.Native[i]).ToArray())];
    }

    private static int[] FileFolds(List<FlowRecord> rows, int folds)
    {
        // the largest files first, each into the fold with the fewest rows so far
        var files = rows.GroupBy(r => r.File, StringComparer.Ordinal).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).ToList();
        if (files.Count < folds)
        {
            throw new ArgumentException($"{folds} folds by file need at least {folds} files (got {files.Count})", nameof(rows));
        }

        long[] size = new long[folds];
        var foldOf = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            int k = Array.IndexOf(size, size.Min());
            foldOf[file.Key] = k;
            size[k] += file.Count();
        }

        return [.. rows.Select(r => foldOf[r.File])];
    }

    private static int[] StratifiedFolds(List<FlowRecord> rows, int folds, int seed)
    {
        // rows are already shuffled: deal each family's rows round-robin over the folds, continuing where the last family stopped
        int[] fold = new int[rows.Count];
        int next = new Random(seed).Next(folds);
        foreach (var family in Enumerable.Range(0, rows.Count).GroupBy(i => (rows[i].Label, rows[i].Family)).OrderBy(g => g.Key.Family, StringComparer.Ordinal))
        {
            foreach (int i in family)
            {
                fold[i] = next;
                next = (next + 1) % folds;
            }
        }

        return fold;
    }

    private static IDataView Load(MLContext ml, IEnumerable<FlowRecord> rows, FlowFeatureSet set, int width) =>
        ml.Data.LoadFromEnumerable(rows.Select(r => new FeatureRow { Features = set == FlowFeatureSet.Schema ? r.Schema : r.Native, Label = r.Label }), Definition(width));

    private static SchemaDefinition Definition(int width)
    {
        SchemaDefinition definition = SchemaDefinition.Create(typeof(FeatureRow));
        definition[nameof(FeatureRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, width);
        return definition;
    }

    private static (bool[] Predicted, float[] Probability) Predict(MLContext ml, ITransformer model, IReadOnlyList<FlowRecord> rows, FlowFeatureSet set, int width) =>
        Predict(ml, model, [.. rows.Select(r => new FeatureRow { Features = set == FlowFeatureSet.Schema ? r.Schema : r.Native })], width);

    private static (bool[] Predicted, float[] Probability) Predict(MLContext ml, ITransformer model, List<FeatureRow> rows, int width)
    {
        IDataView scored = model.Transform(ml.Data.LoadFromEnumerable(rows, Definition(width)));
        var predictions = ml.Data.CreateEnumerable<Prediction>(scored, reuseRowObject: false).ToList();
        return ([.. predictions.Select(p => p.PredictedLabel)], [.. predictions.Select(p => p.Probability)]);
    }

    private static IEstimator<ITransformer> Pipeline(MLContext ml, string trainer) => trainer switch
    {
        "fasttree" => ml.BinaryClassification.Trainers.FastTree(labelColumnName: "Label", numberOfLeaves: 32, numberOfTrees: 200, learningRate: 0.1),
        "lightgbm" => ml.BinaryClassification.Trainers.LightGbm(labelColumnName: "Label", numberOfLeaves: 32, numberOfIterations: 200, learningRate: 0.1),
        _ => throw new ArgumentException($"unknown trainer '{trainer}' (fasttree or lightgbm)", nameof(trainer)),
    };

    private static string MetricsJson(FlowTrainResult result, FlowDataset data, string dataName, FlowModelInfo info)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("dataset", data.Format);
            w.WriteString("data", dataName);
            w.WriteNumber("rows_read", data.Rows.Count);
            w.WriteNumber("rows_skipped", data.Skipped);
            w.WriteString("model", result.CrossValidation.Chosen);
            w.WritePropertyName("model_info");
            info.Write(w);
            WriteCrossValidation(w, "cross_validation", result.CrossValidation);
            foreach (FlowCrossValidation reference in result.References)
            {
                WriteCrossValidation(w, reference.Key, reference);
            }

            w.WriteStartObject("training_set");
            NslKddModel.WriteMetrics(w, result.Training);
            w.WriteEndObject();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    private static void WriteCrossValidation(Utf8JsonWriter w, string name, FlowCrossValidation cv)
    {
        w.WriteStartObject(name);
        w.WriteString("features", cv.Features.ToString().ToLowerInvariant());
        w.WriteString("folds", cv.GroupedByFile ? "by file" : "stratified");
        w.WriteNumber("feature_count", cv.FeatureNames.Count);
        w.WriteNumber("rows", cv.Rows);
        w.WriteString("chosen", cv.Chosen);
        w.WriteStartArray("trainers");
        foreach (TrainerScore s in cv.Trainers)
        {
            w.WriteStartObject();
            w.WriteString("trainer", s.Trainer);
            w.WriteNumber("folds", s.Folds);
            w.WriteNumber("accuracy", Math.Round(s.Accuracy, 5));
            w.WriteNumber("accuracy_stddev", Math.Round(s.AccuracyStdDev, 5));
            w.WriteNumber("f1", Math.Round(s.F1, 5));
            if (double.IsFinite(s.RocAuc))
            {
                w.WriteNumber("roc_auc", Math.Round(s.RocAuc, 5));
            }

            w.WriteNumber("seconds", Math.Round(s.Seconds, 1));
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartObject("out_of_fold");
        NslKddModel.WriteMetrics(w, cv.OutOfFold);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static string ModelCard(FlowTrainResult r, FlowDataset data, string dataName, FlowTrainOptions options)
    {
        FlowDatasetFormat format = FlowDatasetReader.Format(data.Format);
        FlowCrossValidation cv = r.CrossValidation;
        int attacks = data.Rows.Count(x => x.Label);
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"# {data.Format} attack-vs-benign flow model ({cv.Features.ToString().ToLowerInvariant()} features)").AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"- **Data**: `{dataName}` ({data.Files.Count} file(s)), {data.Rows.Count:N0} rows read, {data.Skipped:N0} malformed rows skipped; {attacks:N0} attack / {data.Rows.Count - attacks:N0} benign. {cv.Rows:N0} rows used (seeded shuffle{(cv.Rows < data.Rows.Count ? ", capped by --max-rows" : "")}).");
        sb.AppendLine(CultureInfo.InvariantCulture, $"- **Provenance**: {format.Description}. The repository and commit the shared copy was taken from are in `../shared/data/SOURCES.md`.");
        sb.AppendLine("- **Families** (rows): " + string.Join(", ", data.Rows.GroupBy(x => x.Family).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Key} {g.Count():N0}"))) + ".");
        if (cv.Features == FlowFeatureSet.Schema)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"- **Features**: the {FlowFeatureNames.Count} flow-schema features ({FlowFeatureNames.SchemaVersion}, `FlowFeatureNames`), what the collectors produce. A feature the dataset lacks is 0 for every row (its missing bit is set in the reader), so the model cannot use it:");
            sb.AppendLine().AppendLine("| feature | dataset column | note |").AppendLine("|---|---|---|");
            foreach (FeatureMapping m in format.Mappings)
            {
                sb.AppendLine(CultureInfo.InvariantCulture, $"| `{m.Feature}` | {(m.Source is null ? "**missing** (0)" : "`" + m.Source + "`")} | {m.Note} |");
            }

            sb.AppendLine();
        }
        else
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"- **Features**: the dataset's {cv.FeatureNames.Count} native numeric columns (identifiers, addresses and timestamps left out): {string.Join(", ", cv.FeatureNames.Select(n => "`" + n + "`"))}.");
        }

        sb.AppendLine(CultureInfo.InvariantCulture, $"- **Model**: ML.NET {cv.Chosen} binary classifier (32 leaves, 200 trees, learning rate 0.1), chosen by mean accuracy over {options.Folds}-fold stratified cross-validation (seed {options.Seed}).");
        sb.AppendLine().AppendLine("## Cross-validation").AppendLine();
        AppendCv(sb, cv);
        foreach (FlowCrossValidation reference in r.References)
        {
            sb.AppendLine().AppendLine(reference.GroupedByFile
                ? string.Create(CultureInfo.InvariantCulture, $"For reference, cross-validation on the same features with folds that hold out whole files (captures), so the model is scored on hosts and captures it never saw; no model is kept for it:")
                : string.Create(CultureInfo.InvariantCulture, $"For reference, the same cross-validation on the {reference.Title} ({reference.FeatureNames.Count}); no model is kept for it:")).AppendLine();
            AppendCv(sb, reference);
        }

        sb.AppendLine().AppendLine("- **Metrics file**: `metrics.json` (per-trainer folds, pooled out-of-fold metrics, and the fit on all rows, optimistic by construction). `model.json` names the feature order.");
        sb.AppendLine("- **Limits of this data**: " + format.Limits);
        sb.AppendLine("- **Limits**: the shared samples are small and their class mix is set by how they were drawn (per-class caps, a 50/50 extract, whole malware captures), unlike real traffic where attacks are rare: precision and false-positive rate here say little about alert volume on a live network. Cross-validation mixes flows of the same captures and hosts across folds, so it overstates accuracy on unseen networks. Ports, durations and byte counts reflect the testbeds of the dataset, not Kubernetes workloads. Evaluate on your own labelled traffic before trusting a score.");
        return sb.ToString();
    }

    private static void AppendCv(StringBuilder sb, FlowCrossValidation cv)
    {
        sb.AppendLine("| trainer | folds | accuracy (mean ± sd) | F1 | ROC AUC |").AppendLine("|---|---|---|---|---|");
        foreach (TrainerScore s in cv.Trainers)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {s.Trainer}{(s.Trainer == cv.Chosen ? " (chosen)" : "")} | {s.Folds} | {s.Accuracy:P2} ± {s.AccuracyStdDev:P2} | {s.F1:F4} | {s.RocAuc:F4} |");
        }

        DetectionMetrics m = cv.OutOfFold;
        sb.AppendLine().AppendLine(CultureInfo.InvariantCulture,
            $"{cv.Chosen}, out-of-fold over {m.Rows:N0} rows: accuracy {m.Accuracy:P2}, precision {m.Precision:P2}, recall {m.Recall:P2}, F1 {m.F1:F4}, false-positive rate {m.FalsePositiveRate:P2}, ROC AUC {m.RocAuc:F4}; confusion TP {m.TruePositives:N0}, FP {m.FalsePositives:N0}, TN {m.TrueNegatives:N0}, FN {m.FalseNegatives:N0}.");
        sb.AppendLine().AppendLine("Recall per family: " + string.Join(", ", m.Families.Select(f => string.Create(CultureInfo.InvariantCulture, $"{f.Key} {f.Value.Recall:P1} of {f.Value.Rows:N0}"))) + ".");
    }

    private sealed class FeatureRow
    {
        public float[] Features { get; set; } = [];

        public bool Label { get; set; }
    }

    private sealed class Prediction
    {
        public bool PredictedLabel { get; set; }

        public float Probability { get; set; }
    }
}
