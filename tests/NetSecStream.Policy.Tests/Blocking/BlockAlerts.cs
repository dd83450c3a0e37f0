using System.Net;
using NetSecStream.Core;
using NetSecStream.Core.Events;

namespace NetSecStream.Policy.Tests.Blocking;

/// <summary>Block-mode alerts about one flow, for the block and sync tests.</summary>
internal static class BlockAlerts
{
    public static readonly DateTimeOffset Start = new(2026, 11, 27, 10, 0, 0, TimeSpan.Zero);

    public static FlowEndpoint External(string ip, string? entity = "world") => new() { Ip = IPAddress.Parse(ip), Port = 44321, ReservedEntity = entity };

    public static FlowEndpoint Pod(string ip, string ns, params (string Key, string Value)[] labels) => new()
    {
        Ip = IPAddress.Parse(ip),
        Port = 8080,
        Namespace = ns,
        Pod = ns + "-pod",
        Labels = labels.ToDictionary(l => l.Key, l => l.Value),
    };

    public static Alert Alert(FlowEndpoint source, FlowEndpoint destination, Mode mode = Mode.Block, bool? isReply = null, string id = "01JALERT0001",
        bool? requestsBlock = null) => new()
    {
        Id = id,
        Timestamp = Start,
        Detector = DetectorKinds.Intel,
        RuleId = "intel:feodo",
        RuleName = "C2 address on Feodo list",
        Severity = 1,
        RiskScore = 90,
        Mode = mode,
        RequestsBlock = requestsBlock,
        Explanation = "destination on the Feodo tracker list",
        DedupeKey = "k",
        Flow = new FlowEvent
        {
            Timestamp = Start,
            Source = source,
            Destination = destination,
            IpProtocol = 6,
            IsReply = isReply,
        },
    };

    /// <summary>An outside attacker reaching the shop's cart workload.</summary>
    public static Alert Attack(string attacker = "203.0.113.7", string id = "01JALERT0001") =>
        Alert(External(attacker), Pod("10.244.1.5", "shop", ("app", "cart"), ("pod-template-hash", "7d9f")), id: id);
}
