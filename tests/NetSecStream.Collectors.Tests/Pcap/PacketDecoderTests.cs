using System.Buffers.Binary;
using NetSecStream.Collectors.Pcap;

namespace NetSecStream.Collectors.Tests.Pcap;

public sealed class PacketDecoderTests
{
    [Fact]
    public void Decode_TcpOverIPv4_ReadsPortsFlagsSequenceAndPayload()
    {
        var frame = Packets.Tcp("10.1.2.3", 40000, "10.9.8.7", 443, 1000, Packets.Psh | Packets.Ack, "hello"u8);
        Assert.Equal(PacketOutcome.Ok, PacketDecoder.Decode(1, frame, out var packet));
        Assert.Equal(6, packet.Protocol);
        Assert.Equal(40000, packet.SourcePort);
        Assert.Equal(443, packet.DestinationPort);
        Assert.Equal(1000u, packet.Sequence);
        Assert.Equal(Packets.Psh | Packets.Ack, packet.TcpFlags);
        Assert.Equal("hello"u8.ToArray(), frame.AsSpan(packet.PayloadOffset, packet.PayloadLength).ToArray());
        Assert.False(packet.IsIPv6);
        Assert.Equal(45, packet.IpLength);
    }

    [Theory]
    [InlineData(new ushort[] { 100 })]
    [InlineData(new ushort[] { 100, 200 })]
    [InlineData(new ushort[] { 1, 2, 3 })]
    public void Decode_VlanTagsAndQinQ_AreSkipped(ushort[] vlans)
    {
        var frame = Packets.Udp("192.0.2.1", 5000, "192.0.2.53", 53, [9, 9], vlans);
        Assert.Equal(PacketOutcome.Ok, PacketDecoder.Decode(1, frame, out var packet));
        Assert.Equal(17, packet.Protocol);
        Assert.Equal(53, packet.DestinationPort);
        Assert.Equal(2, packet.PayloadLength);
    }

    [Fact]
    public void Decode_IPv6WithAHopByHopHeader_SkipsItToTheTransport()
    {
        var udp = new byte[10];
        BinaryPrimitives.WriteUInt16BigEndian(udp, 1111);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(2), 53);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(4), 10);
        var frame = Packets.Ip("2001:db8::1", "2001:db8::2", 17, udp, ipv6ExtensionHeader: new byte[8]);
        Assert.Equal(PacketOutcome.Ok, PacketDecoder.Decode(1, frame, out var packet));
        Assert.True(packet.IsIPv6);
        Assert.Equal(17, packet.Protocol);
        Assert.Equal(1111, packet.SourcePort);
        Assert.Equal(2, packet.PayloadLength);
    }

    [Fact]
    public void Decode_IcmpV6_ReadsTypeAndCode()
    {
        var frame = Packets.Icmp("2001:db8::1", "2001:db8::2", 128, 0);
        Assert.Equal(PacketOutcome.Ok, PacketDecoder.Decode(1, frame, out var packet));
        Assert.Equal(58, packet.Protocol);
        Assert.Equal(128, packet.IcmpType);
    }

    [Fact]
    public void Decode_Arp_IsNotIpAndNoRejection()
    {
        var frame = Packets.Ethernet(0x0806, new byte[28]);
        var outcome = PacketDecoder.Decode(1, frame, out _);
        Assert.Equal(PacketOutcome.NotIp, outcome);
        Assert.False(PacketOutcomes.IsRejection(outcome));
    }

    [Fact]
    public void Decode_LaterIPv4Fragment_IsSkippedAsAFragment()
    {
        var frame = Packets.Udp("10.0.0.1", 1, "10.0.0.2", 2, new byte[16]);
        frame[14 + 6] = 0x00;
        frame[14 + 7] = 0x10;
        Assert.Equal(PacketOutcome.IpFragment, PacketDecoder.Decode(1, frame, out _));
    }

    [Fact]
    public void Decode_EveryTruncation_IsARejectionNeverAnException()
    {
        var frame = Packets.Tcp("10.1.2.3", 40000, "10.9.8.7", 80, 1, Packets.Syn);
        for (int length = 0; length < frame.Length; length++)
        {
            var outcome = PacketDecoder.Decode(1, frame.AsSpan(0, length), out _);
            Assert.True(PacketOutcomes.IsRejection(outcome), $"{length} bytes: {outcome}");
        }
    }

    [Fact]
    public void Decode_RawIpAndLinuxCooked_Decode()
    {
        var ethernet = Packets.Udp("10.0.0.1", 1, "10.0.0.2", 2, [1]);
        var ip = ethernet.AsSpan(14).ToArray();
        Assert.Equal(PacketOutcome.Ok, PacketDecoder.Decode(PacketDecoder.LinkRaw, ip, out _));
        var sll = new byte[16 + ip.Length];
        sll[14] = 0x08;
        ip.CopyTo(sll, 16);
        Assert.Equal(PacketOutcome.Ok, PacketDecoder.Decode(PacketDecoder.LinkLinuxSll, sll, out var packet));
        Assert.Equal(2, packet.DestinationPort);
        Assert.Equal(PacketOutcome.UnsupportedLinkType, PacketDecoder.Decode(147, ip, out _));
    }
}
