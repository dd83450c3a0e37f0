using System.Text;
using NetSecStream.Collectors.Pcap;

namespace NetSecStream.Collectors.Tests.Pcap;

public sealed class TcpReassemblerTests
{
    private sealed class Receiver : ITcpStreamReceiver
    {
        public StringBuilder Text { get; } = new();

        public void OnStreamData(bool toServer, ReadOnlySpan<byte> data, long ticks) => Text.Append(Encoding.ASCII.GetString(data));

        public void OnStreamGap(bool toServer) => Text.Append('|');
    }

    [Fact]
    public void OnSegment_ReorderedAndRetransmitted_DeliversEachByteOnceInOrder()
    {
        var receiver = new Receiver();
        var stream = new TcpReassembler(true, 1000, 4);
        stream.OnSyn(99);
        stream.OnSegment(106, "world"u8, receiver, 0);
        stream.OnSegment(100, "hello "u8, receiver, 0);
        stream.OnSegment(100, "hello "u8, receiver, 0);
        stream.OnSegment(103, "lo wor"u8, receiver, 0);
        stream.OnSegment(111, "!"u8, receiver, 0);
        Assert.Equal("hello world!", receiver.Text.ToString());
        Assert.Equal(0, stream.Gaps);
    }

    [Fact]
    public void OnSegment_LostSegment_IsGivenUpAsAGapWhenTooManyWait()
    {
        var receiver = new Receiver();
        var stream = new TcpReassembler(true, 1000, 2);
        stream.OnSyn(0);
        stream.OnSegment(1, "aa"u8, receiver, 0);
        stream.OnSegment(5, "cc"u8, receiver, 0);
        stream.OnSegment(7, "dd"u8, receiver, 0);
        Assert.Equal("aa", receiver.Text.ToString());
        stream.OnSegment(9, "ee"u8, receiver, 0);
        Assert.Equal("aa|ccddee", receiver.Text.ToString());
        Assert.Equal(1, stream.Gaps);
    }

    [Fact]
    public void Flush_HeldSegments_AreDeliveredAfterTheGap()
    {
        var receiver = new Receiver();
        var stream = new TcpReassembler(true, 1000, 8);
        stream.OnSyn(0);
        stream.OnSegment(1, "aa"u8, receiver, 0);
        stream.OnSegment(10, "zz"u8, receiver, 0);
        stream.Flush(receiver, 0);
        Assert.Equal("aa|zz", receiver.Text.ToString());
    }

    [Fact]
    public void OnSegment_SequenceWrap_IsInOrder()
    {
        var receiver = new Receiver();
        var stream = new TcpReassembler(true, 1000, 4);
        stream.OnSyn(uint.MaxValue - 2);
        stream.OnSegment(uint.MaxValue - 1, "ab"u8, receiver, 0);
        stream.OnSegment(0, "cd"u8, receiver, 0);
        Assert.Equal("abcd", receiver.Text.ToString());
    }

    [Fact]
    public void OnSegment_PastTheByteLimit_StopsDelivering()
    {
        var receiver = new Receiver();
        var stream = new TcpReassembler(true, 5, 4);
        stream.OnSegment(1, "abc"u8, receiver, 0);
        stream.OnSegment(4, "defg"u8, receiver, 0);
        stream.OnSegment(8, "hij"u8, receiver, 0);
        Assert.Equal("abcde", receiver.Text.ToString());
        Assert.True(stream.Done);
    }

    [Fact]
    public void OnSegment_HeldBytesBeyondTheDirectionsBudget_GiveUpTheGapEarly()
    {
        var receiver = new Receiver();
        var stream = new TcpReassembler(true, 10, 100);
        stream.OnSyn(0);
        stream.OnSegment(1, "a"u8, receiver, 0);
        stream.OnSegment(5, "bbbb"u8, receiver, 0);
        stream.OnSegment(9, "cccc"u8, receiver, 0);
        Assert.Equal("a", receiver.Text.ToString());
        stream.OnSegment(13, "dddd"u8, receiver, 0);
        Assert.Equal("a|bbbbccccd", receiver.Text.ToString());
        Assert.True(stream.Done);
    }
}
