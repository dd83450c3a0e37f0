using NetSecStream.Core.Events;
using NetSecStream.Signatures.Keywords;
using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Engine.State;

/// <summary>Bounds of the engine's state tables (Detectors:Signatures:MaxFlowStates ...).</summary>
public sealed record DetectionStateLimits
{
    /// <summary>Most flows with flowbits kept at once; the least recently used flow is evicted beyond.</summary>
    public int MaxFlows { get; init; } = 100_000;

    /// <summary>A flow's bits are dropped when the flow has no event for this long (event time).</summary>
    public TimeSpan FlowIdleTimeout { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Most threshold / detection_filter counters kept at once.</summary>
    public int MaxThresholdEntries { get; init; } = 100_000;

    /// <summary>Most xbits (host or address-pair bits) kept at once.</summary>
    public int MaxXbits { get; init; } = 100_000;
}

/// <summary>The part of a compiled rule the stateful phase needs.</summary>
public sealed class StatefulRule
{
    public StatefulRule(int index, Rule rule, FlowbitNames names, ThresholdConfig? thresholdConfig = null)
    {
        ArgumentNullException.ThrowIfNull(rule);
        Index = index;
        Rule = rule;
        (Threshold, DetectionFilter) = thresholdConfig?.Effective(rule) ?? (rule.Threshold, rule.DetectionFilter);
        Suppressions = thresholdConfig?.SuppressionsOf(rule) ?? [];
        Flowbits = FlowbitsProgram.Compile(rule, names);
        Xbits = XbitsProgram.Compile(rule);
        NoAlert = Flowbits?.NoAlert == true || rule.Options.Any(o => o.Keyword == "noalert");
        IsStateful = Flowbits is not null || Xbits is not null || NoAlert || Threshold is not null || DetectionFilter is not null || Suppressions.Count > 0;

        // Suricata's default action order (pass, drop, reject, alert), then the flowbits order, then the xbits
        // (host and IP-pair bits) order, then rule order.
        int action = rule.Action switch
        {
            RuleAction.Pass => 0,
            RuleAction.Drop => 1,
            RuleAction.Reject or RuleAction.RejectSrc or RuleAction.RejectDst or RuleAction.RejectBoth => 2,
            RuleAction.Alert => 3,
            _ => 4,
        };
        int bits = ((int)(Flowbits?.Order ?? FlowbitsOrder.None) * 4) + (int)(Xbits?.Order ?? FlowbitsOrder.None);
        OrderKey = ((long)((action * 16) + bits) << 32) | (uint)index;
    }

    public int Index { get; }

    public Rule Rule { get; }

    public FlowbitsProgram? Flowbits { get; }

    public XbitsProgram? Xbits { get; }

    /// <summary>The rule's threshold, or the one threshold.config gives it.</summary>
    public ThresholdOption? Threshold { get; }

    /// <summary>The rule's detection_filter (none when threshold.config overrides the rule's thresholding).</summary>
    public ThresholdOption? DetectionFilter { get; }

    /// <summary>threshold.config suppress lines for this rule.</summary>
    public IReadOnlyList<Suppression> Suppressions { get; }

    /// <summary>flowbits:noalert or noalert: the rule updates state but is never reported.</summary>
    public bool NoAlert { get; }

    /// <summary>True when the rule reads or writes flowbits or is thresholded.</summary>
    public bool IsStateful { get; }

    /// <summary>Sort key of the per-event evaluation order.</summary>
    public long OrderKey { get; }
}

/// <summary>
/// The engine's cross-event state: flowbits per flow, xbits per host or address pair, and threshold counters, all in
/// bounded tables expiring in event time. <see cref="Decide"/> runs the stateful phase of one event under one lock, so an engine shared by
/// several threads stays consistent (each event's tests, writes and counts are atomic). The pipeline calls the
/// signatures detector from one stage, batch after batch in stream order, so the lock is uncontended there; the
/// content matching before it runs outside the lock.
/// </summary>
public sealed class DetectionState
{
    private readonly Lock _lock = new();
    private readonly BoundedStateTable<string, ulong[]> _flows;
    private readonly ThresholdTracker _thresholds;
    private readonly BoundedStateTable<string, bool> _xbits;
    private readonly int _words;
    private readonly TimeSpan _flowIdle;

