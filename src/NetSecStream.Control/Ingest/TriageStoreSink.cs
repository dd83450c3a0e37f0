using NetSecStream.Core.Components;
using NetSecStream.Core.Events;

namespace NetSecStream.Control.Ingest;

/// <summary>
/// The in-process way into the triage store (component id <c>triage_store</c>): <c>netsec run</c> adds it to its sinks,
/// so decided alerts reach the control plane without Kafka. Returns once the alerts are committed to the store.
/// </summary>
public sealed class TriageStoreSink(TriageIngest ingest) : IAlertSink
{
    public string Id => TriageIngest.ComponentId;

    public ComponentKind Kind => ComponentKind.Sink;

    public ValueTask WriteAsync(IReadOnlyList<Alert> alerts, CancellationToken cancellationToken) => ingest.WriteAsync(alerts, cancellationToken);
}
