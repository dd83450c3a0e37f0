using System.Globalization;
using System.Security.Claims;
using System.Text;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Configuration;
using NetSecStream.Control.Security;
using NetSecStream.Control.Store;
using NetSecStream.Signatures.Engine;
using NetSecStream.Signatures.Rules;

namespace NetSecStream.Control.Api;

public sealed record RuleInfo(
    [property: JsonPropertyName("sid")] long Sid,
    [property: JsonPropertyName("rev")] int Rev,
    [property: JsonPropertyName("msg")] string? Msg,
    [property: JsonPropertyName("action")] string Action,
    [property: JsonPropertyName("classtype")] string? Classtype,
    [property: JsonPropertyName("file")] string? File,
    [property: JsonPropertyName("enabled")] bool Enabled);

public sealed record RulePage(
    [property: JsonPropertyName("total")] int Total,
    [property: JsonPropertyName("items")] IReadOnlyList<RuleInfo> Items,
    [property: JsonPropertyName("next_after_sid")] long? NextAfterSid);

public sealed record RuleEnabledRequest([property: JsonPropertyName("enabled")] bool? Enabled);

/// <summary>What <c>netsec rules check --json</c> reports, for an uploaded file.</summary>
public sealed record RuleCheckReport(
    [property: JsonPropertyName("file")] string File,
    [property: JsonPropertyName("stored")] bool Stored,
    [property: JsonPropertyName("total")] int Total,
    [property: JsonPropertyName("loaded")] int Loaded,
    [property: JsonPropertyName("failed")] int Failed,
    [property: JsonPropertyName("unsupported_keywords")] IReadOnlyDictionary<string, int> UnsupportedKeywords,
    [property: JsonPropertyName("errors")] IReadOnlyList<RuleCheckError> Errors);

public sealed record RuleCheckError(
    [property: JsonPropertyName("file")] string? File,
    [property: JsonPropertyName("line")] int Line,
    [property: JsonPropertyName("sid")] long? Sid,
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("reason")] string Reason);

/// <summary>
/// The signature rules the processors load (<c>Detectors:Signatures:Paths</c>) plus files uploaded through the API,
/// loaded with the engine's own loader and kept until a file changes.
/// </summary>
public sealed class RuleCatalog(IConfiguration configuration, ControlOptions options, string rulesDirectory)
{
    private readonly Lock _gate = new();
    private string _stamp = "";
    private IReadOnlyList<Rule> _rules = [];

    public string RulesDirectory { get; } = rulesDirectory;

    public IReadOnlyList<string> Paths()
    {
        var paths = configuration.GetSection("Detectors:Signatures:Paths").GetChildren().Select(c => c.Value).OfType<string>().Where(p => p.Length > 0).ToList();
        if (Directory.Exists(RulesDirectory))
        {
            paths.Add(RulesDirectory);
        }

        return paths;
    }

    /// <summary>Every loaded rule, sorted by sid.</summary>
    public IReadOnlyList<Rule> Rules()
    {
        var paths = Paths().Where(p => File.Exists(p) || Directory.Exists(p)).ToList();
        string stamp = Stamp(paths);
        lock (_gate)
        {
            if (stamp != _stamp)
            {
                var load = SignatureEngine.Admit(RuleSetLoader.Load(paths));
                _rules = [.. load.Rules.OrderBy(r => r.Sid)];
                _stamp = stamp;
            }

            return _rules;
        }
    }

    public long MaxUploadBytes => options.MaxRulesUploadBytes;

    private static string Stamp(IEnumerable<string> paths)
    {
        var text = new StringBuilder();
        foreach (string path in paths)
        {
            var files = Directory.Exists(path) ? Directory.EnumerateFiles(path, "*.rules", SearchOption.AllDirectories) : [path];
            foreach (string file in files.Order(StringComparer.Ordinal))
            {
                var info = new FileInfo(file);
                text.Append(file).Append('|').Append(info.Length).Append('|').Append(info.LastWriteTimeUtc.Ticks).Append(';');
            }
        }

        return text.ToString();
    }
}

