using System.Buffers.Binary;
using System.Net;

namespace NetSecStream.Collectors.Tests.Pcap;

/// <summary>Builds frames (Ethernet with optional VLAN tags, IPv4/IPv6, TCP/UDP/ICMP) and capture files for tests.</summary>
internal static class Packets
{
    public const byte Syn = 0x02;
    public const byte Ack = 0x10;
    public const byte Fin = 0x01;
    public const byte Rst = 0x04;
    public const byte Psh = 0x08;

    public static byte[] Tcp(string source, ushort sourcePort, string destination, ushort destinationPort, uint sequence, byte flags, ReadOnlySpan<byte> payload = default, ushort[]? vlans = null)
    {
        var tcp = new byte[20 + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(tcp, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(2), destinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(tcp.AsSpan(4), sequence);
        tcp[12] = 5 << 4;
        tcp[13] = flags;
        payload.CopyTo(tcp.AsSpan(20));
        return Ip(source, destination, 6, tcp, vlans);
    }

    public static byte[] Udp(string source, ushort sourcePort, string destination, ushort destinationPort, ReadOnlySpan<byte> payload, ushort[]? vlans = null)
    {
        var udp = new byte[8 + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(udp, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(2), destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(4), (ushort)udp.Length);
        payload.CopyTo(udp.AsSpan(8));
        return Ip(source, destination, 17, udp, vlans);
    }

    public static byte[] Icmp(string source, string destination, byte type, byte code)
    {
        bool v6 = IPAddress.Parse(source).AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        return Ip(source, destination, v6 ? (byte)58 : (byte)1, [type, code, 0, 0, 0, 1, 0, 1]);
    }

    /// <summary>An Ethernet frame holding an IP packet with the given transport bytes.</summary>
    public static byte[] Ip(string source, string destination, byte protocol, ReadOnlySpan<byte> transport, ushort[]? vlans = null, byte[]? ipv6ExtensionHeader = null)
    {
        var src = IPAddress.Parse(source);
        var dst = IPAddress.Parse(destination);
        bool v6 = src.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        byte[] ip;
        if (!v6)
        {
            ip = new byte[20 + transport.Length];
            ip[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(2), (ushort)ip.Length);
            ip[8] = 64;
            ip[9] = protocol;
            src.GetAddressBytes().CopyTo(ip, 12);
            dst.GetAddressBytes().CopyTo(ip, 16);
            transport.CopyTo(ip.AsSpan(20));
        }
        else
        {
            int extension = ipv6ExtensionHeader?.Length ?? 0;
            ip = new byte[40 + extension + transport.Length];
            ip[0] = 0x60;
            BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(4), (ushort)(extension + transport.Length));
            ip[6] = ipv6ExtensionHeader is null ? protocol : (byte)0;
            ip[7] = 64;
            src.GetAddressBytes().CopyTo(ip, 8);
            dst.GetAddressBytes().CopyTo(ip, 24);
            if (ipv6ExtensionHeader is not null)
            {
                ipv6ExtensionHeader.CopyTo(ip, 40);
                ip[40] = protocol;
            }

            transport.CopyTo(ip.AsSpan(40 + extension));
        }

        return Ethernet(v6 ? (ushort)0x86DD : (ushort)0x0800, ip, vlans);
    }

    public static byte[] Ethernet(ushort etherType, ReadOnlySpan<byte> body, ushort[]? vlans = null)
    {
        int tags = vlans?.Length ?? 0;
        var frame = new byte[14 + (4 * tags) + body.Length];
        frame[0] = 0x02;
        frame[6] = 0x02;
        frame[11] = 1;
        int offset = 12;
        for (int i = 0; i < tags; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(offset), i == 0 && tags > 1 ? (ushort)0x88A8 : (ushort)0x8100);
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(offset + 2), vlans![i]);
            offset += 4;
        }

        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(offset), etherType);
        body.CopyTo(frame.AsSpan(offset + 2));
        return frame;
    }

    /// <summary>A classic pcap file (little-endian, microseconds unless <paramref name="nanos"/>) of Ethernet frames.</summary>
    public static byte[] PcapFile(IEnumerable<(DateTimeOffset Time, byte[] Frame)> packets, bool bigEndian = false, bool nanos = false, int linkType = 1)
    {
        using var stream = new MemoryStream();
        Span<byte> header = stackalloc byte[24];
        Write32(header, nanos ? 0xA1B23C4D : 0xA1B2C3D4, bigEndian);
        Write16(header[4..], 2, bigEndian);
        Write16(header[6..], 4, bigEndian);
        Write32(header[16..], 65535, bigEndian);
        Write32(header[20..], (uint)linkType, bigEndian);
        stream.Write(header);
        Span<byte> record = stackalloc byte[16];
        foreach (var (time, frame) in packets)
        {
            long ticks = time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
            Write32(record, (uint)(ticks / TimeSpan.TicksPerSecond), bigEndian);
            long fraction = ticks % TimeSpan.TicksPerSecond;
            Write32(record[4..], (uint)(nanos ? fraction * 100 : fraction / 10), bigEndian);
            Write32(record[8..], (uint)frame.Length, bigEndian);
            Write32(record[12..], (uint)frame.Length, bigEndian);
            stream.Write(record);
            stream.Write(frame);
        }

        return stream.ToArray();
    }

    /// <summary>A pcapng file: section header, one Ethernet interface (nanosecond resolution), enhanced packet blocks.</summary>
    public static byte[] PcapngFile(IEnumerable<(DateTimeOffset Time, byte[] Frame)> packets)
    {
        using var stream = new MemoryStream();
        Block(stream, 0x0A0D0D0A, [0x4D, 0x3C, 0x2B, 0x1A, 1, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
        Block(stream, 1, [1, 0, 0, 0, 0, 0, 4, 0, 9, 0, 1, 0, 9, 0, 0, 0, 0, 0, 0, 0]);
        Block(stream, 0x0BAD, [1, 2, 3, 4]);
        foreach (var (time, frame) in packets)
        {
            long nanos = (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;
            var body = new byte[20 + ((frame.Length + 3) & ~3)];
            BinaryPrimitives.WriteUInt32LittleEndian(body.AsSpan(4), (uint)(nanos >> 32));
            BinaryPrimitives.WriteUInt32LittleEndian(body.AsSpan(8), (uint)nanos);
            BinaryPrimitives.WriteUInt32LittleEndian(body.AsSpan(12), (uint)frame.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(body.AsSpan(16), (uint)frame.Length);
            frame.CopyTo(body, 20);
            Block(stream, 6, body);
        }

        return stream.ToArray();
    }

    private static void Block(MemoryStream stream, uint type, byte[] body)
    {
        Span<byte> word = stackalloc byte[4];
        uint length = (uint)(12 + body.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(word, type);
        stream.Write(word);
        BinaryPrimitives.WriteUInt32LittleEndian(word, length);
        stream.Write(word);
        stream.Write(body);
        stream.Write(word);
    }

    private static void Write32(Span<byte> span, uint value, bool bigEndian)
    {
        if (bigEndian)
        {
            BinaryPrimitives.WriteUInt32BigEndian(span, value);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(span, value);
        }
    }

    private static void Write16(Span<byte> span, ushort value, bool bigEndian)
    {
        if (bigEndian)
        {
            BinaryPrimitives.WriteUInt16BigEndian(span, value);
        }
        else
        {
            BinaryPrimitives.WriteUInt16LittleEndian(span, value);
        }
    }

    /// <summary>A DNS query (or response with one A answer) for <paramref name="name"/>.</summary>
    public static byte[] Dns(ushort id, string name, bool response = false, int rcode = 0, string? answer = null)
    {
        var message = new List<byte>
        {
            (byte)(id >> 8), (byte)id,
            (byte)(response ? 0x81 : 0x01), (byte)(response ? 0x80 | rcode : 0),
            0, 1, 0, (byte)(answer is null ? 0 : 1), 0, 0, 0, 0,
        };
        foreach (string label in name.Split('.'))
        {
            message.Add((byte)label.Length);
            message.AddRange(System.Text.Encoding.ASCII.GetBytes(label));
        }

        message.AddRange([0, 0, 1, 0, 1]);
        if (answer is not null)
        {
            message.AddRange([0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4]);
            message.AddRange(IPAddress.Parse(answer).GetAddressBytes());
        }

        return [.. message];
    }
}
