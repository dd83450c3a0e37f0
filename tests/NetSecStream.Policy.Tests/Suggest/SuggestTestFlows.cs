using System.Net;
using NetSecStream.Collectors.Generator;
using NetSecStream.Collectors.Hubble;
using NetSecStream.Core.Events;

namespace NetSecStream.Policy.Tests.Suggest;

/// <summary>Flows for suggestion tests: hand-made endpoints and connections, and generator runs decoded as Hubble files are.</summary>
internal static class SuggestTestFlows
{
    public static FlowEndpoint Pod(string ns, string app, string ip, ushort port = 0, string? hash = "7d9f8c6b5") => new()
    {
        Ip = IPAddress.Parse(ip),
        Port = port,
        Namespace = ns,
        Workload = app,
        Labels = hash is null
            ? new Dictionary<string, string> { ["app"] = app }
            : new Dictionary<string, string> { ["app"] = app, ["pod-template-hash"] = hash, ["io.cilium.k8s.policy.cluster"] = "test" },
    };

    public static FlowEndpoint World(string ip, ushort port = 0) => new() { Ip = IPAddress.Parse(ip), Port = port, ReservedEntity = "world" };

    public static FlowEndpoint Entity(string entity, string ip) => new() { Ip = IPAddress.Parse(ip), ReservedEntity = entity };

    public static FlowEvent Connect(FlowEndpoint client, FlowEndpoint server, ushort port, byte protocol = 6,
        DataplaneVerdict verdict = DataplaneVerdict.Forwarded, bool? reply = false, int second = 0) => new()
    {
        Timestamp = new DateTimeOffset(2026, 11, 27, 10, 0, 0, TimeSpan.Zero).AddSeconds(second),
        Source = Copy(client, 40000),
        Destination = Copy(server, port),
        IpProtocol = protocol,
        Direction = TrafficDirection.Egress,
        Verdict = verdict,
        IsReply = reply,
        CollectorId = "test",
    };

    private static FlowEndpoint Copy(FlowEndpoint e, ushort port) => new()
    {
        Ip = e.Ip, Port = port, Namespace = e.Namespace, Workload = e.Workload, Labels = e.Labels, ReservedEntity = e.ReservedEntity,
    };

    /// <summary>A generator run as <c>netsec generate</c> writes it and the Hubble file source reads it, with each flow's label.</summary>
    public static List<(FlowEvent Flow, string Label)> Generated(string scenario, long events, int seed)
    {
        var decoder = new HubbleFlowDecoder();
        var flows = new List<(FlowEvent, string)>();
        foreach (var generated in new TrafficGenerator().Generate(new GeneratorOptions(scenario, events, seed)))
        {
            if (decoder.Decode(generated.Json).Event is { } flow)
            {
                flows.Add((flow, generated.Label));
            }
        }

        return flows;
    }
}
