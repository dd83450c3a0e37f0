using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using NetSecStream.Behaviour.Features;
using NetSecStream.Collectors;
using NetSecStream.Collectors.Files;
using NetSecStream.Collectors.Hubble;
using NetSecStream.Core.Components;
using NetSecStream.Core.Events;
using NetSecStream.Policy.Backtest;
using NetSecStream.Policy.Parsing;

namespace NetSecStream.Cli.Commands;

/// <summary>
/// <c>netsec policy</c>: <c>lint &lt;files or folders...&gt;</c> checks NetworkPolicy, CiliumNetworkPolicy and
/// CiliumClusterwideNetworkPolicy files and prints each problem as <c>file:line: message</c>; <c>plan --policies DIR
/// --flows FILE</c> backtests policies on recorded flows and reports, per policy and namespace, what they would deny.
/// Exit codes: 0 ok, 1 lint errors or bad input, 2 usage.
/// </summary>
public static class PolicyCommand
{
    public const int UsageExitCode = 2;

    public static Command Create()
    {
        var command = new Command("policy", "Kubernetes and Cilium network policies: lint them, backtest them on recorded flows before enforcing, and suggest least-privilege rules from observed traffic.")
        {
            CreateLint(),
            CreatePlan(),
            PolicySuggestCommand.Create(),
            CreateBenchPolicies(),
        };
        return command;
    }

    private static Command CreateLint()
    {
        var paths = new Argument<string[]>("paths") { Description = "Policy files, or folders (every *.yaml, *.yml, *.json below).", Arity = ArgumentArity.ZeroOrMore };
        var json = new Option<bool>("--json") { Description = "Print one JSON object: files, policies, errors, warnings, diagnostics." };
        var lint = new Command("lint", "Check policy files: every error is printed as file:line: message; exit code 1 when there is one.") { paths, json };
        lint.TreatUnmatchedTokensAsErrors = false;
        lint.SetAction(parse => Usage(parse, "lint") ?? Lint(parse.GetValue(paths) ?? [], parse.GetValue(json)));
        return lint;
    }

    private static Command CreatePlan()
    {
        var policies = new Option<string[]>("--policies") { Description = "Policy files or folders.", AllowMultipleArgumentsPerToken = true };
        var flows = new Option<string?>("--flows") { Description = "Recorded flows: Hubble JSON lines (- for stdin), a pcap, or a pcap of NetFlow/IPFIX." };
        var format = new Option<string?>("--format") { Description = "Flow file format (hubble, pcap, netflow); detected from the content when omitted." };
        format.AcceptOnlyFromAmong("hubble", "pcap", "netflow");
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of the table." };
        var examples = new Option<int>("--examples") { Description = "Example flows kept per policy and namespace.", DefaultValueFactory = _ => 3 };
        var top = new Option<int>("--top") { Description = "Policy/namespace rows printed (all in --json).", DefaultValueFactory = _ => 50 };
        var threads = new Option<int>("--decode-threads")
        {
            Description = "Threads decoding Hubble lines (default: half the cores, at most 8; the reader and the evaluator need one).",
            DefaultValueFactory = _ => Math.Clamp(Environment.ProcessorCount / 2, 1, 8),
        };
        var plan = new Command("plan", "Backtest: how many recorded flows each policy would deny, per namespace, with examples; nothing is enforced.")
        {
            policies, flows, format, json, examples, top, threads,
        };
        plan.TreatUnmatchedTokensAsErrors = false;
        plan.SetAction(parse =>
        {
            if (Usage(parse, "plan") is { } usage)
            {
                return usage;
            }

            string[] policyPaths = parse.GetValue(policies) ?? [];
            string? flowPath = parse.GetValue(flows);
            if (policyPaths.Length == 0 || flowPath is null)
            {
                Console.Error.WriteLine("netsec policy plan: --policies and --flows are required");
                return UsageExitCode;
            }

            if (parse.GetValue(examples) is < 0 or > 100)
            {
                Console.Error.WriteLine("netsec policy plan: --examples must be 0-100");
                return UsageExitCode;
            }

            if (parse.GetValue(threads) is < 1 or > 64)
            {
                Console.Error.WriteLine("netsec policy plan: --decode-threads must be 1-64");
                return UsageExitCode;
            }

            return Plan(policyPaths, flowPath, parse.GetValue(format), parse.GetValue(json), parse.GetValue(examples), Math.Max(0, parse.GetValue(top)), parse.GetValue(threads));
        });
        return plan;
    }

