using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Keywords;

/// <summary>
/// What byte_test, byte_jump and byte_extract share: reading <see cref="Bytes"/> bytes at an offset (from the buffer
/// start, or from the detection pointer with <c>relative</c>) as a big- or little-endian number, or as text in base
/// 8, 10 or 16 with <c>string</c>, then applying <c>bitmask</c>. Each keyword's file adds its own match hook.
/// </summary>
public abstract class ByteOperation : RuleOption, IBufferCondition, INotEvaluableReason
{
    /// <summary>Longest text a string number may span (Suricata's limit).</summary>
    private const int MaxStringBytes = 23;

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

    public bool Relative => Parsed.Relative;

    public bool LittleEndian => Parsed.LittleEndian;

    /// <summary>The base of a string number (8, 10, 16), or 0 for a binary number.</summary>
    public int StringBase => Parsed.StringBase;

    /// <summary>The <c>bitmask</c> value, or 0 for none.</summary>
    public ulong Bitmask => Parsed.Bitmask;

    /// <summary>The <c>multiplier</c> value, or 1.</summary>
    public long Multiplier => Parsed.Multiplier;

    /// <summary>byte_jump's <c>post_offset</c>, or 0.</summary>
    public long PostOffset => Parsed.PostOffset;

    /// <summary>byte_jump's <c>align</c> (4) or byte_extract's <c>align N</c>; 0 for none.</summary>
    public long Align => Parsed.Align;

    public bool FromBeginning => Parsed.FromBeginning;

    public bool FromEnd => Parsed.FromEnd;

    public override bool InspectsBuffer => true;

    public string? NotEvaluableReason => Flags.Contains("dce") ? Keyword + " dce" : null;

    /// <summary>The flags decoded once (match hooks run per event; the flags were validated at parse).</summary>
    private ParsedFlags Parsed => _parsed ??= new ParsedFlags(Flags);

    private ParsedFlags? _parsed;

    public abstract bool Matches(ReadOnlySpan<byte> buffer, ref int position, ByteVariables variables);

    /// <summary>
    /// Reads the number: false when the bytes lie outside the buffer or a string holds no digit. <paramref name="end"/>
    /// is the index after the bytes read.
    /// </summary>
    protected bool TryRead(ReadOnlySpan<byte> buffer, int position, ByteVariables variables, out ulong value, out int end)
    {
        value = 0;
        end = 0;
        if (!variables.TryResolve(Offset, out long offset))
        {
            return false;
        }

        long start = (Relative ? position : 0) + offset;
        if (start < 0 || start > buffer.Length)
        {
            return false;
        }

        int count = Bytes == 0 ? Math.Min(buffer.Length - (int)start, MaxStringBytes) : Bytes;
        if (count <= 0 || start + count > buffer.Length)
        {
            return false;
        }

        ReadOnlySpan<byte> bytes = buffer.Slice((int)start, count);
        end = (int)start + count;
        int numberBase = StringBase;
        if (numberBase == 0)
        {
            if (count > 8)
            {
                return false;
            }

            for (int i = 0; i < count; i++)
            {
                byte b = LittleEndian ? bytes[count - 1 - i] : bytes[i];
                value = (value << 8) | b;
            }
        }
        else if (ParseDigits(bytes, numberBase, out value) is int consumed and > 0)
        {
            // A string number ends where its digits end: the pointer moves past those, not past all the bytes asked for.
            end = (int)start + consumed;
        }
        else
        {
            return false;
        }

        ulong mask = Bitmask;
        if (mask != 0)
        {
            value = (value & mask) >> System.Numerics.BitOperations.TrailingZeroCount(mask);
        }

        return true;
    }

