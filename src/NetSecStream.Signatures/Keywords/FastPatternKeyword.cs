using System.Globalization;
using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Keywords;

/// <summary><c>fast_pattern;</c>, <c>fast_pattern:only;</c> or <c>fast_pattern:offset,length;</c> picks the prefilter pattern.</summary>
public sealed class FastPatternKeyword() : ContentModifierKeyword(
    "fast_pattern", "Use the preceding content (or a slice of it) as the rule's prefilter pattern.", "fast-pattern.html", KeywordValue.Optional)
{
    protected override void Apply(RuleBuilder rule, ContentMatch content, string? value)
    {
        content.FastPattern = true;
        if (value is null)
        {
            return;
        }

        if (value == "only")
        {
            content.FastPatternOnly = true;
            return;
        }

        string[] parts = value.Split(',');
        if (parts.Length == 2
            && int.TryParse(parts[0].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int o)
            && int.TryParse(parts[1].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int l)
            && l > 0 && o + l <= content.Pattern.Length)
        {
            content.FastPatternSlice = (o, l);
            return;
        }

        throw RuleParseException.Invalid($"fast_pattern: '{value}' is not 'only' or 'offset,length' within the pattern");
    }
}
