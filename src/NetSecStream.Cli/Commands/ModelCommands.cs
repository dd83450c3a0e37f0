using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using NetSecStream.Behaviour.FlowDatasets;
using NetSecStream.Behaviour.NslKdd;

namespace NetSecStream.Cli.Commands;

/// <summary>
/// <c>netsec train --dataset nsl-kdd|cic-ids2017|unsw-nb15|iot-23 --data &lt;file-or-dir&gt; --out &lt;dir&gt;</c> and
/// <c>netsec evaluate --model &lt;dir&gt; --data &lt;file-or-dir&gt; [--dataset] [--json]</c>: the supervised behaviour model's
/// training loop. A malformed NSL-KDD row stops with its file and line (exit code 2); a malformed flow-dataset row is
/// skipped and counted (the first ones printed as file:line: reason) unless --strict. An evaluated model folder is
/// NSL-KDD (model.zip only) or a flow model (model.json with model.zip or model.onnx).
/// </summary>
public static class ModelCommands
{
    public static Command Train()
    {
        var dataset = new Option<string>("--dataset") { Description = "Dataset format: nsl-kdd, cic-ids2017, unsw-nb15, iot-23.", Required = true };
        dataset.AcceptOnlyFromAmong(["nsl-kdd", .. FlowDatasetReader.Formats.Keys]);
        var data = new Option<string>("--data") { Description = "Training data: a file (e.g. KDDTrain+_20Percent.txt) or, for flow datasets, a folder of .csv files.", Required = true };
        var output = new Option<string>("--out") { Description = "Model folder to write (model.zip, metrics.json, MODEL_CARD.md).", Required = true };
        var folds = new Option<int>("--folds") { Description = "Cross-validation folds used to choose the trainer.", DefaultValueFactory = _ => 5 };
        var trainers = new Option<string[]>("--trainers") { Description = "Candidate trainers (fasttree, lightgbm); default both.", AllowMultipleArgumentsPerToken = true };
        var rows = new Option<int>("--max-rows") { Description = "Train on N rows only (NSL-KDD: the first N; flow datasets: a seeded random N, as their files are per class).", DefaultValueFactory = _ => NslKddReader.MaxRows };
        var features = new Option<string>("--features") { Description = "Flow datasets: schema (the collectors' flow features, default) or native (the dataset's own numeric columns).", DefaultValueFactory = _ => "schema" };
        features.AcceptOnlyFromAmong("schema", "native");
        var compare = new Option<bool>("--compare") { Description = "Flow datasets: also cross-validate the other feature set and report it in metrics.json and the card." };
        var strict = new Option<bool>("--strict") { Description = "Flow datasets: stop at the first malformed row instead of skipping it." };
        var byFile = new Option<bool>("--by-file") { Description = "Flow datasets: also cross-validate with folds that hold out whole files (captures) and report it (meaningful where files are captures, as in IoT-23)." };
        var command = new Command("train", "Train a behaviour model (attack vs benign), choosing the trainer by cross-validation.") { dataset, data, output, folds, trainers, rows, features, compare, strict, byFile };
        command.SetAction(parse => parse.GetValue(dataset) == "nsl-kdd"
            ? RunTrain(parse.GetValue(data)!, parse.GetValue(output)!, parse.GetValue(folds), parse.GetValue(trainers), parse.GetValue(rows))
            : RunFlowTrain(parse.GetValue(dataset)!, parse.GetValue(data)!, parse.GetValue(output)!, new FlowTrainOptions(parse.GetValue(folds), parse.GetValue(trainers) is { Length: > 0 } t ? t : null, 1, parse.GetValue(rows)),
                parse.GetValue(features) == "native" ? FlowFeatureSet.Native : FlowFeatureSet.Schema, parse.GetValue(compare), parse.GetValue(byFile), parse.GetValue(strict)));
        return command;
    }

    public static Command Evaluate()
    {
        var model = new Option<string>("--model") { Description = "Model folder written by netsec train.", Required = true };
        var data = new Option<string>("--data") { Description = "Labelled data in the model's dataset format.", Required = true };
        var json = new Option<bool>("--json") { Description = "Print one JSON object: accuracy, precision, recall, f1, false_positive_rate, roc_auc, confusion_matrix, recall_by_family." };
        var dataset = new Option<string>("--dataset") { Description = "Flow models: the data's format (cic-ids2017, unsw-nb15, iot-23); default the one in model.json." };
        dataset.AcceptOnlyFromAmong([.. FlowDatasetReader.Formats.Keys]);
        var strict = new Option<bool>("--strict") { Description = "Flow datasets: stop at the first malformed row instead of skipping it." };
        var command = new Command("evaluate", "Score labelled data with a trained model and print detection metrics.") { model, data, json, dataset, strict };
        command.SetAction(parse => FlowModelInfo.IsFlowModel(parse.GetValue(model)!)
            ? RunFlowEvaluate(parse.GetValue(model)!, parse.GetValue(data)!, parse.GetValue(dataset), parse.GetValue(json), parse.GetValue(strict))
            : RunEvaluate(parse.GetValue(model)!, parse.GetValue(data)!, parse.GetValue(json)));
        return command;
    }

