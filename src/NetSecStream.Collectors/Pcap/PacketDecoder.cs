using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace NetSecStream.Collectors.Pcap;

/// <summary>Why a packet yielded no flow update. The names double as the low-cardinality <c>reason</c> tag.</summary>
internal enum PacketOutcome : byte
{
    Ok = 0,

    /// <summary>Not IPv4 or IPv6 (ARP, LLDP, STP ...): skipped, counted, not an error.</summary>
    NotIp,

    /// <summary>A fragment after the first: its ports are in the first one; skipped and counted.</summary>
    IpFragment,

    UnsupportedLinkType,
    TruncatedLinkHeader,
    TruncatedIpHeader,
    BadIpHeader,
    TruncatedTransportHeader,
    BadTransportHeader,
}

internal static class PacketOutcomes
{
    /// <summary>True for the outcomes that reject a malformed packet (counted in <c>netsec_events_rejected</c>).</summary>
    public static bool IsRejection(PacketOutcome outcome) => outcome >= PacketOutcome.UnsupportedLinkType;

    public static string Reason(PacketOutcome outcome) => outcome switch
    {
        PacketOutcome.NotIp => "not_ip",
        PacketOutcome.IpFragment => "ip_fragment",
        PacketOutcome.UnsupportedLinkType => "unsupported_link_type",
        PacketOutcome.TruncatedLinkHeader => "truncated_link_header",
        PacketOutcome.TruncatedIpHeader => "truncated_ip_header",
        PacketOutcome.BadIpHeader => "bad_ip_header",
        PacketOutcome.TruncatedTransportHeader => "truncated_transport_header",
        PacketOutcome.BadTransportHeader => "bad_transport_header",
        _ => "ok",
    };
}

/// <summary>The fields of one packet the flow table needs; the payload is a range of the packet's bytes.</summary>
internal struct DecodedPacket
{
    /// <summary>Addresses as 128-bit numbers; IPv4 as IPv4-mapped IPv6 (<c>::ffff:a.b.c.d</c>).</summary>
    public UInt128 Source;
    public UInt128 Destination;
    public ushort SourcePort;
    public ushort DestinationPort;
    public byte Protocol;
    public bool IsIPv6;

    /// <summary>TCP flags as in the header (NS in bit 8).</summary>
    public ushort TcpFlags;
    public uint Sequence;
    public byte IcmpType;
    public byte IcmpCode;

    /// <summary>Bytes of the IP packet by its header (the wire size at layer 3, also when the capture cut it short).</summary>
    public int IpLength;
    public int PayloadOffset;
    public int PayloadLength;
}

/// <summary>
/// Decodes link (Ethernet with 802.1Q/802.1ad/QinQ tags and PPPoE, Linux cooked v1/v2, BSD loopback, raw IP), IPv4,
/// IPv6 (extension headers skipped) and TCP/UDP/ICMP/ICMPv6 headers from a span, allocation-free. It never throws:
/// every malformed packet is an outcome with a reason.
/// </summary>
internal static class PacketDecoder
{
    public const int LinkNull = 0;
    public const int LinkEthernet = 1;
    public const int LinkRaw = 101;
    public const int LinkLoop = 108;
    public const int LinkLinuxSll = 113;
    public const int LinkIPv4 = 228;
    public const int LinkIPv6 = 229;
    public const int LinkLinuxSll2 = 276;
    public const int LinkPpp = 9;
    public const int LinkCiscoHdlc = 104;

