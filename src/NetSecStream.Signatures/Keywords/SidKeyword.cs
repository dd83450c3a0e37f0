using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Keywords;

/// <summary><c>sid:N;</c> the rule's signature id.</summary>
public sealed class SidKeyword() : RuleKeyword("sid", "The signature id, unique within a gid.", "meta.html#sid-signature-id")
{
    public override void Parse(RuleBuilder rule, string? value)
    {
        ArgumentNullException.ThrowIfNull(rule);
        long sid = NumericRange.Number(Name, value!, uint.MaxValue);
        rule.Sid = sid > 0 ? sid : throw RuleParseException.Invalid("sid must be greater than 0");
    }
}
