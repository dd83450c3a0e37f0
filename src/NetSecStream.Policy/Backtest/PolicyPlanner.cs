using System.Text.Json.Serialization;
using System.Diagnostics;
using NetSecStream.Core.Events;
using NetSecStream.Policy.Evaluation;
using NetSecStream.Policy.Model;

namespace NetSecStream.Policy.Backtest;

/// <summary>One recorded flow a policy would deny (or could not judge), as the plan shows it.</summary>
public sealed record PlanExample(
    [property: JsonPropertyName("time")] DateTimeOffset Time,
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("destination")] string Destination,
    [property: JsonPropertyName("port")] ushort Port,
    [property: JsonPropertyName("protocol")] string Protocol,
    [property: JsonPropertyName("reason")] string Reason);

/// <summary>What one policy would do to the recorded flows of one namespace.</summary>
public sealed class PlanEntry(string policy, string? kind, string ns)
{
    public string Policy { get; } = policy;

    public string? Kind { get; } = kind;

    /// <summary>The namespace of the endpoints the policy decided for.</summary>
    public string Namespace { get; } = ns;

    public long Denied { get; internal set; }

    public long NotEvaluated { get; internal set; }

    public List<PlanExample> Examples { get; } = [];

    public List<PlanExample> NotEvaluatedExamples { get; } = [];
}

/// <summary>The outcome of a backtest: totals by verdict and, per policy and namespace, what would be denied.</summary>
public sealed class PolicyPlan
{
    public long Flows { get; internal set; }

    /// <summary>Replies and single packets: the dataplane judges connections, not these.</summary>
    public long Skipped { get; internal set; }

    public long Allowed { get; internal set; }

    public long Denied { get; internal set; }

    public long NotEvaluated { get; internal set; }

    public long NotSelected { get; internal set; }

    public TimeSpan Elapsed { get; internal set; }

    public long CacheHits { get; internal set; }

    public long CacheMisses { get; internal set; }

    /// <summary>Entries with something to report, most denied first.</summary>
    public List<PlanEntry> Entries { get; } = [];
}

/// <summary>
/// Backtest (<c>netsec policy plan</c>): runs recorded flows through the evaluator and counts, per deciding policy
/// and namespace, the flows it would deny, keeping a few examples of each, before anything is enforced.
/// </summary>
public sealed class PolicyPlanner
{
    private readonly PolicyEvaluator _evaluator;
    private readonly int _examples;
    private readonly Dictionary<string, PolicyKind> _kinds;
    private readonly Dictionary<(string Policy, string Namespace), PlanEntry> _entries = [];
    private readonly PolicyPlan _plan = new();
    private readonly Stopwatch _clock = new();

    public PolicyPlanner(IReadOnlyList<PolicyDefinition> policies, int examplesPerEntry = 3, int cacheCapacity = PolicyEvaluator.DefaultCacheCapacity)
    {
        ArgumentNullException.ThrowIfNull(policies);
        _evaluator = new PolicyEvaluator(policies, cacheCapacity);
        _examples = examplesPerEntry;
        _kinds = [];
        foreach (var policy in policies)
        {
            _kinds.TryAdd(policy.FullName, policy.Kind);
        }
    }

    public long Seen => _plan.Flows;

    /// <summary>Counts a reply the reader recognised without decoding it.</summary>
    public void AddReply()
    {
        _plan.Flows++;
        _plan.Skipped++;
    }

    /// <summary>Counts one flow; returns its verdict, or null for a reply or a packet (skipped).</summary>
    public PolicyVerdict? Add(FlowEvent flow)
    {
        ArgumentNullException.ThrowIfNull(flow);
        _clock.Start();
        _plan.Flows++;
        if (flow.Kind == FlowEventKind.Packet || flow.IsReply == true)
        {
            _plan.Skipped++;
            _clock.Stop();
            return null;
        }

        var verdict = _evaluator.Evaluate(flow);
        switch (verdict.Kind)
        {
            case VerdictKind.Allowed:
                _plan.Allowed++;
                break;
            case VerdictKind.NotSelected:
                _plan.NotSelected++;
                break;
            case VerdictKind.Denied:
                _plan.Denied++;
                Record(flow, verdict, denied: true);
                break;
            default:
                _plan.NotEvaluated++;
                Record(flow, verdict, denied: false);
                break;
        }

        _clock.Stop();
        return verdict;
    }

    private void Record(FlowEvent flow, PolicyVerdict verdict, bool denied)
    {
        for (int i = 0; i < verdict.Policies.Count; i++)
        {
            string policy = verdict.Policies[i];
            string ns = i < verdict.Subjects.Count ? verdict.Subjects[i] : "";
            if (!_entries.TryGetValue((policy, ns), out var entry))
            {
                entry = new PlanEntry(policy, _kinds.TryGetValue(policy, out var kind) ? kind.ToString() : null, ns);
                _entries[(policy, ns)] = entry;
            }

            var examples = denied ? entry.Examples : entry.NotEvaluatedExamples;
            if (denied)
            {
                entry.Denied++;
            }
            else
            {
                entry.NotEvaluated++;
            }

            if (examples.Count < _examples)
            {
                // Distinct examples: the same connection repeated shows nothing new.
                var example = Example(flow, verdict.Reason);
                if (!examples.Exists(e => e.Source == example.Source && e.Destination == example.Destination && e.Port == example.Port && e.Protocol == example.Protocol))
                {
                    examples.Add(example);
                }
            }
        }
    }

    public PolicyPlan Finish()
    {
        _plan.Elapsed = _clock.Elapsed;
        _plan.CacheHits = _evaluator.CacheHits;
        _plan.CacheMisses = _evaluator.CacheMisses;
        _plan.Entries.Clear();
        _plan.Entries.AddRange(_entries.Values
            .OrderByDescending(e => e.Denied).ThenByDescending(e => e.NotEvaluated)
            .ThenBy(e => e.Policy, StringComparer.Ordinal).ThenBy(e => e.Namespace, StringComparer.Ordinal));
        return _plan;
    }

    /// <summary>A flow as the plan shows it, with the reason of its verdict.</summary>
    public static PlanExample Example(FlowEvent flow, string reason)
    {
        ArgumentNullException.ThrowIfNull(flow);
        return new PlanExample(flow.Timestamp, Describe(flow.Source), Describe(flow.Destination), flow.Destination.Port,
            CompactFlow.ProtocolName(flow.IpProtocol), reason);
    }

    private static string Describe(FlowEndpoint endpoint)
    {
        if (endpoint.Namespace is { } ns)
        {
            return ns + "/" + (endpoint.Pod ?? endpoint.Workload ?? endpoint.Ip.ToString());
        }

        return (endpoint.ReservedEntity ?? "world") + " " + endpoint.Ip;
    }
}
