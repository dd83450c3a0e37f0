using System.Globalization;
using System.Text;
using System.Text.Json.Serialization;
using Microsoft.Data.Sqlite;
using NetSecStream.Control.Api;
using NetSecStream.Control.Security;
using NetSecStream.Control.Store;

namespace NetSecStream.Control.Ui;

/// <summary>One bucket of the alerts-over-time chart: alerts per severity 1 (highest) to 4.</summary>
public sealed record TimelineBucket(
    [property: JsonPropertyName("start")] DateTimeOffset Start,
    [property: JsonPropertyName("counts")] IReadOnlyList<long> Counts);

public sealed record AlertTimeline(
    [property: JsonPropertyName("from")] DateTimeOffset? From,
    [property: JsonPropertyName("to")] DateTimeOffset? To,
    [property: JsonPropertyName("bucket_seconds")] long BucketSeconds,
    [property: JsonPropertyName("total")] long Total,
    [property: JsonPropertyName("buckets")] IReadOnlyList<TimelineBucket> Buckets);

/// <summary>A rule with its source text, as the alert detail shows the rule that matched.</summary>
public sealed record RuleText(
    [property: JsonPropertyName("rule")] RuleInfo Rule,
    [property: JsonPropertyName("line")] int Line,
    [property: JsonPropertyName("text")] string? Text);

/// <summary>
/// Read endpoints the UI needs beside the control API: alert counts over time by severity (the chart) and one rule's
/// source text (the alert detail). Additive: they only read the triage store and the rule catalog.
/// </summary>
internal static class UiEndpoints
{
    private const int MaxBuckets = 1_000;
    private const int MaxRuleTextChars = 64 * 1024;
    private const int MaxFilterLength = 512;

