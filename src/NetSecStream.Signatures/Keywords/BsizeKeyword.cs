using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Keywords;

/// <summary><c>bsize:N;</c>, <c>bsize:&lt;N;</c>, <c>bsize:a&lt;&gt;b;</c> the length of the current sticky buffer.</summary>
public sealed class BsizeKeyword() : RuleKeyword("bsize", "Match on the length of the current sticky buffer.", "payload-keywords.html#bsize")
{
    public override void Parse(RuleBuilder rule, string? value)
    {
        ArgumentNullException.ThrowIfNull(rule);
        if (rule.StickyBuffer is null)
        {
            throw RuleParseException.Invalid("bsize needs a sticky buffer before it");
        }

        rule.Add(new NumericRangeOption { Keyword = Name, Range = NumericRange.Parse(Name, value!), BufferBound = true });
    }
}
