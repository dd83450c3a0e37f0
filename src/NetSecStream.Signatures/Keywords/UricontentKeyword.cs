using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Keywords;

/// <summary><c>uricontent:"/a";</c> the legacy form of <c>content:"/a"; http_uri;</c>.</summary>
public sealed class UricontentKeyword() : RuleKeyword("uricontent", "Legacy: a content match on the normalized HTTP URI.", "http-keywords.html#uricontent")
{
    public override void Parse(RuleBuilder rule, string? value)
    {
        ArgumentNullException.ThrowIfNull(rule);
        string v = value!.Trim();
        bool negated = v.StartsWith('!');
        var content = new ContentMatch { Keyword = Name, Pattern = ContentKeyword.Decode(Name, negated ? v[1..].TrimStart() : v), Negated = negated };
        rule.Add(content);
        if (rule.StickyBuffer is { } sticky && sticky != "http.uri")
        {
            throw RuleParseException.Invalid($"uricontent inside sticky buffer {sticky}");
        }

        content.Buffer = "http.uri";
    }
}