/// <summary><c>/api/rules</c>: list, enable or disable by sid, upload a rules file with its check report.</summary>
internal static class RuleEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        var rules = api.MapGroup("/rules").WithTags("rules");
        rules.MapGet("/", List).RequireAuthorization(ControlAuthentication.ViewerPolicy)
            .WithSummary("Signature rules by sid (after_sid, limit, q: text in msg), with whether each is enabled.")
            .Produces<RulePage>().ProducesProblem(400);
        rules.MapPut("/{sid}/enabled", SetEnabled).RequireAuthorization(ControlAuthentication.AdminPolicy)
            .WithSummary("Enables or disables one rule by sid ({\"enabled\": false}).")
            .Produces<RuleInfo>().ProducesProblem(400).ProducesProblem(404);
        rules.MapPost("/files/{name}", Upload).RequireAuthorization(ControlAuthentication.AdminPolicy)
            .WithSummary("Uploads a rules file (text body), checks it with the engine's loader and keeps it when at least one rule loads; answers the check report.")
            .Produces<RuleCheckReport>(201).ProducesProblem(400).ProducesProblem(413);
    }

    private static IResult List(HttpRequest request, RuleCatalog catalog, TriageStore store)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        long after = 0;
        int limit = 100;
        string? text = null;
        foreach (var (key, value) in request.Query)
        {
            switch (key)
            {
                case "after_sid" when long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long a):
                    after = a;
                    break;
                case "limit" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n is >= 1 and <= 1000:
                    limit = n;
                    break;
                case "q" when value.ToString().Length <= 200:
                    text = value.ToString();
                    break;
                case "after_sid" or "limit" or "q":
                    errors[key] = [$"'{key}' is invalid (after_sid: a sid; limit: 1-1000; q: at most 200 characters); got '{value}'"];
                    break;
                default:
                    errors[key] = [$"unknown parameter '{key}' (known: after_sid, limit, q)"];
                    break;
            }
        }

        if (errors.Count > 0)
        {
            return Results.ValidationProblem(errors, title: "invalid rule query");
        }

        var overrides = store.RuleOverrides();
        var all = catalog.Rules();
        var matching = all.Where(r => r.Sid > after && (text is null || (r.Msg?.Contains(text, StringComparison.OrdinalIgnoreCase) ?? false)));
        var page = matching.Take(limit + 1).Select(r => Info(r, overrides)).ToList();
        long? next = page.Count > limit ? page[limit - 1].Sid : null;
        return Results.Ok(new RulePage(all.Count, page.Take(limit).ToList(), next));
    }

    private static async Task<IResult> SetEnabled(string sid, HttpRequest request, RuleCatalog catalog, TriageStore store, ClaimsPrincipal user)
    {
        if (!long.TryParse(sid, NumberStyles.None, CultureInfo.InvariantCulture, out long id))
        {
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["sid"] = [$"sid must be a whole number (got '{sid}')"] }, title: "invalid rule");
        }

        var (body, problem) = await Json.ReadAsync<RuleEnabledRequest>(request).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        if (body!.Enabled is not { } enabled)
        {
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["enabled"] = ["enabled (true or false) is required"] }, title: "invalid rule change");
        }

        var rule = catalog.Rules().FirstOrDefault(r => r.Sid == id);
        if (rule is null)
        {
            return Results.Problem(statusCode: 404, title: "rule not found", detail: $"no loaded rule has sid {id}");
        }

        store.SetRuleEnabled(id, enabled, ControlAuthentication.Actor(user));
        RuleOverrideFile.Write(catalog.RulesDirectory, store.RuleOverrides());
        return Results.Ok(Info(rule, store.RuleOverrides()));
    }

    private static async Task<IResult> Upload(string name, HttpRequest request, RuleCatalog catalog, TriageStore store, ClaimsPrincipal user)
    {
        if (name.Length > 100 || !name.EndsWith(".rules", StringComparison.Ordinal) || name.Length == 6
            || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-') || name.StartsWith('.'))
        {
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["name"] = ["name must be a file name ending in .rules, of letters, digits, '.', '_', '-' (at most 100 characters)"] }, title: "invalid rules file");
        }

        if (request.ContentLength > catalog.MaxUploadBytes)
        {
            return Results.Problem(statusCode: 413, title: "rules file too large", detail: $"at most {catalog.MaxUploadBytes} bytes (Control:MaxRulesUploadBytes)");
        }

        // Read at most one byte past the limit: a body without a length must not grow without bound either.
        using var body = new MemoryStream();
        var buffer = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(buffer, request.HttpContext.RequestAborted).ConfigureAwait(false)) > 0)
        {
            body.Write(buffer, 0, read);
            if (body.Length > catalog.MaxUploadBytes)
            {
                return Results.Problem(statusCode: 413, title: "rules file too large", detail: $"at most {catalog.MaxUploadBytes} bytes (Control:MaxRulesUploadBytes)");
            }
        }

        if (body.Length == 0)
        {
            return Results.Problem(statusCode: 400, title: "empty rules file", detail: "send the rules as the request body");
        }

        // Checked under a temporary name, so a file that does not load never replaces a good one.
        Directory.CreateDirectory(catalog.RulesDirectory);
        string target = Path.Combine(catalog.RulesDirectory, name);
        string staging = Path.Combine(catalog.RulesDirectory, "." + name + ".upload");
        await File.WriteAllBytesAsync(staging, body.ToArray(), request.HttpContext.RequestAborted).ConfigureAwait(false);
        RuleSetLoadResult load;
        try
        {
            load = SignatureEngine.Admit(RuleSetLoader.Load([staging]));
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException)
        {
            File.Delete(staging);
            return Results.Problem(statusCode: 400, title: "rules file unreadable", detail: ex.Message);
        }

        bool keep = load.Loaded > 0;
        if (keep)
        {
            File.Move(staging, target, overwrite: true);
            store.Audit(ControlAuthentication.Actor(user), "rules.upload", "rules/" + name,
                string.Create(CultureInfo.InvariantCulture, $"{{\"total\":{load.Total},\"loaded\":{load.Loaded},\"failed\":{load.Failed}}}"));
        }
        else
        {
            File.Delete(staging);
        }

        var report = new RuleCheckReport(name, keep, load.Total, load.Loaded, load.Failed, load.UnsupportedKeywords,
            [.. load.Diagnostics.Select(d => new RuleCheckError(name, d.Line, d.Sid, KindName(d.Kind), d.Reason))]);
        return keep ? Results.Created($"/api/rules/files/{name}", report) : Results.BadRequest(report);
    }

    private static RuleInfo Info(Rule rule, IReadOnlyDictionary<long, bool> overrides) =>
        new(rule.Sid, rule.Rev, rule.Msg, rule.Action.ToString().ToLowerInvariant(), rule.Classtype, rule.File is null ? null : Path.GetFileName(rule.File),
            overrides.TryGetValue(rule.Sid, out bool enabled) ? enabled : true);

    private static string KindName(RuleDiagnosticKind kind) => kind switch
    {
        RuleDiagnosticKind.UnsupportedKeyword => "unsupported_keyword",
        RuleDiagnosticKind.NotEvaluable => "not_evaluable",
        _ => kind.ToString().ToLowerInvariant(),
    };
}

