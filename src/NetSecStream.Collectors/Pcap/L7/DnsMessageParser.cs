using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Text;
using System.Runtime.CompilerServices;

namespace NetSecStream.Collectors.Pcap.L7;

/// <summary>The parts of one DNS message (RFC 1035 section 4) a flow event carries.</summary>
internal sealed class DnsMessage
{
    public ushort Id { get; init; }

    public bool IsResponse { get; init; }

    public int Rcode { get; init; }

    /// <summary>Header OPCODE (bits 11-14 of the flags).</summary>
    public int Opcode { get; init; }

    /// <summary>First question's name, lower case, without the trailing dot; labels decoded as UTF-8.</summary>
    public string? Query { get; init; }

    public List<string>? QueryTypes { get; init; }

    public List<string>? Answers { get; init; }
}

/// <summary>
/// Parses DNS messages (the UDP payload, or one length-prefixed message of a TCP stream) from a span. Names follow
/// compression pointers (RFC 1035 4.1.4) with a bound on jumps and length, so a hostile message cannot loop. Answers
/// are kept for A, AAAA, CNAME, NS, PTR, MX, SRV and TXT records.
/// </summary>
internal static class DnsMessageParser
{
    public const int MaxQuestions = 8;
    public const int MaxAnswers = 32;
    private const int MaxNameBytes = 255;
    private const int MaxJumps = 32;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static DnsMessage? TryParse(ReadOnlySpan<byte> message)
    {
        if (message.Length < 12)
        {
            return null;
        }

        ushort id = BinaryPrimitives.ReadUInt16BigEndian(message);
        ushort flags = BinaryPrimitives.ReadUInt16BigEndian(message[2..]);
        int questions = BinaryPrimitives.ReadUInt16BigEndian(message[4..]);
        int answers = BinaryPrimitives.ReadUInt16BigEndian(message[6..]);
        bool isResponse = (flags & 0x8000) != 0;
        int offset = 12;
        string? query = null;
        List<string>? types = null;
        Span<byte> name = stackalloc byte[MaxNameBytes + 2];
        for (int i = 0; i < questions && i < MaxQuestions; i++)
        {
            int length = ReadName(message, ref offset, name);
            if (length < 0 || offset + 4 > message.Length)
            {
                return query is null ? null : new DnsMessage { Id = id, IsResponse = isResponse, Rcode = flags & 0x0F, Opcode = (flags >> 11) & 0x0F, Query = query, QueryTypes = types };
            }

            query ??= NameToString(name[..length]);
            types ??= [];
            types.Add(TypeName(BinaryPrimitives.ReadUInt16BigEndian(message[offset..])));
            offset += 4;
        }

        if (questions > MaxQuestions)
        {
            // The rest of the questions are skipped without being kept, so answers can still be found.
            for (int i = MaxQuestions; i < questions; i++)
            {
                if (ReadName(message, ref offset, name) < 0 || offset + 4 > message.Length)
                {
                    return new DnsMessage { Id = id, IsResponse = isResponse, Rcode = flags & 0x0F, Opcode = (flags >> 11) & 0x0F, Query = query, QueryTypes = types };
                }

                offset += 4;
            }
        }

        List<string>? answerList = null;
        if (isResponse)
        {
            for (int i = 0; i < answers && i < MaxAnswers; i++)
            {
                if (ReadName(message, ref offset, name) < 0 || offset + 10 > message.Length)
                {
                    break;
                }

                int type = BinaryPrimitives.ReadUInt16BigEndian(message[offset..]);
                int dataLength = BinaryPrimitives.ReadUInt16BigEndian(message[(offset + 8)..]);
                offset += 10;
                if (offset + dataLength > message.Length)
                {
                    break;
                }

                string? answer = AnswerText(message, offset, dataLength, type, name);
                if (answer is not null)
                {
                    (answerList ??= []).Add(answer);
                }

                offset += dataLength;
            }
        }

        return new DnsMessage
        {
            Id = id,
            IsResponse = isResponse,
            Rcode = flags & 0x0F,
            Opcode = (flags >> 11) & 0x0F,
            Query = query,
            QueryTypes = types,
            Answers = answerList,
        };
    }

