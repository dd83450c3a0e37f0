using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Keywords;

/// <summary>
/// An isdataat check. Absolute: the buffer holds a byte at index N (N &lt; length). Relative: N more bytes follow the
/// detection pointer (pointer + N &lt;= length, as Suricata counts). <c>!</c> inverts; the pointer stays.
/// </summary>
public sealed class IsDataAtOption : RuleOption, IBufferCondition
{
    public required IntOrVariable Position { get; init; }

    public bool Negated { get; init; }

    public bool Relative { get; init; }

    public override bool InspectsBuffer => true;

    public bool Matches(ReadOnlySpan<byte> buffer, ref int position, ByteVariables variables)
    {
        ArgumentNullException.ThrowIfNull(variables);
        if (!variables.TryResolve(Position, out long at))
        {
            return false;
        }

        bool hasData = Relative ? position + at <= buffer.Length : at < buffer.Length;
        return hasData != Negated;
    }
}

/// <summary><c>isdataat:[!]N[,relative][,rawbytes];</c> the buffer has (or lacks) data at position N.</summary>
public sealed class IsDataAtKeyword() : RuleKeyword("isdataat", "Check that the buffer has (or with ! lacks) data at a position.", "payload-keywords.html#isdataat")
{
    public override void Parse(RuleBuilder rule, string? value)
    {
        ArgumentNullException.ThrowIfNull(rule);
        string[] parts = value!.Split(',', StringSplitOptions.TrimEntries);
        string first = parts[0];
        bool negated = first.StartsWith('!');
        bool relative = false;
        foreach (string p in parts[1..])
        {
            relative |= p switch
            {
                "relative" => true,
                "rawbytes" => false,
                _ => throw RuleParseException.Invalid($"isdataat: unknown option '{p}'"),
            };
        }

        rule.Add(new IsDataAtOption
        {
            Keyword = Name,
            Position = rule.ParseIntOrVariable(Name, negated ? first[1..] : first, 65535),
            Negated = negated,
            Relative = relative,
        });
    }
}
