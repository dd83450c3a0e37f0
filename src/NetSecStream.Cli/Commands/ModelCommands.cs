using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using NetSecStream.Behaviour.NslKdd;

namespace NetSecStream.Cli.Commands;

/// <summary>
/// <c>netsec train --dataset nsl-kdd --data &lt;file&gt; --out &lt;dir&gt;</c> and <c>netsec evaluate --model &lt;dir&gt; --data
/// &lt;file&gt; [--json]</c>: the supervised behaviour model's training loop. A malformed dataset row stops with its file and
/// line (exit code 2).
/// </summary>
public static class ModelCommands
{
    public static Command Train()
    {
        var dataset = new Option<string>("--dataset") { Description = "Dataset format: nsl-kdd.", Required = true };
        dataset.AcceptOnlyFromAmong("nsl-kdd");
        var data = new Option<string>("--data") { Description = "Training data (e.g. KDDTrain+_20Percent.txt).", Required = true };
        var output = new Option<string>("--out") { Description = "Model folder to write (model.zip, metrics.json, MODEL_CARD.md).", Required = true };
        var folds = new Option<int>("--folds") { Description = "Cross-validation folds used to choose the trainer.", DefaultValueFactory = _ => 5 };
        var trainers = new Option<string[]>("--trainers") { Description = "Candidate trainers (fasttree, lightgbm); default both.", AllowMultipleArgumentsPerToken = true };
        var rows = new Option<int>("--max-rows") { Description = "Train on the first N rows only (a small training run).", DefaultValueFactory = _ => NslKddReader.MaxRows };
        var command = new Command("train", "Train a behaviour model (NSL-KDD: attack vs normal), choosing the trainer by cross-validation.") { dataset, data, output, folds, trainers, rows };
        command.SetAction(parse => RunTrain(parse.GetValue(data)!, parse.GetValue(output)!, parse.GetValue(folds), parse.GetValue(trainers), parse.GetValue(rows)));
        return command;
    }

    public static Command Evaluate()
    {
        var model = new Option<string>("--model") { Description = "Model folder written by netsec train.", Required = true };
        var data = new Option<string>("--data") { Description = "Labelled data in the model's dataset format.", Required = true };
        var json = new Option<bool>("--json") { Description = "Print one JSON object: accuracy, precision, recall, f1, false_positive_rate, roc_auc, confusion_matrix, recall_by_family." };
        var command = new Command("evaluate", "Score labelled data with a trained model and print detection metrics.") { model, data, json };
        command.SetAction(parse => RunEvaluate(parse.GetValue(model)!, parse.GetValue(data)!, parse.GetValue(json)));
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

        DetectionMetrics m = NslKddModel.Evaluate(modelDir, rows);
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

        return 0;
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
