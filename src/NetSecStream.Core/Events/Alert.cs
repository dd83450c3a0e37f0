namespace NetSecStream.Core.Events;

/// <summary>One detection raised by a detector on one flow event.</summary>
public sealed class Alert
{
    /// <summary>Unique id of this alert (ULID-like, sortable by time).</summary>
    public required string Id { get; init; }

    public required DateTimeOffset Timestamp { get; init; }

    /// <summary>Which detector family raised it: <see cref="DetectorKinds"/>.</summary>
    public required string Detector { get; init; }

    /// <summary>Rule id, indicator id or model id.</summary>
    public required string RuleId { get; init; }

    public required string RuleName { get; init; }

    public string? RuleCategory { get; init; }

    /// <summary>Ruleset, indicator list or model name.</summary>
    public string? Ruleset { get; init; }

    /// <summary>Rule revision or model version.</summary>
    public string? RuleVersion { get; init; }

    /// <summary>1 (highest) to 4 (lowest), as Suricata priorities.</summary>
    public required int Severity { get; init; }

    /// <summary>0-100.</summary>
    public required double RiskScore { get; init; }

    /// <summary>The mode that applied to the flow's namespace when the alert was decided.</summary>
    public Mode Mode { get; set; } = Mode.Alert;

    /// <summary>
    /// Whether the finding itself asks for a block: true for Suricata <c>drop</c>/<c>reject</c> rules, false for
    /// <c>alert</c> rules (which never block, whatever the namespace's mode), null when the detector leaves it to the
    /// mode (intel, behaviour, policy). A block happens only where the namespace's mode is block.
    /// </summary>
    public bool? RequestsBlock { get; init; }

    /// <summary>Human-readable reason: matched keywords, indicator and list, or the features behind a score.</summary>
    public required string Explanation { get; init; }

    /// <summary>Same key = same finding; the decide stage counts repeats instead of raising them again.</summary>
    public required string DedupeKey { get; init; }

    /// <summary>How many occurrences of the finding this alert stands for (itself and the repeats folded into it).</summary>
    public long DedupeCount { get; set; } = 1;

    /// <summary>For an alert standing for several occurrences: when the earliest of them happened (event time); null otherwise.</summary>
    public DateTimeOffset? FirstSeen { get; set; }

    /// <summary>For an alert standing for several occurrences: when the latest of them happened (event time); null otherwise.</summary>
    public DateTimeOffset? LastSeen { get; set; }

    /// <summary>The flow the alert is about.</summary>
    public required FlowEvent Flow { get; init; }

}

public static class DetectorKinds
{
    public const string Signature = "signature";
    public const string Behaviour = "behaviour";
    public const string Policy = "policy";
    public const string Intel = "intel";
}
