using System.Globalization;
using System.Text;
using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Keywords;

/// <summary>A content match with its modifiers.</summary>
public sealed class ContentMatch : RuleOption
{
    public required ReadOnlyMemory<byte> Pattern { get; init; }

    public bool Negated { get; init; }

    public bool Nocase { get; internal set; }

    public IntOrVariable? Depth { get; internal set; }

    public IntOrVariable? Offset { get; internal set; }

    public IntOrVariable? Distance { get; internal set; }

    public IntOrVariable? Within { get; internal set; }

    public bool StartsWith { get; internal set; }

    public bool EndsWith { get; internal set; }

    public bool FastPattern { get; internal set; }

    /// <summary><c>fast_pattern:only</c>.</summary>
    public bool FastPatternOnly { get; internal set; }

    /// <summary><c>fast_pattern:offset,length</c>: the slice of the pattern to use as fast pattern.</summary>
    public (int Offset, int Length)? FastPatternSlice { get; internal set; }

    public bool RawBytes { get; internal set; }

    public override bool InspectsBuffer => true;

    public bool IsRelative => Distance is not null || Within is not null;

    public override string ToString() => $"content:{(Negated ? "!" : "")}\"{Encoding.Latin1.GetString(Pattern.Span)}\" ({Buffer})";
}

/// <summary><c>content:[!]"text|48 45|";</c> matches bytes in the current buffer.</summary>
public sealed class ContentKeyword() : RuleKeyword("content", "Match a byte pattern (|hex| notation, negation with !) in the current buffer.", "payload-keywords.html#content")
{
    public override void Parse(RuleBuilder rule, string? value)
    {
        ArgumentNullException.ThrowIfNull(rule);
        string v = value!.Trim();
        bool negated = v.StartsWith('!');
        if (negated)
        {
            v = v[1..].TrimStart();
        }

        rule.Add(new ContentMatch { Keyword = Name, Pattern = Decode(Name, v), Negated = negated });
    }

    /// <summary>Decodes a quoted content value with |hex| sections into bytes.</summary>
    public static byte[] Decode(string keyword, string quoted)
    {
        ArgumentNullException.ThrowIfNull(quoted);
        if (quoted.Length > (RuleLimits.MaxContentBytes * 3) + 2)
        {
            throw RuleParseException.Invalid($"{keyword}: value of {quoted.Length} characters exceeds the content limit of {RuleLimits.MaxContentBytes} bytes");
        }

        string text = RuleLexer.UnquoteString(keyword, quoted);
        if (text.Length == 0)
        {
            throw RuleParseException.Invalid($"{keyword}: empty pattern");
        }

        var bytes = new List<byte>(text.Length);
        bool hex = false;
        int nibble = -1;
        foreach (char c in text)
        {
            if (c == '|')
            {
                if (hex && nibble >= 0)
                {
                    throw RuleParseException.Syntax($"{keyword}: odd number of hex digits in |..| section");
                }

                hex = !hex;
                continue;
            }

            if (hex)
            {
                if (c == ' ')
                {
                    continue;
                }

                int d = HexDigit(c);
                if (d < 0)
                {
                    throw RuleParseException.Syntax($"{keyword}: '{c}' is not a hex digit inside |..|");
                }

                if (nibble < 0)
                {
                    nibble = d;
                }
                else
                {
                    bytes.Add((byte)((nibble << 4) | d));
                    nibble = -1;
                }
            }
            else
            {
                if (c > 0xFF)
                {
                    throw RuleParseException.Invalid($"{keyword}: character U+{(int)c:X4} is not a byte; write it as |hex|");
                }

                bytes.Add((byte)c);
            }
        }

        if (hex)
        {
            throw RuleParseException.Syntax($"{keyword}: unterminated |hex| section");
        }

        return bytes.Count > RuleLimits.MaxContentBytes
            ? throw RuleParseException.Invalid($"{keyword}: pattern of {bytes.Count} bytes exceeds the limit of {RuleLimits.MaxContentBytes}")
            : bytes.ToArray();
    }

    private static int HexDigit(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };

    internal static string Int(long v) => v.ToString(CultureInfo.InvariantCulture);
}
