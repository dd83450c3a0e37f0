using NetSecStream.Core.Events;
using NetSecStream.Core;
using NetSecStream.Core.Telemetry;

namespace NetSecStream.Pipeline.Decide;

/// <summary>
/// The decide stage: applies the mode of the flow's namespace to each alert and folds repeats.
/// Repeats of a dedupe key inside the window (in event time, so replays decide the same way) are counted, not
/// raised; the next alert for the key after the window carries the count of everything folded since.
/// The table of keys is bounded: when full, the oldest half is forgotten.
/// </summary>
public sealed class AlertDecider
{
    private readonly ModeResolver _modes;
    private readonly NetSecMetrics _metrics;
    private readonly TimeSpan _window;
    private readonly int _maxKeys;
    private readonly Dictionary<string, DedupeState> _seen = new(StringComparer.Ordinal);

    public AlertDecider(ModeResolver modes, NetSecMetrics metrics, TimeSpan window, int maxKeys)
    {
        _modes = modes ?? throw new ArgumentNullException(nameof(modes));
        _metrics = metrics ?? throw new ArgumentNullException(nameof(metrics));
        ArgumentOutOfRangeException.ThrowIfLessThan(maxKeys, 1);
        _window = window;
        _maxKeys = maxKeys;
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

            if (_window > TimeSpan.Zero && _seen.TryGetValue(alert.DedupeKey, out var state))
            {
                if (alert.Timestamp - state.WindowStart < _window)
                {
                    state.Folded++;
                    _metrics.AlertDeduplicated(alert.Detector);
                    continue;
                }

                alert.DedupeCount = state.Folded + 1;
                state.WindowStart = alert.Timestamp;
                state.Folded = 0;
            }
            else if (_window > TimeSpan.Zero)
            {
                if (_seen.Count >= _maxKeys)
                {
                    Evict();
                }

                _seen[alert.DedupeKey] = new DedupeState { WindowStart = alert.Timestamp };
            }

            _metrics.AlertRaised(alert.Detector, alert.Mode);
            decided.Add(alert);
        }

        return decided;
    }

    private void Evict()
    {
        var oldest = _seen.OrderBy(p => p.Value.WindowStart).Take(_seen.Count / 2).Select(p => p.Key).ToList();
        foreach (string key in oldest)
        {
            _seen.Remove(key);
        }
    }

    private sealed class DedupeState
    {
        public DateTimeOffset WindowStart { get; set; }

        public long Folded { get; set; }
    }
}
