namespace NetSecStream.Signatures.Keywords;

/// <summary><c>nocase;</c> Match the preceding content case-insensitively.</summary>
public sealed class NocaseKeyword() : ContentModifierKeyword("nocase", "Match the preceding content case-insensitively.", "payload-keywords.html#nocase", KeywordValue.None)
{
    protected override void Apply(RuleBuilder rule, ContentMatch content, string? value)
    {
        ContentMatch c = content;
        c.Nocase = true;
    }
}
