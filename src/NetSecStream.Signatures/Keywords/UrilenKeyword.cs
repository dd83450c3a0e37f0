using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Keywords;

/// <summary>
/// A urilen check: the length of the request URI, normalized (<c>http.uri</c>, the default) or raw
/// (<c>http.uri.raw</c>); it inspects that buffer whatever sticky buffer is current.
/// </summary>
public sealed class UrilenOption : RuleOption, IBufferCondition
{
    public required NumericRange Range { get; init; }

    /// <summary><c>raw</c>, <c>norm</c> or null (norm).</summary>
    public string? Qualifier { get; init; }

    public override bool InspectsBuffer => true;

    public bool Matches(ReadOnlySpan<byte> buffer, ref int position, ByteVariables variables) => Range.Matches(buffer.Length);
}

/// <summary><c>urilen:N[,raw|norm];</c>, with <c>&lt;N</c>, <c>&gt;N</c>, <c>!N</c> or <c>a&lt;&gt;b</c>: the length of the request URI.</summary>
public sealed class UrilenKeyword() : RuleKeyword("urilen", "Match on the length of the HTTP request URI.", "http-keywords.html#urilen")
{
    public override void Parse(RuleBuilder rule, string? value)
    {
        ArgumentNullException.ThrowIfNull(rule);
        string[] parts = value!.Split(',', StringSplitOptions.TrimEntries);
        string? qualifier = parts.Length switch
        {
            1 => null,
            2 when parts[1] is "raw" or "norm" => parts[1],
            _ => throw RuleParseException.Invalid($"urilen: '{value}' is not N[,raw|norm]"),
        };
        var option = new UrilenOption { Keyword = Name, Range = NumericRange.Parse(Name, parts[0], 65535), Qualifier = qualifier };
        rule.AddToBuffer(option, qualifier == "raw" ? "http.uri.raw" : "http.uri");
    }
}
