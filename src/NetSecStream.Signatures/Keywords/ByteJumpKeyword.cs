using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Keywords;

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
        rule.Add(new ByteOperation
        {
            Keyword = Name,
            Bytes = ByteOperation.ParseBytes(Name, p[0], isString),
            Offset = rule.ParseIntOrVariable(Name, p[1], 65535),
            Flags = ByteOperation.ValidateFlags(Name, p.Skip(2)),
        });
    }
}
