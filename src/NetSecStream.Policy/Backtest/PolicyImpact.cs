using NetSecStream.Core.Events;
using NetSecStream.Policy.Evaluation;
using NetSecStream.Policy.Model;

namespace NetSecStream.Policy.Backtest;

/// <summary>What a candidate policy set does to recorded flows, and what it changes against the set in force.</summary>
public sealed class PolicyImpactReport
{
    public required PolicyPlan Plan { get; init; }

    /// <summary>Flows the candidate set denies that the baseline set does not.</summary>
    public long NewlyDenied { get; init; }

    /// <summary>Flows the baseline set denies that the candidate set no longer does.</summary>
    public long NewlyAllowed { get; init; }

    public IReadOnlyList<PlanExample> NewlyDeniedExamples { get; init; } = [];

    public IReadOnlyList<PlanExample> NewlyAllowedExamples { get; init; } = [];
}

/// <summary>
/// A backtest of a change: the same flows go through <see cref="PolicyPlanner"/> with the candidate set (the policies
/// in force, the edited one replaced) and through an evaluator with the baseline set (the policies in force), so the
/// plan says both what the result would be and what the edit itself changes.
/// </summary>
public sealed class PolicyImpact
{
    private readonly PolicyPlanner _candidate;
    private readonly PolicyEvaluator _baseline;
    private readonly int _examples;
    private readonly List<PlanExample> _newlyDeniedExamples = [];
    private readonly List<PlanExample> _newlyAllowedExamples = [];
    private long _newlyDenied;
    private long _newlyAllowed;

    public PolicyImpact(IReadOnlyList<PolicyDefinition> baseline, IReadOnlyList<PolicyDefinition> candidate, int examples = 5)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        ArgumentNullException.ThrowIfNull(candidate);
        _candidate = new PolicyPlanner(candidate, examples);
        _baseline = new PolicyEvaluator(baseline);
        _examples = examples;
    }

    public void Add(FlowEvent flow)
    {
        ArgumentNullException.ThrowIfNull(flow);
        if (_candidate.Add(flow) is not { } after)
        {
            return;
        }

        var before = _baseline.Evaluate(flow);
        if (after.Kind == VerdictKind.Denied && before.Kind != VerdictKind.Denied)
        {
            _newlyDenied++;
            Keep(_newlyDeniedExamples, flow, after.Reason);
        }
        else if (before.Kind == VerdictKind.Denied && after.Kind != VerdictKind.Denied)
        {
            _newlyAllowed++;
            Keep(_newlyAllowedExamples, flow, before.Reason);
        }
    }

    private void Keep(List<PlanExample> examples, FlowEvent flow, string reason)
    {
        if (examples.Count >= _examples)
        {
            return;
        }

        var example = PolicyPlanner.Example(flow, reason);
        if (!examples.Exists(e => e.Source == example.Source && e.Destination == example.Destination && e.Port == example.Port && e.Protocol == example.Protocol))
        {
            examples.Add(example);
        }
    }

    public PolicyImpactReport Finish() => new()
    {
        Plan = _candidate.Finish(),
        NewlyDenied = _newlyDenied,
        NewlyAllowed = _newlyAllowed,
        NewlyDeniedExamples = _newlyDeniedExamples,
        NewlyAllowedExamples = _newlyAllowedExamples,
    };
}
