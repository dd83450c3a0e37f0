using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;

namespace NetSecStream.Core.Events;

/// <summary>
/// Community ID flow hashing, version 1 (https://github.com/corelight/community-id-spec).
/// The same 5-tuple gives the same id in both directions, so Zeek, Suricata, Elastic and NetSecStream agree.
/// </summary>
public static class CommunityId
{
    public const string Prefix = "1:";

    /// <summary>Computes the id of a flow; ICMP and ICMPv6 take type and code in place of ports.</summary>
    public static string Compute(FlowEvent flow, ushort seed = 0)
    {
        ArgumentNullException.ThrowIfNull(flow);
        if (flow.IpProtocol is 1 or 58)
        {
            return ComputeIcmp(flow.Source.Ip, flow.Destination.Ip, flow.IpProtocol, flow.IcmpType ?? 0, flow.IcmpCode ?? 0, seed);
        }

        return Compute(flow.Source.Ip, flow.Source.Port, flow.Destination.Ip, flow.Destination.Port, flow.IpProtocol, seed);
    }

    /// <summary>Id for a port-based protocol (TCP, UDP, SCTP) or a protocol without ports (ports ignored).</summary>
    public static string Compute(IPAddress source, ushort sourcePort, IPAddress destination, ushort destinationPort, byte protocol, ushort seed = 0)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        bool hasPorts = protocol is 6 or 17 or 132;
        return Hash(source, destination, protocol, hasPorts, sourcePort, destinationPort, oneWay: false, seed);
    }

    /// <summary>Id for ICMP (protocol 1) or ICMPv6 (58) from the message type and code.</summary>
    public static string ComputeIcmp(IPAddress source, IPAddress destination, byte protocol, byte type, byte code, ushort seed = 0)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        var (port1, port2, oneWay) = IcmpPorts(type, code, protocol == 58);
        return Hash(source, destination, protocol, hasPorts: true, port1, port2, oneWay, seed);
    }

    // The spec maps an ICMP request/response pair onto "ports" so both directions hash alike;
    // types without a counterpart keep (type, code) and are hashed one-way, unordered.
    private static (ushort Port1, ushort Port2, bool OneWay) IcmpPorts(byte type, byte code, bool v6)
    {
        int counterpart = v6
            ? type switch
            {
                128 => 129,
                129 => 128,
                133 => 134,
                134 => 133,
                135 => 136,
                136 => 135,
                130 => 131,
                131 => 130,
                144 => 145,
                145 => 144,
                _ => -1,
            }
            : type switch
            {
                8 => 0,
                0 => 8,
                13 => 14,
                14 => 13,
                15 => 16,
                16 => 15,
                10 => 9,
                9 => 10,
                17 => 18,
                18 => 17,
                _ => -1,
            };
        return counterpart < 0 ? (type, code, true) : (type, (ushort)counterpart, false);
    }

    private static string Hash(IPAddress source, IPAddress destination, byte protocol, bool hasPorts, ushort sourcePort, ushort destinationPort, bool oneWay, ushort seed)
    {
        Span<byte> src = stackalloc byte[16];
        Span<byte> dst = stackalloc byte[16];
        if (!source.TryWriteBytes(src, out int srcLength) || !destination.TryWriteBytes(dst, out int dstLength))
        {
            throw new ArgumentException("address could not be serialised");
        }

        src = src[..srcLength];
        dst = dst[..dstLength];
        if (srcLength != dstLength)
        {
            throw new ArgumentException("source and destination must be of the same address family");
        }

        if (!oneWay)
        {
            int order = src.SequenceCompareTo(dst);
            if (order > 0 || (order == 0 && hasPorts && sourcePort > destinationPort))
            {
                var tmp = src;
                src = dst;
                dst = tmp;
                (sourcePort, destinationPort) = (destinationPort, sourcePort);
            }
        }

        Span<byte> buffer = stackalloc byte[2 + 16 + 16 + 2 + 4];
        int n = 0;
        BinaryPrimitives.WriteUInt16BigEndian(buffer, seed);
        n += 2;
        src.CopyTo(buffer[n..]);
        n += src.Length;
        dst.CopyTo(buffer[n..]);
        n += dst.Length;
        buffer[n++] = protocol;
        buffer[n++] = 0;
        if (hasPorts)
        {
            BinaryPrimitives.WriteUInt16BigEndian(buffer[n..], sourcePort);
            n += 2;
            BinaryPrimitives.WriteUInt16BigEndian(buffer[n..], destinationPort);
            n += 2;
        }

        Span<byte> digest = stackalloc byte[SHA1.HashSizeInBytes];
#pragma warning disable CA5350 // SHA-1 is what the Community ID specification prescribes; it is an id, not a security hash.
        SHA1.HashData(buffer[..n], digest);
#pragma warning restore CA5350
        return Prefix + Convert.ToBase64String(digest);
    }
}
