using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using NetSecStream.Behaviour.Features;
using NetSecStream.Behaviour.FlowDatasets;
using NetSecStream.Behaviour.NslKdd;
using NetSecStream.Behaviour.Scoring;
using NetSecStream.Behaviour.Training;

namespace NetSecStream.Cli.Commands;

/// <summary>
/// <c>netsec train</c> and <c>netsec evaluate</c>: supervised models (<c>--dataset nsl-kdd|cic-ids2017|unsw-nb15|iot-23
/// --data &lt;file-or-dir&gt;</c>: attack vs benign, the trainer chosen by cross-validation; a malformed NSL-KDD row stops with
/// its file and line, exit code 2, a malformed flow-dataset row is skipped and counted unless --strict) and the
/// unsupervised workload baseline (<c>--dataset generator</c>: trained on the generator's normal traffic, evaluated on
/// its labelled attacks; or <c>--dataset features-csv --data FILE</c>: the normal rows of a <c>netsec export</c> CSV).
/// An evaluated folder is a workload baseline (baseline.json), a flow model (model.json with model.zip or model.onnx)
/// or NSL-KDD (model.zip only).
/// </summary>
public static class ModelCommands
{
    public static Command Train()
    {
        var dataset = new Option<string>("--dataset") { Description = "Dataset: nsl-kdd, cic-ids2017, unsw-nb15, iot-23 (supervised); generator or features-csv (workload baseline).", Required = true };
        dataset.AcceptOnlyFromAmong(["nsl-kdd", .. FlowDatasetReader.Formats.Keys, "generator", "features-csv"]);
        var data = new Option<string?>("--data") { Description = "Training data: a file (e.g. KDDTrain+_20Percent.txt, a netsec export CSV) or, for flow datasets, a folder of .csv files." };
        var output = new Option<string>("--out") { Description = "Model folder to write (model files, metrics.json, MODEL_CARD.md).", Required = true };
        var folds = new Option<int>("--folds") { Description = "Supervised: cross-validation folds used to choose the trainer.", DefaultValueFactory = _ => 5 };
        var trainers = new Option<string[]>("--trainers") { Description = "Supervised: candidate trainers (fasttree, lightgbm); default both.", AllowMultipleArgumentsPerToken = true };
        var rows = new Option<int>("--max-rows") { Description = "Supervised: train on N rows only (NSL-KDD: the first N; flow datasets: a seeded random N, as their files are per class).", DefaultValueFactory = _ => NslKddReader.MaxRows };
        var features = new Option<string>("--features") { Description = "Flow datasets: schema (the collectors' flow features, default) or native (the dataset's own numeric columns).", DefaultValueFactory = _ => "schema" };
        features.AcceptOnlyFromAmong("schema", "native");
        var compare = new Option<bool>("--compare") { Description = "Flow datasets: also cross-validate the other feature set and report it in metrics.json and the card." };
        var strict = new Option<bool>("--strict") { Description = "Flow datasets: stop at the first malformed row instead of skipping it." };
        var byFile = new Option<bool>("--by-file") { Description = "Flow datasets: also cross-validate with folds that hold out whole files (captures) and report it (meaningful where files are captures, as in IoT-23)." };
        var events = new Option<long>("--events", "-n") { Description = "generator: events of normal traffic to train on.", DefaultValueFactory = _ => 200_000 };
        var seed = new Option<int>("--seed") { Description = "generator: seed of the training run.", DefaultValueFactory = _ => 1 };
        var scenario = new Option<string>("--scenario") { Description = "generator: training scenario (its normal events are used).", DefaultValueFactory = _ => "quiet" };
        var evalScenario = new Option<string>("--eval-scenario") { Description = "Labelled run the card's metrics come from.", DefaultValueFactory = _ => "attack-heavy" };
        var evalEvents = new Option<long>("--eval-events") { Description = "Events of the evaluation run.", DefaultValueFactory = _ => 100_000 };
        var evalSeed = new Option<int>("--eval-seed") { Description = "Seed of the evaluation run (must differ from --seed).", DefaultValueFactory = _ => 2 };
        var aggregation = new Option<string>("--aggregation") { Description = "Baseline score: sum, top3 or max of per-feature surprise.", DefaultValueFactory = _ => "sum" };
        aggregation.AcceptOnlyFromAmong("sum", "top3", "max");
        var unseenWeight = new Option<double>("--unseen-weight") { Description = "Baseline: weight of the destination-outside-history term.", DefaultValueFactory = _ => new BaselineOptions().UnseenDestinationWeight };
        var windowWeight = new Option<double>("--window-weight") { Description = "Baseline: weight of the source/workload window features in the score.", DefaultValueFactory = _ => new BaselineOptions().WindowWeight };
        var command = new Command("train", "Train a behaviour model: attack vs normal on a labelled dataset (trainer chosen by cross-validation), or the unsupervised workload baseline.")
        {
            dataset, data, output, folds, trainers, rows, features, compare, strict, byFile, events, seed, scenario, evalScenario, evalEvents, evalSeed, aggregation, windowWeight, unseenWeight,
        };
        command.SetAction(parse => parse.GetValue(dataset) switch
        {
            "nsl-kdd" => parse.GetValue(data) is { } file
                ? RunTrain(file, parse.GetValue(output)!, parse.GetValue(folds), parse.GetValue(trainers), parse.GetValue(rows))
                : Fail("train", "--dataset nsl-kdd needs --data"),
            "generator" or "features-csv" => RunTrainBaseline(parse.GetValue(dataset)!, parse.GetValue(data), parse.GetValue(output)!, parse.GetValue(events), parse.GetValue(seed), parse.GetValue(scenario)!,
                new EvaluationRun(parse.GetValue(evalScenario)!, parse.GetValue(evalEvents), parse.GetValue(evalSeed)), parse.GetValue(aggregation)!, parse.GetValue(windowWeight), parse.GetValue(unseenWeight)),
            _ => parse.GetValue(data) is { } flowData
                ? RunFlowTrain(parse.GetValue(dataset)!, flowData, parse.GetValue(output)!, new FlowTrainOptions(parse.GetValue(folds), parse.GetValue(trainers) is { Length: > 0 } t ? t : null, 1, parse.GetValue(rows)),
                    parse.GetValue(features) == "native" ? FlowFeatureSet.Native : FlowFeatureSet.Schema, parse.GetValue(compare), parse.GetValue(byFile), parse.GetValue(strict))
                : Fail("train", $"--dataset {parse.GetValue(dataset)} needs --data"),
        });
        return command;
    }

