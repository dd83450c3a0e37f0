using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Keywords;

/// <summary><c>itype:N;</c> / <c>icode:N;</c> the ICMP type or code (one class, registered under both names).</summary>
public sealed class IcmpTypeCodeKeyword(string name) : RuleKeyword(
    name, name == "itype" ? "Match on the ICMP type." : "Match on the ICMP code.", "header-keywords.html#" + name)
{
    public override void Parse(RuleBuilder rule, string? value)
    {
        ArgumentNullException.ThrowIfNull(rule);
        rule.Add(new NumericRangeOption { Keyword = Name, Range = NumericRange.Parse(Name, value!, 255) });
    }
}