    /// <summary>
    /// Like C's strtoull: leading whitespace, optional '+', optional 0x for base 16, then digits up to the first
    /// non-digit. Returns the bytes consumed, or 0 when there is no digit or the number overflows.
    /// </summary>
    internal static int ParseDigits(ReadOnlySpan<byte> text, int numberBase, out ulong value)
    {
        value = 0;
        int i = 0;
        while (i < text.Length && text[i] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or 0x0B or 0x0C)
        {
            i++;
        }

        if (i < text.Length && text[i] == '+')
        {
            i++;
        }

        if (numberBase == 16 && i + 1 < text.Length && text[i] == '0' && (text[i + 1] | 0x20) == 'x')
        {
            i += 2;
        }

        int digits = 0;
        for (; i < text.Length; i++)
        {
            int d = text[i] switch
            {
                >= (byte)'0' and <= (byte)'9' => text[i] - '0',
                >= (byte)'a' and <= (byte)'f' => text[i] - 'a' + 10,
                >= (byte)'A' and <= (byte)'F' => text[i] - 'A' + 10,
                _ => 99,
            };
            if (d >= numberBase)
            {
                break;
            }

            if (value > (ulong.MaxValue - (ulong)d) / (ulong)numberBase)
            {
                return 0;
            }

            value = (value * (ulong)numberBase) + (ulong)d;
            digits++;
        }

        return digits > 0 ? i : 0;
    }

    private sealed class ParsedFlags
    {
        public ParsedFlags(IReadOnlyList<string> flags)
        {
            Relative = flags.Contains("relative");
            LittleEndian = flags.Contains("little") || flags.Contains("endian little");
            StringBase = !flags.Contains("string") ? 0 : flags.Contains("hex") ? 16 : flags.Contains("oct") ? 8 : 10;
            FromBeginning = flags.Contains("from_beginning");
            FromEnd = flags.Contains("from_end");
            foreach (string f in flags)
            {
                string[] kv = f.Split(' ', 2, StringSplitOptions.TrimEntries);
                long? value = kv.Length == 2 && kv[0] != "endian" ? RuleBuilder.SignedNumber(kv[0], kv[1], long.MaxValue) : null;
                switch (kv[0])
                {
                    case "bitmask": Bitmask = (ulong)(value ?? 0); break;
                    case "multiplier": Multiplier = value ?? 1; break;
                    case "post_offset": PostOffset = value ?? 0; break;
                    case "align": Align = value ?? 4; break;
                }
            }
        }

        public bool Relative { get; }

        public bool LittleEndian { get; }

        public int StringBase { get; }

        public bool FromBeginning { get; }

        public bool FromEnd { get; }

        public ulong Bitmask { get; }

        public long Multiplier { get; } = 1;

        public long PostOffset { get; }

        public long Align { get; }
    }

    internal static IReadOnlyList<string> ValidateFlags(string keyword, IEnumerable<string> flags)
    {
        var result = new List<string>();
        foreach (string f in flags)
        {
            string[] kv = f.Split(' ', 2, StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            string head = kv[0];
            bool ok = head is "relative" or "big" or "little" or "string" or "hex" or "dec" or "oct" or "dce" or "align"
                or "from_beginning" or "from_end" or "multiplier" or "post_offset" or "bitmask" or "endian";
            if (!ok)
            {
                throw RuleParseException.Invalid($"{keyword}: unknown option '{f}'");
            }

            if (head is "multiplier" or "post_offset" or "bitmask")
            {
                long v = kv.Length == 2 ? RuleBuilder.SignedNumber(keyword, kv[1], uint.MaxValue)
                    : throw RuleParseException.Invalid($"{keyword}: '{head}' needs a value");
                if (head is "multiplier" or "bitmask" && v <= 0)
                {
                    throw RuleParseException.Invalid($"{keyword}: '{head}' must be positive");
                }
            }

            result.Add(kv.Length == 2 ? head + " " + kv[1] : head);
        }

        return result;
    }

    internal static int ParseBytes(string keyword, string text, bool allowString)
    {
        long n = NumericRange.Number(keyword, text, 64);
        // 0 bytes with 'string' reads digits up to the first non-digit (ET Open uses byte_test:0,=,0,0,string,dec).
        return (n >= 1 || allowString) && (n <= 8 || (allowString && n <= 23)) ? (int)n
            : throw RuleParseException.Invalid($"{keyword}: byte count {n} must be 1..8 (up to 23 with 'string')");
    }
}
