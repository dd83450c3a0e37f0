using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Keywords;

/// <summary>
/// A byte_test: reads a number (see <see cref="ByteOperation"/>) and compares it with the value; <c>&amp;</c> holds when
/// any bit of the value is set, <c>^</c> when the number differs from the value in any bit. The detection pointer stays.
/// </summary>
public sealed class ByteTestOption : ByteOperation
{
    public override bool Matches(ReadOnlySpan<byte> buffer, ref int position, ByteVariables variables)
    {
        ArgumentNullException.ThrowIfNull(variables);
        if (!TryRead(buffer, position, variables, out ulong number, out _) || Value is not { } v || !variables.TryResolve(v, out long wanted))
        {
            return false;
        }

        ulong value = unchecked((ulong)wanted);
        bool match = Operator switch
        {
            "<" => number < value,
            ">" => number > value,
            "<=" => number <= value,
            ">=" => number >= value,
            "&" => (number & value) != 0,
            "^" => (number ^ value) != 0,
            _ => number == value,
        };
        return match != Negated;
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

        string op = p[1].Replace(" ", "", StringComparison.Ordinal);
        bool negated = op.StartsWith('!');
        string bare = negated ? op[1..] : op;
        if (bare is not ("<" or ">" or "=" or "<=" or ">=" or "&" or "^" or ""))
        {
            throw RuleParseException.Invalid($"byte_test: '{op}' is not an operator");
        }

        bool isString = p.Skip(4).Contains("string");
        rule.Add(new ByteTestOption
        {
            Keyword = Name,
            Bytes = ByteOperation.ParseBytes(Name, p[0], isString),
            Operator = bare.Length == 0 ? "=" : bare,
            Negated = negated,
            Value = rule.ParseIntOrVariable(Name, p[2], long.MaxValue),
            Offset = rule.ParseIntOrVariable(Name, p[3], 65535),
            Flags = ByteOperation.ValidateFlags(Name, p.Skip(4)),
        });
    }
}
