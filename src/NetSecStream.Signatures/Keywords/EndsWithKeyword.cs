namespace NetSecStream.Signatures.Keywords;

/// <summary><c>endswith;</c> The preceding content must be at the end of the buffer.</summary>
public sealed class EndsWithKeyword() : ContentModifierKeyword("endswith", "The preceding content must be at the end of the buffer.", "payload-keywords.html#endswith", KeywordValue.None)
{
    protected override void Apply(RuleBuilder rule, ContentMatch content, string? value)
    {
        ContentMatch c = content;
        c.EndsWith = true;
    }
}
