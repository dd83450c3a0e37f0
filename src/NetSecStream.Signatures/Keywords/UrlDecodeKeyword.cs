namespace NetSecStream.Signatures.Keywords;

/// <summary><c>url_decode;</c> decodes %XX escapes and '+' (as a space); a '%' not followed by two hex digits stays.</summary>
public sealed class UrlDecodeKeyword() : TransformKeyword("url_decode", "Transform: URL-decode the buffer.", "url-decode")
{
    public override byte[] Apply(ReadOnlySpan<byte> input, TransformOption transform)
    {
        var output = new List<byte>(input.Length);
        for (int i = 0; i < input.Length; i++)
        {
            byte b = input[i];
            if (b == '+')
            {
                output.Add((byte)' ');
            }
            else if (b == '%' && i + 2 < input.Length && Hex(input[i + 1]) >= 0 && Hex(input[i + 2]) >= 0)
            {
                output.Add((byte)((Hex(input[i + 1]) << 4) | Hex(input[i + 2])));
                i += 2;
            }
            else
            {
                output.Add(b);
            }
        }

        return [.. output];
    }

    private static int Hex(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        _ => -1,
    };
}
