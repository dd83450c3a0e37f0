using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using NetSecStream.Collectors.Generator;
using NetSecStream.Control;
using NetSecStream.Control.Ingest;
using NetSecStream.Control.Store;
using NetSecStream.Core;
using NetSecStream.Core.Events;
using NetSecStream.Core.Telemetry;

namespace NetSecStream.Cli.Commands;

/// <summary>
/// <c>netsec bench --collector control</c>: fills a fresh triage store with alerts built from the generator's attack
/// episodes and real ET Open sids, through the store's single writer, then times filtered alert list queries through
/// the HTTP API (Kestrel on loopback, bearer token): first pages and a deep cursor page per filter combination.
/// </summary>
public static partial class ControlBench
{
    public const int PageSize = 50;

    /// <summary>Timed requests per query shape (after warm-up).</summary>
    public const int Repeats = 40;

    /// <summary>How many alerts deep the deep page starts.</summary>
    public const int DeepOffset = 20_000;

    public sealed record QueryTiming(
        [property: JsonPropertyName("query")] string Query,
        [property: JsonPropertyName("page")] string Page,
        [property: JsonPropertyName("items")] int Items,
        [property: JsonPropertyName("p50_ms")] double P50Ms,
        [property: JsonPropertyName("p99_ms")] double P99Ms);

    public sealed record Result(
        [property: JsonPropertyName("events")] long Events,
        [property: JsonPropertyName("events_per_s")] double EventsPerSecond,
        [property: JsonPropertyName("p50_ms")] double P50Ms,
        [property: JsonPropertyName("p99_ms")] double P99Ms,
        [property: JsonPropertyName("max_p99_ms")] double MaxP99Ms,
        [property: JsonPropertyName("peak_rss_mb")] double PeakRssMb,
        [property: JsonPropertyName("alerts")] long Alerts,
        [property: JsonPropertyName("elapsed_s")] double ElapsedSeconds,
        [property: JsonPropertyName("store_mb")] double StoreMb,
        [property: JsonPropertyName("queries")] IReadOnlyList<QueryTiming> Queries,
        [property: JsonPropertyName("baseline")] string Baseline,
        [property: JsonPropertyName("processors")] int Processors,
        [property: JsonPropertyName("runtime")] string Runtime);

