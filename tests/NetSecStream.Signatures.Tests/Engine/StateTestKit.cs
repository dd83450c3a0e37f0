using System.Net;
using System.Text;
using NetSecStream.Core.Events;
using NetSecStream.Signatures.Engine;
using NetSecStream.Signatures.Engine.State;
using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Tests.Engine;

/// <summary>Events with an event time and a flow identity, and engines over rule text, for the stateful tests.</summary>
internal static class StateTestKit
{
    public static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static SignatureEngine Build(string rules, DetectionStateLimits? limits = null, Action<string, StateEvictionReason>? evicted = null, bool prefilter = true)
    {
        RuleSetLoadResult load = RuleSetLoader.LoadText(rules);
        Assert.Empty(load.Diagnostics);
        var engine = new SignatureEngine(load, prefilter, stateLimits: limits, stateEvicted: evicted);
        Assert.Empty(engine.NotEvaluable);
        return engine;
    }

    /// <summary>One packet event; <paramref name="seconds"/> after <see cref="T0"/>.</summary>
    public static FlowEvent Packet(
        string payload = "", double seconds = 0, string src = "10.0.0.5", ushort sport = 40000, string dst = "203.0.113.9", ushort dport = 80,
        byte proto = 6, string? communityId = null, bool reply = false) => new()
        {
            Timestamp = T0.AddSeconds(seconds),
            Kind = FlowEventKind.Packet,
            Source = new FlowEndpoint { Ip = IPAddress.Parse(src), Port = sport },
            Destination = new FlowEndpoint { Ip = IPAddress.Parse(dst), Port = dport },
            IpProtocol = proto,
            IsReply = reply,
            CommunityId = communityId,
            Payload = new PayloadBuffers
            {
                ToServer = Encoding.Latin1.GetBytes(reply ? "" : payload),
                ToClient = Encoding.Latin1.GetBytes(reply ? payload : ""),
            },
        };

    /// <summary>The reply direction of <see cref="Packet"/>'s default flow: endpoints swapped.</summary>
    public static FlowEvent Reply(string payload = "", double seconds = 0, string? communityId = null) =>
        Packet(payload, seconds, src: "203.0.113.9", sport: 80, dst: "10.0.0.5", dport: 40000, communityId: communityId, reply: true);

    public static long[] Sids(this SignatureEngine engine, FlowEvent flow) => [.. engine.Match(flow).Select(m => m.Rule.Sid)];
}
