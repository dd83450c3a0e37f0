namespace NetSecStream.Signatures.Keywords;

/// <summary>
/// <c>compress_whitespace;</c> collapses each run of whitespace bytes (C isspace) into one: the run's first byte is
/// kept, the rest dropped.
/// </summary>
public sealed class CompressWhitespaceKeyword() : TransformKeyword("compress_whitespace", "Transform: collapse runs of whitespace in the buffer.", "compress-whitespace")
{
    public override byte[] Apply(ReadOnlySpan<byte> input, TransformOption transform)
    {
        var output = new List<byte>(input.Length);
        bool previousSpace = false;
        foreach (byte b in input)
        {
            bool space = IsSpace(b);
            if (!(space && previousSpace))
            {
                output.Add(b);
            }

            previousSpace = space;
        }

        return [.. output];
    }
}
