using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Keywords;

/// <summary><c>within:N;</c> The preceding content must lie within this many bytes after the previous match.</summary>
public sealed class WithinKeyword() : ContentModifierKeyword("within", "The preceding content must lie within this many bytes after the previous match.", "payload-keywords.html#within", KeywordValue.Required)
{
    protected override void Apply(RuleBuilder rule, ContentMatch content, string? value)
    {
        ContentMatch c = content;
        if (c.Within is not null)
        {
            throw RuleParseException.Invalid("'within' given twice for the same content");
        }

        RejectMix(c, Name, relative: true);
        IntOrVariable v = rule.ParseIntOrVariable(Name, value!, 65535);
        if (v.Variable is null && v.Value < 0)
        {
            throw RuleParseException.Invalid("'within' cannot be negative");
        }

        c.Within = v;
    }
}
