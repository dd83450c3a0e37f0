using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Keywords;

/// <summary><c>reference:type,value;</c> a link to more information (url, cve, md5 ...).</summary>
public sealed class ReferenceKeyword() : RuleKeyword("reference", "A pointer to more information about the threat.", "meta.html#reference")
{
    public override void Parse(RuleBuilder rule, string? value)
    {
        ArgumentNullException.ThrowIfNull(rule);
        int comma = value!.IndexOf(',', StringComparison.Ordinal);
        if (comma <= 0 || comma == value.Length - 1)
        {
            throw RuleParseException.Invalid($"reference: '{RuleLexer.Clip(value)}' is not 'type,value'");
        }

        rule.References.Add(new RuleReference(value[..comma].Trim(), value[(comma + 1)..].Trim()));
    }
}
