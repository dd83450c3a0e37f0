namespace NetSecStream.Signatures.Keywords;

/// <summary>Marks the start of a sticky buffer in the option list.</summary>
public sealed class StickyBufferOption : RuleOption
{
    public required string BufferName { get; init; }
}

/// <summary>
/// A sticky buffer such as <c>http.uri;</c> or <c>dns.query;</c>: the detection options that follow inspect it.
/// One class serves every buffer; the table registers one instance per buffer name.
/// </summary>
public sealed class StickyBufferKeyword(string name, string description, string docPage, string? buffer = null)
    : RuleKeyword(name, description, docPage, KeywordValue.None)
{
    /// <summary>The canonical buffer name (an alias like <c>http_uri</c>-style sticky names maps to it).</summary>
    public string BufferName { get; } = buffer ?? name;

    public override void Parse(RuleBuilder rule, string? value)
    {
        ArgumentNullException.ThrowIfNull(rule);
        rule.StickyBuffer = BufferName == RuleBuilder.PayloadBuffer ? null : BufferName;
        rule.Add(new StickyBufferOption { Keyword = Name, BufferName = BufferName });
    }
}
