using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Keywords;

/// <summary>Options shared by byte_test, byte_jump and byte_extract.</summary>
public sealed class ByteOperation : RuleOption
{
    public required int Bytes { get; init; }

    public required IntOrVariable Offset { get; init; }

    /// <summary>byte_test: the operator (<c>&lt; &gt; = &lt;= &gt;= &amp; ^</c>), with <see cref="Negated"/>.</summary>
    public string? Operator { get; init; }

    public bool Negated { get; init; }

    /// <summary>byte_test: the value compared against.</summary>
    public IntOrVariable? Value { get; init; }

    /// <summary>byte_extract: the variable name.</summary>
    public string? Variable { get; init; }

    /// <summary>The remaining flags in order: relative, big, little, string, hex, dec, oct, dce, align, from_beginning, multiplier N ...</summary>
    public required IReadOnlyList<string> Flags { get; init; }

    public bool Relative => Flags.Contains("relative");

    public override bool InspectsBuffer => true;

    internal static IReadOnlyList<string> ValidateFlags(string keyword, IEnumerable<string> flags)
    {
        var result = new List<string>();
        foreach (string f in flags)
        {
            string head = f.Split(' ', 2)[0];
            bool ok = head is "relative" or "big" or "little" or "string" or "hex" or "dec" or "oct" or "dce" or "align"
                or "from_beginning" or "from_end" or "multiplier" or "post_offset" or "bitmask" or "endian";
            if (!ok)
            {
                throw RuleParseException.Invalid($"{keyword}: unknown option '{f}'");
            }

            result.Add(f);
        }

        return result;
    }

    internal static int ParseBytes(string keyword, string text, bool allowString)
    {
        long n = NumericRange.Number(keyword, text, 64);
        // 0 bytes with 'string' reads the rest of the buffer (ET Open uses byte_test:0,=,0,0,string,dec).
        return (n >= 1 || allowString) && (n <= 10 || (allowString && n <= 23)) ? (int)n
            : throw RuleParseException.Invalid($"{keyword}: byte count {n} must be 1..10 (up to 23 with 'string')");
    }
}

/// <summary><c>byte_test:bytes,[!]op,value,offset[,flags];</c> compares bytes of the buffer with a value.</summary>
public sealed class ByteTestKeyword() : RuleKeyword("byte_test", "Read bytes at an offset as a number and compare it.", "payload-keywords.html#byte-test")
{
    public override void Parse(RuleBuilder rule, string? value)
    {
        ArgumentNullException.ThrowIfNull(rule);
        string[] p = value!.Split(',', StringSplitOptions.TrimEntries);
        if (p.Length < 4)
        {
            throw RuleParseException.Invalid($"byte_test: '{value}' needs bytes,operator,value,offset");
        }

        string op = p[1];
        bool negated = op.StartsWith('!');
        string bare = negated ? op[1..] : op;
        if (bare is not ("<" or ">" or "=" or "<=" or ">=" or "&" or "^" or ""))
        {
            throw RuleParseException.Invalid($"byte_test: '{op}' is not an operator");
        }

        bool isString = p.Skip(4).Contains("string");
        rule.Add(new ByteOperation
        {
            Keyword = Name,
            Bytes = ByteOperation.ParseBytes(Name, p[0], isString),
            Operator = bare.Length == 0 ? "=" : bare,
            Negated = negated,
            Value = rule.ParseIntOrVariable(Name, p[2], uint.MaxValue),
            Offset = rule.ParseIntOrVariable(Name, p[3], 65535),
            Flags = ByteOperation.ValidateFlags(Name, p.Skip(4)),
        });
    }
}
