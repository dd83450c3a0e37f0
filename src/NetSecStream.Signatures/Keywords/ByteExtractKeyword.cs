using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Keywords;

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
        rule.Add(new ByteOperation
        {
            Keyword = Name,
            Bytes = ByteOperation.ParseBytes(Name, p[0], isString),
            Offset = rule.ParseIntOrVariable(Name, p[1], 65535),
            Variable = p[2],
            Flags = ByteOperation.ValidateFlags(Name, p.Skip(3)),
        });
        rule.DeclareByteVariable(p[2]);
    }
}
