using NetSecStream.Core.Events;
using NetSecStream.Signatures.Keywords;

namespace NetSecStream.Signatures.Engine.State;

/// <summary>
/// Counts the matches of rules with <c>threshold</c> or <c>detection_filter</c> per tracked entity and decides, in
/// event time, whether a match alerts. Suricata's semantics (thresholding.html):
/// <list type="bullet">
/// <item><c>limit</c>: the first <c>count</c> matches of each window alert.</item>
/// <item><c>threshold</c>: every <c>count</c>-th match of a window alerts (the count restarts after each alert).</item>
/// <item><c>both</c>: one alert per window, at the <c>count</c>-th match.</item>
/// <item><c>backoff</c>: alerts at the <c>count</c>-th match, then each time the count reaches the previous alert's count times <c>multiplier</c> (no window).</item>
/// <item><c>detection_filter</c>: every match once more than <c>count</c> matches (with <c>unique_on</c>: more than
/// <c>count</c> distinct source or destination ports) were seen in the window.</item>
/// </list>
/// A window starts at the first match of an entity and holds while the event time is at most <c>seconds</c> later;
/// the next match after that starts a new one. Entities are the event's source address (<c>by_src</c>), destination
/// address (<c>by_dst</c>), the unordered address pair (<c>by_both</c>), the flow (<c>by_flow</c>) or the rule alone
/// (<c>by_rule</c>); the sender of the event's direction is its source. Entries live in a bounded table; an entry
/// leaves it when its window ends or, when full, the least recently used one is evicted. Not thread-safe:
/// <see cref="DetectionState"/> serializes access.
/// </summary>
public sealed class ThresholdTracker
{
    /// <summary>Most distinct ports remembered per entry for <c>unique_on</c>; past <c>count</c> + 1 the answer cannot change.</summary>
    private const int MaxDistinctPorts = 65536;

    private readonly BoundedStateTable<Key, Counter> _table;
    private readonly TimeSpan _noWindowLifetime;

    public ThresholdTracker(int capacity, TimeSpan noWindowLifetime, Action<StateEvictionReason>? evicted = null)
    {
        _table = new BoundedStateTable<Key, Counter>(capacity, evicted);
        _noWindowLifetime = noWindowLifetime;
    }

    public int Count => _table.Count;

    public BoundedStateTable<Key, Counter> Table => _table;

    /// <summary>
    /// Records one match of rule <paramref name="rule"/> under <paramref name="option"/> and says whether it alerts.
    /// <paramref name="flowKey"/> is asked for only by <c>by_flow</c>.
    /// </summary>
    public bool Allow(int rule, ThresholdOption option, FlowEvent flow, Func<string> flowKey)
    {
        ArgumentNullException.ThrowIfNull(option);
        ArgumentNullException.ThrowIfNull(flow);
        ArgumentNullException.ThrowIfNull(flowKey);
        string track = option.Track switch
        {
            "by_src" => flow.Source.Ip.ToString(),
            "by_dst" => flow.Destination.Ip.ToString(),
            "by_both" => FlowStateKey.AddressPair(flow),
            "by_flow" => flowKey(),
            _ => "",
        };
        var key = new Key(rule, option.Type == "detection_filter", track);
        DateTimeOffset now = flow.Timestamp;
        bool windowed = option.Type != "backoff";
        if (!_table.TryGet(key, now, windowed ? null : EventTime.After(now, _noWindowLifetime), out Counter? c))
        {
            c = new Counter { WindowStart = now, NextAlertAt = Math.Max(1, option.Count) };
            _table.Add(key, c, EventTime.After(now, windowed ? TimeSpan.FromSeconds(option.Seconds) : _noWindowLifetime));
        }

        c.Matches++;
        if (option.UniqueOn is { } unique)
        {
            c.Ports ??= [];
            if (c.Ports.Count <= Math.Min(option.Count, MaxDistinctPorts))
            {
                c.Ports.Add(unique == "src_port" ? flow.Source.Port : flow.Destination.Port);
            }
        }

        switch (option.Type)
        {
            case "limit":
                return c.Matches <= option.Count;
            case "threshold":
                if (c.Matches >= option.Count)
                {
                    c.Matches = 0;
                    return true;
                }

                return false;
            case "both":
                return c.Matches == option.Count;
            case "backoff":
                if (c.Matches >= c.NextAlertAt)
                {
                    long multiplier = option.Multiplier ?? 1;
                    c.NextAlertAt = multiplier <= 1 ? c.NextAlertAt + 1
                        : c.NextAlertAt > long.MaxValue / multiplier ? long.MaxValue : c.NextAlertAt * multiplier;
                    return true;
                }

                return false;
            default:
                return (c.Ports?.Count ?? c.Matches) > option.Count;
        }
    }

    /// <summary>One tracked entity of one rule; <paramref name="Filter"/> separates a rule's detection_filter from its threshold.</summary>
    public readonly record struct Key(int Rule, bool Filter, string Track);

    /// <summary>The count of one entity's current window.</summary>
    public sealed class Counter
    {
        public DateTimeOffset WindowStart { get; set; }

        public long Matches { get; set; }

        /// <summary>backoff: the match count of the next alert.</summary>
        public long NextAlertAt { get; set; }

        /// <summary>unique_on: the distinct ports seen in the window (capped, see <see cref="MaxDistinctPorts"/>).</summary>
        public HashSet<ushort>? Ports { get; set; }
    }
}
