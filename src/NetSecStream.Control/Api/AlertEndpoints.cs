using System.Globalization;
using System.Security.Claims;
using System.Text.Json.Serialization;
using NetSecStream.Control.Security;
using NetSecStream.Control.Store;
using NetSecStream.Core.Events;

namespace NetSecStream.Control.Api;

/// <summary>Body of a triage transition.</summary>
public sealed record TransitionRequest(
    [property: JsonPropertyName("state")] string? State,
    [property: JsonPropertyName("comment")] string? Comment,
    [property: JsonPropertyName("assignee")] string? Assignee);

/// <summary>Body of a bulk triage action.</summary>
public sealed record BulkTransitionRequest(
    [property: JsonPropertyName("ids")] IReadOnlyList<string>? Ids,
    [property: JsonPropertyName("state")] string? State,
    [property: JsonPropertyName("comment")] string? Comment,
    [property: JsonPropertyName("assignee")] string? Assignee);

public sealed record BulkItemResult(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("result")] string Result);

public sealed record BulkTransitionResponse(
    [property: JsonPropertyName("changed")] int Changed,
    [property: JsonPropertyName("results")] IReadOnlyList<BulkItemResult> Results);

/// <summary><c>/api/alerts</c>: list with filters and keyset paging, detail, triage transitions, bulk actions, label export.</summary>
internal static class AlertEndpoints
{
    private const int MaxCommentLength = 4_000;
    private const int MaxAssigneeLength = 200;
    private const int MaxFilterLength = 512;

    public static void Map(RouteGroupBuilder api)
    {
        var alerts = api.MapGroup("/alerts").WithTags("alerts");
        alerts.MapGet("/", List).RequireAuthorization(ControlAuthentication.ViewerPolicy)
            .WithSummary("Alerts, newest first, filtered by time (from, to: ISO 8601), namespace, detector, rule, severity (1-4), state; limit and cursor page.")
            .Produces<AlertPage>().ProducesProblem(400);
        alerts.MapGet("/export-labels", ExportLabels).RequireAuthorization(ControlAuthentication.ViewerPolicy)
            .WithSummary("Triage outcomes as JSON lines {community_id, outcome: true_positive|false_positive}, the format of netsec export --labels.")
            .Produces(200, contentType: "application/x-ndjson");
        alerts.MapPost("/bulk", Bulk).RequireAuthorization(ControlAuthentication.AnalystPolicy)
            .WithSummary("Moves many alerts to one state; each id's outcome is reported (changed, not_found, conflict).")
            .Produces<BulkTransitionResponse>().ProducesProblem(400);
        alerts.MapGet("/{id}", Detail).RequireAuthorization(ControlAuthentication.ViewerPolicy)
            .WithSummary("One alert with its explanation, ECS document and triage history.")
            .Produces<AlertDetail>().ProducesProblem(404);
        alerts.MapPost("/{id}/transition", Transition).RequireAuthorization(ControlAuthentication.AnalystPolicy)
            .WithSummary("Triage: new → acknowledged → resolved | false_positive, with an optional comment and assignee.")
            .Produces<AlertDetail>().ProducesProblem(400).ProducesProblem(404).ProducesProblem(409);
    }

    private static IResult List(HttpRequest request, TriageStore store, ControlOptions options)
    {
        var query = request.Query;
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var key in query.Keys)
        {
            if (key is not ("from" or "to" or "namespace" or "detector" or "rule" or "severity" or "state" or "limit" or "cursor"))
            {
                errors[key] = [$"unknown parameter '{key}' (known: from, to, namespace, detector, rule, severity, state, limit, cursor)"];
            }
            else if (query[key].Count > 1)
            {
                errors[key] = [$"'{key}' is given more than once"];
            }
            else if (query[key].ToString().Length > MaxFilterLength)
            {
                errors[key] = [$"'{key}' is longer than {MaxFilterLength} characters"];
            }
        }

        DateTimeOffset? from = Time(query, "from", errors);
        DateTimeOffset? to = Time(query, "to", errors);
        int? severity = Int(query, "severity", 1, 4, errors);
        int limit = Int(query, "limit", 1, options.MaxPageSize, errors) ?? Math.Min(50, options.MaxPageSize);
        var (detector, state) = DetectorAndState(query, errors);

        string? cursor = Text(query, "cursor");
        if (cursor is not null && !TriageStore.TryDecodeCursor(cursor, out _))
        {
            errors["cursor"] = ["cursor is not one this API returned (pass next_cursor of the previous page unchanged)"];
        }

        if (errors.Count > 0)
        {
            return Results.ValidationProblem(errors, title: "invalid alert query");
        }

