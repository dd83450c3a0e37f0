using NetSecStream.Core.Events;
using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Keywords;

/// <summary>An itype or icode test on <see cref="FlowEvent.IcmpType"/> / <see cref="FlowEvent.IcmpCode"/>; events without them never match.</summary>
public sealed class IcmpTypeCodeOption : RuleOption, IEventCondition
{
    public required NumericRange Range { get; init; }

    /// <summary>True for icode, false for itype.</summary>
    public bool Code { get; init; }

    public bool Matches(FlowEvent flow)
    {
        ArgumentNullException.ThrowIfNull(flow);
        byte? value = Code ? flow.IcmpCode : flow.IcmpType;
        return value is { } v && Range.Matches(v);
    }
}

/// <summary><c>itype:N;</c> / <c>icode:N;</c> with <c>&lt;N</c>, <c>&gt;N</c>, <c>N&lt;&gt;M</c>: the ICMP type or code (one class, registered under both names).</summary>
public sealed class IcmpTypeCodeKeyword(string name) : RuleKeyword(
    name, name == "itype" ? "Match on the ICMP type." : "Match on the ICMP code.", "header-keywords.html#" + name)
{
    public override void Parse(RuleBuilder rule, string? value)
    {
        ArgumentNullException.ThrowIfNull(rule);
        rule.Add(new IcmpTypeCodeOption { Keyword = Name, Range = NumericRange.Parse(Name, value!, 255), Code = Name == "icode" });
    }
}
