using System.Buffers.Binary;

namespace NetSecStream.Collectors.NetFlow;

/// <summary>Why a captured frame carried no UDP payload we could use.</summary>
internal enum FrameSkip
{
    None,
    NotUdp,
    Fragment,
    Truncated,
}

/// <summary>
/// Finds the UDP payload in a captured frame: Ethernet (with 802.1Q/802.1ad tags), Linux cooked (SLL, SLL2), BSD
/// loopback and raw IP link types; IPv4 and IPv6 (stepping over hop-by-hop, routing and destination options headers).
/// An IP fragment of a UDP datagram is reported as <see cref="FrameSkip.Fragment"/> with its key, offset and data,
/// for <see cref="IpFragmentReassembler"/>.
/// </summary>
internal static class UdpFrame
{
    private const int LinkNull = 0;
    private const int LinkEthernet = 1;
    private const int LinkRaw = 101;
    private const int LinkLoop = 108;
    private const int LinkLinuxSll = 113;
    private const int LinkIPv4 = 228;
    private const int LinkIPv6 = 229;
    private const int LinkLinuxSll2 = 276;

    public static FrameSkip TryGetUdp(ReadOnlySpan<byte> frame, int linkType, out NetFlowAddress source, out ushort sourcePort, out ReadOnlySpan<byte> payload) =>
        TryGetUdp(frame, linkType, out source, out sourcePort, out payload, out _);

