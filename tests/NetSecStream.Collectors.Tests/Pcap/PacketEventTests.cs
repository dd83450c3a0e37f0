using System.Text;
using NetSecStream.Collectors.Pcap;
using NetSecStream.Core.Events;

namespace NetSecStream.Collectors.Tests.Pcap;

/// <summary>Packet inspection mode (<see cref="PcapOptions.PacketEvents"/>): one event per packet and per transaction, then a summary.</summary>
public sealed class PacketEventTests
{
    private static readonly DateTimeOffset T0 = new(2025, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private static FlowTable Table() => new(new PcapOptions { File = "test.pcap", PacketEvents = true }, "test.pcap");

    private static void Feed(FlowTable table, DateTimeOffset time, byte[] frame) =>
        Assert.Equal(PacketOutcome.Ok, table.Process(1, time.UtcTicks, frame, 1));

    private static List<FlowEvent> Take(FlowTable table)
    {
        var events = table.Output.Select(o => o.Flow).ToList();
        table.Output.Clear();
        return events;
    }

    [Fact]
    public void TcpConnection_EachPacketIsAnEventNumberedInCaptureOrder_WithItsSenderDirectionFlagsAndPayload()
    {
        var table = Table();
        const string C = "10.0.0.1";
        const string S = "10.0.0.2";
        Feed(table, T0, Packets.Tcp(C, 50000, S, 80, 100, Packets.Syn));
        Feed(table, T0.AddMilliseconds(1), Packets.Tcp(S, 80, C, 50000, 900, Packets.Syn | Packets.Ack));
        Feed(table, T0.AddMilliseconds(2), Packets.Tcp(C, 50000, S, 80, 101, Packets.Ack));
        Feed(table, T0.AddMilliseconds(3), Packets.Tcp(C, 50000, S, 80, 101, Packets.Ack | Packets.Psh, "GET /a HTTP/1.1\r\nHost: h\r\n\r\n"u8));
        Feed(table, T0.AddMilliseconds(4), Packets.Tcp(S, 80, C, 50000, 901, Packets.Ack | Packets.Psh, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"u8));
        var events = Take(table);

        var packets = events.Where(e => e.Kind == FlowEventKind.Packet).ToList();
        Assert.Equal([1L, 2, 3, 4, 5], packets.Select(p => p.PacketNumber!.Value));
        Assert.Equal([false, true, false, false, true], packets.Select(p => p.IsReply!.Value));
        Assert.Equal(S, packets[1].Source.Ip.ToString());
        Assert.Equal(80, packets[1].Source.Port);
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack, packets[1].TcpFlags);

        // Established after the client's ACK of the SYN-ACK, as Suricata's flow:established (that ACK itself is not).
        Assert.Equal([false, false, false, true, true], packets.Select(p => p.Established!.Value));
        Assert.Equal("GET /a HTTP/1.1\r\nHost: h\r\n\r\n", Encoding.ASCII.GetString(packets[3].Payload!.ToServer.Span));
        Assert.True(packets[3].Payload!.ToClient.IsEmpty);
        Assert.StartsWith("HTTP/1.1 200", Encoding.ASCII.GetString(packets[4].Payload!.ToClient.Span), StringComparison.Ordinal);
        Assert.Equal("http", packets[4].AppProtocol);
        Assert.All(packets, p => Assert.Null(p.Bytes));

        // The HTTP transaction is reported as it finishes, after the packet that finished it, with that packet's number.
        var transaction = Assert.Single(events, e => e.Kind == FlowEventKind.Transaction);
        Assert.Equal(5, transaction.PacketNumber);
        Assert.Equal("/a", transaction.Http!.Uri);
        Assert.Equal(FlowEventKind.Transaction, events[^1].Kind);

        // At the end: one summary with the totals and the reassembled stream prefixes.
        table.FlushAll(0);
        var summary = Assert.Single(Take(table));
        Assert.Equal(FlowEventKind.Summary, summary.Kind);
        Assert.Equal(5, summary.Packets);
        Assert.Equal("GET /a HTTP/1.1\r\nHost: h\r\n\r\n", Encoding.ASCII.GetString(summary.Payload!.ToServer.Span));
        Assert.True(summary.Established);
    }

    [Fact]
    public void TcpWithoutHandshake_IsNeverEstablished()
    {
        var table = Table();
        Feed(table, T0, Packets.Tcp("10.0.0.1", 50000, "10.0.0.2", 1212, 100, Packets.Ack | Packets.Psh, "MATCH?"u8));
        Feed(table, T0, Packets.Tcp("10.0.0.2", 1212, "10.0.0.1", 50000, 900, Packets.Ack));
        Assert.All(Take(table), e => Assert.False(e.Established));
    }

    [Fact]
    public void UdpAndIcmp_AreEstablishedOnceBothSidesSent_AndEachPacketKeepsItsIcmpType()
    {
        var table = Table();
        Feed(table, T0, Packets.Icmp("10.0.0.1", "10.0.0.2", 8, 0));
        Feed(table, T0, Packets.Icmp("10.0.0.2", "10.0.0.1", 0, 0));
        Feed(table, T0, Packets.Icmp("10.0.0.1", "10.0.0.2", 8, 0));
        var events = Take(table);
        Assert.Equal([(byte)8, (byte)0, (byte)8], events.Select(e => e.IcmpType!.Value));
        Assert.Equal([false, true, true], events.Select(e => e.Established!.Value));
    }

    [Fact]
    public void DnsQuery_IsATransactionAtTheQueryPacket_AndTheAnswerAddsNoSecondOne()
    {
        var table = Table();
        Feed(table, T0, Packets.Udp("10.0.0.1", 40000, "10.0.0.53", 53, Packets.Dns(7, "q.example")));
        var first = Take(table);
        var query = Assert.Single(first, e => e.Kind == FlowEventKind.Transaction);
        Assert.Equal(1, query.PacketNumber);
        Assert.Equal("q.example", query.Dns!.Query);
        Assert.Equal("dns", query.AppProtocol);

        Feed(table, T0.AddMilliseconds(5), Packets.Udp("10.0.0.53", 53, "10.0.0.1", 40000, Packets.Dns(7, "q.example", response: true, answer: "192.0.2.1")));
        table.FlushAll(0);
        var rest = Take(table);
        Assert.DoesNotContain(rest, e => e.Kind == FlowEventKind.Transaction);
        Assert.Equal([FlowEventKind.Packet, FlowEventKind.Summary], rest.Select(e => e.Kind));
    }

    [Fact]
    public void WithoutPacketEvents_FlowsAreReportedAsBefore()
    {
        var table = new FlowTable(new PcapOptions { File = "test.pcap" }, "test.pcap");
        Feed(table, T0, Packets.Icmp("10.0.0.1", "10.0.0.2", 8, 0));
        Feed(table, T0, Packets.Icmp("10.0.0.2", "10.0.0.1", 0, 0));
        table.FlushAll(0);
        var flow = Assert.Single(Take(table));
        Assert.Equal(FlowEventKind.Flow, flow.Kind);
        Assert.Null(flow.PacketNumber);
        Assert.True(flow.Established);
    }

    [Fact]
    public void HttpOnTheDnsPort_IsReadAsHttp_ContentWinsOverThePortOnTcp()
    {
        var table = Table();
        Feed(table, T0, Packets.Tcp("10.0.0.1", 6666, "10.0.0.2", 53, 1, Packets.Ack | Packets.Psh, "POST /one HTTP/1.0\r\nHost: h\r\n\r\n"u8));
        table.FlushAll(0);
        var transaction = Assert.Single(Take(table), e => e.Kind == FlowEventKind.Transaction);
        Assert.Equal(("POST", "/one"), (transaction.Http!.Method, transaction.Http.Uri));
        Assert.Null(transaction.Dns);
    }
}