    /// <param name="bitCount">Number of distinct flowbit names of the rule set.</param>
    /// <param name="limits">Table bounds.</param>
    /// <param name="evicted">Told of each entry dropped from a table: the table (<c>flowbits</c>, <c>thresholds</c>) and why.</param>
    public DetectionState(int bitCount, DetectionStateLimits limits, Action<string, StateEvictionReason>? evicted = null)
    {
        ArgumentNullException.ThrowIfNull(limits);
        _words = Math.Max(1, (bitCount + 63) / 64);
        _flowIdle = limits.FlowIdleTimeout;
        _flows = new BoundedStateTable<string, ulong[]>(limits.MaxFlows, evicted is null ? null : r => evicted("flowbits", r), StringComparer.Ordinal);
        _xbits = new BoundedStateTable<string, bool>(limits.MaxXbits, evicted is null ? null : r => evicted("xbits", r), StringComparer.Ordinal);
        _thresholds = new ThresholdTracker(limits.MaxThresholdEntries, limits.FlowIdleTimeout, evicted is null ? null : r => evicted("thresholds", r));
    }

    /// <summary>Flows with bits now (a snapshot).</summary>
    public int FlowCount
    {
        get
        {
            lock (_lock)
            {
                return _flows.Count;
            }
        }
    }

    /// <summary>Threshold counters now (a snapshot).</summary>
    public int ThresholdCount
    {
        get
        {
            lock (_lock)
            {
                return _thresholds.Count;
            }
        }
    }

    /// <summary>Live xbits now (a snapshot; expired ones may still be counted until swept).</summary>
    public int XbitCount
    {
        get
        {
            lock (_lock)
            {
                return _xbits.Count;
            }
        }
    }

    /// <summary>Flows evicted because the flowbits table was full.</summary>
    public long FlowsEvicted
    {
        get
        {
            lock (_lock)
            {
                return _flows.EvictedForCapacity;
            }
        }
    }

    /// <summary>
    /// The stateful phase of one event. <paramref name="ordered"/> are the rules whose other conditions matched the
    /// event, in <see cref="StatefulRule.OrderKey"/> order. For each: its flowbit tests must hold on the flow's bits as
    /// the earlier rules of this event left them; then its writes apply; a <c>pass</c> rule ends the event (false:
    /// report nothing); a noalert or suppressed rule is not reported (and not counted); a thresholded rule is reported
    /// only when its counter allows.
    /// <paramref name="report"/>[i] says whether <paramref name="ordered"/>[i] alerts.
    /// </summary>
    public bool Decide(FlowEvent flow, IReadOnlyList<StatefulRule> ordered, Span<bool> report)
    {
        ArgumentNullException.ThrowIfNull(flow);
        ArgumentNullException.ThrowIfNull(ordered);
        string? flowKey = null;
        string FlowKey() => flowKey ??= FlowStateKey.Of(flow);
        DateTimeOffset now = flow.Timestamp;
        lock (_lock)
        {
            ulong[]? bits = null;
            bool looked = false;
            for (int i = 0; i < ordered.Count; i++)
            {
                StatefulRule r = ordered[i];
                report[i] = false;
                FlowbitsProgram? fb = r.Flowbits;
                if (fb is not null && !looked)
                {
                    looked = true;
                    _flows.TryGet(FlowKey(), now, EventTime.After(now, _flowIdle), out bits);
                }

                if ((fb is { Reads: true } && !fb.Holds(bits)) || (r.Xbits is { Reads: true } xb && !xb.Holds(_xbits, flow)))
                {
                    continue;
                }

                if (fb is { Writes: true })
                {
                    bits ??= _flows.GetOrAdd(FlowKey(), now, EventTime.After(now, _flowIdle), () => new ulong[_words]);
                    fb.Apply(bits);
                }

                r.Xbits?.Apply(_xbits, flow);
                if (r.Rule.Action == RuleAction.Pass)
                {
                    return false;
                }

                if (r.NoAlert || Suppressed(r, flow))
                {
                    continue;
                }

                report[i] = Allowed(r, r.DetectionFilter, flow, FlowKey) && Allowed(r, r.Threshold, flow, FlowKey);
            }
        }

        return true;
    }

    private static bool Suppressed(StatefulRule r, FlowEvent flow)
    {
        foreach (Suppression s in r.Suppressions)
        {
            if (s.Suppresses(flow))
            {
                return true;
            }
        }

        return false;
    }

    private bool Allowed(StatefulRule r, ThresholdOption? option, FlowEvent flow, Func<string> flowKey) =>
        option is null || _thresholds.Allow(r.Index, option, flow, flowKey);
}
