using System.IO.Compression;

namespace NetSecStream.Collectors.Pcap.L7;

/// <summary>
/// Undoes a response body's content coding (RFC 9110 8.4.1): <c>gzip</c> (RFC 1952) and <c>deflate</c> (zlib, RFC 1950,
/// or the raw RFC 1951 stream some servers send instead). The output is bounded: a body that inflates past the limit
/// (a decompression bomb, or just a large page) is cut there and reported as limited. A body that is cut short or
/// corrupt yields what decoded before the damage; one that does not decode at all is kept as it was sent.
/// </summary>
internal static class HttpBodyDecoder
{
    /// <summary>The decoded body and whether the limit cut it.</summary>
    public static (ReadOnlyMemory<byte> Body, bool Limited) Decode(ReadOnlySpan<byte> body, string? contentEncoding, int limit)
    {
        if (body.IsEmpty)
        {
            return (ReadOnlyMemory<byte>.Empty, false);
        }

        string coding = contentEncoding?.Trim().ToLowerInvariant() ?? "";
        bool gzip = coding is "gzip" or "x-gzip";
        bool deflate = coding == "deflate";
        if (!gzip && !deflate)
        {
            return (body.ToArray(), false);
        }

        bool zlib = deflate && body.Length >= 2 && (body[0] & 0x0F) == 8 && ((body[0] << 8) | body[1]) % 31 == 0;
        var (decoded, limited, produced) = Inflate(body.ToArray(), gzip ? Format.Gzip : zlib ? Format.Zlib : Format.Deflate, limit);
        if (produced == 0 && deflate && zlib)
        {
            // A zlib-looking header that did not inflate: try the raw stream.
            (decoded, limited, produced) = Inflate(body.ToArray(), Format.Deflate, limit);
        }

        return produced == 0 ? (body.ToArray(), false) : (decoded, limited);
    }

    private static (ReadOnlyMemory<byte> Output, bool Limited, int Produced) Inflate(byte[] input, Format format, int limit)
    {
        byte[] output = new byte[Math.Min(limit, Math.Max(4096, input.Length * 4))];
        int produced = 0;
        bool limited = false;
        try
        {
            using var source = new MemoryStream(input, writable: false);
            using Stream inflater = format switch
            {
                Format.Gzip => new GZipStream(source, CompressionMode.Decompress),
                Format.Zlib => new ZLibStream(source, CompressionMode.Decompress),
                _ => new DeflateStream(source, CompressionMode.Decompress),
            };
            while (true)
            {
                if (produced == output.Length)
                {
                    if (output.Length >= limit)
                    {
                        // One byte more tells a body that ends exactly at the limit from one that goes on.
                        limited = inflater.ReadByte() >= 0;
                        break;
                    }

                    Array.Resize(ref output, (int)Math.Min(limit, output.Length * 2L));
                }

                int read = inflater.Read(output, produced, output.Length - produced);
                if (read == 0)
                {
                    break;
                }

                produced += read;
            }
        }
        catch (InvalidDataException)
        {
            // Corrupt or cut short: keep what decoded before the damage.
        }

        return (output.AsMemory(0, produced), limited, produced);
    }

    private enum Format
    {
        Gzip,
        Zlib,
        Deflate,
    }
}
