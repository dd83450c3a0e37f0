using System.Net;
using NetSecStream.Behaviour.Features;
using NetSecStream.Collectors.Generator;
using NetSecStream.Collectors.Hubble;
using NetSecStream.Core.Events;

namespace NetSecStream.Behaviour.Tests;

/// <summary>Hand-built flow events and generated traffic for the feature and baseline tests.</summary>
internal static class Flows
{
    public static readonly DateTimeOffset T0 = new(2025, 6, 2, 8, 0, 0, TimeSpan.Zero);

    public static FlowEndpoint Pod(string ip, ushort port, string? workload = "frontend", string? ns = "shop") =>
        new() { Ip = IPAddress.Parse(ip), Port = port, Workload = workload, Namespace = ns };

    public static FlowEvent Tcp(double seconds, FlowEndpoint source, FlowEndpoint destination, TcpFlags flags = TcpFlags.Syn, bool? reply = null,
        long? bytes = null, long? packets = null, string? communityId = null, FlowEventKind kind = FlowEventKind.Flow, DataplaneVerdict verdict = DataplaneVerdict.Forwarded) =>
        new()
        {
            Timestamp = T0.AddSeconds(seconds),
            Source = source,
            Destination = destination,
            IpProtocol = 6,
            TcpFlags = flags,
            IsReply = reply,
            Bytes = bytes,
            Packets = packets,
            CommunityId = communityId,
            Kind = kind,
            Verdict = verdict,
        };

    public static FlowEvent Dns(double seconds, FlowEndpoint source, string query, ushort sourcePort = 40000) =>
        new()
        {
            Timestamp = T0.AddSeconds(seconds),
            Source = new FlowEndpoint { Ip = source.Ip, Port = sourcePort, Workload = source.Workload, Namespace = source.Namespace },
            Destination = Pod("10.0.9.10", 53, "coredns", "kube-system"),
            IpProtocol = 17,
            IsReply = false,
            Dns = new DnsFacts { Query = query },
        };

    /// <summary>The generator's events decoded as the Hubble file source decodes them, with their labels.</summary>
    public static IEnumerable<LabelledFlow> Generated(string scenario, long events, int seed)
    {
        var decoder = new HubbleFlowDecoder();
        foreach (var generated in new TrafficGenerator().Generate(new GeneratorOptions(scenario, events, seed)))
        {
            if (decoder.Decode(generated.Json).Event is { } flow)
            {
                yield return new LabelledFlow(flow, generated.Label, generated.Episode);
            }
        }
    }

    public static float Get(this FlowFeatures features, string name) => features.Values[FeatureSchema.IndexOf(name)];

    public static float Get(this FeatureRow row, string name) => row.Values[FeatureSchema.IndexOf(name)];
}
