using System.Text;
using NetSecStream.Collectors.Pcap;
using NetSecStream.Core.Events;

namespace NetSecStream.Collectors.Tests.Pcap;

public sealed class FlowTableTests
{
    private static readonly DateTimeOffset T0 = new(2025, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private static FlowTable Table(Action<PcapOptions>? configure = null)
    {
        var options = new PcapOptions { File = "test.pcap" };
        configure?.Invoke(options);
        return new FlowTable(options, "test.pcap");
    }

    private static void Feed(FlowTable table, DateTimeOffset time, byte[] frame, long position = 1) =>
        Assert.Equal(PacketOutcome.Ok, table.Process(1, time.UtcTicks, frame, position));

    private static List<FlowEvent> Take(FlowTable table)
    {
        var events = table.Output.Select(o => o.Flow).ToList();
        table.Output.Clear();
        return events;
    }

    [Fact]
    public void TcpConnection_WithHandshakeDataAndFins_IsOneEventWithCountersFlagsPayloadAndItsTransaction()
    {
        var table = Table(o => o.PayloadBytesPerDirection = 8);
        const string C = "10.0.0.1";
        const string S = "10.0.0.2";
        Feed(table, T0, Packets.Tcp(S, 80, C, 50000, 500, Packets.Syn | Packets.Ack));
        table.FlushAll(0);
        Take(table);

        Feed(table, T0, Packets.Tcp(C, 50000, S, 80, 100, Packets.Syn));
        Feed(table, T0.AddMilliseconds(1), Packets.Tcp(S, 80, C, 50000, 900, Packets.Syn | Packets.Ack));
        Feed(table, T0.AddMilliseconds(2), Packets.Tcp(C, 50000, S, 80, 101, Packets.Ack | Packets.Psh, "GET / HTTP/1.1\r\nHost: h\r\n\r\n"u8));
        Feed(table, T0.AddMilliseconds(3), Packets.Tcp(S, 80, C, 50000, 901, Packets.Ack | Packets.Psh, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"u8));
        Feed(table, T0.AddMilliseconds(4), Packets.Tcp(C, 50000, S, 80, 128, Packets.Fin | Packets.Ack));
        Feed(table, T0.AddMilliseconds(5), Packets.Tcp(S, 80, C, 50000, 939, Packets.Fin | Packets.Ack));
        Feed(table, T0.AddMilliseconds(6), Packets.Tcp(C, 50000, S, 80, 129, Packets.Ack));
        Assert.Empty(table.Output);

        // The closing flow lingers a second of packet time for late ACKs, then ends.
        Feed(table, T0.AddSeconds(2), Packets.Udp("10.9.9.9", 1, "10.9.9.8", 2, [0]));
        var flow = Assert.Single(Take(table));
        Assert.Equal(C, flow.Source.Ip.ToString());
        Assert.Equal(50000, flow.Source.Port);
        Assert.Equal(80, flow.Destination.Port);
        Assert.Equal(7, flow.Packets);
        Assert.True(flow.Bytes > 7 * 40);
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack | TcpFlags.Psh | TcpFlags.Fin, flow.TcpFlags);
        Assert.Equal("pcap", flow.CollectorId);
        Assert.Equal(T0.AddMilliseconds(2), flow.Timestamp);
        Assert.Equal("GET / HT", Encoding.ASCII.GetString(flow.Payload!.ToServer.Span));
        Assert.Equal("HTTP/1.1", Encoding.ASCII.GetString(flow.Payload.ToClient.Span));
        Assert.Equal(("GET", "h", "/", 200), (flow.Http!.Method, flow.Http.Host, flow.Http.Uri, flow.Http.StatusCode));
        Assert.StartsWith("pcap flow fin", flow.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void IdleFlow_EndsWhenPacketTimePassesTheIdleTimeout()
    {
        var table = Table(o => o.IdleTimeout = TimeSpan.FromSeconds(30));
        Feed(table, T0, Packets.Udp("10.0.0.1", 40000, "10.0.0.2", 9999, [1]));
        Feed(table, T0.AddSeconds(29), Packets.Udp("10.0.0.3", 40000, "10.0.0.4", 9999, [1]));
        Assert.Empty(table.Output);
        Feed(table, T0.AddSeconds(31), Packets.Udp("10.0.0.3", 40000, "10.0.0.4", 9999, [1]));
        var flow = Assert.Single(Take(table));
        Assert.Equal("10.0.0.1", flow.Source.Ip.ToString());
        Assert.StartsWith("pcap flow idle_timeout", flow.Summary, StringComparison.Ordinal);
        Assert.Equal(1, table.Count);
    }

    [Fact]
    public void LongFlow_IsReportedAtEachActiveTimeoutAndContinues()
    {
        var table = Table(o => o.ActiveTimeout = TimeSpan.FromSeconds(60));
        for (int second = 0; second <= 150; second += 10)
        {
            Feed(table, T0.AddSeconds(second), Packets.Udp("10.0.0.1", 40000, "10.0.0.2", 9999, [1]));
        }

        table.FlushAll(0);
        var events = Take(table);
        Assert.Equal(3, events.Count);
        Assert.Equal(16, events.Sum(e => e.Packets));
        Assert.StartsWith("pcap flow active_timeout", events[0].Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void FullTable_EvictsTheLeastRecentlyActiveFlowAndCountsIt()
    {
        var table = Table(o => o.MaxFlows = 2);
        Feed(table, T0, Packets.Udp("10.0.0.1", 41000, "10.0.0.9", 9999, [1]));
        Feed(table, T0.AddSeconds(1), Packets.Udp("10.0.0.2", 41000, "10.0.0.9", 9999, [1]));
        Feed(table, T0.AddSeconds(2), Packets.Udp("10.0.0.1", 41000, "10.0.0.9", 9999, [1]));
        Feed(table, T0.AddSeconds(3), Packets.Udp("10.0.0.3", 41000, "10.0.0.9", 9999, [1]));
        var evicted = Assert.Single(Take(table));
        Assert.Equal("10.0.0.2", evicted.Source.Ip.ToString());
        Assert.StartsWith("pcap flow evicted", evicted.Summary, StringComparison.Ordinal);
        Assert.Equal(1, table.Statistics.FlowsEvicted);
        Assert.Equal(2, table.Count);
    }

    [Fact]
    public void DnsFlow_OneEventPerTransaction_CountersOnlyOnTheFirst()
    {
        var table = Table();
        for (ushort id = 1; id <= 3; id++)
        {
            Feed(table, T0.AddSeconds(id), Packets.Udp("10.0.0.1", 40000, "10.0.0.53", 53, Packets.Dns(id, $"q{id}.example")));
            Feed(table, T0.AddSeconds(id).AddMilliseconds(5), Packets.Udp("10.0.0.53", 53, "10.0.0.1", 40000, Packets.Dns(id, $"q{id}.example", response: true, answer: "192.0.2.1")));
        }

        table.FlushAll(0);
        var events = Take(table);
        Assert.Equal(["q1.example", "q2.example", "q3.example"], events.Select(e => e.Dns!.Query!));
        Assert.All(events, e => Assert.Equal(["192.0.2.1"], e.Dns!.Answers!));
        Assert.Equal(6, events[0].Packets);
        Assert.Null(events[1].Packets);
        Assert.Null(events[2].Bytes);
        Assert.Equal(T0.AddSeconds(2), events[1].Timestamp);
        Assert.All(events, e => Assert.Equal("10.0.0.1", e.Source.Ip.ToString()));
    }

    [Fact]
    public void ManyTransactions_AreReportedEarlyInBatches()
    {
        var table = Table(o => o.MaxTransactionsPerFlow = 4);
        for (ushort id = 1; id <= 10; id++)
        {
            Feed(table, T0, Packets.Udp("10.0.0.1", 40000, "10.0.0.53", 53, Packets.Dns(id, "x.example")));
            Feed(table, T0, Packets.Udp("10.0.0.53", 53, "10.0.0.1", 40000, Packets.Dns(id, "x.example", response: true)));
        }

        Assert.True(table.Output.Count >= 6, $"{table.Output.Count} events before the flow ended");
        table.FlushAll(0);
        var events = Take(table);
        Assert.Equal(10, events.Count(e => e.Dns is not null));
        Assert.Equal(20, events.Sum(e => e.Packets ?? 0));
    }

    [Fact]
    public void LostSegment_IsMarkedAndTheRestStillParsed()
    {
        var table = Table(o => o.MaxOutOfOrderSegments = 1);
        Feed(table, T0, Packets.Tcp("10.0.0.1", 50000, "10.0.0.2", 8080, 0, Packets.Syn));
        Feed(table, T0, Packets.Tcp("10.0.0.1", 50000, "10.0.0.2", 8080, 1, Packets.Ack, "GET /a HTTP/1.1\r\nHost: a\r\n\r\n"u8));
        Feed(table, T0, Packets.Tcp("10.0.0.1", 50000, "10.0.0.2", 8080, 1000, Packets.Ack, "GET /c HTTP/1.1\r\nHost: c\r\n\r\n"u8));
        Feed(table, T0, Packets.Tcp("10.0.0.1", 50000, "10.0.0.2", 8080, 1028, Packets.Ack, "GET /d HTTP/1.1\r\nHost: d\r\n\r\n"u8));
        table.FlushAll(0);
        var events = Take(table);
        Assert.Equal(["/a", "/c", "/d"], events.Select(e => e.Http!.Uri!));
        Assert.Contains("1 tcp gaps", events[0].Summary, StringComparison.Ordinal);
        Assert.Equal(1, table.Statistics.TcpGaps);
        // The payload prefix stops at the gap so content matching never spans missing bytes.
        Assert.Equal(28, events[0].Payload!.ToServer.Length);
    }

    [Fact]
    public void NewSynAfterAClose_StartsANewFlow()
    {
        var table = Table();
        Feed(table, T0, Packets.Tcp("10.0.0.1", 50000, "10.0.0.2", 22, 0, Packets.Syn));
        Feed(table, T0, Packets.Tcp("10.0.0.2", 22, "10.0.0.1", 50000, 0, Packets.Rst | Packets.Ack));
        Feed(table, T0.AddMilliseconds(100), Packets.Tcp("10.0.0.1", 50000, "10.0.0.2", 22, 5000, Packets.Syn));
        var first = Assert.Single(Take(table));
        Assert.Equal(TcpFlags.Syn | TcpFlags.Rst | TcpFlags.Ack, first.TcpFlags);
        Assert.StartsWith("pcap flow rst", first.Summary, StringComparison.Ordinal);
        table.FlushAll(0);
        Assert.Equal(1, Assert.Single(Take(table)).Packets);
    }

    [Fact]
    public void IcmpEcho_ReplyJoinsTheRequestsFlow()
    {
        var table = Table();
        Feed(table, T0, Packets.Icmp("10.0.0.1", "10.0.0.2", 8, 0));
        Feed(table, T0, Packets.Icmp("10.0.0.2", "10.0.0.1", 0, 0));
        table.FlushAll(0);
        var flow = Assert.Single(Take(table));
        Assert.Equal((byte)1, flow.IpProtocol);
        Assert.Equal("10.0.0.1", flow.Source.Ip.ToString());
        Assert.Equal((byte)8, flow.IcmpType);
        Assert.Equal(2, flow.Packets);
    }

    [Fact]
    public void SynWithANewSequenceOnAnOpenFlow_EndsItAndStartsANewOne_ButARetransmittedSynDoesNot()
    {
        var table = Table();
        Feed(table, T0, Packets.Tcp("10.0.0.1", 50000, "10.0.0.2", 80, 100, Packets.Syn));
        Feed(table, T0.AddSeconds(1), Packets.Tcp("10.0.0.1", 50000, "10.0.0.2", 80, 100, Packets.Syn));
        Assert.Empty(table.Output);
        Feed(table, T0.AddSeconds(5), Packets.Tcp("10.0.0.1", 50000, "10.0.0.2", 80, 7777, Packets.Syn));
        var first = Assert.Single(Take(table));
        Assert.Equal(2, first.Packets);
        Assert.StartsWith("pcap flow port_reused", first.Summary, StringComparison.Ordinal);
    }
}
