using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Keywords;

/// <summary><c>dsize:[!|&lt;|&gt;]N;</c> or <c>dsize:a&lt;&gt;b;</c> the packet payload size.</summary>
public sealed class DsizeKeyword() : RuleKeyword("dsize", "Match on the size of the packet payload.", "payload-keywords.html#dsize")
{
    public override void Parse(RuleBuilder rule, string? value)
    {
        ArgumentNullException.ThrowIfNull(rule);
        rule.Add(new NumericRangeOption { Keyword = Name, Range = NumericRange.Parse(Name, value!, 65535) });
    }
}
