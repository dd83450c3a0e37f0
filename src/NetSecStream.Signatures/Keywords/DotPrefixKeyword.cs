using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Keywords;

/// <summary><c>dns.query; dotprefix; content:".example.com"; endswith;</c> a transform that prefixes the buffer with '.'.</summary>
public sealed class DotPrefixKeyword() : RuleKeyword("dotprefix", "Transform: prefix the sticky buffer with a '.' for domain-suffix matches.", "transforms.html#dotprefix", KeywordValue.None)
{
    public override void Parse(RuleBuilder rule, string? value)
    {
        ArgumentNullException.ThrowIfNull(rule);
        if (rule.StickyBuffer is null)
        {
            throw RuleParseException.Invalid("dotprefix needs a sticky buffer before it");
        }

        rule.Add(new KeptOption { Keyword = Name, BufferBound = true });
    }
}
