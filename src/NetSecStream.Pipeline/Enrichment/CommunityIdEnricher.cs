using NetSecStream.Core.Components;
using NetSecStream.Core.Events;

namespace NetSecStream.Pipeline.Enrichment;

/// <summary>
/// Fills <see cref="FlowEvent.CommunityId"/> (v1, seed 0) when a collector did not, so every alert and flow
/// can be joined with Zeek, Suricata and Elastic records of the same connection (component id <c>community_id</c>).
/// </summary>
public sealed class CommunityIdEnricher : IFlowEnricher
{
    public const string ComponentId = "community_id";

    public string Id => ComponentId;

    public ComponentKind Kind => ComponentKind.Enricher;

    public void Enrich(FlowEvent flow)
    {
        ArgumentNullException.ThrowIfNull(flow);
        if (flow.CommunityId is null && flow.Source.Ip.AddressFamily == flow.Destination.Ip.AddressFamily)
        {
            flow.CommunityId = CommunityId.Compute(flow);
        }
    }
}