    private static Command CreateBenchPolicies()
    {
        var output = new Option<string?>("--out") { Description = "Folder to write the policies to." };
        var count = new Option<int>("--count") { Description = "Number of policies.", DefaultValueFactory = _ => 100 };
        var seed = new Option<int>("--seed") { Description = "Seed of the block rules' addresses.", DefaultValueFactory = _ => 1 };
        var bench = new Command("bench-policies", "Write a realistic policy set over the generator's workloads, for benchmarking plan.") { output, count, seed };
        bench.Hidden = true;
        bench.SetAction(parse =>
        {
            if (parse.GetValue(output) is not { } folder || parse.GetValue(count) is < 1 or > 100_000)
            {
                Console.Error.WriteLine("netsec policy bench-policies: --out is required and --count must be 1-100000");
                return UsageExitCode;
            }

            var files = BenchPolicies.Write(folder, parse.GetValue(count), parse.GetValue(seed));
            Console.WriteLine($"{files.Count} policies written to {folder}");
            return 0;
        });
        return bench;
    }

    private static int? Usage(ParseResult parse, string command)
    {
        if (parse.UnmatchedTokens.Count == 0)
        {
            return null;
        }

        Console.Error.WriteLine($"netsec policy {command}: unexpected argument(s): {string.Join(" ", parse.UnmatchedTokens)}");
        return UsageExitCode;
    }

    private static int Lint(string[] paths, bool asJson)
    {
        if (paths.Length == 0)
        {
            Console.Error.WriteLine("netsec policy lint: name at least one policy file or folder");
            return UsageExitCode;
        }

        if (paths.FirstOrDefault(p => p.StartsWith('-')) is { } option)
        {
            Console.Error.WriteLine($"netsec policy lint: unknown option '{option}'");
            return UsageExitCode;
        }

        PolicyParseResult result;
        try
        {
            result = PolicyLoader.Load(paths);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine("netsec policy lint: " + ex.Message);
            return 1;
        }

        // Diagnostics in file and line order, whatever order the checks ran in.
        var diagnostics = result.Diagnostics.OrderBy(d => d.File, StringComparer.Ordinal).ThenBy(d => d.Line).ToList();
        int errors = diagnostics.Count(d => d.Severity == DiagnosticSeverity.Error);
        int warnings = diagnostics.Count - errors;
        if (asJson)
        {
            var report = new PolicyLintReport(result.Files, result.Policies.Count, errors, warnings,
                [.. diagnostics.Select(d => new PolicyLintDiagnostic(d.File, d.Line, d.Severity == DiagnosticSeverity.Error ? "error" : "warning", d.Message))]);
            Console.WriteLine(JsonSerializer.Serialize(report, PolicyJsonContext.Default.PolicyLintReport));
        }
        else
        {
            foreach (var diagnostic in diagnostics)
            {
                Console.WriteLine(diagnostic.ToString());
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{result.Policies.Count} policies in {result.Files} files: {errors} errors, {warnings} warnings"));
        }

        return errors > 0 ? 1 : 0;
    }

    private static int Plan(string[] policyPaths, string flowPath, string? format, bool asJson, int examples, int top, int decodeThreads)
    {
        PolicyParseResult loaded;
        try
        {
            loaded = PolicyLoader.Load(policyPaths);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine("netsec policy plan: " + ex.Message);
            return 1;
        }

        if (loaded.HasErrors)
        {
            foreach (var error in loaded.Errors)
            {
                Console.Error.WriteLine(error.ToString());
            }

            Console.Error.WriteLine("netsec policy plan: the policies have errors (netsec policy lint shows them all); nothing was planned");
            return 1;
        }

        if (flowPath != "-" && !File.Exists(flowPath))
        {
            Console.Error.WriteLine($"netsec policy plan: flow file '{flowPath}' not found");
            return 1;
        }

        var planner = new PolicyPlanner(loaded.Policies, examples);
        var errors = new InputErrorCounter();
        var clock = Stopwatch.StartNew();
        var lastProgress = clock.Elapsed;
        try
        {
            foreach (var flow in ReadFlows(flowPath, format, errors, decodeThreads))
            {
                if (flow is null)
                {
                    planner.AddReply();
                }
                else
                {
                    planner.Add(flow);
                }

                if ((planner.Seen & 0xFFFF) == 0 && clock.Elapsed - lastProgress > TimeSpan.FromSeconds(2))
                {
                    lastProgress = clock.Elapsed;
                    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"netsec policy plan: {planner.Seen:N0} flows ({planner.Seen / clock.Elapsed.TotalSeconds:N0}/s)"));
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            Console.Error.WriteLine($"netsec policy plan: reading '{flowPath}' failed: {ex.Message}");
            return 1;
        }

        var plan = planner.Finish();
        double elapsed = clock.Elapsed.TotalSeconds;
        if (asJson)
        {
            var report = new PolicyPlanReport(plan.Flows, plan.Skipped, plan.Allowed, plan.Denied, plan.NotEvaluated, plan.NotSelected, errors.Count,
                loaded.Policies.Select(p => p.FullName).Distinct(StringComparer.Ordinal).Count(), Math.Round(elapsed, 3), Math.Round(plan.Elapsed.TotalSeconds, 3),
                plan.CacheHits, plan.CacheMisses,
                [.. plan.Entries.Select(e => new PolicyPlanEntry(e.Policy, e.Kind, e.Namespace, e.Denied, e.NotEvaluated,
                    [.. e.Examples], [.. e.NotEvaluatedExamples]))],
                [.. loaded.Diagnostics.Select(d => d.ToString())]);
            Console.WriteLine(JsonSerializer.Serialize(report, PolicyJsonContext.Default.PolicyPlanReport));
            return 0;
        }

        var invariant = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(invariant,
            $"{plan.Flows:N0} flows in {elapsed:F2} s ({plan.Skipped:N0} replies and packets not judged, {errors.Count:N0} bad lines): "
            + $"{plan.Allowed:N0} allowed, {plan.Denied:N0} would be denied, {plan.NotEvaluated:N0} not evaluated, {plan.NotSelected:N0} not selected by any policy"));
        if (plan.Entries.Count == 0)
        {
            Console.WriteLine("no policy would deny any of these flows");
            return 0;
        }

        Console.WriteLine(string.Create(invariant, $"{"policy",-44} {"namespace",-16} {"would deny",12} {"not evaluated",14}"));
        foreach (var entry in plan.Entries.Take(top))
        {
            Console.WriteLine(string.Create(invariant, $"{entry.Policy,-44} {entry.Namespace,-16} {entry.Denied,12:N0} {entry.NotEvaluated,14:N0}"));
            foreach (var example in entry.Examples)
            {
                Console.WriteLine(string.Create(invariant, $"    e.g. {example.Source} -> {example.Destination}:{example.Port}/{example.Protocol}: {example.Reason}"));
            }

            if (entry.Examples.Count == 0 && entry.NotEvaluatedExamples.Count > 0)
            {
                var example = entry.NotEvaluatedExamples[0];
                Console.WriteLine(string.Create(invariant, $"    not evaluated, e.g. {example.Source} -> {example.Destination}:{example.Port}/{example.Protocol}: {example.Reason}"));
            }
        }

        if (plan.Entries.Count > top)
        {
            Console.WriteLine(string.Create(invariant, $"... and {plan.Entries.Count - top:N0} more rows (--json lists all)"));
        }

        return 0;
    }

