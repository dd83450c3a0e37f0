using NetSecStream.Core.Events;
using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Keywords;

/// <summary>
/// A parsed flow option. The engine checks the direction itself (it also picks the payload direction); this hook
/// checks the state: <c>established</c> / <c>not_established</c> against <see cref="FlowEvent.Established"/>, and
/// <c>stateless</c> always holds. When the collector cannot tell (Established is null, as for Hubble and NetFlow flows),
/// the state is inferred from what the event shows: a TCP flow is established once an ACK was seen, unless it was reset
/// without carrying any data (SYN answered by RST-ACK); without recorded TCP flags, once it carried payload or L7 facts.
/// Other transports are established once the reply direction was seen: a reply event, payload both ways, or an L7
/// response (DNS answer, HTTP status) on the event.
/// <c>only_stream</c> holds on flow and transaction events (their payload is the reassembled stream prefix),
/// <c>no_stream</c> on packet events only. The events carry no fragmentation facts, so <c>only_frag</c> and
/// <c>no_frag</c> make the rule not evaluable.
/// </summary>
public sealed class FlowOption : RuleOption, IEventCondition, INotEvaluableReason
{
    /// <summary>to_server / from_client (true), to_client / from_server (false), or null for either.</summary>
    public bool? ToServer { get; init; }

    /// <summary>established (true), not_established (false), stateless or none (null).</summary>
    public bool? Established { get; init; }

    public bool Stateless { get; init; }

    /// <summary>only_stream (true), no_stream (false), or null.</summary>
    public bool? Stream { get; init; }

    /// <summary>only_frag (true), no_frag (false), or null.</summary>
    public bool? Fragmented { get; init; }

    public string? NotEvaluableReason => Fragmented is null ? null : Fragmented.Value ? "flow:only_frag" : "flow:no_frag";

    public bool Matches(FlowEvent flow)
    {
        ArgumentNullException.ThrowIfNull(flow);
        if (Stream is { } stream && stream == (flow.Kind == FlowEventKind.Packet))
        {
            return false;
        }

        return Established is not { } wanted || IsEstablished(flow) == wanted;
    }

    /// <summary>Whether <paramref name="flow"/> counts as established (see the class summary for null).</summary>
    public static bool IsEstablished(FlowEvent flow)
    {
        ArgumentNullException.ThrowIfNull(flow);
        if (flow.Established is { } known)
        {
            return known;
        }

        bool data = (flow.Payload is { } p && (!p.ToServer.IsEmpty || !p.ToClient.IsEmpty)) || flow.Http is not null || flow.Tls is not null || flow.Dns is not null;
        if (flow.Transport == Transport.Tcp)
        {
            if (flow.TcpFlags == TcpFlags.None)
            {
                return data;
            }

            return (flow.TcpFlags & TcpFlags.Ack) != 0 && (data || (flow.TcpFlags & TcpFlags.Rst) == 0);
        }

        return flow.IsReply == true
            || (flow.Payload is { } both && !both.ToServer.IsEmpty && !both.ToClient.IsEmpty)
            || flow.Dns?.IsResponse == true || flow.Http?.StatusCode is not null;
    }
}

/// <summary><c>flow:to_server,established;</c> direction and state of the flow.</summary>
public sealed class FlowKeyword() : RuleKeyword("flow", "Match on the direction and state of the flow.", "flow-keywords.html#flow")
{
    public override void Parse(RuleBuilder rule, string? value)
    {
        ArgumentNullException.ThrowIfNull(rule);
        if (rule.Flow is not null)
        {
            throw RuleParseException.Invalid("flow given twice");
        }

        bool? toServer = null, established = null, stream = null, frag = null;
        bool stateless = false;
        foreach (string item in value!.Split(',', StringSplitOptions.TrimEntries))
        {
            switch (item)
            {
                case "to_server" or "from_client": Set(ref toServer, true, item); break;
                case "to_client" or "from_server": Set(ref toServer, false, item); break;
                case "established": Set(ref established, true, item); break;
                case "not_established": Set(ref established, false, item); break;
                case "stateless": stateless = true; break;
                case "only_stream": Set(ref stream, true, item); break;
                case "no_stream": Set(ref stream, false, item); break;
                case "only_frag": Set(ref frag, true, item); break;
                case "no_frag": Set(ref frag, false, item); break;
                default: throw RuleParseException.Invalid($"flow: unknown option '{item}'");
            }
        }

        var flow = new FlowOption { Keyword = Name, ToServer = toServer, Established = established, Stateless = stateless, Stream = stream, Fragmented = frag };
        rule.Flow = flow;
        rule.Add(flow);
    }

    private static void Set(ref bool? slot, bool value, string item)
    {
        if (slot is not null)
        {
            throw RuleParseException.Invalid($"flow: '{item}' conflicts with an earlier option");
        }

        slot = value;
    }
}
