using System.Buffers.Binary;
using NetSecStream.Collectors.NetFlow;
using Xunit.Abstractions;

namespace NetSecStream.Collectors.Tests.NetFlow;

/// <summary>The capture reader gives the same packets from classic pcap (either byte order) and pcapng.</summary>
public sealed class PcapReaderTests(ITestOutputHelper output)
{
    [Fact]
    public void PcapngAndBigEndianPcap_GiveTheSamePacketsAsTheClassicFile()
    {
        string? folder = NetFlowCaptures.RootOrSkip(output, "netflow/pmacct-tests/101-NFv9-CISCO-cust_primitives");
        if (folder is null)
        {
            return;
        }

        var classic = ReadAll(File.ReadAllBytes(Path.Combine(folder, "traffic-00.pcap")));
        Assert.Equal(40, classic.Count);

        var pcapng = ReadAll(ToPcapng(classic));
        var bigEndian = ReadAll(ToBigEndianPcap(classic));

        Assert.Equal(classic.Count, pcapng.Count);
        Assert.Equal(classic.Count, bigEndian.Count);
        for (int i = 0; i < classic.Count; i++)
        {
            Assert.Equal(classic[i].TimestampMs, pcapng[i].TimestampMs);
            Assert.Equal(classic[i].Frame, pcapng[i].Frame);
            Assert.Equal(classic[i].LinkType, pcapng[i].LinkType);
            Assert.Equal(classic[i].TimestampMs, bigEndian[i].TimestampMs);
            Assert.Equal(classic[i].Frame, bigEndian[i].Frame);
        }
    }

    [Fact]
    public void OversizedRecord_StopsTheReadWithAnError()
    {
        byte[] file = new byte[24 + 16];
        BinaryPrimitives.WriteUInt32LittleEndian(file, 0xA1B2C3D4);
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(20), 1);
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(32), 100_000_000);
        using var reader = PcapReader.Open(new MemoryStream(file), 65536);

        Assert.False(reader.TryRead(out _, out _, out _));
        Assert.NotNull(reader.Error);
    }

    private sealed record Packet(int LinkType, long TimestampMs, byte[] Frame);

    private static List<Packet> ReadAll(byte[] file)
    {
        var packets = new List<Packet>();
        using var reader = PcapReader.Open(new MemoryStream(file), 256 * 1024);
        while (reader.TryRead(out int linkType, out long timestampMs, out var frame))
        {
            packets.Add(new Packet(linkType, timestampMs, frame.ToArray()));
        }

        Assert.Null(reader.Error);
        return packets;
    }

    /// <summary>Section header, an interface with nanosecond timestamps, an unknown block, then enhanced packet blocks.</summary>
    private static byte[] ToPcapng(List<Packet> packets)
    {
        using var stream = new MemoryStream();
        Block(stream, 0x0A0D0D0A, body =>
        {
            body.AddRange(BitConverter.GetBytes(0x1A2B3C4Du));
            body.AddRange([1, 0, 0, 0]); // version 1.0
            body.AddRange(BitConverter.GetBytes(-1L)); // section length unknown
        });
        Block(stream, 1, body =>
        {
            body.AddRange(BitConverter.GetBytes((ushort)packets[0].LinkType));
            body.AddRange([0, 0]);
            body.AddRange(BitConverter.GetBytes(65535u));
            body.AddRange([9, 0, 1, 0, 9, 0, 0, 0]); // if_tsresol = 10^-9, padded
            body.AddRange([0, 0, 0, 0]); // end of options
        });
        Block(stream, 0x0BAD, body => body.AddRange(new byte[12]));
        foreach (var packet in packets)
        {
            Block(stream, 6, body =>
            {
                ulong ticks = (ulong)packet.TimestampMs * 1_000_000;
                body.AddRange(BitConverter.GetBytes(0u));
                body.AddRange(BitConverter.GetBytes((uint)(ticks >> 32)));
                body.AddRange(BitConverter.GetBytes((uint)ticks));
                body.AddRange(BitConverter.GetBytes((uint)packet.Frame.Length));
                body.AddRange(BitConverter.GetBytes((uint)packet.Frame.Length));
                body.AddRange(packet.Frame);
                while (body.Count % 4 != 0)
                {
                    body.Add(0);
                }
            });
        }

        return stream.ToArray();
    }

    private static void Block(MemoryStream stream, uint type, Action<List<byte>> fill)
    {
        var body = new List<byte>();
        fill(body);
        uint total = (uint)(body.Count + 12);
        stream.Write(BitConverter.GetBytes(type));
        stream.Write(BitConverter.GetBytes(total));
        stream.Write(body.ToArray());
        stream.Write(BitConverter.GetBytes(total));
    }

    private static byte[] ToBigEndianPcap(List<Packet> packets)
    {
        using var stream = new MemoryStream();
        var header = new byte[24];
        BinaryPrimitives.WriteUInt32BigEndian(header, 0xA1B2C3D4);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(4), 2);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(6), 4);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(16), 65535);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(20), (uint)packets[0].LinkType);
        stream.Write(header);
        var record = new byte[16];
        foreach (var packet in packets)
        {
            BinaryPrimitives.WriteUInt32BigEndian(record, (uint)(packet.TimestampMs / 1000));
            BinaryPrimitives.WriteUInt32BigEndian(record.AsSpan(4), (uint)(packet.TimestampMs % 1000 * 1000));
            BinaryPrimitives.WriteUInt32BigEndian(record.AsSpan(8), (uint)packet.Frame.Length);
            BinaryPrimitives.WriteUInt32BigEndian(record.AsSpan(12), (uint)packet.Frame.Length);
            stream.Write(record);
            stream.Write(packet.Frame);
        }

        return stream.ToArray();
    }
}