    private static int RunTrain(string data, string output, int folds, string[]? trainers, int maxRows)
    {
        if (folds is < 2 or > 20 || maxRows < 1)
        {
            Console.Error.WriteLine("netsec train: --folds must be 2..20 and --max-rows at least 1");
            return NetSecCli.ConfigurationErrorExitCode;
        }

        if (trainers is { Length: > 0 } && trainers.FirstOrDefault(t => !NslKddModel.Trainers.Contains(t)) is { } unknown)
        {
            Console.Error.WriteLine($"netsec train: unknown trainer '{unknown}' (fasttree or lightgbm)");
            return NetSecCli.ConfigurationErrorExitCode;
        }

        if (Load(data, "train", NslKddReader.MaxRows) is not { } all)
        {
            return NetSecCli.ConfigurationErrorExitCode;
        }

        List<NslKddRecord> rows = all.Count > maxRows ? all.GetRange(0, maxRows) : all;

        TrainResult result;
        try
        {
            result = NslKddModel.Train(rows, output, Path.GetFileName(data), folds, trainers is { Length: > 0 } ? trainers : null,
                progress: m => Console.Error.WriteLine("[train] " + m));
        }
        catch (ArgumentException ex)
        {
            Console.Error.WriteLine("netsec train: " + ex.Message);
            return NetSecCli.ConfigurationErrorExitCode;
        }

        foreach (TrainerScore s in result.CrossValidation)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{s.Trainer}: {s.Folds}-fold accuracy {s.Accuracy:P2} ± {s.AccuracyStdDev:P2}, F1 {s.F1:F4}, ROC AUC {s.RocAuc:F4} ({s.Seconds:F1} s)"));
        }

