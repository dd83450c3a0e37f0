using NetSecStream.Core;
using NetSecStream.Core.Events;

namespace NetSecStream.Pipeline.Decide;

/// <summary>
/// Finds the mode that applies to a flow from the table in force (<see cref="ModeTable"/>): the workload's by name,
/// else the first matching label selector, else its namespace's, else the cluster default.
/// The flow's subject is the Kubernetes endpoint on the observing side: the source for egress, the destination
/// for ingress; when the direction is unknown, the first endpoint that has a namespace. Its labels are what
/// selectors match.
/// </summary>
public sealed class ModeResolver
{
    public ModeResolver(ModeOptions options)
        : this(new ModeTable(options))
    {
    }

    public ModeResolver(ModeTable table)
    {
        Table = table ?? throw new ArgumentNullException(nameof(table));
    }

    /// <summary>The table this resolver reads; changing it changes the modes of the next alert.</summary>
    public ModeTable Table { get; }

    public Mode Default => Table.Current.Default;

    public static FlowEndpoint Subject(FlowEvent flow)
    {
        ArgumentNullException.ThrowIfNull(flow);
        return flow.Direction switch
        {
            TrafficDirection.Egress when flow.Source.Namespace is not null => flow.Source,
            TrafficDirection.Ingress when flow.Destination.Namespace is not null => flow.Destination,
            _ => flow.Source.Namespace is not null ? flow.Source : flow.Destination,
        };
    }

    public Mode Resolve(FlowEvent flow) => Table.Current.Resolve(flow);
}
