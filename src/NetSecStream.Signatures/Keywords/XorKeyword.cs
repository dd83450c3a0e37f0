using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Keywords;

/// <summary><c>xor:"0d0ac8ff";</c> XORs the sticky buffer with the repeated hex key (1 to 255 bytes).</summary>
public sealed class XorKeyword() : TransformKeyword("xor", "Transform: XOR-decode the buffer with a repeating key.", "xor", KeywordValue.Required)
{
    protected override string? Validate(string? value)
    {
        string hex = (value ?? "").Trim().Trim('"');
        if (hex.Length == 0 || hex.Length % 2 != 0 || hex.Length > 510 || !hex.All(char.IsAsciiHexDigit))
        {
            throw RuleParseException.Invalid($"xor: key '{value}' must be 1..255 bytes of hex in quotes");
        }

        return hex;
    }

    public override byte[] Apply(ReadOnlySpan<byte> input, TransformOption transform)
    {
        ArgumentNullException.ThrowIfNull(transform);
        byte[] key = Convert.FromHexString(transform.Value!);
        byte[] output = input.ToArray();
        for (int i = 0; i < output.Length; i++)
        {
            output[i] ^= key[i % key.Length];
        }

        return output;
    }
}
