namespace NetSecStream.Signatures.Keywords;

/// <summary><c>strip_whitespace;</c> removes every whitespace byte (C isspace) from the sticky buffer.</summary>
public sealed class StripWhitespaceKeyword() : TransformKeyword("strip_whitespace", "Transform: remove whitespace from the buffer.", "strip-whitespace")
{
    public override byte[] Apply(ReadOnlySpan<byte> input, TransformOption transform)
    {
        var output = new List<byte>(input.Length);
        foreach (byte b in input)
        {
            if (!IsSpace(b))
            {
                output.Add(b);
            }
        }

        return [.. output];
    }
}
