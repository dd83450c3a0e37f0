using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Keywords;

/// <summary>
/// A byte_extract: reads a number (see <see cref="ByteOperation"/>), multiplies it, rounds it up to a multiple of
/// <c>align</c> (2 or 4), stores it in the named variable for later options of the same buffer, and moves the detection
/// pointer past the bytes read.
/// </summary>
public sealed class ByteExtractOption : ByteOperation
{
    public override bool Matches(ReadOnlySpan<byte> buffer, ref int position, ByteVariables variables)
    {
        ArgumentNullException.ThrowIfNull(variables);
        if (!TryRead(buffer, position, variables, out ulong number, out int end) || number > uint.MaxValue)
        {
            return false;
        }

        long value = (long)number * Multiplier;
        long align = Align;
        if (align > 0 && value % align != 0)
        {
            value += align - (value % align);
        }

        variables.Set(Variable!, value);
        position = end;
        return true;
    }
}

/// <summary><c>byte_extract:bytes,offset,name[,flags];</c> reads a number into a variable later options may use.</summary>
public sealed class ByteExtractKeyword() : RuleKeyword("byte_extract", "Read bytes as a number into a named variable.", "payload-keywords.html#byte-extract")
{
    public override void Parse(RuleBuilder rule, string? value)
    {
        ArgumentNullException.ThrowIfNull(rule);
        string[] p = value!.Split(',', StringSplitOptions.TrimEntries);
        if (p.Length < 3 || p[2].Length == 0 || !(char.IsAsciiLetter(p[2][0]) || p[2][0] == '_'))
        {
            throw RuleParseException.Invalid($"byte_extract: '{value}' needs bytes,offset,name");
        }

        bool isString = p.Skip(3).Contains("string");
        IReadOnlyList<string> flags = ByteOperation.ValidateFlags(Name, p.Skip(3));
        foreach (string f in flags)
        {
            if (f.StartsWith("align", StringComparison.Ordinal) && f is not ("align 2" or "align 4"))
            {
                throw RuleParseException.Invalid($"byte_extract: '{f}' must be align 2 or align 4");
            }
        }

        rule.Add(new ByteExtractOption
        {
            Keyword = Name,
            Bytes = ByteOperation.ParseBytes(Name, p[0], isString),
            Offset = rule.ParseIntOrVariable(Name, p[1], 65535),
            Variable = p[2],
            Flags = flags,
        });
        rule.DeclareByteVariable(p[2]);
    }
}
