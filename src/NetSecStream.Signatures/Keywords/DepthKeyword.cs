using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Keywords;

/// <summary><c>depth:N;</c> How many bytes from the start (or offset) of the buffer the preceding content must lie within.</summary>
public sealed class DepthKeyword() : ContentModifierKeyword("depth", "How many bytes from the start (or offset) of the buffer the preceding content must lie within.", "payload-keywords.html#depth", KeywordValue.Required)
{
    protected override void Apply(RuleBuilder rule, ContentMatch content, string? value)
    {
        ContentMatch c = content;
        if (c.Depth is not null)
        {
            throw RuleParseException.Invalid("'depth' given twice for the same content");
        }

        RejectMix(c, Name, relative: false);
        IntOrVariable v = rule.ParseIntOrVariable(Name, value!, 65535);
        if (v.Variable is null && v.Value < 0)
        {
            throw RuleParseException.Invalid("'depth' cannot be negative");
        }

        c.Depth = v;
    }
}