    public static async Task<Result> RunAsync(long count, int seed, string? rulesPath, string? keepDirectory, Func<double> peakRssMb, CancellationToken token)
    {
        ArgumentNullException.ThrowIfNull(peakRssMb);
        string dir = keepDirectory ?? Path.Combine(Path.GetTempPath(), "netsec-control-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var options = new ControlOptions { Urls = "http://127.0.0.1:0", IngestBatchSize = 5_000, IngestQueueCapacity = 50_000 };
            var paths = ControlPaths.Resolve(options, dir);
            using var metrics = new NetSecMetrics();
            var configuration = new ConfigurationBuilder().Build();
            var app = ControlServer.Build(options, paths, configuration, metrics, logging: Microsoft.Extensions.Logging.Abstractions.NullLoggerProvider.Instance);
            await using (app.ConfigureAwait(false))
            {
                await app.StartAsync(token).ConfigureAwait(false);
                var store = app.Services.GetRequiredService<TriageStore>();
                var ingest = app.Services.GetRequiredService<TriageIngest>();

                var sids = RuleIds(rulesPath, seed);
                // The flows of the generator's attack episodes (every label but normal), reused round-robin; not timed.
                var flows = FeatureInputs.Generated("attack-heavy", 100_000, seed).Where(f => f.Label != TrafficLabels.Normal).ToList();
                var fill = Stopwatch.StartNew();
                var namespaces = await FillAsync(ingest, flows, count, seed, sids, token).ConfigureAwait(false);
                fill.Stop();
                SetTriageStates(store.Path);
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[bench] {store.CountAlerts():N0} alerts stored in {fill.Elapsed.TotalSeconds:F1} s; timing queries ..."));

                var (_, secret) = store.CreateToken(ControlRole.Viewer, "bench", "bench");
                using var http = new HttpClient { BaseAddress = new Uri(ControlCommand.Addresses(app).Split(", ")[0]) };
                http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);
                var first = await GetAsync(http, "/api/alerts?limit=1", token).ConfigureAwait(false);
                var newest = first.GetProperty("items")[0].GetProperty("timestamp").GetDateTimeOffset();
                string busiest = namespaces.OrderByDescending(n => n.Value).First().Key;
                string quiet = namespaces.OrderBy(n => n.Value).First().Key;
                string day = $"from={Uri.EscapeDataString(newest.AddDays(-2).ToString("O", CultureInfo.InvariantCulture))}&to={Uri.EscapeDataString(newest.AddDays(-1).ToString("O", CultureInfo.InvariantCulture))}";
                string[] shapes =
                [
                    "",
                    $"namespace={busiest}",
                    $"namespace={quiet}",
                    "detector=signature&severity=1",
                    "state=new",
                    $"state=acknowledged&namespace={busiest}",
                    "rule=" + sids[sids.Count / 2],
                    $"{day}&detector=intel",
                    $"namespace={quiet}&detector=behaviour&state=false_positive",
                    "severity=4&state=resolved",
                ];

                var timings = new List<QueryTiming>();
                foreach (string shape in shapes)
                {
                    string path = "/api/alerts?limit=" + PageSize.ToString(CultureInfo.InvariantCulture) + (shape.Length > 0 ? "&" + shape : "");
                    timings.Add(await TimeAsync(http, shape, "first", path, token).ConfigureAwait(false));
                    // Walk DeepOffset alerts down with big pages (not timed), then time the page that follows.
                    string? cursor = null;
                    for (int walked = 0; walked < DeepOffset; walked += options.MaxPageSize)
                    {
                        var page = await GetAsync(http, "/api/alerts?limit=" + options.MaxPageSize.ToString(CultureInfo.InvariantCulture) + (shape.Length > 0 ? "&" + shape : "")
                            + (cursor is null ? "" : "&cursor=" + cursor), token).ConfigureAwait(false);
                        cursor = page.GetProperty("next_cursor").GetString();
                        if (cursor is null)
                        {
                            break;
                        }
                    }

                    if (cursor is not null)
                    {
                        timings.Add(await TimeAsync(http, shape, $"deep ({DeepOffset:N0} down)", path + "&cursor=" + cursor, token).ConfigureAwait(false));
                    }
                }

                var all = timings.Select(t => t.P50Ms).Order().ToList();
                double p50 = all[all.Count / 2];
                double maxP99 = timings.Max(t => t.P99Ms);
                long alerts = store.CountAlerts();
                double storeMb = Directory.EnumerateFiles(Path.GetDirectoryName(store.Path)!).Sum(f => new FileInfo(f).Length) / 1048576.0;
                await app.StopAsync(token).ConfigureAwait(false);
                return new Result(count, Math.Round(count / fill.Elapsed.TotalSeconds, 0), Math.Round(p50, 2), Math.Round(Percentile(timings.Select(t => t.P99Ms).ToList(), 0.5), 2),
                    Math.Round(maxP99, 2), Math.Round(peakRssMb(), 1), alerts, Math.Round(fill.Elapsed.TotalSeconds, 3), Math.Round(storeMb, 1), timings,
                    string.Create(CultureInfo.InvariantCulture,
                        $"events_per_s: alerts/s stored by the triage store's single writer (batches of {options.IngestBatchSize}); p50_ms: median over the query shapes of each shape's median; p99_ms: median of the shapes' p99; max_p99_ms: the worst shape's p99; each shape timed {Repeats} times through GET /api/alerts (limit {PageSize}, bearer token, Kestrel on loopback), first page and a cursor page {DeepOffset:N0} alerts down"),
                    Environment.ProcessorCount, Environment.Version.ToString());
            }
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            if (keepDirectory is null)
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }

    private static async Task<Dictionary<string, long>> FillAsync(TriageIngest ingest, List<NetSecStream.Behaviour.Features.LabelledFlow> flows, long count, int seed,
        List<string> sids, CancellationToken token)
    {
        if (flows.Count == 0)
        {
            throw new InvalidOperationException("the generator produced no attack flows");
        }

        var namespaces = new Dictionary<string, long>(StringComparer.Ordinal);
        var random = new Random(seed);
        // A week of alerts ending now, oldest first as they would arrive.
        var start = DateTimeOffset.UtcNow.AddDays(-7);
        double step = TimeSpan.FromDays(7).TotalMilliseconds / count;
        const int Batch = 10_000;
        var batch = new List<Alert>(Batch);
        for (long i = 0; i < count; i++)
        {
            var labelled = flows[(int)(i % flows.Count)];
            var flow = labelled.Flow;
            string ns = flow.Source.Namespace ?? flow.Destination.Namespace ?? "default";
            namespaces[ns] = namespaces.GetValueOrDefault(ns) + 1;
            int kind = random.Next(100);
            (string detector, string rule, string name) = kind switch
            {
                < 60 => (DetectorKinds.Signature, sids[random.Next(sids.Count)], "ET rule for " + labelled.Label),
                < 80 => (DetectorKinds.Intel, "intel:" + labelled.Label, "Threat intel match (" + labelled.Label + ")"),
                _ => (DetectorKinds.Behaviour, "workload-baseline", "Workload behaviour anomaly"),
            };
            batch.Add(new Alert
            {
                Id = string.Create(CultureInfo.InvariantCulture, $"bench-{seed}-{i:D9}"),
                Timestamp = start.AddMilliseconds(i * step),
                Detector = detector,
                RuleId = rule,
                RuleName = name,
                RuleCategory = labelled.Label,
                Severity = 1 + random.Next(4),
                RiskScore = random.Next(20, 100),
                Mode = Mode.Alert,
                Explanation = labelled.Episode ?? labelled.Label,
                DedupeKey = rule + "|" + flow.CommunityId,
                Flow = flow,
            });
            if (batch.Count == Batch)
            {
                await ingest.WriteAsync(batch, token).ConfigureAwait(false);
                batch = new List<Alert>(Batch);
            }
        }

        await ingest.WriteAsync(batch, token).ConfigureAwait(false);
        return namespaces;
    }