    public static Command Evaluate()
    {
        var model = new Option<string>("--model") { Description = "Model folder written by netsec train.", Required = true };
        var data = new Option<string?>("--data") { Description = "Supervised: labelled data in the model's dataset format. Workload baseline: a Hubble JSON flow file (with --labels); without it the generator is used." };
        var labels = new Option<string?>("--labels") { Description = "Workload baseline with --data: triage outcomes or a generator .labels.jsonl." };
        var events = new Option<long>("--events", "-n") { Description = "Workload baseline: generator events.", DefaultValueFactory = _ => 100_000 };
        var seed = new Option<int>("--seed") { Description = "Workload baseline: generator seed (use one the model was not trained on).", DefaultValueFactory = _ => 2 };
        var scenario = new Option<string>("--scenario") { Description = "Workload baseline: generator scenario.", DefaultValueFactory = _ => "attack-heavy" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object (supervised: accuracy ... recall_by_family; baseline: roc_auc, recall_at_1pct_fpr, by_attack_type ...)." };
        var dataset = new Option<string>("--dataset") { Description = "Flow models: the data's format (cic-ids2017, unsw-nb15, iot-23); default the one in model.json." };
        dataset.AcceptOnlyFromAmong([.. FlowDatasetReader.Formats.Keys]);
        var strict = new Option<bool>("--strict") { Description = "Flow datasets: stop at the first malformed row instead of skipping it." };
        var command = new Command("evaluate", "Score labelled data with a trained model and print detection metrics.") { model, data, labels, events, seed, scenario, json, dataset, strict };
        command.SetAction(parse =>
        {
            string dir = parse.GetValue(model)!;
            if (File.Exists(Path.Combine(dir, WorkloadBaseline.ModelFile)))
            {
                return RunEvaluateBaseline(dir, parse.GetValue(data), parse.GetValue(labels), new EvaluationRun(parse.GetValue(scenario)!, parse.GetValue(events), parse.GetValue(seed)), parse.GetValue(json));
            }

            if (parse.GetValue(data) is not { } file)
            {
                return Fail("evaluate", "a supervised model needs --data");
            }

            return FlowModelInfo.IsFlowModel(dir)
                ? RunFlowEvaluate(dir, file, parse.GetValue(dataset), parse.GetValue(json), parse.GetValue(strict))
                : RunEvaluate(dir, file, parse.GetValue(json));
        });
        return command;
    }

    private sealed record EvaluationRun(string Scenario, long Events, int Seed)
    {
        public string Describe() => string.Create(CultureInfo.InvariantCulture, $"generator scenario {Scenario}, seed {Seed}, {Events:N0} events");
    }

    private static int Fail(string command, string message)
    {
        Console.Error.WriteLine($"netsec {command}: {message}");
        return NetSecCli.ConfigurationErrorExitCode;
    }

    private static int RunTrainBaseline(string dataset, string? data, string output, long events, int seed, string scenario, EvaluationRun evaluation, string aggregation, double windowWeight, double unseenWeight)
    {
        if (events < 1 || evaluation.Events < 1)
        {
            return Fail("train", "--events and --eval-events must be at least 1");
        }

        if (!FeatureInputs.ValidScenario(scenario, "train") || !FeatureInputs.ValidScenario(evaluation.Scenario, "train"))
        {
            return NetSecCli.ConfigurationErrorExitCode;
        }

        if (dataset == "generator" && seed == evaluation.Seed)
        {
            return Fail("train", "--eval-seed must differ from --seed: the evaluation must be traffic the model did not see");
        }

        if (windowWeight is < 0 or > 10 || unseenWeight is < 0 or > 10)
        {
            return Fail("train", "--window-weight and --unseen-weight must be in [0, 10]");
        }

        var options = new BaselineOptions { Aggregation = aggregation, WindowWeight = windowWeight, UnseenDestinationWeight = unseenWeight };
        WorkloadBaseline baseline;
        long trainingRows;
        string trainingData;
        try
        {
            if (dataset == "features-csv")
            {
                if (data is null || !File.Exists(data))
                {
                    return Fail("train", "--dataset features-csv needs --data with an existing netsec export CSV");
                }

                var errors = new InputErrorCounter();
                using var reader = new StreamReader(data);
                var rows = FeatureFiles.ReadCsv(reader, Path.GetFileName(data), e => errors.Report("train", e)).ToList();
                baseline = BaselineTraining.Train(rows, options);
                trainingRows = rows.Count(r => r.Label == FlowInput.NormalLabel);
                trainingData = $"{Path.GetFileName(data)} ({errors.Count:N0} malformed lines skipped)";
            }
            else
            {
                Console.Error.WriteLine($"[train] extracting features of {events:N0} generated events ({scenario}, seed {seed}), two passes ...");
                (baseline, trainingRows) = BaselineTraining.Train(() => FeatureInputs.Generated(scenario, events, seed), options);
                trainingData = string.Create(CultureInfo.InvariantCulture, $"generator scenario {scenario}, seed {seed}, {events:N0} events (normal events only)");
            }
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidDataException or IOException)
        {
            return Fail("train", ex.Message);
        }

        Console.Error.WriteLine($"[train] {trainingRows:N0} normal rows, {baseline.Profiles.Count} profiles; evaluating on {evaluation.Describe()} ...");
        var metrics = BaselineTraining.Evaluate(baseline, FeatureInputs.Generated(evaluation.Scenario, evaluation.Events, evaluation.Seed));
        baseline.Save(output);
        File.WriteAllText(Path.Combine(output, "metrics.json"), BaselineTraining.MetricsJson(baseline, trainingData, trainingRows, evaluation.Describe(), metrics));
        File.WriteAllText(Path.Combine(output, "MODEL_CARD.md"), BaselineTraining.ModelCard(baseline, trainingData, trainingRows, evaluation.Describe(), metrics));
        PrintBaseline(metrics);
        Console.WriteLine($"model, metrics.json and MODEL_CARD.md in {output}");
        return 0;
    }

    private static int RunEvaluateBaseline(string dir, string? data, string? labels, EvaluationRun run, bool asJson)
    {
        WorkloadBaseline baseline;
        try
        {
            baseline = WorkloadBaseline.Load(dir);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or System.Text.Json.JsonException)
        {
            return Fail("evaluate", ex.Message);
        }

        var errors = new InputErrorCounter();
        IEnumerable<LabelledFlow> flows;
        if (data is not null)
        {
            if (!File.Exists(data) || (labels is not null && !File.Exists(labels)))
            {
                return Fail("evaluate", $"'{(File.Exists(data) ? labels : data)}' not found");
            }

            flows = FeatureInputs.FromFile(data, labels, errors, "evaluate");
        }
        else if (!FeatureInputs.ValidScenario(run.Scenario, "evaluate") || run.Events < 1)
        {
            return NetSecCli.ConfigurationErrorExitCode;
        }
        else
        {
            flows = FeatureInputs.Generated(run.Scenario, run.Events, run.Seed);
        }

        var metrics = BaselineTraining.Evaluate(baseline, flows);
        if (asJson)
        {
            using var stream = new MemoryStream();
            using (var w = new Utf8JsonWriter(stream))
            {
                w.WriteStartObject();
                w.WriteString("model", "workload-baseline");
                w.WriteString("data", data ?? run.Describe());
                w.WriteNumber("malformed_lines", errors.Count);
                BaselineTraining.WriteMetrics(w, metrics);
                w.WriteEndObject();
            }

            Console.WriteLine(Encoding.UTF8.GetString(stream.ToArray()));
        }
        else
        {
            PrintBaseline(metrics);
        }

        return 0;
    }

    private static void PrintBaseline(BaselineMetrics m)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{m.Rows:N0} rows ({m.NormalRows:N0} normal, {m.AttackRows:N0} attack): ROC AUC {m.RocAuc:F4}, recall at 1% FPR {m.RecallAtOnePercentFpr:P1}"));
        foreach (var t in m.ByType)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {t.Label,-18} {t.Rows,8:N0} rows {t.Episodes,3} episodes  ROC AUC {t.RocAuc:F4}  recall at 1% FPR {t.RecallAtOnePercentFpr:P1}"));
        }

        foreach (string e in m.Examples)
        {
            Console.WriteLine("  e.g. " + e);
        }
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