    /// <summary>
    /// Hubble JSON lines are read as bytes and decoded in place (no string per line: a million flows is over a
    /// gigabyte of JSON); pcaps go the way <c>netsec replay</c> reads them. A Hubble line carrying
    /// <c>"is_reply":true</c> is a reply, which plan does not judge: it is counted as such (null) without being decoded,
    /// as replies are about half of all lines. The marker cannot come from inside a JSON string, where its quotes
    /// would be escaped.
    /// </summary>
    private static IEnumerable<FlowEvent?> ReadFlows(string path, string? format, InputErrorCounter errors, int workers)
    {
        bool hubble = format == "hubble" || (format is null && (path == "-" || CaptureFormat.Detect(path) == CaptureKind.Hubble));
        if (!hubble)
        {
            foreach (var labelled in FeatureInputs.FromCapture(path, format, null, errors, "policy plan"))
            {
                yield return labelled.Flow;
            }

            yield break;
        }

        string name = path == "-" ? "stdin" : Path.GetFileName(path);
        var source = new JsonLinesFileSource(new HubbleFileSourceOptions { Path = path });
        source.OnRejected = (line, reason) => errors.Report("policy plan", new InputError(name, line, reason));

        // Decoding is most of the work: batches are decoded on every core, one decoder (and its caches) per worker,
        // and handed on in file order. The splitter's lines stay valid while held, so batching copies nothing.
        var decoders = Enumerable.Range(0, workers).Select(_ => new HubbleFlowDecoder()).ToArray();
        var batch = new List<RawRecord>(DecodeBatchSize);
        var decoded = new DecodeResult[DecodeBatchSize];
        foreach (var record in source.ReadAsync(CancellationToken.None).ToBlockingEnumerable())
        {
            batch.Add(record);
            if (batch.Count == DecodeBatchSize)
            {
                foreach (var flow in DecodeBatch(batch, decoded, decoders, name, errors))
                {
                    yield return flow;
                }

                batch.Clear();
            }
        }

        foreach (var flow in DecodeBatch(batch, decoded, decoders, name, errors))
        {
            yield return flow;
        }
    }

