using System.Collections.Frozen;
using NetSecStream.Core;
using NetSecStream.Core.Events;
using NetSecStream.Core.Telemetry;

namespace NetSecStream.Pipeline.Decide;

/// <summary>
/// Finds the mode that applies to a flow: the workload's, else its namespace's, else the cluster default.
/// The flow's subject is the Kubernetes endpoint on the observing side: the source for egress, the destination
/// for ingress; when the direction is unknown, the first endpoint that has a namespace.
/// </summary>
public sealed class ModeResolver
{
    private readonly Mode _default;
    private readonly FrozenDictionary<string, Mode> _namespaces;
    private readonly FrozenDictionary<string, Mode> _workloads;

    public ModeResolver(ModeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _default = Parse(options.Default);
        _namespaces = options.Namespaces.ToFrozenDictionary(p => p.Key, p => Parse(p.Value), StringComparer.Ordinal);
        _workloads = options.Workloads.ToFrozenDictionary(p => p.Key, p => Parse(p.Value), StringComparer.Ordinal);
    }

    public Mode Default => _default;

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

    public Mode Resolve(FlowEvent flow)
    {
        var subject = Subject(flow);
        if (subject.Namespace is null)
        {
            return _default;
        }

        if (_workloads.Count > 0 && subject.Workload is not null
            && _workloads.TryGetValue(subject.Namespace + "/" + subject.Workload, out var workloadMode))
        {
            return workloadMode;
        }

        return _namespaces.TryGetValue(subject.Namespace, out var mode) ? mode : _default;
    }

    // Options are validated at start-up (ModeOptionsValidator); an unparsable value cannot reach here.
    private static Mode Parse(string text) =>
        ModeNames.TryParse(text, out var mode) ? mode : throw new ArgumentException($"'{text}' is not a mode (log, alert or block)", nameof(text));
}