/// <summary>
/// Rules disabled through the API as a Suricata threshold file (<c>suppress gen_id 1, sig_id N</c> per rule): a
/// signature detector whose <c>Detectors:Signatures:ControlDirectory</c> is this directory applies it within its reload
/// interval (<c>netsec run</c> does so by default).
/// </summary>
public static class RuleOverrideFile
{
    public const string FileName = SignatureOptions.DisabledRulesFileName;

    public static void Write(string rulesDirectory, IReadOnlyDictionary<long, bool> overrides)
    {
        ArgumentNullException.ThrowIfNull(overrides);
        Directory.CreateDirectory(rulesDirectory);
        string path = Path.Combine(rulesDirectory, FileName);
        string text = Text(overrides);
        if (File.Exists(path) && string.Equals(File.ReadAllText(path), text, StringComparison.Ordinal))
        {
            // Unchanged: rewriting would make every processor rebuild its engine for nothing.
            return;
        }

        string staging = path + ".tmp";
        File.WriteAllText(staging, text);
        File.Move(staging, path, overwrite: true);
    }

    /// <summary>
    /// At start, brings the file in line with the store (a file deleted or restored from elsewhere); with nothing
    /// disabled and no file there, writes nothing.
    /// </summary>
    public static void Sync(string rulesDirectory, IReadOnlyDictionary<long, bool> overrides)
    {
        ArgumentNullException.ThrowIfNull(overrides);
        if (overrides.Any(o => !o.Value) || File.Exists(Path.Combine(rulesDirectory, FileName)))
        {
            Write(rulesDirectory, overrides);
        }
    }

    private static string Text(IReadOnlyDictionary<long, bool> overrides)
    {
        var text = new StringBuilder("# Written by netsec control: rules disabled through the API.\n");
        foreach (long sid in overrides.Where(o => !o.Value).Select(o => o.Key).Order())
        {
            text.Append(CultureInfo.InvariantCulture, $"suppress gen_id 1, sig_id {sid}\n");
        }

        return text.ToString();
    }
}
