namespace NetSecStream.Signatures.Keywords;

/// <summary><c>startswith;</c> The preceding content must be at the start of the buffer.</summary>
public sealed class StartsWithKeyword() : ContentModifierKeyword("startswith", "The preceding content must be at the start of the buffer.", "payload-keywords.html#startswith", KeywordValue.None)
{
    protected override void Apply(RuleBuilder rule, ContentMatch content, string? value)
    {
        ContentMatch c = content;
        RejectMix(c, Name, relative: false); c.StartsWith = true;
    }
}