    /// <summary>Bucket widths the chart uses, smallest first: round numbers read better on an axis than arbitrary ones.</summary>
    private static readonly long[] BucketWidthsSeconds =
        [60, 300, 900, 1_800, 3_600, 3 * 3_600, 6 * 3_600, 12 * 3_600, 86_400, 7 * 86_400, 30 * 86_400, 365 * 86_400];

    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/alerts/timeline", Timeline).WithTags("alerts").RequireAuthorization(ControlAuthentication.ViewerPolicy)
            .WithSummary("Alerts per time bucket and severity (from, to: ISO 8601, default the span of the matching alerts; buckets: at most this many, default 60; namespace, detector, rule, state as the list).")
            .Produces<AlertTimeline>().ProducesProblem(400);
        api.MapGet("/rules/{sid}", RuleSource).WithTags("rules").RequireAuthorization(ControlAuthentication.ViewerPolicy)
            .WithSummary("One loaded rule with its source text (as in its rules file).")
            .Produces<RuleText>().ProducesProblem(400).ProducesProblem(404);
    }

    private static IResult Timeline(HttpRequest request, TriageStore store)
    {
        var query = request.Query;
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        string?[] known = ["from", "to", "buckets", "namespace", "detector", "rule", "state"];
        foreach (var key in query.Keys)
        {
            if (!known.Contains(key))
            {
                errors[key] = [$"unknown parameter '{key}' (known: {string.Join(", ", known)})"];
            }
            else if (query[key].Count > 1 || query[key].ToString().Length > MaxFilterLength)
            {
                errors[key] = [$"'{key}' must be given once, at most {MaxFilterLength} characters"];
            }
        }

        DateTimeOffset? from = AlertEndpoints.Time(query, "from", errors);
        DateTimeOffset? to = AlertEndpoints.Time(query, "to", errors);
        int buckets = 60;
        if (AlertEndpoints.Text(query, "buckets") is { } b && !(int.TryParse(b, NumberStyles.None, CultureInfo.InvariantCulture, out buckets) && buckets is >= 1 and <= MaxBuckets))
        {
            errors["buckets"] = [$"'buckets' must be a whole number from 1 to {MaxBuckets} (got '{b}')"];
        }

        var (detector, state) = AlertEndpoints.DetectorAndState(query, errors);

        if (from is { } f && to is { } t && t <= f)
        {
            errors["to"] = ["'to' must be later than 'from'"];
        }

        if (errors.Count > 0)
        {
            return Results.ValidationProblem(errors, title: "invalid timeline query");
        }

        var filters = new List<(string Column, object Value)>();
        if (AlertEndpoints.Text(query, "namespace") is { } ns)
        {
            filters.Add(("namespace", ns));
        }

        if (detector is not null)
        {
            filters.Add(("detector", detector));
        }

        if (AlertEndpoints.Text(query, "rule") is { } rule)
        {
            filters.Add(("rule_id", rule));
        }

        if (state is not null)
        {
            filters.Add(("state", state));
        }

        return Results.Ok(ReadTimeline(store.Path, from, to, buckets, filters));
    }

    /// <summary>
    /// Two indexed queries on a read-only connection (WAL: never waits for the writer): the span when not given, then
    /// one GROUP BY over (bucket, severity), so the cost is one pass over the matching rows and the answer is bounded by
    /// the bucket count, however many alerts there are.
    /// </summary>
    internal static AlertTimeline ReadTimeline(string database, DateTimeOffset? from, DateTimeOffset? to, int maxBuckets, IReadOnlyList<(string Column, object Value)> filters)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Mode = SqliteOpenMode.ReadOnly, Pooling = true, DefaultTimeout = 30 }.ToString());
        connection.Open();
        var where = new StringBuilder("1 = 1");
        for (int i = 0; i < filters.Count; i++)
        {
            where.Append(CultureInfo.InvariantCulture, $" AND {filters[i].Column} = $f{i}");
        }

        SqliteCommand Command(string sql)
        {
            var command = connection.CreateCommand();
            command.CommandText = sql;
            for (int i = 0; i < filters.Count; i++)
            {
                command.Parameters.AddWithValue($"$f{i}", filters[i].Value);
            }

            return command;
        }

        long? fromMs = from?.ToUnixTimeMilliseconds();
        long? toMs = to?.ToUnixTimeMilliseconds();
        if (fromMs is null || toMs is null)
        {
            using var span = Command($"SELECT MIN(ts), MAX(ts) FROM alerts WHERE {where}{(fromMs is null ? "" : " AND ts >= $from")}{(toMs is null ? "" : " AND ts < $to")};");
            if (fromMs is not null)
            {
                span.Parameters.AddWithValue("$from", fromMs);
            }

            if (toMs is not null)
            {
                span.Parameters.AddWithValue("$to", toMs);
            }

            using var reader = span.ExecuteReader();
            if (!reader.Read() || reader.IsDBNull(0))
            {
                return new AlertTimeline(from, to, BucketWidthsSeconds[0], 0, []);
            }

            fromMs ??= reader.GetInt64(0);
            toMs ??= reader.GetInt64(1) + 1;
        }

        long spanSeconds = Math.Max(1, (toMs.Value - fromMs.Value + 999) / 1000);
        long width = BucketWidthsSeconds.FirstOrDefault(w => (spanSeconds + w - 1) / w <= maxBuckets, BucketWidthsSeconds[^1]);
        long widthMs = width * 1000;
        // Buckets start on whole multiples of the width (in UTC), so two charts of one range line up.
        long first = Math.DivRem(fromMs.Value, widthMs, out long rem) * widthMs - (rem < 0 ? widthMs : 0);
        int count = (int)Math.Min(MaxBuckets, ((toMs.Value - first) + widthMs - 1) / widthMs);
        var counts = new long[count, 4];
        using var command = Command($"SELECT (ts - $first) / $width AS b, severity, COUNT(*) FROM alerts WHERE {where} AND ts >= $from AND ts < $to GROUP BY b, severity;");
        command.Parameters.AddWithValue("$first", first);
        command.Parameters.AddWithValue("$width", widthMs);
        command.Parameters.AddWithValue("$from", fromMs.Value);
        command.Parameters.AddWithValue("$to", toMs.Value);
        long total = 0;
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                long bucket = reader.GetInt64(0);
                int severity = Math.Clamp(reader.GetInt32(1), 1, 4);
                long n = reader.GetInt64(2);
                if (bucket >= 0 && bucket < count)
                {
                    counts[bucket, severity - 1] += n;
                    total += n;
                }
            }
        }

        var result = new List<TimelineBucket>(count);
        for (int i = 0; i < count; i++)
        {
            result.Add(new TimelineBucket(DateTimeOffset.FromUnixTimeMilliseconds(first + (i * widthMs)), [counts[i, 0], counts[i, 1], counts[i, 2], counts[i, 3]]));
        }

        return new AlertTimeline(DateTimeOffset.FromUnixTimeMilliseconds(fromMs.Value), DateTimeOffset.FromUnixTimeMilliseconds(toMs.Value), width, total, result);
    }

    private static IResult RuleSource(string sid, RuleCatalog catalog, TriageStore store)
    {
        if (!long.TryParse(sid, NumberStyles.None, CultureInfo.InvariantCulture, out long id))
        {
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["sid"] = [$"sid must be a whole number (got '{sid}')"] }, title: "invalid rule");
        }

        var rule = catalog.Rules().FirstOrDefault(r => r.Sid == id);
        if (rule is null)
        {
            return Results.Problem(statusCode: 404, title: "rule not found", detail: $"no loaded rule has sid {id}");
        }

        var overrides = store.RuleOverrides();
        var info = new RuleInfo(rule.Sid, rule.Rev, rule.Msg, rule.Action.ToString().ToLowerInvariant(), rule.Classtype,
            rule.File is null ? null : Path.GetFileName(rule.File), !overrides.TryGetValue(rule.Sid, out bool enabled) || enabled);
        return Results.Ok(new RuleText(info, rule.Line, ReadRuleText(rule.File, rule.Line)));
    }

    /// <summary>The rule as written: its line and any continuation lines (ending in a backslash), bounded in size.</summary>
    internal static string? ReadRuleText(string? file, int line)
    {
        if (file is null || line < 1 || !File.Exists(file))
        {
            return null;
        }

        try
        {
            var text = new StringBuilder();
            int number = 0;
            foreach (string current in File.ReadLines(file))
            {
                if (++number < line)
                {
                    continue;
                }

                string trimmed = current.TrimEnd();
                bool continues = trimmed.EndsWith('\\');
                text.Append(continues ? trimmed[..^1] : trimmed);
                if (!continues || text.Length >= MaxRuleTextChars)
                {
                    break;
                }
            }

            return text.Length > MaxRuleTextChars ? text.ToString(0, MaxRuleTextChars) : text.ToString();
        }
        catch (IOException)
        {
            // The file changed under the catalog (an upload replaced it); the rule still shows, without its text.
            return null;
        }
    }
}
