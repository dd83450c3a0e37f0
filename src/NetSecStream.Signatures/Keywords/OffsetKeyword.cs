using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Keywords;

/// <summary><c>offset:N;</c> Where in the buffer the search for the preceding content starts.</summary>
public sealed class OffsetKeyword() : ContentModifierKeyword("offset", "Where in the buffer the search for the preceding content starts.", "payload-keywords.html#offset", KeywordValue.Required)
{
    protected override void Apply(RuleBuilder rule, ContentMatch content, string? value)
    {
        ContentMatch c = content;
        if (c.Offset is not null)
        {
            throw RuleParseException.Invalid("'offset' given twice for the same content");
        }

        RejectMix(c, Name, relative: false);
        IntOrVariable v = rule.ParseIntOrVariable(Name, value!, 65535);
        if (v.Variable is null && v.Value < 0)
        {
            throw RuleParseException.Invalid("'offset' cannot be negative");
        }

        c.Offset = v;
    }
}
