using NetSecStream.Collectors.Pcap;

namespace NetSecStream.Collectors.Tests.Pcap;

public sealed class CaptureFileReaderTests
{
    private static readonly DateTimeOffset Time = new(2024, 5, 6, 7, 8, 9, TimeSpan.Zero);

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void ReadNext_ClassicPcap_EitherByteOrderAndResolution_ReadsPacketsAndTimes(bool bigEndian, bool nanos)
    {
        var frame = Packets.Udp("10.0.0.1", 1234, "10.0.0.2", 53, [1, 2, 3]);
        var file = Packets.PcapFile([(Time.AddTicks(1230), frame), (Time.AddSeconds(1), frame)], bigEndian, nanos);
        var reader = new CaptureFileReader(new MemoryStream(file));
        Assert.True(reader.TryReadHeader(out string error), error);
        Assert.Equal(CaptureReadStatus.Packet, reader.ReadNext(out var data));
        Assert.Equal(frame, data.ToArray());
        Assert.Equal(1, reader.LinkType);
        Assert.Equal(Time.AddTicks(1230).UtcTicks, reader.TimestampTicks);
        Assert.Equal(CaptureReadStatus.Packet, reader.ReadNext(out _));
        Assert.Equal(Time.AddSeconds(1).UtcTicks, reader.TimestampTicks);
        Assert.Equal(CaptureReadStatus.End, reader.ReadNext(out _));
    }

    [Fact]
    public void ReadNext_Pcapng_SkipsUnknownBlocksAndHonoursTheInterfaceResolution()
    {
        var frame = Packets.Tcp("10.0.0.1", 1234, "10.0.0.2", 80, 1, Packets.Syn);
        var file = Packets.PcapngFile([(Time.AddTicks(7), frame), (Time.AddMinutes(1), frame)]);
        var reader = new CaptureFileReader(new MemoryStream(file));
        Assert.True(reader.TryReadHeader(out _));
        Assert.True(reader.IsPcapng);
        Assert.Equal(CaptureReadStatus.Packet, reader.ReadNext(out var data));
        Assert.Equal(frame, data.ToArray());
        Assert.Equal(Time.AddTicks(7).UtcTicks, reader.TimestampTicks);
        Assert.Equal(CaptureReadStatus.Packet, reader.ReadNext(out _));
        Assert.Equal(CaptureReadStatus.End, reader.ReadNext(out _));
    }

    [Fact]
    public void ReadNext_FileCutInsideAPacket_IsTruncatedAfterThePacketsBefore()
    {
        var frame = Packets.Udp("10.0.0.1", 1234, "10.0.0.2", 53, [1, 2, 3]);
        var file = Packets.PcapFile([(Time, frame), (Time, frame)]);
        var reader = new CaptureFileReader(new MemoryStream(file[..^5]));
        Assert.True(reader.TryReadHeader(out _));
        Assert.Equal(CaptureReadStatus.Packet, reader.ReadNext(out _));
        Assert.Equal(CaptureReadStatus.Truncated, reader.ReadNext(out _));
    }

    [Fact]
    public void ReadNext_AbsurdRecordLength_IsCorrupt()
    {
        var file = Packets.PcapFile([(Time, new byte[60])]);
        file[24 + 8] = 0xFF;
        file[24 + 11] = 0x7F;
        var reader = new CaptureFileReader(new MemoryStream(file));
        Assert.True(reader.TryReadHeader(out _));
        Assert.Equal(CaptureReadStatus.Corrupt, reader.ReadNext(out _));
    }

    [Fact]
    public void TryReadHeader_NotACapture_FailsWithAReason()
    {
        var reader = new CaptureFileReader(new MemoryStream("{\"flow\":1}\n"u8.ToArray()));
        Assert.False(reader.TryReadHeader(out string error));
        Assert.Contains("not a pcap or pcapng file", error, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadNext_RealPcapngWrittenByWireshark_ReadsEveryPacket()
    {
        // mergecap wrote this test file from the shared captures: several link types in one pcapng.
        string path = Path.Combine(AppContext.BaseDirectory, "Pcap", "mixed-links.pcapng");
        var reader = new CaptureFileReader(File.OpenRead(path));
        Assert.True(reader.TryReadHeader(out _));
        int packets = 0;
        var links = new HashSet<int>();
        while (reader.ReadNext(out _) == CaptureReadStatus.Packet)
        {
            packets++;
            links.Add(reader.LinkType);
        }

        Assert.Equal(MixedLinks.Packets, packets);
        Assert.True(links.Count >= 3, string.Join(",", links));
    }
}
