using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Keywords;

/// <summary><c>urilen:N[,raw|norm];</c> the length of the request URI.</summary>
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
        rule.Add(new NumericRangeOption { Keyword = Name, Range = NumericRange.Parse(Name, parts[0]), Qualifier = qualifier });
    }
}
