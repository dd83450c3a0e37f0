using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Keywords;

/// <summary>
/// A legacy content modifier such as <c>http_uri;</c>: moves the preceding content into a buffer. <c>file_data</c>
/// and <c>pkt_data</c> style names that set a sticky buffer are registered as <see cref="StickyBufferKeyword"/> instead.
/// </summary>
public sealed class LegacyBufferModifierKeyword(string name, string buffer, string docPage)
    : RuleKeyword(name, $"Legacy content modifier: the preceding content inspects {buffer}.", docPage, KeywordValue.None)
{
    public string BufferName { get; } = buffer;

    public override void Parse(RuleBuilder rule, string? value)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ContentMatch content = rule.RequireContent(Name);
        if (rule.StickyBuffer is { } sticky && sticky != BufferName)
        {
            throw RuleParseException.Invalid($"'{Name}' modifies a content inside sticky buffer {sticky}");
        }

        if (content.Buffer != RuleBuilder.PayloadBuffer && content.Buffer != BufferName)
        {
            throw RuleParseException.Invalid($"'{Name}' applied to a content already in {content.Buffer}");
        }

        content.Buffer = BufferName;
    }
}
