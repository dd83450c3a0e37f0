using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Keywords;

/// <summary>A parsed iprep option.</summary>
public sealed class IprepOption : RuleOption
{
    /// <summary>any, src, dst or both.</summary>
    public required string Side { get; init; }

    public required string Category { get; init; }

    public required NumericRange Score { get; init; }
}

/// <summary><c>iprep:src,CnC,&gt;,30;</c> the IP reputation score of an address in a category.</summary>
public sealed class IprepKeyword() : RuleKeyword("iprep", "Match on the IP reputation score of an address for a category.", "ip-reputation-rules.html")
{
    public override void Parse(RuleBuilder rule, string? value)
    {
        ArgumentNullException.ThrowIfNull(rule);
        string[] p = value!.Split(',', StringSplitOptions.TrimEntries);
        if (p.Length != 4 || p[0] is not ("any" or "src" or "dst" or "both") || p[1].Length == 0 || p[2] is not ("<" or ">" or "=" or "<=" or ">="))
        {
            throw RuleParseException.Invalid($"iprep: '{value}' is not side,category,operator,value");
        }

        rule.Add(new IprepOption { Keyword = Name, Side = p[0], Category = p[1], Score = NumericRange.Parse(Name, p[2] + p[3], 127) });
    }
}
