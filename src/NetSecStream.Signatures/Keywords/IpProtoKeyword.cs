using NetSecStream.Core.Events;
using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Keywords;

/// <summary>An ip_proto test on <see cref="FlowEvent.IpProtocol"/>.</summary>
public sealed class IpProtoOption : RuleOption, IEventCondition
{
    /// <summary>The number compared with, and how: <c>=</c>, <c>!</c>, <c>&lt;</c> or <c>&gt;</c>.</summary>
    public required byte Protocol { get; init; }

    public required char Operator { get; init; }

    public bool Matches(FlowEvent flow)
    {
        ArgumentNullException.ThrowIfNull(flow);
        return Operator switch
        {
            '!' => flow.IpProtocol != Protocol,
            '<' => flow.IpProtocol < Protocol,
            '>' => flow.IpProtocol > Protocol,
            _ => flow.IpProtocol == Protocol,
        };
    }
}

/// <summary><c>ip_proto:[!&lt;&gt;]N;</c> or a protocol name (<c>tcp</c>, <c>udp</c>, <c>icmp</c>, <c>ipv6-icmp</c>, <c>gre</c>, <c>esp</c>, <c>sctp</c> ...).</summary>
public sealed class IpProtoKeyword() : RuleKeyword("ip_proto", "Match the IP protocol number or name.", "header-keywords.html#ip-proto")
{
    private static readonly Dictionary<string, byte> Names = new(StringComparer.OrdinalIgnoreCase)
    {
        ["icmp"] = 1, ["igmp"] = 2, ["ipip"] = 4, ["tcp"] = 6, ["udp"] = 17, ["ipv6"] = 41, ["gre"] = 47, ["esp"] = 50, ["ah"] = 51,
        ["ipv6-icmp"] = 58, ["icmpv6"] = 58, ["pim"] = 103, ["vrrp"] = 112, ["sctp"] = 132,
    };

    public override void Parse(RuleBuilder rule, string? value)
    {
        ArgumentNullException.ThrowIfNull(rule);
        string v = value!.Trim();
        char op = v.Length > 0 && v[0] is '!' or '<' or '>' ? v[0] : '=';
        string target = (op == '=' ? v : v[1..]).Trim();
        byte protocol = Names.TryGetValue(target, out byte named) ? named
            : byte.TryParse(target, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out byte n) ? n
            : throw RuleParseException.Invalid($"ip_proto: '{v}' is not a protocol number (0-255) or a known name");
        rule.Add(new IpProtoOption { Keyword = Name, Protocol = protocol, Operator = op });
    }
}
