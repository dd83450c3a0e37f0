using NetSecStream.Core;
using NetSecStream.Core.Components;
using NetSecStream.Core.Events;
using NetSecStream.Core.Telemetry;

namespace NetSecStream.Policy.Enforcement;

/// <summary>
/// Sink <c>policy_sync</c>: hands the pipeline's block-mode alerts to the enforcement sync and returns at once (the
/// sync applies them on its own loop). Other alerts pass untouched. Alerts the sync could not take (not plannable,
/// queue full, not running) are counted in <c>netsec_events_rejected{component=policy_sync,reason}</c>; why is in
/// the audit log. When built by the component catalog (<c>netsec run</c>) the sink owns the service and starts and
/// stops it; the control plane hosts the service itself and feeds it from the alerts topic.
/// </summary>
public sealed class PolicySyncSink(IBlockSubmitter sync, NetSecMetrics metrics, EnforcementService? owned = null) : IAlertSink, IAsyncDisposable, IDisposable
{
    public const string ComponentId = "policy_sync";

    public string Id => ComponentId;

    public ComponentKind Kind => ComponentKind.Sink;

    public Task StartAsync(CancellationToken cancellationToken) => owned?.StartAsync(cancellationToken) ?? Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => owned?.StopAsync(cancellationToken) ?? Task.CompletedTask;

    public ValueTask WriteAsync(IReadOnlyList<Alert> alerts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alerts);
        long handed = 0;
        foreach (var alert in alerts)
        {
            // An alert-only signature (RequestsBlock false) never blocks, whatever the namespace's mode.
            if (alert.Mode != Mode.Block || alert.RequestsBlock == false)
            {
                continue;
            }

            handed++;
            var outcome = sync.Submit(alert);
            if (outcome is not (BlockSubmission.Queued or BlockSubmission.NotABlockRequest))
            {
                metrics.EventRejected(ComponentId, outcome switch
                {
                    BlockSubmission.Refused => "not_enforceable",
                    BlockSubmission.QueueFull => "queue_full",
                    _ => "not_running",
                });
            }
        }

        if (handed > 0)
        {
            metrics.EventsIn(ComponentId, handed);
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => owned?.DisposeAsync() ?? ValueTask.CompletedTask;

    /// <summary>For callers that dispose components synchronously; the service has been stopped by then, so this only closes files.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