        var filter = new AlertFilter
        {
            From = from,
            To = to,
            Namespace = Text(query, "namespace"),
            Detector = detector,
            RuleId = Text(query, "rule"),
            Severity = severity,
            State = state,
        };
        return Results.Ok(store.ListAlerts(filter, limit, cursor));
    }

    private static IResult Detail(string id, TriageStore store) =>
        store.GetAlert(id) is { } detail ? Results.Ok(detail) : NotFound(id);

    private static async Task<IResult> Transition(string id, HttpRequest request, TriageStore store, ClaimsPrincipal user)
    {
        var (body, problem) = await Json.ReadAsync<TransitionRequest>(request).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        if (Validate(body!.State, body.Comment, body.Assignee) is { } invalid)
        {
            return invalid;
        }

        var result = store.Transition([id], body.State!, ControlAuthentication.Actor(user), Blank(body.Assignee), Blank(body.Comment))[0];
        return result switch
        {
            TransitionResult.Done => Results.Ok(store.GetAlert(id)),
            TransitionResult.NotFound => NotFound(id),
            _ => Results.Problem(statusCode: 409, title: "transition not allowed",
                detail: $"alert '{id}' is {store.GetAlert(id)?.Alert.State}; it cannot move to {body.State} (new → acknowledged → resolved | false_positive)"),
        };
    }

    private static async Task<IResult> Bulk(HttpRequest request, TriageStore store, ControlOptions options, ClaimsPrincipal user)
    {
        var (body, problem) = await Json.ReadAsync<BulkTransitionRequest>(request).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        if (body!.Ids is not { Count: > 0 } ids || ids.Any(string.IsNullOrWhiteSpace))
        {
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["ids"] = ["ids must be a non-empty list of alert ids"] }, title: "invalid bulk action");
        }

        if (ids.Count > options.MaxBulkAlerts)
        {
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["ids"] = [$"at most {options.MaxBulkAlerts} alerts per bulk action (got {ids.Count})"] }, title: "invalid bulk action");
        }

        if (Validate(body.State, body.Comment, body.Assignee) is { } invalid)
        {
            return invalid;
        }

        var distinct = ids.Distinct(StringComparer.Ordinal).ToList();
        var outcomes = store.Transition(distinct, body.State!, ControlAuthentication.Actor(user), Blank(body.Assignee), Blank(body.Comment));
        var results = distinct.Select((id, i) => new BulkItemResult(id, outcomes[i] switch
        {
            TransitionResult.Done => "changed",
            TransitionResult.NotFound => "not_found",
            _ => "conflict",
        })).ToList();
        return Results.Ok(new BulkTransitionResponse(outcomes.Count(o => o == TransitionResult.Done), results));
    }

    private static async Task ExportLabels(HttpResponse response, TriageStore store)
    {
        response.ContentType = "application/x-ndjson";
        // The store reads synchronously; buffer the lines so the response is written asynchronously (Kestrel forbids sync IO).
        using var buffer = new StringWriter(CultureInfo.InvariantCulture);
        store.ExportLabels(buffer);
        await response.WriteAsync(buffer.ToString()).ConfigureAwait(false);
    }

    private static IResult? Validate(string? state, string? comment, string? assignee)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (state is null)
        {
            errors["state"] = ["state is required (acknowledged, resolved or false_positive)"];
        }
        else if (state is not (TriageStates.Acknowledged or TriageStates.Resolved or TriageStates.FalsePositive))
        {
            errors["state"] = [$"state '{state}' is not a target of triage (one of: acknowledged, resolved, false_positive)"];
        }

        if (comment is { Length: > MaxCommentLength })
        {
            errors["comment"] = [$"comment is longer than {MaxCommentLength} characters"];
        }

        if (assignee is { Length: > MaxAssigneeLength } || (assignee is not null && assignee.Any(char.IsControl)))
        {
            errors["assignee"] = [$"assignee must be at most {MaxAssigneeLength} characters without control characters"];
        }

        return errors.Count > 0 ? Results.ValidationProblem(errors, title: "invalid triage action") : null;
    }

    private static IResult NotFound(string id) => Results.Problem(statusCode: 404, title: "alert not found", detail: $"no alert with id '{id}'");

    private static string? Blank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    /// <summary>The <c>detector</c> and <c>state</c> filters, each checked against the known values (the alert list and the timeline share them).</summary>
    internal static (string? Detector, string? State) DetectorAndState(IQueryCollection query, Dictionary<string, string[]> errors)
    {
        string? detector = Text(query, "detector");
        if (detector is not null && detector is not (DetectorKinds.Signature or DetectorKinds.Behaviour or DetectorKinds.Policy or DetectorKinds.Intel))
        {
            errors["detector"] = [$"detector '{detector}' is unknown (one of: signature, behaviour, policy, intel)"];
        }

        string? state = Text(query, "state");
        if (state is not null && !TriageStates.IsKnown(state))
        {
            errors["state"] = [$"state '{state}' is unknown (one of: {string.Join(", ", TriageStates.All)})"];
        }

        return (detector, state);
    }

    internal static string? Text(IQueryCollection query, string key) => query.TryGetValue(key, out var value) && !string.IsNullOrEmpty(value.ToString()) ? value.ToString() : null;

    internal static DateTimeOffset? Time(IQueryCollection query, string key, Dictionary<string, string[]> errors)
    {
        string? text = Text(query, key);
        if (text is null)
        {
            return null;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time))
        {
            return time;
        }

        errors[key] = [$"'{key}' must be an ISO 8601 time such as 2026-11-27T10:00:00Z (got '{text}')"];
        return null;
    }

    private static int? Int(IQueryCollection query, string key, int min, int max, Dictionary<string, string[]> errors)
    {
        string? text = Text(query, key);
        if (text is null)
        {
            return null;
        }

        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value >= min && value <= max)
        {
            return value;
        }

        errors[key] = [$"'{key}' must be a whole number from {min} to {max} (got '{text}')"];
        return null;
    }
}