    private static readonly UInt128 IPv4Mapped = (UInt128)0xFFFF << 32;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static PacketOutcome Decode(int linkType, ReadOnlySpan<byte> frame, out DecodedPacket packet)
    {
        packet = default;
        int offset;
        int etherType;
        switch (linkType)
        {
            case LinkEthernet:
                if (frame.Length < 14)
                {
                    return PacketOutcome.TruncatedLinkHeader;
                }

                offset = 14;
                etherType = BinaryPrimitives.ReadUInt16BigEndian(frame[12..]);
                break;
            case LinkRaw:
            case 12:
            case 14:
                return DecodeIpAt(frame, 0, out packet);
            case LinkIPv4:
            case LinkIPv6:
                return DecodeIpAt(frame, 0, out packet);
            case LinkNull:
            case LinkLoop:
                {
                    if (frame.Length < 4)
                    {
                        return PacketOutcome.TruncatedLinkHeader;
                    }

                    // The family is in the capturing host's byte order for NULL, network order for LOOP.
                    uint family = BinaryPrimitives.ReadUInt32LittleEndian(frame);
                    if (family > 0xFFFF)
                    {
                        family = BinaryPrimitives.ReverseEndianness(family);
                    }

                    return family switch
                    {
                        2 or 24 or 28 or 30 => DecodeIpAt(frame, 4, out packet),
                        _ => PacketOutcome.NotIp,
                    };
                }

            case LinkCiscoHdlc:
                if (frame.Length < 4)
                {
                    return PacketOutcome.TruncatedLinkHeader;
                }

                offset = 4;
                etherType = BinaryPrimitives.ReadUInt16BigEndian(frame[2..]);
                break;
            case LinkPpp:
                {
                    // Address and control (0xff 0x03) may be compressed away; the protocol is then the first field.
                    int at = frame.Length >= 2 && frame[0] == 0xFF && frame[1] == 0x03 ? 2 : 0;
                    if (frame.Length < at + 2)
                    {
                        return PacketOutcome.TruncatedLinkHeader;
                    }

                    int pppProtocol = BinaryPrimitives.ReadUInt16BigEndian(frame[at..]);
                    return pppProtocol switch
                    {
                        0x0021 or 0x0057 => DecodeIpAt(frame, at + 2, out packet),
                        _ => PacketOutcome.NotIp,
                    };
                }

            case LinkLinuxSll:
                if (frame.Length < 16)
                {
                    return PacketOutcome.TruncatedLinkHeader;
                }

                offset = 16;
                etherType = BinaryPrimitives.ReadUInt16BigEndian(frame[14..]);
                break;
            case LinkLinuxSll2:
                if (frame.Length < 20)
                {
                    return PacketOutcome.TruncatedLinkHeader;
                }

                offset = 20;
                etherType = BinaryPrimitives.ReadUInt16BigEndian(frame);
                break;
            default:
                return PacketOutcome.UnsupportedLinkType;
        }

        // VLAN tags (802.1Q, 802.1ad, the old QinQ 0x9100), any depth within reason, then PPPoE sessions.
        for (int tags = 0; tags < 8 && etherType is 0x8100 or 0x88A8 or 0x9100 or 0x9200; tags++)
        {
            if (frame.Length < offset + 4)
            {
                return PacketOutcome.TruncatedLinkHeader;
            }

            etherType = BinaryPrimitives.ReadUInt16BigEndian(frame[(offset + 2)..]);
            offset += 4;
        }

        if (etherType == 0x8864)
        {
            if (frame.Length < offset + 8)
            {
                return PacketOutcome.TruncatedLinkHeader;
            }

            int pppProtocol = BinaryPrimitives.ReadUInt16BigEndian(frame[(offset + 6)..]);
            offset += 8;
            etherType = pppProtocol switch
            {
                0x0021 => 0x0800,
                0x0057 => 0x86DD,
                _ => 0,
            };
        }

        return etherType is 0x0800 or 0x86DD ? DecodeIpAt(frame, offset, out packet) : PacketOutcome.NotIp;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static PacketOutcome DecodeIpAt(ReadOnlySpan<byte> frame, int offset, out DecodedPacket packet)
    {
        packet = default;
        if (frame.Length <= offset)
        {
            return PacketOutcome.TruncatedIpHeader;
        }

        int version = frame[offset] >> 4;
        return version switch
        {
            4 => DecodeIPv4(frame, offset, ref packet),
            6 => DecodeIPv6(frame, offset, ref packet),
            _ => PacketOutcome.BadIpHeader,
        };
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static PacketOutcome DecodeIPv4(ReadOnlySpan<byte> frame, int offset, ref DecodedPacket packet)
    {
        var ip = frame[offset..];
        if (ip.Length < 20)
        {
            return PacketOutcome.TruncatedIpHeader;
        }

        int headerLength = (ip[0] & 0x0F) * 4;
        int totalLength = BinaryPrimitives.ReadUInt16BigEndian(ip[2..]);
        if (headerLength < 20 || totalLength < headerLength)
        {
            // A total length of 0 is what TCP segmentation offload leaves in captures: trust the captured bytes.
            if (headerLength < 20 || totalLength != 0)
            {
                return PacketOutcome.BadIpHeader;
            }

            totalLength = ip.Length;
        }

        if (ip.Length < headerLength)
        {
            return PacketOutcome.TruncatedIpHeader;
        }

        packet.Protocol = ip[9];
        packet.Source = IPv4Mapped | BinaryPrimitives.ReadUInt32BigEndian(ip[12..]);
        packet.Destination = IPv4Mapped | BinaryPrimitives.ReadUInt32BigEndian(ip[16..]);
        packet.IpLength = totalLength;
        int fragmentOffset = BinaryPrimitives.ReadUInt16BigEndian(ip[6..]) & 0x1FFF;
        if (fragmentOffset != 0)
        {
            return PacketOutcome.IpFragment;
        }

        // Ethernet pads short frames: the IP header's length, not the frame's, says where the packet ends.
        int end = Math.Min(ip.Length, totalLength);
        return DecodeTransport(frame, offset + headerLength, offset + end, ref packet);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static PacketOutcome DecodeIPv6(ReadOnlySpan<byte> frame, int offset, ref DecodedPacket packet)
    {
        var ip = frame[offset..];
        if (ip.Length < 40)
        {
            return PacketOutcome.TruncatedIpHeader;
        }

        int payloadLength = BinaryPrimitives.ReadUInt16BigEndian(ip[4..]);
        packet.IsIPv6 = true;
        packet.Source = BinaryPrimitives.ReadUInt128BigEndian(ip[8..]);
        packet.Destination = BinaryPrimitives.ReadUInt128BigEndian(ip[24..]);
        int end = payloadLength == 0 ? ip.Length : Math.Min(ip.Length, 40 + payloadLength);
        packet.IpLength = payloadLength == 0 ? ip.Length : 40 + payloadLength;
        int next = ip[6];
        int position = 40;
        for (int headers = 0; headers < 16; headers++)
        {
            switch (next)
            {
                case 0:
                case 43:
                case 60:
                case 135:
                case 139:
                case 140:
                    if (end < position + 8)
                    {
                        return PacketOutcome.TruncatedIpHeader;
                    }

                    next = ip[position];
                    position += (ip[position + 1] + 1) * 8;
                    continue;
                case 51:
                    if (end < position + 8)
                    {
                        return PacketOutcome.TruncatedIpHeader;
                    }

                    next = ip[position];
                    position += (ip[position + 1] + 2) * 4;
                    continue;
                case 44:
                    if (end < position + 8)
                    {
                        return PacketOutcome.TruncatedIpHeader;
                    }

                    next = ip[position];
                    int fragmentOffset = BinaryPrimitives.ReadUInt16BigEndian(ip[(position + 2)..]) >> 3;
                    position += 8;
                    if (fragmentOffset != 0)
                    {
                        packet.Protocol = (byte)next;
                        return PacketOutcome.IpFragment;
                    }

                    continue;
                default:
                    packet.Protocol = (byte)next;
                    if (position > end)
                    {
                        return PacketOutcome.TruncatedIpHeader;
                    }

                    return DecodeTransport(frame, offset + position, offset + end, ref packet);
            }
        }

        return PacketOutcome.BadIpHeader;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static PacketOutcome DecodeTransport(ReadOnlySpan<byte> frame, int start, int end, ref DecodedPacket packet)
    {
        var segment = frame[start..end];
        switch (packet.Protocol)
        {
            case 6:
                {
                    if (segment.Length < 20)
                    {
                        return PacketOutcome.TruncatedTransportHeader;
                    }

                    int headerLength = (segment[12] >> 4) * 4;
                    if (headerLength < 20)
                    {
                        return PacketOutcome.BadTransportHeader;
                    }

                    if (segment.Length < headerLength)
                    {
                        return PacketOutcome.TruncatedTransportHeader;
                    }

                    packet.SourcePort = BinaryPrimitives.ReadUInt16BigEndian(segment);
                    packet.DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(segment[2..]);
                    packet.Sequence = BinaryPrimitives.ReadUInt32BigEndian(segment[4..]);
                    packet.TcpFlags = (ushort)(segment[13] | ((segment[12] & 1) << 8));
                    packet.PayloadOffset = start + headerLength;
                    packet.PayloadLength = segment.Length - headerLength;
                    return PacketOutcome.Ok;
                }

            case 17:
                {
                    if (segment.Length < 8)
                    {
                        return PacketOutcome.TruncatedTransportHeader;
                    }

                    packet.SourcePort = BinaryPrimitives.ReadUInt16BigEndian(segment);
                    packet.DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(segment[2..]);
                    int length = BinaryPrimitives.ReadUInt16BigEndian(segment[4..]);
                    if (length != 0 && length < 8)
                    {
                        return PacketOutcome.BadTransportHeader;
                    }

                    packet.PayloadOffset = start + 8;
                    packet.PayloadLength = length == 0 ? segment.Length - 8 : Math.Min(segment.Length, length) - 8;
                    return PacketOutcome.Ok;
                }

            case 1:
            case 58:
                if (segment.Length < 4)
                {
                    return PacketOutcome.TruncatedTransportHeader;
                }

                packet.IcmpType = segment[0];
                packet.IcmpCode = segment[1];
                packet.PayloadOffset = start + 4;
                packet.PayloadLength = segment.Length - 4;
                return PacketOutcome.Ok;
            default:
                packet.PayloadOffset = start;
                packet.PayloadLength = segment.Length;
                return PacketOutcome.Ok;
        }
    }
}
