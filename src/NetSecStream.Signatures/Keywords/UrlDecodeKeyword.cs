namespace NetSecStream.Signatures.Keywords;

/// <summary>
/// <c>url_decode;</c> decodes %XX escapes and turns '+' into a space. An escape cut short (<c>%4G</c>, <c>%+</c>, a '%'
/// at the end) is copied as it stands, the byte that broke it included and not itself decoded.
/// </summary>
public sealed class UrlDecodeKeyword() : TransformKeyword("url_decode", "Transform: URL-decode the buffer.", "url-decode")
{
    public override byte[] Apply(ReadOnlySpan<byte> input, TransformOption transform)
    {
        var output = new List<byte>(input.Length);
        int pending = 0; // 0: none, 1: after '%', 2: after '%' and one hex digit
        byte first = 0;
        foreach (byte b in input)
        {
            if (pending == 0)
            {
                if (b == '%')
                {
                    pending = 1;
                }
                else
                {
                    output.Add(b == '+' ? (byte)' ' : b);
                }

                continue;
            }

            int digit = Hex(b);
            if (digit >= 0 && pending == 1)
            {
                first = b;
                pending = 2;
                continue;
            }

            if (digit >= 0)
            {
                output.Add((byte)((Hex(first) << 4) | digit));
            }
            else
            {
                output.Add((byte)'%');
                if (pending == 2)
                {
                    output.Add(first);
                }

                output.Add(b);
            }

            pending = 0;
        }

        if (pending > 0)
        {
            output.Add((byte)'%');
            if (pending == 2)
            {
                output.Add(first);
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
