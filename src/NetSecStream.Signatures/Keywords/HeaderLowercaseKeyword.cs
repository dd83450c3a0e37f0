namespace NetSecStream.Signatures.Keywords;

/// <summary>
/// <c>header_lowercase;</c> lower-cases the header names of a "Name: value" per line buffer (http.header,
/// http.header.raw ...), leaving the values as they are.
/// </summary>
public sealed class HeaderLowercaseKeyword() : TransformKeyword("header_lowercase", "Transform: lower-case the header names of the buffer.", "header-lowercase")
{
    public override byte[] Apply(ReadOnlySpan<byte> input, TransformOption transform)
    {
        byte[] output = input.ToArray();
        bool inName = true;
        for (int i = 0; i < output.Length; i++)
        {
            byte b = output[i];
            if (b == '\n')
            {
                inName = true;
            }
            else if (b == ':')
            {
                inName = false;
            }
            else if (inName && b is >= (byte)'A' and <= (byte)'Z')
            {
                output[i] = (byte)(b | 0x20);
            }
        }

        return output;
    }
}
