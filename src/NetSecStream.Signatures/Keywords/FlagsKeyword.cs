using NetSecStream.Core.Events;
using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Keywords;

/// <summary>
/// A TCP flags test (<c>flags</c> / <c>tcp.flags</c>). Without modifier the flags (outside the ignore mask) must equal
/// the listed ones exactly; <c>+</c> needs the listed ones and allows others; <c>*</c> needs any of them; <c>!</c>
/// holds when not all of them are set. Non-TCP events never match.
/// On a packet event <see cref="FlowEvent.TcpFlags"/> are that packet's flags and the test is Suricata's. On a flow
/// event (Hubble, NetFlow, a pcap flow) they are the union over the flow's packets: <c>+</c> and <c>*</c> then ask
/// "was such a packet seen", the exact form holds only when the union is exactly those flags (a SYN-only scan flow
/// matches <c>flags:S</c>, a completed connection does not), and <c>!</c> can miss a single packet that lacked one.
/// </summary>
public sealed class FlagsOption : RuleOption, IEventCondition
{
    public required byte Flags { get; init; }

    /// <summary>Bits the test ignores (after the comma).</summary>
    public byte Ignore { get; init; }

    /// <summary><c>+</c>, <c>*</c>, <c>!</c>, or null for an exact match.</summary>
    public char? Modifier { get; init; }

    public bool Matches(FlowEvent flow)
    {
        ArgumentNullException.ThrowIfNull(flow);
        if (flow.Transport != Transport.Tcp)
        {
            return false;
        }

        int seen = (int)flow.TcpFlags & 0xFF & ~Ignore;
        return Modifier switch
        {
            '+' => (seen & Flags) == Flags,
            '*' => (seen & Flags) != 0,
            '!' => (seen & Flags) != Flags,
            _ => seen == Flags,
        };
    }
}

/// <summary><c>flags:[+*!]SAFRPUCE0[,ignore];</c> the TCP flags of the packet (registered as flags and tcp.flags).</summary>
public sealed class FlagsKeyword(string name) : RuleKeyword(name, "Match the TCP flags.", "header-keywords.html#tcp-flags")
{
    public override void Parse(RuleBuilder rule, string? value)
    {
        ArgumentNullException.ThrowIfNull(rule);
        string[] parts = value!.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length > 2 || parts[0].Length == 0)
        {
            throw RuleParseException.Invalid($"{Name}: '{value}' is not flags[,ignore]");
        }

        char? modifier = null;
        byte flags = 0;
        bool none = false;
        foreach (char c in parts[0])
        {
            if (c is '+' or '*' or '!')
            {
                modifier = modifier is null ? c : throw RuleParseException.Invalid($"{Name}: more than one modifier in '{value}'");
            }
            else if (c == '0')
            {
                none = true;
            }
            else
            {
                flags |= Bit(c, value!);
            }
        }

        if (none && flags != 0)
        {
            throw RuleParseException.Invalid($"{Name}: '0' (no flags) cannot be combined with flags in '{value}'");
        }

        byte ignore = 0;
        if (parts.Length == 2)
        {
            foreach (char c in parts[1])
            {
                ignore |= Bit(c, value!);
            }
        }

        rule.Add(new FlagsOption { Keyword = Name, Flags = flags, Ignore = ignore, Modifier = modifier });
    }

    private byte Bit(char c, string value) => char.ToUpperInvariant(c) switch
    {
        'F' => (byte)TcpFlags.Fin,
        'S' => (byte)TcpFlags.Syn,
        'R' => (byte)TcpFlags.Rst,
        'P' => (byte)TcpFlags.Psh,
        'A' => (byte)TcpFlags.Ack,
        'U' => (byte)TcpFlags.Urg,
        'C' or '1' => (byte)TcpFlags.Cwr,
        'E' or '2' => (byte)TcpFlags.Ece,
        _ => throw RuleParseException.Invalid($"{Name}: '{c}' is not a TCP flag in '{value}'"),
    };
}
