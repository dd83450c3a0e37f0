namespace NetSecStream.Signatures.Keywords;

/// <summary><c>to_lowercase;</c> lower-cases the ASCII letters of the sticky buffer.</summary>
public sealed class ToLowercaseKeyword() : TransformKeyword("to_lowercase", "Transform: lower-case the ASCII letters of the buffer.", "to-lowercase")
{
    public override byte[] Apply(ReadOnlySpan<byte> input, TransformOption transform)
    {
        byte[] output = input.ToArray();
        for (int i = 0; i < output.Length; i++)
        {
            if (output[i] is >= (byte)'A' and <= (byte)'Z')
            {
                output[i] |= 0x20;
            }
        }

        return output;
    }
}
