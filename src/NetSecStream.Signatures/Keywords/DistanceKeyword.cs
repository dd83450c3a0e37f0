using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Keywords;

/// <summary><c>distance:N;</c> Where the preceding content starts relative to the end of the previous match (may be negative).</summary>
public sealed class DistanceKeyword() : ContentModifierKeyword("distance", "Where the preceding content starts relative to the end of the previous match (may be negative).", "payload-keywords.html#distance", KeywordValue.Required)
{
    protected override void Apply(RuleBuilder rule, ContentMatch content, string? value)
    {
        ContentMatch c = content;
        if (c.Distance is not null)
        {
            throw RuleParseException.Invalid("'distance' given twice for the same content");
        }

        RejectMix(c, Name, relative: true);
        IntOrVariable v = rule.ParseIntOrVariable(Name, value!, 65535);
        c.Distance = v;
    }
}
