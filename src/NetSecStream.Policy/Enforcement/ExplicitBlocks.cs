using System.Net;
using NetSecStream.Core.Events;
using NetSecStream.Policy.Blocking;

namespace NetSecStream.Policy.Enforcement;

/// <summary>
/// An operator's "block this now": from an alert (the offender and the workload it hit, whatever the alert's mode), or
/// a source address and the workload (namespace and stable labels) to protect from it. <see cref="Ttl"/> is the
/// operator's, not escalated; at most <see cref="EnforcementOptions.MaxTtl"/>.
/// </summary>
public sealed record ExplicitBlockRequest(string Actor, TimeSpan Ttl, string Reason)
{
    public Alert? Alert { get; init; }

    public IPAddress? Source { get; init; }

    public string? Namespace { get; init; }

    public IReadOnlyDictionary<string, string>? Labels { get; init; }

    /// <summary>The id an operator's block carries in its <c>netsec.io/alert-id</c> annotation when no alert is named.</summary>
    public const string ManualAlertId = "manual";
}

/// <summary>What became of an operator's block or revoke.</summary>
public enum ExplicitOutcome
{
    /// <summary>Written to every target (new, or an existing block lengthened).</summary>
    Applied,

    /// <summary>Every target already holds it for at least as long; nothing written.</summary>
    AlreadyHeld,

    /// <summary>Removed from every target that held it.</summary>
    Revoked,

    /// <summary>The allowlist or the flow refuses it (see the refusal).</summary>
    Refused,

    /// <summary>The TTL is not positive or exceeds the maximum.</summary>
    InvalidTtl,

    RateLimited,

    Capacity,

    QueueFull,

    NotRunning,

    /// <summary>No block with that id is held.</summary>
    NotFound,

    /// <summary>The API refused or did not answer for at least one target (audited as an error).</summary>
    Failed,
}

/// <summary>The outcome, why (for refusals and failures), and the blocks as they stand afterwards.</summary>
public sealed record ExplicitResult(ExplicitOutcome Outcome, string Detail, IReadOnlyList<ActiveBlock> Blocks)
{
    /// <summary>For <see cref="ExplicitOutcome.Refused"/>: the planner's reason (<see cref="BlockRefusal"/> constants).</summary>
    public string? RefusalReason { get; init; }

    public BlockPlan? Plan { get; init; }
}
