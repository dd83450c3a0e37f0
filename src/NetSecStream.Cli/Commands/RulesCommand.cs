using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using NetSecStream.Signatures.Engine;
using NetSecStream.Signatures.Rules;

namespace NetSecStream.Cli.Commands;

/// <summary>
/// <c>netsec rules check &lt;files or directories...&gt;</c>: loads Suricata rules as the engine would and reports what
/// loaded, what did not and exactly why (file, line, sid, reason), with the unsupported keywords counted.
/// </summary>
public static class RulesCommand
{
    public static Command Create()
    {
        var paths = new Argument<string[]>("paths") { Description = "Rule files, or directories of *.rules files.", Arity = ArgumentArity.OneOrMore };
        var json = new Option<bool>("--json") { Description = "Print one JSON object: total, loaded, failed, unsupported_keywords, errors (and elapsed_s, loaded_percent, memory_mb)." };
        var limit = new Option<int>("--max-errors") { Description = "Diagnostics to print (all in --json).", DefaultValueFactory = _ => 50 };
        var check = new Command("check", "Load rules and report every rule that does not load, with the reason.") { paths, json, limit };
        check.SetAction(parse => Check(parse.GetValue(paths) ?? [], parse.GetValue(json), parse.GetValue(limit)));
        return new Command("rules", "Suricata rules: check what loads.") { check };
    }

    private static int Check(string[] paths, bool asJson, int maxErrors)
    {
        RuleSetLoadResult result;
        long heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        try
        {
            result = SignatureEngine.Admit(RuleSetLoader.Load(paths));
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine("netsec rules check: " + ex.Message);
            return NetSecCli.ConfigurationErrorExitCode;
        }

        // Managed memory the loaded rules hold (parsed options, patterns, compiled address ranges are built lazily).
        double memoryMb = Math.Round(Math.Max(0, GC.GetTotalMemory(forceFullCollection: true) - heapBefore) / 1048576.0, 1);
        GC.KeepAlive(result);
        var report = new RulesCheckReport(
            result.Total,
            result.Loaded,
            result.Failed,
            result.UnsupportedKeywords.OrderByDescending(k => k.Value).ThenBy(k => k.Key, StringComparer.Ordinal).ToDictionary(k => k.Key, k => k.Value),
            [.. result.Diagnostics.Select(d => new RulesCheckError(d.File, d.Line, d.Sid, KindName(d.Kind), d.Reason))],
            Math.Round(result.Elapsed.TotalSeconds, 3),
            Math.Round(result.LoadedPercent, 2),
            memoryMb);
        if (asJson)
        {
            Console.WriteLine(JsonSerializer.Serialize(report, RulesJsonContext.Default.RulesCheckReport));
        }
        else
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{report.Total:N0} rules: {report.Loaded:N0} loaded ({report.LoadedPercent:F2}%), {report.Failed:N0} failed, in {report.ElapsedSeconds:F2} s, {report.MemoryMb:F1} MB"));
            if (report.UnsupportedKeywords.Count > 0)
            {
                Console.WriteLine("unsupported keywords: " + string.Join(", ", report.UnsupportedKeywords.Select(k => $"{k.Key} ({k.Value})")));
            }

            foreach (var diagnostic in result.Diagnostics.Take(Math.Max(0, maxErrors)))
            {
                Console.WriteLine(diagnostic.ToString());
            }

            if (result.Diagnostics.Count > maxErrors)
            {
                Console.WriteLine($"... and {result.Diagnostics.Count - maxErrors:N0} more (--json lists all)");
            }
        }

        return 0;
    }

    private static string KindName(RuleDiagnosticKind kind) => kind switch
    {
        RuleDiagnosticKind.UnsupportedKeyword => "unsupported_keyword",
        RuleDiagnosticKind.NotEvaluable => "not_evaluable",
        _ => kind.ToString().ToLowerInvariant(),
    };
}

public sealed record RulesCheckError(
    [property: JsonPropertyName("file")] string? File,
    [property: JsonPropertyName("line")] int Line,
    [property: JsonPropertyName("sid")] long? Sid,
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("reason")] string Reason);

public sealed record RulesCheckReport(
    [property: JsonPropertyName("total")] int Total,
    [property: JsonPropertyName("loaded")] int Loaded,
    [property: JsonPropertyName("failed")] int Failed,
    [property: JsonPropertyName("unsupported_keywords")] IReadOnlyDictionary<string, int> UnsupportedKeywords,
    [property: JsonPropertyName("errors")] IReadOnlyList<RulesCheckError> Errors,
    [property: JsonPropertyName("elapsed_s")] double ElapsedSeconds,
    [property: JsonPropertyName("loaded_percent")] double LoadedPercent,
    [property: JsonPropertyName("memory_mb")] double MemoryMb);

[JsonSourceGenerationOptions(WriteIndented = false)]
[JsonSerializable(typeof(RulesCheckReport))]
internal sealed partial class RulesJsonContext : JsonSerializerContext;
