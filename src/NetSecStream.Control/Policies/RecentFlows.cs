using System.Collections.Frozen;
using NetSecStream.Core.Components;
using NetSecStream.Core.Events;
using NetSecStream.Policy.Editor;

namespace NetSecStream.Control.Policies;

/// <summary>
/// The recent flows the policy editor plans against: a ring of at most <see cref="Capacity"/> connection flows (replies
/// and packets are dropped on the way in, as plans skip them), fed by <see cref="RecentFlowsSink"/> in <c>netsec run</c>
/// and by the files of <c>Control:Backtest:Paths</c>. Readers take a snapshot, so a plan never holds the writers up.
/// </summary>
public sealed class RecentFlows(int capacity, int maxWorkloads)
{
    // Labels that differ per pod of one workload and say nothing a policy selects on.
    private static readonly FrozenSet<string> PodSpecificLabels = new[] { "pod-template-hash", "controller-revision-hash", "statefulset.kubernetes.io/pod-name", "pod-template-generation" }
        .ToFrozenSet(StringComparer.Ordinal);

    private static readonly TimeSpan WorkloadsMaxAge = TimeSpan.FromSeconds(2);

    private readonly FlowEvent[] _ring = new FlowEvent[capacity];
    private readonly Lock _gate = new();
    private int _next;
    private int _count;
    private long _version;
    private (long Version, DateTime At, WorkloadView View)? _workloads;

    public int Capacity => _ring.Length;

    /// <summary>One plan at a time: each is a pass over the whole window, and a second at once would only halve both.</summary>
    public SemaphoreSlim PlanGate { get; } = new(1, 1);

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _count;
            }
        }
    }

    /// <summary>Flows taken into the window since start (those pushed out included).</summary>
    public long Added { get; private set; }

    public void Add(IReadOnlyList<FlowEvent> flows)
    {
        ArgumentNullException.ThrowIfNull(flows);
        lock (_gate)
        {
            foreach (var flow in flows)
            {
                if (flow.Kind == FlowEventKind.Packet || flow.IsReply == true)
                {
                    continue;
                }

                _ring[_next] = flow;
                _next = (_next + 1) % _ring.Length;
                _count = Math.Min(_count + 1, _ring.Length);
                Added++;
            }

            _version++;
        }
    }

    /// <summary>The window, oldest first.</summary>
    public FlowEvent[] Snapshot()
    {
        lock (_gate)
        {
            var copy = new FlowEvent[_count];
            int start = (_next - _count + _ring.Length) % _ring.Length;
            for (int i = 0; i < _count; i++)
            {
                copy[i] = _ring[(start + i) % _ring.Length];
            }

            return copy;
        }
    }

    /// <summary>
    /// The workloads seen in the window (both ends of each flow), at most <c>maxWorkloads</c>, the busiest first.
    /// Recomputed at most every two seconds while flows stream in, so a page validating on every keystroke costs one scan
    /// per interval; an empty view is never kept, so the first flows show at once.
    /// </summary>
    public WorkloadView Workloads()
    {
        long version;
        lock (_gate)
        {
            version = _version;
            if (_workloads is { } cached && (cached.Version == version || (cached.View.Flows > 0 && DateTime.UtcNow - cached.At < WorkloadsMaxAge)))
            {
                return cached.View;
            }
        }

        var flows = Snapshot();
        var seen = new Dictionary<(string Namespace, string Name), (IReadOnlyDictionary<string, string> Labels, long Flows)>();
        foreach (var flow in flows)
        {
            CountEndpoint(seen, flow.Source);
            CountEndpoint(seen, flow.Destination);
        }

        var list = seen.OrderByDescending(p => p.Value.Flows).ThenBy(p => p.Key.Namespace, StringComparer.Ordinal).ThenBy(p => p.Key.Name, StringComparer.Ordinal)
            .Take(maxWorkloads)
            .Select(p => new WorkloadRef(p.Key.Namespace, p.Key.Name, p.Value.Labels))
            .OrderBy(w => w.Namespace, StringComparer.Ordinal).ThenBy(w => w.Name, StringComparer.Ordinal)
            .ToList();
        var view = new WorkloadView(list, seen.Count, flows.Length);
        lock (_gate)
        {
            _workloads = (version, DateTime.UtcNow, view);
        }

        return view;
    }

    private static void CountEndpoint(Dictionary<(string, string), (IReadOnlyDictionary<string, string> Labels, long Flows)> seen, FlowEndpoint endpoint)
    {
        if (endpoint.Namespace is not { Length: > 0 } ns || !string.IsNullOrEmpty(endpoint.ReservedEntity))
        {
            return;
        }

        string name = WorkloadName(endpoint);
        if (seen.TryGetValue((ns, name), out var entry))
        {
            seen[(ns, name)] = (entry.Labels, entry.Flows + 1);
            return;
        }

        var labels = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in endpoint.Labels ?? FrozenDictionary<string, string>.Empty)
        {
            if (!PodSpecificLabels.Contains(key))
            {
                labels[key] = value;
            }
        }

        seen[(ns, name)] = (labels, 1);
    }

    /// <summary>The workload an endpoint belongs to: its controller, else its app label, else the pod.</summary>
    public static string WorkloadName(FlowEndpoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (!string.IsNullOrEmpty(endpoint.Workload))
        {
            return endpoint.Workload;
        }

        var labels = endpoint.Labels;
        if (labels is not null && (labels.TryGetValue("app", out var app) || labels.TryGetValue("app.kubernetes.io/name", out app) || labels.TryGetValue("k8s-app", out app)))
        {
            return app;
        }

        return endpoint.Pod ?? endpoint.Ip.ToString();
    }
}

/// <summary>The workloads of the window: those shown, how many were seen in all, and the flows they came from.</summary>
public sealed record WorkloadView(IReadOnlyList<WorkloadRef> Workloads, int Seen, int Flows);

/// <summary>
/// Component <c>recent_flows</c>: hands the pipeline's flows to the policy editor's window in <c>netsec run</c>. Alerts
/// are not its business; it never blocks or fails, so it cannot hold the pipeline up.
/// </summary>
public sealed class RecentFlowsSink(RecentFlows window) : IAlertSink
{
    public const string ComponentId = "recent_flows";

    public string Id => ComponentId;

    public ComponentKind Kind => ComponentKind.Sink;

    public ValueTask WriteAsync(IReadOnlyList<Alert> alerts, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask WriteFlowsAsync(IReadOnlyList<FlowEvent> flows, CancellationToken cancellationToken)
    {
        window.Add(flows);
        return ValueTask.CompletedTask;
    }
}
