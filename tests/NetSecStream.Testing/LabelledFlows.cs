using System.Net;
using NetSecStream.Core.Events;

namespace NetSecStream.Testing;

/// <summary>Flows between labelled pods (app=&lt;name&gt;), as policy tests need them.</summary>
public static class LabelledFlows
{
    public static readonly DateTimeOffset T0 = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    /// <summary>A TCP connection from pod <paramref name="sourceApp"/> of <paramref name="sourceNamespace"/> to <paramref name="destinationApp"/>.</summary>
    public static FlowEvent Pods(string sourceNamespace, string sourceApp, string destinationNamespace, string destinationApp, ushort port, int i = 0, byte protocol = 6) => new()
    {
        Timestamp = T0.AddSeconds(i),
        Source = new FlowEndpoint
        {
            Ip = IPAddress.Parse("10.0.1." + (1 + (Stable(sourceApp)))),
            Port = (ushort)(40000 + (i % 20000)),
            Namespace = sourceNamespace,
            Labels = new Dictionary<string, string>(StringComparer.Ordinal) { ["app"] = sourceApp, ["pod-template-hash"] = "5d8f" + i },
        },
        Destination = new FlowEndpoint
        {
            Ip = IPAddress.Parse("10.0.2." + (1 + (Stable(destinationApp)))),
            Port = port,
            Namespace = destinationNamespace,
            Labels = new Dictionary<string, string>(StringComparer.Ordinal) { ["app"] = destinationApp },
        },
        IpProtocol = protocol,
        Direction = TrafficDirection.Ingress,
        Verdict = DataplaneVerdict.Forwarded,
        CollectorId = "test",
    };

    private static int Stable(string name) => name.Sum(c => c) % 250;

    /// <summary>A connection from an address outside the cluster (Cilium's world identity) to a pod.</summary>
    public static FlowEvent FromWorld(string ip, string destinationNamespace, string destinationApp, ushort port, int i = 0) => new()
    {
        Timestamp = T0.AddSeconds(i),
        Source = new FlowEndpoint { Ip = IPAddress.Parse(ip), Port = (ushort)(50000 + (i % 10000)), ReservedEntity = "world" },
        Destination = new FlowEndpoint
        {
            Ip = IPAddress.Parse("10.0.2.77"),
            Port = port,
            Namespace = destinationNamespace,
            Labels = new Dictionary<string, string>(StringComparer.Ordinal) { ["app"] = destinationApp },
        },
        IpProtocol = 6,
        Direction = TrafficDirection.Ingress,
        Verdict = DataplaneVerdict.Forwarded,
        CollectorId = "test",
    };
}
