using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Keywords;

/// <summary>Base of the modifiers that apply to the preceding content (nocase, depth, within ...).</summary>
public abstract class ContentModifierKeyword(string name, string description, string docPage, KeywordValue value)
    : RuleKeyword(name, description, docPage, value)
{
    public sealed override void Parse(RuleBuilder rule, string? value)
    {
        ArgumentNullException.ThrowIfNull(rule);
        Apply(rule, rule.RequireContent(Name), value);
    }

    protected abstract void Apply(RuleBuilder rule, ContentMatch content, string? value);

    protected static void RejectMix(ContentMatch c, string keyword, bool relative)
    {
        if (relative ? c.Depth is not null || c.Offset is not null : c.Distance is not null || c.Within is not null)
        {
            throw RuleParseException.Invalid($"'{keyword}' cannot be combined with {(relative ? "depth/offset" : "distance/within")} on the same content");
        }
    }
}
