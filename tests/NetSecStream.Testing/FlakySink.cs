using System.Collections.Concurrent;
using NetSecStream.Core.Components;
using NetSecStream.Core.Events;

namespace NetSecStream.Testing;

/// <summary>An in-memory destination that can be taken down: while <see cref="Down"/>, every write throws.</summary>
public sealed class FlakySink(string id = "flaky") : IAlertSink
{
    private volatile bool _down;
    private int _attempts;

    public string Id { get; } = id;

    public ComponentKind Kind => ComponentKind.Sink;

    /// <summary>While true every write fails with an <see cref="IOException"/>, as a server that is down.</summary>
    public bool Down
    {
        get => _down;
        set => _down = value;
    }

    /// <summary>Alerts accepted, in the order they were accepted.</summary>
    public ConcurrentQueue<Alert> Alerts { get; } = new();

    public ConcurrentQueue<FlowEvent> Flows { get; } = new();

    public int Attempts => Volatile.Read(ref _attempts);

    /// <summary>Called with each batch before it is accepted (to slow writes down or fail them selectively).</summary>
    public Func<IReadOnlyList<Alert>, Task>? BeforeWrite { get; set; }

    public async ValueTask WriteAsync(IReadOnlyList<Alert> alerts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alerts);
        Interlocked.Increment(ref _attempts);
        if (BeforeWrite is { } before)
        {
            await before(alerts).ConfigureAwait(false);
        }

        if (_down)
        {
            throw new IOException($"{Id}: destination down");
        }

        foreach (var alert in alerts)
        {
            Alerts.Enqueue(alert);
        }
    }

    public ValueTask WriteFlowsAsync(IReadOnlyList<FlowEvent> flows, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(flows);
        Interlocked.Increment(ref _attempts);
        if (_down)
        {
            throw new IOException($"{Id}: destination down");
        }

        foreach (var flow in flows)
        {
            Flows.Enqueue(flow);
        }

        return ValueTask.CompletedTask;
    }
}
