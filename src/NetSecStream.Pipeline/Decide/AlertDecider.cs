using NetSecStream.Core.Events;
using NetSecStream.Core;
using NetSecStream.Core.Telemetry;

namespace NetSecStream.Pipeline.Decide;

/// <summary>
/// The decide stage: applies the mode of the flow's namespace to each alert and folds repeats.
/// Repeats of a key inside the window (in event time, so replays decide the same way) are counted, not raised; the
/// next alert for the key after the window stands for everything folded since: its <see cref="Alert.DedupeCount"/>
/// is their number plus one, <see cref="Alert.FirstSeen"/> the earliest and <see cref="Alert.LastSeen"/> its own time.
/// The key and window are the detector's <see cref="AggregationRule"/> where <c>Pipeline:Aggregation</c> has one,
/// else the alert's own dedupe key and <c>Pipeline:DedupeWindow</c>.
/// The first alert of a key is raised at once and nothing is held back: a batch's alerts all leave with the batch, so
/// a committed position never covers an alert still waiting in this table. The price: repeats folded after the last
/// raised alert of a key are only counted (<c>netsec_alerts_deduplicated</c>) until the key fires again.
/// The table of keys is bounded: when full, the oldest half is forgotten and counted in <c>netsec_state_evicted</c>.
/// </summary>
public sealed class AlertDecider
{
    public const string ComponentId = "decide";
    private const string TableName = "aggregation";

    private readonly ModeResolver _modes;
    private readonly NetSecMetrics _metrics;
    private readonly TimeSpan _window;
    private readonly int _maxKeys;
    private readonly IReadOnlyDictionary<string, AggregationRule> _rules;
    private readonly Dictionary<string, DedupeState> _seen = new(StringComparer.Ordinal);

    public AlertDecider(ModeResolver modes, NetSecMetrics metrics, TimeSpan window, int maxKeys, IReadOnlyDictionary<string, AggregationRule>? rules = null)
    {
        _modes = modes ?? throw new ArgumentNullException(nameof(modes));
        _metrics = metrics ?? throw new ArgumentNullException(nameof(metrics));
        ArgumentOutOfRangeException.ThrowIfLessThan(maxKeys, 1);
        _window = window;
        _maxKeys = maxKeys;
        _rules = rules ?? new Dictionary<string, AggregationRule>(StringComparer.Ordinal);
    }

    public int TrackedKeys => _seen.Count;

    /// <summary>Decides a batch's alerts in place: returns the alerts to emit, in input order.</summary>
    public List<Alert> Decide(IReadOnlyList<Alert> candidates)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        var decided = new List<Alert>(candidates.Count);
        foreach (var alert in candidates)
        {
            alert.Mode = _modes.Resolve(alert.Flow);
            if (alert.Mode == Mode.Block && alert.RequestsBlock == false)
            {
                // An alert rule in a namespace that blocks still only alerts; drop and reject rules block there.
                alert.Mode = Mode.Alert;
            }

            var (key, window) = _rules.TryGetValue(alert.Detector, out var rule) ? (rule.KeyOf(alert), rule.Window) : (alert.DedupeKey, _window);
            if (window > TimeSpan.Zero && _seen.TryGetValue(key, out var state))
            {
                if (alert.Timestamp - state.WindowStart < window)
                {
                    state.Folded++;
                    state.FirstFolded ??= alert.Timestamp;
                    _metrics.AlertDeduplicated(alert.Detector);
                    continue;
                }

                if (state.Folded > 0)
                {
                    alert.DedupeCount = state.Folded + 1;
                    alert.FirstSeen = state.FirstFolded < alert.Timestamp ? state.FirstFolded : alert.Timestamp;
                    alert.LastSeen = alert.Timestamp;
                }

                state.WindowStart = alert.Timestamp;
                state.Folded = 0;
                state.FirstFolded = null;
            }
            else if (window > TimeSpan.Zero)
            {
                if (_seen.Count >= _maxKeys)
                {
                    Evict();
                }

                _seen[key] = new DedupeState { WindowStart = alert.Timestamp };
            }

            _metrics.AlertRaised(alert.Detector, alert.Mode);
            decided.Add(alert);
        }

        return decided;
    }

    private void Evict()
    {
        var oldest = _seen.OrderBy(p => p.Value.WindowStart).Take(Math.Max(1, _seen.Count / 2)).Select(p => p.Key).ToList();
        foreach (string key in oldest)
        {
            _seen.Remove(key);
        }

        _metrics.StateEvicted(ComponentId, TableName, "capacity", oldest.Count);
    }

    private sealed class DedupeState
    {
        public DateTimeOffset WindowStart { get; set; }

        public long Folded { get; set; }

        public DateTimeOffset? FirstFolded { get; set; }
    }
}
