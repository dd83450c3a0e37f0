namespace NetSecStream.Signatures.Keywords;

/// <summary><c>to_uppercase;</c> upper-cases the ASCII letters of the sticky buffer.</summary>
public sealed class ToUppercaseKeyword() : TransformKeyword("to_uppercase", "Transform: upper-case the ASCII letters of the buffer.", "to-uppercase")
{
    public override byte[] Apply(ReadOnlySpan<byte> input, TransformOption transform)
    {
        byte[] output = input.ToArray();
        for (int i = 0; i < output.Length; i++)
        {
            if (output[i] is >= (byte)'a' and <= (byte)'z')
            {
                output[i] &= 0xDF;
            }
        }

        return output;
    }
}
