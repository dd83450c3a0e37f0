using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Keywords;

/// <summary>
/// A byte_jump: reads a number (see <see cref="ByteOperation"/>), multiplies it, rounds it up to 4 with <c>align</c>,
/// and moves the detection pointer that far past the bytes read (or from the buffer start with <c>from_beginning</c>,
/// from its end with <c>from_end</c>), then by <c>post_offset</c>. Fails when the target lies past the end of the
/// buffer; jumping exactly to the end is allowed so that <c>isdataat:!1,relative</c> can follow, and a target before
/// the start lands on the start.
/// </summary>
public sealed class ByteJumpOption : ByteOperation
{
    public override bool Matches(ReadOnlySpan<byte> buffer, ref int position, ByteVariables variables)
    {
        ArgumentNullException.ThrowIfNull(variables);
        if (!TryRead(buffer, position, variables, out ulong number, out int end) || number > int.MaxValue)
        {
            return false;
        }

        long jump = (long)number * Multiplier;
        if (Align > 0 && jump % 4 != 0)
        {
            jump += 4 - (jump % 4);
        }

        long target = (FromBeginning ? jump : FromEnd ? buffer.Length + jump : end + jump) + PostOffset;
        if (target > buffer.Length)
        {
            return false;
        }

        // A jump before the buffer start lands on the start (as Suricata 7 does), not a failure.
        position = (int)Math.Max(0, target);
        return true;
    }
}

/// <summary><c>byte_jump:bytes,offset[,flags];</c> reads a length and moves the detection pointer by it.</summary>
public sealed class ByteJumpKeyword() : RuleKeyword("byte_jump", "Read bytes as a number and move the detection pointer by it.", "payload-keywords.html#byte-jump")
{
    public override void Parse(RuleBuilder rule, string? value)
    {
        ArgumentNullException.ThrowIfNull(rule);
        string[] p = value!.Split(',', StringSplitOptions.TrimEntries);
        if (p.Length < 2)
        {
            throw RuleParseException.Invalid($"byte_jump: '{value}' needs bytes,offset");
        }

        bool isString = p.Skip(2).Contains("string");
        IReadOnlyList<string> flags = ByteOperation.ValidateFlags(Name, p.Skip(2));
        if (flags.Contains("from_beginning") && flags.Contains("from_end"))
        {
            throw RuleParseException.Invalid("byte_jump: from_beginning and from_end exclude each other");
        }

        rule.Add(new ByteJumpOption
        {
            Keyword = Name,
            Bytes = ByteOperation.ParseBytes(Name, p[0], isString),
            Offset = rule.ParseIntOrVariable(Name, p[1], 65535),
            Flags = flags,
        });
    }
}
