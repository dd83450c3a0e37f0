using System.Buffers.Binary;
using NetSecStream.Collectors.NetFlow;

namespace NetSecStream.Collectors;

/// <summary>What a file given to <c>netsec replay</c> holds, told from its content.</summary>
public enum CaptureKind
{
    /// <summary>Hubble flows as JSON lines.</summary>
    Hubble,

    /// <summary>Packets (pcap or pcapng) for flow assembly and L7 extraction.</summary>
    Pcap,

    /// <summary>NetFlow v5/v9 or IPFIX export datagrams captured in a pcap, on any UDP port.</summary>
    NetFlow,
}

public static class CaptureFormat
{
    private const int SampledPackets = 64;

    /// <summary>
    /// A capture file (pcap or pcapng magic) whose first UDP datagrams mostly start with a NetFlow v5/v9 or IPFIX header
    /// that agrees with the datagram's length is <see cref="CaptureKind.NetFlow"/>; any other capture file is
    /// <see cref="CaptureKind.Pcap"/>; anything else is read as Hubble JSON lines.
    /// </summary>
    public static CaptureKind Detect(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        Span<byte> magic = stackalloc byte[4];
        using (var stream = File.OpenRead(path))
        {
            if (stream.ReadAtLeast(magic, 4, throwOnEndOfStream: false) < 4 || !IsCaptureMagic(BinaryPrimitives.ReadUInt32LittleEndian(magic)))
            {
                return CaptureKind.Hubble;
            }
        }

        int udp = 0;
        int netflow = 0;
        using var reader = PcapReader.Open(path, 256 * 1024);
        for (int i = 0; i < SampledPackets && reader.TryRead(out int linkType, out _, out var frame); i++)
        {
            if (UdpFrame.TryGetUdp(frame, linkType, out _, out _, out var payload) != FrameSkip.None)
            {
                continue;
            }

            udp++;
            if (LooksLikeExport(payload))
            {
                netflow++;
            }
        }

        return netflow > 0 && netflow * 2 >= udp ? CaptureKind.NetFlow : CaptureKind.Pcap;
    }

    private static bool IsCaptureMagic(uint magic) =>
        magic is 0xA1B2C3D4 or 0xD4C3B2A1 or 0xA1B23C4D or 0x4D3CB2A1 or 0x0A0D0D0A;

    private static bool LooksLikeExport(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 16)
        {
            return false;
        }

        int version = BinaryPrimitives.ReadUInt16BigEndian(payload);
        int second = BinaryPrimitives.ReadUInt16BigEndian(payload[2..]);
        return version switch
        {
            5 => second is >= 1 and <= 30 && payload.Length >= 24 + (48 * second),
            9 => second >= 1 && payload.Length >= 20,
            10 => second == payload.Length,
            _ => false,
        };
    }
}