    private static string? AnswerText(ReadOnlySpan<byte> message, int offset, int length, int type, Span<byte> name)
    {
        var data = message.Slice(offset, length);
        switch (type)
        {
            case 1 when length == 4:
                return new IPAddress(data).ToString();
            case 28 when length == 16:
                return new IPAddress(data).ToString();
            case 2 or 5 or 12 or 39:
                {
                    int at = offset;
                    int n = ReadName(message, ref at, name);
                    return n < 0 ? null : NameToString(name[..n]);
                }

            case 15 when length > 2:
                {
                    int at = offset + 2;
                    int n = ReadName(message, ref at, name);
                    return n < 0 ? null : NameToString(name[..n]);
                }

            case 33 when length > 6:
                {
                    int at = offset + 6;
                    int n = ReadName(message, ref at, name);
                    return n < 0 ? null : NameToString(name[..n]);
                }

            case 16:
                {
                    var text = new StringBuilder();
                    while (data.Length > 0)
                    {
                        int n = Math.Min(data[0], data.Length - 1);
                        text.Append(Encoding.UTF8.GetString(data.Slice(1, n)));
                        data = data[(1 + n)..];
                    }

                    return text.ToString();
                }

            default:
                return null;
        }
    }

    /// <summary>
    /// Reads a (possibly compressed) name at <paramref name="offset"/> into <paramref name="output"/> as dotted bytes;
    /// returns its length, or -1 when the name is malformed. <paramref name="offset"/> moves past the name as stored.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static int ReadName(ReadOnlySpan<byte> message, ref int offset, Span<byte> output)
    {
        int position = offset;
        int written = 0;
        int jumps = 0;
        bool jumped = false;
        while (true)
        {
            if (position >= message.Length)
            {
                return -1;
            }

            int length = message[position];
            if (length == 0)
            {
                if (!jumped)
                {
                    offset = position + 1;
                }

                return written;
            }

            if ((length & 0xC0) == 0xC0)
            {
                if (position + 1 >= message.Length || ++jumps > MaxJumps)
                {
                    return -1;
                }

                if (!jumped)
                {
                    offset = position + 2;
                    jumped = true;
                }

                position = ((length & 0x3F) << 8) | message[position + 1];
                continue;
            }

            if ((length & 0xC0) != 0 || position + 1 + length > message.Length)
            {
                return -1;
            }

            if (written + length + 1 > MaxNameBytes)
            {
                return -1;
            }

            if (written > 0)
            {
                output[written++] = (byte)'.';
            }

            message.Slice(position + 1, length).CopyTo(output[written..]);
            written += length;
            position += 1 + length;
        }
    }

    /// <summary>Lower-case text of a name; bytes that are not UTF-8 become U+FFFD, as tshark shows them.</summary>
    internal static string NameToString(ReadOnlySpan<byte> name)
    {
        if (name.Length == 0)
        {
            return "";
        }

        bool ascii = true;
        foreach (byte b in name)
        {
            if (b >= 0x80 || b is >= (byte)'A' and <= (byte)'Z')
            {
                ascii = false;
                break;
            }
        }

        return ascii ? Encoding.ASCII.GetString(name) : Encoding.UTF8.GetString(name).ToLowerInvariant();
    }

    public static string TypeName(int type) => type switch
    {
        1 => "A",
        2 => "NS",
        5 => "CNAME",
        6 => "SOA",
        10 => "NULL",
        12 => "PTR",
        13 => "HINFO",
        15 => "MX",
        16 => "TXT",
        28 => "AAAA",
        33 => "SRV",
        35 => "NAPTR",
        39 => "DNAME",
        41 => "OPT",
        43 => "DS",
        46 => "RRSIG",
        47 => "NSEC",
        48 => "DNSKEY",
        64 => "SVCB",
        65 => "HTTPS",
        252 => "AXFR",
        255 => "ANY",
        257 => "CAA",
        _ => "TYPE" + type.ToString(CultureInfo.InvariantCulture),
    };
}