        Console.WriteLine($"chosen: {result.Chosen}; model, metrics.json and MODEL_CARD.md in {output}");
        return 0;
    }

    private static int RunEvaluate(string modelDir, string data, bool asJson)
    {
        if (!File.Exists(Path.Combine(modelDir, NslKddModel.ModelFile)))
        {
            Console.Error.WriteLine($"netsec evaluate: no {NslKddModel.ModelFile} in '{modelDir}'");
            return NetSecCli.ConfigurationErrorExitCode;
        }

        if (Load(data, "evaluate", NslKddReader.MaxRows) is not { } rows)
        {
            return NetSecCli.ConfigurationErrorExitCode;
        }

        Print(NslKddModel.Evaluate(modelDir, rows), asJson);
        return 0;
    }

    private static void Print(DetectionMetrics m, bool asJson)
    {
        if (asJson)
        {
            using var stream = new MemoryStream();
            using (var w = new Utf8JsonWriter(stream))
            {
                w.WriteStartObject();
                NslKddModel.WriteMetrics(w, m);
                w.WriteEndObject();
            }

            Console.WriteLine(Encoding.UTF8.GetString(stream.ToArray()));
        }
        else
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{m.Rows:N0} rows: accuracy {m.Accuracy:P2}, precision {m.Precision:P2}, recall {m.Recall:P2}, F1 {m.F1:F4}, false positive rate {m.FalsePositiveRate:P2}, ROC AUC {m.RocAuc:F4}"));
            Console.WriteLine($"confusion: TP {m.TruePositives:N0}, FP {m.FalsePositives:N0}, TN {m.TrueNegatives:N0}, FN {m.FalseNegatives:N0}");
            Console.WriteLine("recall by family: " + string.Join(", ", m.Families.Select(f => string.Create(CultureInfo.InvariantCulture, $"{f.Key} {f.Value.Recall:P1} of {f.Value.Rows:N0}"))));
        }
    }

    private static int RunFlowTrain(string dataset, string data, string output, FlowTrainOptions options, FlowFeatureSet features, bool compare, bool byFile, bool strict)
    {
        if (options.Folds is < 2 or > 20 || options.MaxRows < 1)
        {
            Console.Error.WriteLine("netsec train: --folds must be 2..20 and --max-rows at least 1");
            return NetSecCli.ConfigurationErrorExitCode;
        }

        if (options.Trainers?.FirstOrDefault(t => !FlowModel.Trainers.Contains(t)) is { } unknown)
        {
            Console.Error.WriteLine($"netsec train: unknown trainer '{unknown}' (fasttree or lightgbm)");
            return NetSecCli.ConfigurationErrorExitCode;
        }

        if (LoadFlows(dataset, data, strict, "train") is not { } flows)
        {
            return NetSecCli.ConfigurationErrorExitCode;
        }

        FlowTrainResult result;
        try
        {
            result = FlowModel.Train(flows, features, output, Path.GetFileName(Path.TrimEndingDirectorySeparator(data)), options, compare, byFile, m => Console.Error.WriteLine("[train] " + m));
        }
        catch (ArgumentException ex)
        {
            Console.Error.WriteLine("netsec train: " + ex.Message);
            return NetSecCli.ConfigurationErrorExitCode;
        }

        foreach (FlowCrossValidation cv in (FlowCrossValidation[])[result.CrossValidation, .. result.References])
        {
            foreach (TrainerScore s in cv.Trainers)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{cv.Title}, {s.Trainer}: {s.Folds}-fold accuracy {s.Accuracy:P2} ± {s.AccuracyStdDev:P2}, F1 {s.F1:F4}, ROC AUC {s.RocAuc:F4} ({s.Seconds:F1} s)"));
            }

            DetectionMetrics m = cv.OutOfFold;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{cv.Title}, {cv.Chosen} out of fold: precision {m.Precision:P2}, recall {m.Recall:P2}, false positive rate {m.FalsePositiveRate:P2}"));
        }

        Console.WriteLine($"chosen: {result.CrossValidation.Chosen}; model, model.json, metrics.json and MODEL_CARD.md in {output}");
        return 0;
    }

    private static int RunFlowEvaluate(string modelDir, string data, string? dataset, bool asJson, bool strict)
    {
        FlowModelInfo info;
        try
        {
            info = FlowModelInfo.Load(modelDir);
        }
        catch (FlowModelException ex)
        {
            Console.Error.WriteLine("netsec evaluate: " + ex.Message);
            return NetSecCli.ConfigurationErrorExitCode;
        }

        if ((dataset ?? info.Dataset) is not { } format)
        {
            Console.Error.WriteLine($"netsec evaluate: {Path.Combine(modelDir, FlowModelInfo.FileName)} names no dataset: give --dataset");
            return NetSecCli.ConfigurationErrorExitCode;
        }

        if (LoadFlows(format, data, strict, "evaluate") is not { } flows)
        {
            return NetSecCli.ConfigurationErrorExitCode;
        }

        try
        {
            Print(FlowModel.Evaluate(modelDir, flows), asJson);
            return 0;
        }
        catch (FlowModelException ex)
        {
            Console.Error.WriteLine("netsec evaluate: " + ex.Message);
        }
        catch (ArgumentException ex)
        {
            Console.Error.WriteLine("netsec evaluate: " + ex.Message);
        }

        return NetSecCli.ConfigurationErrorExitCode;
    }

    private static FlowDataset? LoadFlows(string dataset, string data, bool strict, string command)
    {
        try
        {
            FlowDataset flows = FlowDatasetReader.Read(dataset, data, strict);
            if (flows.Skipped > 0)
            {
                Console.Error.WriteLine($"netsec {command}: {flows.Skipped:N0} malformed rows skipped (--strict stops at the first):");
                foreach (string error in flows.Errors.Take(10))
                {
                    Console.Error.WriteLine("  " + error);
                }
            }

            Console.Error.WriteLine($"[{command}] {flows.Rows.Count:N0} {dataset} rows from {flows.Files.Count} file(s)");
            return flows;
        }
        catch (FlowFormatException ex)
        {
            Console.Error.WriteLine($"netsec {command}: {ex.Message}");
        }
        catch (IOException ex)
        {
            Console.Error.WriteLine($"netsec {command}: {ex.Message}");
        }
        catch (UnauthorizedAccessException ex)
        {
            Console.Error.WriteLine($"netsec {command}: {ex.Message}");
        }

        return null;
    }

    private static List<NslKddRecord>? Load(string data, string command, int maxRows)
    {
        try
        {
            return NslKddReader.Read(data, maxRows);
        }
        catch (NslKddFormatException ex)
        {
            Console.Error.WriteLine($"netsec {command}: {ex.Message}");
        }
        catch (IOException ex)
        {
            Console.Error.WriteLine($"netsec {command}: {ex.Message}");
        }
        catch (UnauthorizedAccessException ex)
        {
            Console.Error.WriteLine($"netsec {command}: {ex.Message}");
        }

        return null;
    }
}