    /// <summary>Triage as a team would leave it: most alerts new, the rest acknowledged, resolved or false positives.</summary>
    private static void SetTriageStates(string database)
    {
        using var connection = new SqliteConnection($"Data Source={database}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            UPDATE alerts SET state = CASE rowid % 20 WHEN 0 THEN 'acknowledged' WHEN 1 THEN 'acknowledged' WHEN 2 THEN 'acknowledged'
                WHEN 3 THEN 'resolved' WHEN 4 THEN 'resolved' WHEN 5 THEN 'false_positive' ELSE 'new' END, updated_at = ts
            WHERE rowid % 20 < 6;
            ANALYZE;
            """;
        command.ExecuteNonQuery();
    }

    /// <summary>A few thousand real sids (the rules that fire in a cluster are a small part of a ruleset).</summary>
    private static List<string> RuleIds(string? rulesPath, int seed)
    {
        string data = Environment.GetEnvironmentVariable("NETSEC_TESTDATA") is { Length: > 0 } d ? d : Path.Combine("..", "shared", "data");
        string folder = rulesPath ?? Path.Combine(data, "rules", "et-open");
        var sids = new List<string>();
        if (Directory.Exists(folder))
        {
            foreach (string file in Directory.EnumerateFiles(folder, "*.rules").Order(StringComparer.Ordinal))
            {
                foreach (string line in File.ReadLines(file))
                {
                    if (line.StartsWith("alert", StringComparison.Ordinal) && SidPattern().Match(line) is { Success: true } match)
                    {
                        sids.Add(match.Groups[1].Value);
                    }
                }
            }
        }

        // Without the ruleset: a fixed spread of ET-style sids so the bench still runs (the README names the data).
        var shuffle = new Random(seed);
        return sids.Count > 0 ? [.. sids.Distinct().OrderBy(_ => shuffle.Next()).Take(3000)] : [.. Enumerable.Range(0, 2000).Select(i => (2_000_000 + (i * 7919 % 100_000)).ToString(CultureInfo.InvariantCulture))];
    }

    private static async Task<QueryTiming> TimeAsync(HttpClient http, string shape, string page, string path, CancellationToken token)
    {
        int items = 0;
        for (int i = 0; i < 5; i++)
        {
            items = (await GetAsync(http, path, token).ConfigureAwait(false)).GetProperty("items").GetArrayLength();
        }

        var samples = new List<double>(Repeats);
        for (int i = 0; i < Repeats; i++)
        {
            long begin = Stopwatch.GetTimestamp();
            await GetAsync(http, path, token).ConfigureAwait(false);
            samples.Add(Stopwatch.GetElapsedTime(begin).TotalMilliseconds);
        }

        return new QueryTiming(shape.Length == 0 ? "(none)" : Uri.UnescapeDataString(shape), page, items, Math.Round(Percentile(samples, 0.5), 2), Math.Round(Percentile(samples, 0.99), 2));
    }

    private static async Task<JsonElement> GetAsync(HttpClient http, string path, CancellationToken token)
    {
        using var response = await http.GetAsync(path, token).ConfigureAwait(false);
        string text = await response.Content.ReadAsStringAsync(token).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"GET {path}: {(int)response.StatusCode} {text}");
        }

        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.Clone();
    }

    private static double Percentile(List<double> samples, double q)
    {
        var sorted = samples.Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)];
    }

    [GeneratedRegex(@"\bsid:\s*(\d+)\s*;", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex SidPattern();
}

[JsonSourceGenerationOptions(WriteIndented = false)]
[JsonSerializable(typeof(ControlBench.Result))]
internal sealed partial class ControlBenchJsonContext : JsonSerializerContext;
