using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Keywords;

/// <summary><c>rev:N;</c> the rule's revision.</summary>
public sealed class RevKeyword() : RuleKeyword("rev", "The revision of the rule.", "meta.html#rev-revision")
{
    public override void Parse(RuleBuilder rule, string? value)
    {
        ArgumentNullException.ThrowIfNull(rule);
        rule.Rev = (int)NumericRange.Number(Name, value!, int.MaxValue);
    }
}