    /// <summary>
    /// The UDP payload of a frame; for a <see cref="FrameSkip.Fragment"/>, <paramref name="payload"/> is the fragment's
    /// data (after the IP headers) and <paramref name="fragment"/> says where it belongs.
    /// </summary>
    public static FrameSkip TryGetUdp(ReadOnlySpan<byte> frame, int linkType, out NetFlowAddress source, out ushort sourcePort, out ReadOnlySpan<byte> payload, out IpFragment fragment)
    {
        source = default;
        sourcePort = 0;
        payload = default;
        fragment = default;
        int etherType;
        ReadOnlySpan<byte> ip;
        switch (linkType)
        {
            case LinkEthernet:
            {
                if (frame.Length < 14)
                {
                    return FrameSkip.Truncated;
                }

                int at = 12;
                etherType = BinaryPrimitives.ReadUInt16BigEndian(frame[at..]);
                while (etherType is 0x8100 or 0x88A8 or 0x9100 && frame.Length >= at + 6)
                {
                    at += 4;
                    etherType = BinaryPrimitives.ReadUInt16BigEndian(frame[at..]);
                }

                ip = frame[(at + 2)..];
                break;
            }

            case LinkLinuxSll:
                if (frame.Length < 16)
                {
                    return FrameSkip.Truncated;
                }

                etherType = BinaryPrimitives.ReadUInt16BigEndian(frame[14..]);
                ip = frame[16..];
                break;
            case LinkLinuxSll2:
                if (frame.Length < 20)
                {
                    return FrameSkip.Truncated;
                }

                etherType = BinaryPrimitives.ReadUInt16BigEndian(frame);
                ip = frame[20..];
                break;
            case LinkNull:
            case LinkLoop:
            {
                if (frame.Length < 4)
                {
                    return FrameSkip.Truncated;
                }

                uint family = linkType == LinkLoop ? BinaryPrimitives.ReadUInt32BigEndian(frame) : BinaryPrimitives.ReadUInt32LittleEndian(frame);
                if (family > 0xFFFF)
                {
                    family = BinaryPrimitives.ReverseEndianness(family);
                }

                etherType = family == 2 ? 0x0800 : family is 10 or 24 or 28 or 30 ? 0x86DD : 0;
                ip = frame[4..];
                break;
            }

            case LinkRaw:
                etherType = frame.Length > 0 && frame[0] >> 4 == 6 ? 0x86DD : 0x0800;
                ip = frame;
                break;
            case LinkIPv4:
                etherType = 0x0800;
                ip = frame;
                break;
            case LinkIPv6:
                etherType = 0x86DD;
                ip = frame;
                break;
            default:
                return FrameSkip.NotUdp;
        }

        ReadOnlySpan<byte> udp;
        if (etherType == 0x0800)
        {
            if (ip.Length < 20 || ip[0] >> 4 != 4)
            {
                return ip.Length < 20 ? FrameSkip.Truncated : FrameSkip.NotUdp;
            }

            int headerLength = (ip[0] & 0x0F) * 4;
            int totalLength = BinaryPrimitives.ReadUInt16BigEndian(ip[2..]);
            if (headerLength < 20 || ip.Length < headerLength)
            {
                return FrameSkip.Truncated;
            }

            if (ip[9] != 17)
            {
                return FrameSkip.NotUdp;
            }

            source = NetFlowAddress.FromIPv4(ip[12..]);
            int end = totalLength >= headerLength && totalLength <= ip.Length ? totalLength : ip.Length;
            int flags = BinaryPrimitives.ReadUInt16BigEndian(ip[6..]);
            if ((flags & 0x3FFF) != 0)
            {
                fragment = new IpFragment(source, NetFlowAddress.FromIPv4(ip[16..]), BinaryPrimitives.ReadUInt16BigEndian(ip[4..]), (flags & 0x1FFF) * 8, (flags & 0x2000) != 0);
                payload = ip[headerLength..end];
                return FrameSkip.Fragment;
            }

            udp = ip[headerLength..end];
        }
        else if (etherType == 0x86DD)
        {
            if (ip.Length < 40)
            {
                return FrameSkip.Truncated;
            }

            source = NetFlowAddress.FromIPv6(ip[8..]);
            int payloadLength = BinaryPrimitives.ReadUInt16BigEndian(ip[4..]);
            int next = ip[6];
            int at = 40;
            int end = payloadLength > 0 && 40 + payloadLength <= ip.Length ? 40 + payloadLength : ip.Length;
            for (int hops = 0; next is 0 or 43 or 60 && hops < 8; hops++)
            {
                if (end - at < 8)
                {
                    return FrameSkip.Truncated;
                }

                next = ip[at];
                at += (ip[at + 1] + 1) * 8;
            }

            if (next == 44)
            {
                if (end - at < 8 || ip[at] != 17)
                {
                    return end - at < 8 ? FrameSkip.Truncated : FrameSkip.NotUdp;
                }

                int offsetAndFlags = BinaryPrimitives.ReadUInt16BigEndian(ip[(at + 2)..]);
                fragment = new IpFragment(source, NetFlowAddress.FromIPv6(ip[24..]), BinaryPrimitives.ReadUInt32BigEndian(ip[(at + 4)..]), offsetAndFlags & 0xFFF8, (offsetAndFlags & 1) != 0);
                payload = ip[(at + 8)..end];
                return FrameSkip.Fragment;
            }

            if (next != 17)
            {
                return FrameSkip.NotUdp;
            }

            if (at > end)
            {
                return FrameSkip.Truncated;
            }

            udp = ip[at..end];
        }
        else
        {
            return FrameSkip.NotUdp;
        }

        return TryParseUdp(udp, out sourcePort, out payload);
    }

    /// <summary>A UDP header and its payload (from a frame, or from a reassembled IP payload).</summary>
    public static FrameSkip TryParseUdp(ReadOnlySpan<byte> udp, out ushort sourcePort, out ReadOnlySpan<byte> payload)
    {
        sourcePort = 0;
        payload = default;
        if (udp.Length < 8)
        {
            return FrameSkip.Truncated;
        }

        sourcePort = BinaryPrimitives.ReadUInt16BigEndian(udp);
        int udpLength = BinaryPrimitives.ReadUInt16BigEndian(udp[4..]);
        payload = udpLength >= 8 && udpLength <= udp.Length ? udp[8..udpLength] : udp[8..];
        return FrameSkip.None;
    }
}

/// <summary>Where an IP fragment of a UDP datagram belongs: its datagram (source, destination, identification), offset and more-fragments flag.</summary>
internal readonly record struct IpFragment(NetFlowAddress Source, NetFlowAddress Destination, uint Id, int Offset, bool More)
{
    public (NetFlowAddress, NetFlowAddress, uint) Key => (Source, Destination, Id);
}
