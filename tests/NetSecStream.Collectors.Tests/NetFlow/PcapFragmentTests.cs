using System.Buffers.Binary;
using NetSecStream.Collectors.NetFlow;
using NetSecStream.Core.Components;

namespace NetSecStream.Collectors.Tests.NetFlow;

/// <summary>Export datagrams that reached the capture in IP fragments are put back together by the pcap source.</summary>
public sealed class PcapFragmentTests
{
    [Fact]
    public async Task FragmentedDatagrams_OutOfOrder_AreReassembled_AndIncompleteOnesCounted()
    {
        byte[] v5 = NetFlowPackets.V5(100_000, 1_700_000_000, 0, records: 30); // 1,464 bytes: bigger than the fragments
        byte[] udp = Udp(v5);
        var fragments = Split(udp, 512);
        Assert.Equal(3, fragments.Count);

        var packets = new List<byte[]>
        {
            Ipv4(fragments[2], id: 7, fragments[2].Offset, more: false),
            Ipv4(fragments[0], id: 7, fragments[0].Offset, more: true),
            Ipv4(fragments[1], id: 7, fragments[1].Offset, more: true),
            Ipv4(fragments[1], id: 7, fragments[1].Offset, more: true), // a repeat after completion starts a new, never finished datagram
            Ipv4(fragments[0], id: 8, fragments[0].Offset, more: true), // never completed
            Ipv4((udp, 0), id: 9, 0, more: false), // not fragmented
        };
        string path = Path.GetTempFileName();
        try
        {
            await File.WriteAllBytesAsync(path, Pcap(packets));
            var source = new NetFlowPcapSource(path, new NetFlowOptions());
            var flows = new List<SourcedFlow>();
            await foreach (var flow in source.ReadAsync(CancellationToken.None))
            {
                flows.Add(flow);
            }

            Assert.Equal(60, flows.Count);
            Assert.Equal(3, flows[0].Position); // the fragment that completed it
            Assert.Equal(6, flows[^1].Position);
            Assert.Equal(2, source.RejectedUnits); // the repeat and id 8 never completed
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Reassembler_IsBounded()
    {
        var reassembler = new IpFragmentReassembler();
        var source = NetFlowAddress.FromIPv4(1);
        for (uint id = 0; id < 1000; id++)
        {
            Assert.False(reassembler.TryAdd(new IpFragment(source, source, id, 0, More: true), new byte[8], 0, out _, out _));
        }

        Assert.Equal(IpFragmentReassembler.MaxPending, reassembler.InProgress);
        Assert.Equal(1000 - IpFragmentReassembler.MaxPending, reassembler.Dropped);
        Assert.False(reassembler.TryAdd(new IpFragment(source, source, 5000, 65_530, More: false), new byte[16], 0, out _, out _));
        reassembler.TryAdd(new IpFragment(source, source, 6000, 0, More: true), new byte[8], IpFragmentReassembler.TimeoutMs + 1, out _, out _);
        Assert.Equal(1, reassembler.InProgress);
    }

    private static byte[] Udp(byte[] payload)
    {
        var udp = new byte[8 + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(udp, 50000);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(2), 2055);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(4), (ushort)udp.Length);
        payload.CopyTo(udp, 8);
        return udp;
    }

    private static List<(byte[] Data, int Offset)> Split(byte[] data, int size)
    {
        var parts = new List<(byte[], int)>();
        for (int offset = 0; offset < data.Length; offset += size)
        {
            parts.Add((data.AsSpan(offset, Math.Min(size, data.Length - offset)).ToArray(), offset));
        }

        return parts;
    }

    private static byte[] Ipv4((byte[] Data, int Offset) fragment, int id, int offset, bool more)
    {
        var frame = new byte[14 + 20 + fragment.Data.Length];
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), 0x0800);
        var ip = frame.AsSpan(14);
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(20 + fragment.Data.Length));
        BinaryPrimitives.WriteUInt16BigEndian(ip[4..], (ushort)id);
        BinaryPrimitives.WriteUInt16BigEndian(ip[6..], (ushort)((more ? 0x2000 : 0) | (offset / 8)));
        ip[8] = 64;
        ip[9] = 17;
        NetFlowPackets.Exporter.GetAddressBytes().CopyTo(ip[12..]);
        new byte[] { 192, 0, 2, 100 }.CopyTo(ip[16..]);
        fragment.Data.CopyTo(ip[20..]);
        return frame;
    }

    private static byte[] Pcap(List<byte[]> frames)
    {
        using var stream = new MemoryStream();
        Span<byte> header = stackalloc byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 0xA1B2C3D4);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 4);
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], 65535);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], 1);
        stream.Write(header);
        uint second = 1_700_000_000;
        Span<byte> record = stackalloc byte[16];
        foreach (byte[] frame in frames)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(record, second++);
            BinaryPrimitives.WriteUInt32LittleEndian(record[8..], (uint)frame.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(record[12..], (uint)frame.Length);
            stream.Write(record);
            stream.Write(frame);
        }

        return stream.ToArray();
    }
}
