using System.Text.Json.Serialization;

namespace NetSecStream.Control.Store;

/// <summary>Triage states and the transitions between them.</summary>
public static class TriageStates
{
    public const string New = "new";
    public const string Acknowledged = "acknowledged";
    public const string Resolved = "resolved";
    public const string FalsePositive = "false_positive";

    public static IReadOnlyList<string> All { get; } = [New, Acknowledged, Resolved, FalsePositive];

    /// <summary>
    /// <c>new → acknowledged → resolved | false_positive</c>; an analyst may also close a new alert at once (an obvious
    /// false positive needs no acknowledgement first). Closed alerts stay closed: a new occurrence is a new alert.
    /// </summary>
    public static bool CanMove(string from, string to) => (from, to) switch
    {
        (New, Acknowledged) => true,
        (New or Acknowledged, Resolved or FalsePositive) => true,
        _ => false,
    };

    public static bool IsKnown(string? state) => state is New or Acknowledged or Resolved or FalsePositive;
}

/// <summary>Roles of API tokens, each allowed what the ones below it are.</summary>
public enum ControlRole
{
    /// <summary>Reads alerts, rules, models, health.</summary>
    Viewer = 1,

    /// <summary>Also triages alerts.</summary>
    Analyst = 2,

    /// <summary>Also changes rules, models, tokens and reads the audit log.</summary>
    Admin = 3,
}

public static class ControlRoles
{
    public static string ToName(ControlRole role) => role switch
    {
        ControlRole.Viewer => "viewer",
        ControlRole.Analyst => "analyst",
        ControlRole.Admin => "admin",
        _ => throw new ArgumentOutOfRangeException(nameof(role)),
    };

    public static bool TryParse(string? text, out ControlRole role)
    {
        role = text switch
        {
            "viewer" => ControlRole.Viewer,
            "analyst" => ControlRole.Analyst,
            "admin" => ControlRole.Admin,
            _ => 0,
        };
        return role != 0;
    }
}

/// <summary>One alert as the list shows it.</summary>
public sealed record AlertSummary(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("timestamp")] DateTimeOffset Timestamp,
    [property: JsonPropertyName("detector")] string Detector,
    [property: JsonPropertyName("rule_id")] string RuleId,
    [property: JsonPropertyName("rule_name")] string RuleName,
    [property: JsonPropertyName("severity")] int Severity,
    [property: JsonPropertyName("risk_score")] double RiskScore,
    [property: JsonPropertyName("mode")] string Mode,
    [property: JsonPropertyName("namespace")] string? Namespace,
    [property: JsonPropertyName("workload")] string? Workload,
    [property: JsonPropertyName("source_ip")] string SourceIp,
    [property: JsonPropertyName("source_port")] int SourcePort,
    [property: JsonPropertyName("destination_ip")] string DestinationIp,
    [property: JsonPropertyName("destination_port")] int DestinationPort,
    [property: JsonPropertyName("community_id")] string? CommunityId,
    [property: JsonPropertyName("dedupe_count")] long DedupeCount,
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("assignee")] string? Assignee,
    [property: JsonPropertyName("updated_at")] DateTimeOffset? UpdatedAt);

/// <summary>One triage step of an alert.</summary>
public sealed record TriageEvent(
    [property: JsonPropertyName("at")] DateTimeOffset At,
    [property: JsonPropertyName("actor")] string Actor,
    [property: JsonPropertyName("from")] string From,
    [property: JsonPropertyName("to")] string To,
    [property: JsonPropertyName("assignee")] string? Assignee,
    [property: JsonPropertyName("comment")] string? Comment);

/// <summary>An alert with its explanation, its ECS document and its triage history.</summary>
public sealed record AlertDetail(
    [property: JsonPropertyName("alert")] AlertSummary Alert,
    [property: JsonPropertyName("explanation")] string Explanation,
    [property: JsonPropertyName("ecs")] System.Text.Json.JsonElement Ecs,
    [property: JsonPropertyName("history")] IReadOnlyList<TriageEvent> History);

/// <summary>A page of alerts; <see cref="NextCursor"/> fetches the next (older) page, null on the last.</summary>
public sealed record AlertPage(
    [property: JsonPropertyName("items")] IReadOnlyList<AlertSummary> Items,
    [property: JsonPropertyName("next_cursor")] string? NextCursor);

/// <summary>Filters of the alert list; every one optional, all must hold.</summary>
public sealed record AlertFilter
{
    public DateTimeOffset? From { get; init; }

    public DateTimeOffset? To { get; init; }

    public string? Namespace { get; init; }

    public string? Detector { get; init; }

    public string? RuleId { get; init; }

    public int? Severity { get; init; }

    public string? State { get; init; }
}

/// <summary>An audit log entry: who changed what, when.</summary>
public sealed record AuditEntry(
    [property: JsonPropertyName("id")] long Id,
    [property: JsonPropertyName("at")] DateTimeOffset At,
    [property: JsonPropertyName("actor")] string Actor,
    [property: JsonPropertyName("action")] string Action,
    [property: JsonPropertyName("target")] string Target,
    [property: JsonPropertyName("details")] string? Details);

/// <summary>An API token as listed (never its secret).</summary>
public sealed record TokenInfo(
    [property: JsonPropertyName("id")] long Id,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("role")] string Role,
    [property: JsonPropertyName("created_at")] DateTimeOffset CreatedAt,
    [property: JsonPropertyName("last_used_at")] DateTimeOffset? LastUsedAt,
    [property: JsonPropertyName("revoked")] bool Revoked);

/// <summary>Outcome of one triage transition.</summary>
public enum TransitionResult
{
    Done,
    NotFound,
    Conflict,
}
