namespace NetSecStream.Signatures.Keywords;

/// <summary><c>rawbytes;</c> Match the preceding content on raw bytes (no effect in Suricata; kept for Snort compatibility).</summary>
public sealed class RawbytesKeyword() : ContentModifierKeyword("rawbytes", "Match the preceding content on raw bytes (no effect in Suricata; kept for Snort compatibility).", "payload-keywords.html#rawbytes", KeywordValue.None)
{
    protected override void Apply(RuleBuilder rule, ContentMatch content, string? value)
    {
        ContentMatch c = content;
        c.RawBytes = true;
    }
}