    private const int DecodeBatchSize = 8192;

    /// <summary>A reply is left undecoded: <c>default</c> (no event, no error) stands for it.</summary>
    private static DecodeResult Decode(HubbleFlowDecoder decoder, ReadOnlySpan<byte> line) =>
        line.IndexOf("\"is_reply\":true"u8) >= 0 ? default : decoder.Decode(line);

    private static IEnumerable<FlowEvent?> DecodeBatch(List<RawRecord> batch, DecodeResult[] decoded, HubbleFlowDecoder[] decoders, string name, InputErrorCounter errors)
    {
        int count = batch.Count;
        int chunk = (count + decoders.Length - 1) / decoders.Length;
        if (decoders.Length == 1 || count < 2 * decoders.Length)
        {
            for (int i = 0; i < count; i++)
            {
                decoded[i] = Decode(decoders[0], batch[i].Payload.Span);
            }
        }
        else
        {
            Parallel.For(0, decoders.Length, worker =>
            {
                var decoder = decoders[worker];
                for (int i = worker * chunk; i < Math.Min(count, (worker + 1) * chunk); i++)
                {
                    decoded[i] = Decode(decoder, batch[i].Payload.Span);
                }
            });
        }

        for (int i = 0; i < count; i++)
        {
            if (decoded[i].Event is null && decoded[i].Error is null)
            {
                yield return null;
            }
            else if (decoded[i].Event is { } flow)
            {
                yield return flow;
            }
            else
            {
                errors.Report("policy plan", new InputError(name, batch[i].Position, decoded[i].Error ?? "not a flow"));
            }
        }
    }
}

public sealed record PolicyLintDiagnostic(
    [property: JsonPropertyName("file")] string File,
    [property: JsonPropertyName("line")] int Line,
    [property: JsonPropertyName("severity")] string Severity,
    [property: JsonPropertyName("message")] string Message);

public sealed record PolicyLintReport(
    [property: JsonPropertyName("files")] int Files,
    [property: JsonPropertyName("policies")] int Policies,
    [property: JsonPropertyName("errors")] int Errors,
    [property: JsonPropertyName("warnings")] int Warnings,
    [property: JsonPropertyName("diagnostics")] IReadOnlyList<PolicyLintDiagnostic> Diagnostics);

public sealed record PolicyPlanEntry(
    [property: JsonPropertyName("policy")] string Policy,
    [property: JsonPropertyName("kind")] string? Kind,
    [property: JsonPropertyName("namespace")] string Namespace,
    [property: JsonPropertyName("denied")] long Denied,
    [property: JsonPropertyName("not_evaluated")] long NotEvaluated,
    [property: JsonPropertyName("examples")] IReadOnlyList<PlanExample> Examples,
    [property: JsonPropertyName("not_evaluated_examples")] IReadOnlyList<PlanExample> NotEvaluatedExamples);

public sealed record PolicyPlanReport(
    [property: JsonPropertyName("flows")] long Flows,
    [property: JsonPropertyName("skipped")] long Skipped,
    [property: JsonPropertyName("allowed")] long Allowed,
    [property: JsonPropertyName("denied")] long Denied,
    [property: JsonPropertyName("not_evaluated")] long NotEvaluated,
    [property: JsonPropertyName("not_selected")] long NotSelected,
    [property: JsonPropertyName("bad_lines")] long BadLines,
    [property: JsonPropertyName("policies")] int Policies,
    [property: JsonPropertyName("elapsed_s")] double ElapsedSeconds,
    [property: JsonPropertyName("evaluation_s")] double EvaluationSeconds,
    [property: JsonPropertyName("cache_hits")] long CacheHits,
    [property: JsonPropertyName("cache_misses")] long CacheMisses,
    [property: JsonPropertyName("entries")] IReadOnlyList<PolicyPlanEntry> Entries,
    [property: JsonPropertyName("warnings")] IReadOnlyList<string> Warnings);

[JsonSourceGenerationOptions(WriteIndented = false)]
[JsonSerializable(typeof(PolicyLintReport))]
[JsonSerializable(typeof(PolicyPlanReport))]
internal sealed partial class PolicyJsonContext : JsonSerializerContext;
