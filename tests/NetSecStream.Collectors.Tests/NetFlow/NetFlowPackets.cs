using System.Buffers.Binary;
using System.Net;

namespace NetSecStream.Collectors.Tests.NetFlow;

/// <summary>Builds NetFlow v5, v9 and IPFIX datagrams for tests, field by field, in network byte order.</summary>
internal sealed class NetFlowPackets
{
    private readonly List<byte> _bytes = [];
    private readonly Stack<int> _lengthAt = [];

    public static readonly IPAddress Exporter = IPAddress.Parse("192.0.2.1");

    public NetFlowPackets U8(int value)
    {
        _bytes.Add((byte)value);
        return this;
    }

    public NetFlowPackets U16(int value) => U8(value >> 8).U8(value);

    public NetFlowPackets U32(uint value) => U16((int)(value >> 16)).U16((int)(value & 0xFFFF));

    public NetFlowPackets U64(ulong value) => U32((uint)(value >> 32)).U32((uint)value);

    public NetFlowPackets Bytes(ReadOnlySpan<byte> bytes)
    {
        foreach (byte b in bytes)
        {
            _bytes.Add(b);
        }

        return this;
    }

    public NetFlowPackets Ip(string address) => Bytes(IPAddress.Parse(address).GetAddressBytes());

    /// <summary>Starts a set (flowset): id and a length filled in by <see cref="EndSet"/>.</summary>
    public NetFlowPackets Set(int id)
    {
        U16(id);
        _lengthAt.Push(_bytes.Count);
        return U16(0);
    }

    public NetFlowPackets EndSet()
    {
        int at = _lengthAt.Pop();
        int length = _bytes.Count - at + 2;
        _bytes[at] = (byte)(length >> 8);
        _bytes[at + 1] = (byte)length;
        return this;
    }

    public byte[] ToArray() => [.. _bytes];

    /// <summary>IPFIX message header; the length is fixed up by <see cref="Ipfix"/>.</summary>
    public static NetFlowPackets IpfixHeader(uint exportSeconds, uint sequence, uint domain = 1) =>
        new NetFlowPackets().U16(10).U16(0).U32(exportSeconds).U32(sequence).U32(domain);

    public byte[] Ipfix()
    {
        var bytes = ToArray();
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(2), (ushort)bytes.Length);
        return bytes;
    }

    public static NetFlowPackets V9Header(uint sysUptimeMs, uint unixSeconds, uint sequence, uint sourceId = 0, int count = 1) =>
        new NetFlowPackets().U16(9).U16(count).U32(sysUptimeMs).U32(unixSeconds).U32(sequence).U32(sourceId);

    /// <summary>The v9 template used by the tests: IPv4 5-tuple, counters, flags and sysUpTime first/last.</summary>
    public NetFlowPackets V9Template(int id) =>
        Set(0).U16(id).U16(10)
            .U16(8).U16(4).U16(12).U16(4).U16(7).U16(2).U16(11).U16(2).U16(4).U16(1)
            .U16(1).U16(4).U16(2).U16(4).U16(22).U16(4).U16(21).U16(4).U16(6).U16(1)
            .EndSet();

    /// <summary>Bytes of one record of <see cref="V9Template"/> (no set header).</summary>
    public NetFlowPackets V9Record(string src, string dst, int sport, int dport, int proto, uint bytes, uint packets, uint first, uint last, int flags) =>
        Ip(src).Ip(dst).U16(sport).U16(dport).U8(proto).U32(bytes).U32(packets).U32(first).U32(last).U8(flags);

    public static byte[] V5(uint sysUptimeMs, uint unixSeconds, uint sequence, int records, int samplingInterval = 0)
    {
        var p = new NetFlowPackets().U16(5).U16(records).U32(sysUptimeMs).U32(unixSeconds).U32(0).U32(sequence).U8(0).U8(0)
            .U16(samplingInterval == 0 ? 0 : (1 << 14) | samplingInterval);
        for (int i = 0; i < records; i++)
        {
            p.Ip("10.0.0." + (i + 1)).Ip("10.1.0.1").Ip("0.0.0.0").U16(1).U16(2).U32(10).U32(1000)
                .U32(sysUptimeMs - 5000).U32(sysUptimeMs - 1000).U16(40000 + i).U16(443).U8(0).U8(0x1B).U8(6).U8(0)
                .U16(0).U16(0).U8(24).U8(24).U16(0);
        }

        return p.ToArray();
    }
}
