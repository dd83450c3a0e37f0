using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using NetSecStream.Collectors.Pcap.L7;
using NetSecStream.Core.Components;
using NetSecStream.Core.Events;
using System.Runtime.CompilerServices;

namespace NetSecStream.Collectors.Pcap;

/// <summary>Counters of one <see cref="FlowTable"/>; read them between packets.</summary>
public sealed class PcapStatistics
{
    private readonly long[] _outcomes = new long[Enum.GetValues<PacketOutcome>().Length];

    public long Packets { get; internal set; }

    public long FlowsCreated { get; internal set; }

    public long FlowsEnded { get; internal set; }

    /// <summary>Flows ended early because the table was full (<see cref="PcapOptions.MaxFlows"/>).</summary>
    public long FlowsEvicted { get; internal set; }

    public long EventsEmitted { get; internal set; }

    public long L7Transactions { get; internal set; }

    /// <summary>TCP gaps given up by reassembly (lost or uncaptured bytes).</summary>
    public long TcpGaps { get; internal set; }

    /// <summary>L7 parser failures that were contained (the flow's L7 extraction stopped).</summary>
    public long L7Errors { get; internal set; }

    /// <summary>HTTP bodies cut at <see cref="PcapOptions.HttpBodyBytes"/>: larger than it, or inflating past it (decompression bombs).</summary>
    public long HttpBodiesTruncated { get; internal set; }

    /// <summary>Packets skipped or rejected, by reason (<c>not_ip</c>, <c>truncated_ip_header</c> ...).</summary>
    public IReadOnlyDictionary<string, long> PacketsByReason
    {
        get
        {
            var result = new Dictionary<string, long>();
            for (int i = 1; i < _outcomes.Length; i++)
            {
                if (_outcomes[i] > 0)
                {
                    result[PacketOutcomes.Reason((PacketOutcome)i)] = _outcomes[i];
                }
            }

            return result;
        }
    }

    /// <summary>Packets rejected as malformed (the reasons that count in <c>netsec_events_rejected</c>).</summary>
    public long PacketsRejected
    {
        get
        {
            long total = 0;
            for (int i = 0; i < _outcomes.Length; i++)
            {
                if (PacketOutcomes.IsRejection((PacketOutcome)i))
                {
                    total += _outcomes[i];
                }
            }

            return total;
        }
    }

    internal void Count(PacketOutcome outcome) => _outcomes[(int)outcome]++;
}

/// <summary>
/// The bounded, bidirectional flow table of the <c>pcap</c> source. Time is packet time: a flow ends after
/// <see cref="PcapOptions.IdleTimeout"/> without packets, is reported and continued after
/// <see cref="PcapOptions.ActiveTimeout"/>, ends shortly after FIN from both sides or a RST (late ACKs and
/// retransmissions still count), and when the table is full the least recently active flow is ended to make room.
/// <para>
/// How transactions become events: each finished L7 transaction (a DNS query with its response, an HTTP request with
/// its response, a TLS handshake) is one <see cref="FlowEvent"/> with the flow's 5-tuple, client as source. The first
/// event of each report also carries the flow's bytes, packets and payload prefixes; the other events of that report
/// leave <see cref="FlowEvent.Bytes"/> and <see cref="FlowEvent.Packets"/> null so that totals are not counted twice.
/// A flow without transactions is one event. A flow that piles up <see cref="PcapOptions.MaxTransactionsPerFlow"/>
/// finished transactions reports them early, without counters. <see cref="FlowEvent.Timestamp"/> is the time of the
/// packet that started the transaction, or of the flow's (part's) first packet for an event without one;
/// <see cref="FlowEvent.Summary"/> says why the flow was reported, how long it lasted and how many TCP gaps it had.
/// </para>
/// </summary>
internal sealed class FlowTable
{
    public const string CollectorId = "pcap";

    private static readonly long CloseLingerTicks = TimeSpan.FromSeconds(1).Ticks;

    private readonly Dictionary<FlowKey, Flow> _flows = [];
    private readonly long _idleTicks;
    private readonly long _activeTicks;
    private readonly long _closeLingerTicks;
    private readonly int _maxFlows;
    private readonly int _reassemblyBytes;
    private readonly int _maxOutOfOrder;
    private readonly int _payloadBytes;
    private readonly int _maxTransactions;
    private readonly int _httpBodyBytes;
    private readonly bool _l7;
    private readonly bool _packetEvents;
    private readonly string _origin;
    private Flow? _activeHead;
    private Flow? _activeTail;
    private Flow? _closingHead;
    private Flow? _closingTail;
    private long _now;

    public FlowTable(PcapOptions options, string origin)
    {
        ArgumentNullException.ThrowIfNull(options);
        _idleTicks = options.IdleTimeout.Ticks;
        _activeTicks = options.ActiveTimeout.Ticks;
        _closeLingerTicks = Math.Min(CloseLingerTicks, _idleTicks);
        _maxFlows = options.MaxFlows;
        _reassemblyBytes = options.MaxReassemblyBytesPerDirection;
        _maxOutOfOrder = options.MaxOutOfOrderSegments;
        _payloadBytes = options.PayloadBytesPerDirection;
        _maxTransactions = options.MaxTransactionsPerFlow;
        _httpBodyBytes = options.HttpBodyBytes;
        _l7 = options.L7;
        _packetEvents = options.PacketEvents;
        _origin = origin;
    }

    /// <summary>Events reported so far and not yet taken; the caller drains and clears it.</summary>
    public List<SourcedFlow> Output { get; } = [];

    public PcapStatistics Statistics { get; } = new();

    public int Count => _flows.Count;

    /// <summary>Decodes one captured frame and updates its flow. Never throws for any input.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public PacketOutcome Process(int linkType, long ticks, ReadOnlySpan<byte> frame, long position)
    {
        Statistics.Packets++;
        var outcome = PacketDecoder.Decode(linkType, frame, out var packet);
        Statistics.Count(outcome);
        if (outcome != PacketOutcome.Ok)
        {
            return outcome;
        }

        AdvanceTime(ticks, position);
        var key = FlowKey.Of(packet, out bool sourceIsLow);
        bool isSyn = packet.Protocol == 6 && (packet.TcpFlags & 0x12) == 0x02;
        if (!_flows.TryGetValue(key, out var flow))
        {
            flow = Create(key, packet, sourceIsLow, ticks);
        }
        else if (isSyn && (flow.Closing || (flow.ClientSynSeen && flow.ClientSynSequence != packet.Sequence)))
        {
            // A new connection on the ports of one that closed, or of one that vanished without closing.
            End(flow, flow.Closing ? (flow.ResetSeen ? FlowEndReason.Reset : FlowEndReason.Fin) : FlowEndReason.PortReused, position);
            flow = Create(key, packet, sourceIsLow, ticks);
        }
        else if (ticks - flow.FirstTicks >= _activeTicks && !flow.Closing)
        {
            Report(flow, FlowEndReason.ActiveTimeout, position, final: false);
        }

        Update(flow, packet, frame, sourceIsLow, ticks, position);
        return outcome;
    }

    /// <summary>Moves packet time forward (live capture calls it with the clock when no packets come) and ends idle flows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void AdvanceTime(long ticks, long position)
    {
        if (ticks > _now)
        {
            _now = ticks;
        }

        while (_closingHead is { } closing && closing.ClosingTicks + _closeLingerTicks <= _now)
        {
            End(closing, closing.ResetSeen ? FlowEndReason.Reset : FlowEndReason.Fin, position);
        }

        while (_activeHead is { } idle && idle.ActivityTicks + _idleTicks <= _now)
        {
            End(idle, FlowEndReason.IdleTimeout, position);
        }
    }

    /// <summary>Ends every flow (end of the file, or stop).</summary>
    public void FlushAll(long position)
    {
        while (_closingHead is { } closing)
        {
            End(closing, closing.ResetSeen ? FlowEndReason.Reset : FlowEndReason.Fin, position);
        }

        while (_activeHead is { } flow)
        {
            End(flow, FlowEndReason.EndOfInput, position);
        }
    }

    private Flow Create(FlowKey key, in DecodedPacket packet, bool sourceIsLow, long ticks)
    {
        if (_flows.Count >= _maxFlows)
        {
            var oldest = _closingHead ?? _activeHead;
            if (oldest is not null)
            {
                Statistics.FlowsEvicted++;
                End(oldest, FlowEndReason.Evicted, -1);
            }
        }

        bool sourceIsClient = SourceIsClient(packet);
        var flow = new Flow(key)
        {
            ClientIsLow = sourceIsClient == sourceIsLow,
            ClientAddress = sourceIsClient ? packet.Source : packet.Destination,
            ServerAddress = sourceIsClient ? packet.Destination : packet.Source,
            ClientPort = sourceIsClient ? packet.SourcePort : packet.DestinationPort,
            ServerPort = sourceIsClient ? packet.DestinationPort : packet.SourcePort,
            Protocol = packet.Protocol,
            IsIPv6 = packet.IsIPv6,
            FirstTicks = ticks,
            LastTicks = ticks,
            ActivityTicks = _now,
            IcmpType = packet.IcmpType,
            IcmpCode = packet.IcmpCode,
        };
        if (packet.Protocol is 6 or 17)
        {
            if (_payloadBytes > 0)
            {
                flow.ToServerPayload = new PayloadPrefix(_payloadBytes);
                flow.ToClientPayload = new PayloadPrefix(_payloadBytes);
            }

            if (packet.Protocol == 6 && _reassemblyBytes > 0)
            {
                flow.ToServerStream = new TcpReassembler(true, _reassemblyBytes, _maxOutOfOrder);
                flow.ToClientStream = new TcpReassembler(false, _reassemblyBytes, _maxOutOfOrder);
            }

            bool dns = L7Session.IsDnsPort(flow.ServerPort) || L7Session.IsDnsPort(flow.ClientPort);
            bool ssdp = packet.Protocol == 17 && (L7Session.IsSsdpPort(flow.ServerPort) || L7Session.IsSsdpPort(flow.ClientPort));
            if (_l7 && (packet.Protocol == 17 ? dns || ssdp : _reassemblyBytes > 0))
            {
                flow.L7 = new L7Session(_maxTransactions, dns, ssdp && !dns, _httpBodyBytes) { EarlyQueries = _packetEvents };
            }
        }

        _flows.Add(key, flow);
        Append(ref _activeHead, ref _activeTail, flow);
        Statistics.FlowsCreated++;
        return flow;
    }

    /// <summary>The side that opened the flow: the SYN's sender, else the side on the higher (ephemeral) port.</summary>
    private static bool SourceIsClient(in DecodedPacket packet)
    {
        if (packet.Protocol == 6 && (packet.TcpFlags & 0x02) != 0)
        {
            return (packet.TcpFlags & 0x10) == 0;
        }

        if (packet.Protocol is 1 or 58)
        {
            // Replies (echo reply, errors) come from the side that did not start the exchange.
            return packet.Protocol == 1 ? packet.IcmpType is 8 or 13 or 15 or 17 : packet.IcmpType is 128 or 133 or 135;
        }

        if (packet.SourcePort < 1024 && packet.DestinationPort >= 1024)
        {
            return false;
        }

        return !(L7Session.IsDnsPort(packet.SourcePort) && !L7Session.IsDnsPort(packet.DestinationPort));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Update(Flow flow, in DecodedPacket packet, ReadOnlySpan<byte> frame, bool sourceIsLow, long ticks, long position)
    {
        // TCP: the ACK that completes the handshake is not itself an established packet (as in Suricata).
        bool establishedBefore = flow.Established;
        bool fromClient = sourceIsLow == flow.ClientIsLow;
        flow.Bytes += packet.IpLength;
        flow.Packets++;
        flow.LastPosition = position;
        if (ticks > flow.LastTicks)
        {
            flow.LastTicks = ticks;
        }

        flow.ActivityTicks = _now;

        if (!flow.Closing)
        {
            MoveToTail(flow);
        }

        var payload = frame.Slice(packet.PayloadOffset, packet.PayloadLength);
        try
        {
            if (packet.Protocol == 6)
            {
                UpdateTcp(flow, packet, payload, fromClient, ticks);
            }
            else if (packet.Protocol == 17)
            {
                (fromClient ? flow.ToServerPayload : flow.ToClientPayload)?.Append(payload);
                flow.L7?.OnDatagram(payload, ticks);
            }
        }
#pragma warning disable CA1031 // A parser bug must cost that flow its L7 facts, never the capture.
        catch (Exception)
#pragma warning restore CA1031
        {
            Statistics.L7Errors++;
            flow.L7 = null;
        }

        if (packet.Protocol != 6)
        {
            flow.ClientSent |= fromClient;
            flow.ServerSent |= !fromClient;
            flow.Established = flow.ClientSent && flow.ServerSent;
        }

        if (_packetEvents)
        {
            EmitPacket(flow, packet, payload, fromClient, packet.Protocol == 6 ? establishedBefore : flow.Established, ticks, position);
            if (flow.L7 is { Transactions.Count: > 0 })
            {
                ReportTransactions(flow, position);
            }
        }
        else if (flow.L7 is { } l7 && l7.Transactions.Count >= _maxTransactions)
        {
            ReportTransactions(flow, position);
        }
    }

    /// <summary>Packet inspection: one event for this packet, its sender as source, its payload in its direction.</summary>
    private void EmitPacket(Flow flow, in DecodedPacket packet, ReadOnlySpan<byte> payload, bool fromClient, bool established, long ticks, long position)
    {
        var (client, server) = Addresses(flow);
        byte[] bytes = payload.ToArray();
        bool icmp = packet.Protocol is 1 or 58;

        // TCP: the direction's stream so far, when this packet added to it, for patterns split over segments.
        ReadOnlyMemory<byte> stream = default;
        int streamNewFrom = 0;
        if (packet.Protocol == 6 && (fromClient ? flow.ToServerPayload : flow.ToClientPayload) is { } prefix)
        {
            ReadOnlyMemory<byte> all = prefix.ToMemory();
            ref int inspected = ref fromClient ? ref flow.ToServerStreamInspected : ref flow.ToClientStreamInspected;
            if (all.Length > inspected)
            {
                stream = all;
                streamNewFrom = inspected;
                inspected = all.Length;
            }
        }

        Emit(new FlowEvent
        {
            Timestamp = new DateTimeOffset(Math.Clamp(ticks, DateTimeOffset.MinValue.Ticks, DateTimeOffset.MaxValue.Ticks), TimeSpan.Zero),
            Kind = FlowEventKind.Packet,
            PacketNumber = Statistics.Packets,
            Source = new FlowEndpoint { Ip = fromClient ? client : server, Port = fromClient ? flow.ClientPort : flow.ServerPort },
            Destination = new FlowEndpoint { Ip = fromClient ? server : client, Port = fromClient ? flow.ServerPort : flow.ClientPort },
            IpProtocol = packet.Protocol,
            IsReply = !fromClient,
            TcpFlags = (TcpFlags)packet.TcpFlags,
            IcmpType = icmp ? packet.IcmpType : null,
            IcmpCode = icmp ? packet.IcmpCode : null,
            Established = established,
            AppProtocol = AppProtocolOf(flow),
            Payload = new PayloadBuffers
            {
                ToServer = fromClient ? bytes : ReadOnlyMemory<byte>.Empty,
                ToClient = fromClient ? ReadOnlyMemory<byte>.Empty : bytes,
                Stream = stream,
                StreamNewFrom = streamNewFrom,
            },
            CollectorId = CollectorId,
        }, position);
    }

    /// <summary>
    /// Packet inspection: a transaction carries the stream prefixes so far, for rules that mix app-layer buffers with
    /// payload content (Suricata inspects those on the stream with the transaction). Views, not copies: a prefix only grows.
    /// </summary>
    private static PayloadBuffers? StreamSoFar(Flow flow) => flow.ToServerPayload is null && flow.ToClientPayload is null ? null : new PayloadBuffers
    {
        ToServer = flow.ToServerPayload?.ToMemory() ?? ReadOnlyMemory<byte>.Empty,
        ToClient = flow.ToClientPayload?.ToMemory() ?? ReadOnlyMemory<byte>.Empty,
    };

    private static string? AppProtocolOf(Flow flow) => flow.L7?.Protocol switch
    {
        L7Protocol.Http => "http",
        L7Protocol.Tls => "tls",
        L7Protocol.Dns => "dns",
        L7Protocol.Ssh => "ssh",
        _ => null,
    };

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void UpdateTcp(Flow flow, in DecodedPacket packet, ReadOnlySpan<byte> payload, bool fromClient, long ticks)
    {
        flow.TcpFlags |= packet.TcpFlags;
        var stream = fromClient ? flow.ToServerStream : flow.ToClientStream;
        uint sequence = packet.Sequence;
        if ((packet.TcpFlags & 0x02) != 0)
        {
            stream?.OnSyn(sequence);
            sequence++;
            if (fromClient && (packet.TcpFlags & 0x10) == 0 && !flow.ClientSynSeen)
            {
                flow.ClientSynSeen = true;
                flow.ClientSynSequence = packet.Sequence;
            }
            else if (!fromClient && (packet.TcpFlags & 0x10) != 0 && flow.ClientSynSeen)
            {
                flow.ServerSynAckSeen = true;
            }
        }
        else if (fromClient && (packet.TcpFlags & 0x10) != 0 && flow.ServerSynAckSeen)
        {
            // The client's ACK of the SYN-ACK completes the handshake; the packets after it are established.
            flow.Established = true;
        }

        // Data on a RST is not part of the stream (Suricata does not reassemble it); packet rules still see it.
        if (payload.Length > 0 && stream is not null && (packet.TcpFlags & 0x04) == 0)
        {
            stream.OnSegment(sequence, payload, flow, ticks);
        }

        if ((packet.TcpFlags & 0x01) != 0)
        {
            if (fromClient)
            {
                flow.ClientFin = true;
            }
            else
            {
                flow.ServerFin = true;
            }
        }

        if ((packet.TcpFlags & 0x04) != 0)
        {
            flow.ResetSeen = true;
        }

        if (!flow.Closing && (flow.ResetSeen || (flow.ClientFin && flow.ServerFin)))
        {
            Remove(ref _activeHead, ref _activeTail, flow);
            Append(ref _closingHead, ref _closingTail, flow);
            flow.Closing = true;
            flow.ClosingTicks = _now;
        }
    }

    private void End(Flow flow, FlowEndReason reason, long position)
    {
        if (flow.Closing)
        {
            Remove(ref _closingHead, ref _closingTail, flow);
        }
        else
        {
            Remove(ref _activeHead, ref _activeTail, flow);
        }

        _flows.Remove(flow.Key);
        Statistics.FlowsEnded++;
        Report(flow, reason, position < 0 ? flow.LastPosition : position, final: true);
    }

    /// <summary>Reports a flow (or, when not final, its part so far, which then starts over).</summary>
    private void Report(Flow flow, FlowEndReason reason, long position, bool final)
    {
        if (final)
        {
            try
            {
                flow.ToServerStream?.Flush(flow, flow.LastTicks);
                flow.ToClientStream?.Flush(flow, flow.LastTicks);
                flow.L7?.Finish();
            }
#pragma warning disable CA1031 // A parser bug must cost that flow its L7 facts, never the capture.
            catch (Exception)
#pragma warning restore CA1031
            {
                Statistics.L7Errors++;
                flow.L7 = null;
            }

            Statistics.TcpGaps += flow.Gaps;
        }

        var (client, server) = Addresses(flow);
        string summary = Summary(flow, reason);
        PayloadBuffers? payload = null;
        if (flow.PayloadPending && (flow.ToServerPayload is not null || flow.ToClientPayload is not null))
        {
            payload = new PayloadBuffers
            {
                ToServer = flow.ToServerPayload?.ToMemory() ?? ReadOnlyMemory<byte>.Empty,
                ToClient = flow.ToClientPayload?.ToMemory() ?? ReadOnlyMemory<byte>.Empty,
            };
        }

        bool countersSent = false;
        if (flow.L7 is { } l7)
        {
            Statistics.HttpBodiesTruncated += l7.HttpBodiesTruncated;
            l7.HttpBodiesTruncated = 0;
            var transactions = l7.Transactions;
            int kept = 0;
            for (int i = 0; i < transactions.Count; i++)
            {
                var transaction = transactions[i];
                if (L7Session.IsPending(transaction))
                {
                    transactions[kept++] = transaction;
                    continue;
                }

                if (_packetEvents)
                {
                    Emit(Build(flow, transaction, client, server, false, StreamSoFar(flow), summary, FlowEventKind.Transaction), position);
                }
                else
                {
                    Emit(Build(flow, transaction, client, server, !countersSent, countersSent ? null : payload, summary, FlowEventKind.Flow), position);
                    countersSent = true;
                }

                Statistics.L7Transactions++;
            }

            transactions.RemoveRange(kept, transactions.Count - kept);
        }

        if (!countersSent)
        {
            // With packet events the summary carries the totals and the reassembled stream prefixes (for stream rules).
            Emit(Build(flow, null, client, server, true, payload, summary,
                _packetEvents ? FlowEventKind.Summary : FlowEventKind.Flow), position);
        }

        if (!final)
        {
            flow.Bytes = 0;
            flow.Packets = 0;
            flow.TcpFlags = 0;
            flow.FirstTicks = flow.LastTicks;
            flow.PayloadPending = false;
        }
    }

    private void ReportTransactions(Flow flow, long position)
    {
        var l7 = flow.L7!;
        var (client, server) = Addresses(flow);
        string summary = Summary(flow, FlowEndReason.TransactionLimit);
        var transactions = l7.Transactions;
        int kept = 0;
        for (int i = 0; i < transactions.Count; i++)
        {
            var transaction = transactions[i];
            if (L7Session.IsPending(transaction))
            {
                transactions[kept++] = transaction;
                continue;
            }

            Emit(Build(flow, transaction, client, server, false, _packetEvents ? StreamSoFar(flow) : null, summary,
                _packetEvents ? FlowEventKind.Transaction : FlowEventKind.Flow), position);
            Statistics.L7Transactions++;
        }

        transactions.RemoveRange(kept, transactions.Count - kept);
    }

    private void Emit(FlowEvent flowEvent, long position)
    {
        Output.Add(new SourcedFlow(flowEvent, _origin, position));
        Statistics.EventsEmitted++;
    }

    private FlowEvent Build(
        Flow flow, L7Transaction? transaction, IPAddress client, IPAddress server, bool withCounters, PayloadBuffers? payload, string summary, FlowEventKind kind)
    {
        bool icmp = flow.Protocol is 1 or 58;
        long ticks = transaction is { Ticks: > 0 } ? transaction.Ticks : flow.FirstTicks;
        return new FlowEvent
        {
            Timestamp = new DateTimeOffset(Math.Clamp(ticks, DateTimeOffset.MinValue.Ticks, DateTimeOffset.MaxValue.Ticks), TimeSpan.Zero),
            Source = new FlowEndpoint { Ip = client, Port = flow.ClientPort },
            Destination = new FlowEndpoint { Ip = server, Port = flow.ServerPort },
            IpProtocol = flow.Protocol,
            Bytes = withCounters ? flow.Bytes : null,
            Packets = withCounters ? flow.Packets : null,
            TcpFlags = (TcpFlags)flow.TcpFlags,
            IcmpType = icmp ? flow.IcmpType : null,
            IcmpCode = icmp ? flow.IcmpCode : null,
            Dns = transaction?.Dns,
            Http = transaction?.Http,
            Tls = transaction?.Tls,
            Ssh = transaction?.Ssh,
            Payload = payload,
            Kind = kind,
            PacketNumber = kind == FlowEventKind.Transaction ? Statistics.Packets : null,
            Established = flow.Established,
            AppProtocol = AppProtocolOf(flow),
            CollectorId = CollectorId,
            Summary = summary,
        };
    }

    private static string Summary(Flow flow, FlowEndReason reason)
    {
        string why = reason switch
        {
            FlowEndReason.Fin => "fin",
            FlowEndReason.Reset => "rst",
            FlowEndReason.IdleTimeout => "idle_timeout",
            FlowEndReason.ActiveTimeout => "active_timeout",
            FlowEndReason.Evicted => "evicted",
            FlowEndReason.TransactionLimit => "transaction_limit",
            FlowEndReason.PortReused => "port_reused",
            _ => "end_of_input",
        };
        double seconds = (flow.LastTicks - flow.FirstTicks) / (double)TimeSpan.TicksPerSecond;
        int gaps = flow.Gaps;
        return gaps == 0
            ? string.Create(CultureInfo.InvariantCulture, $"pcap flow {why} after {seconds:0.###} s")
            : string.Create(CultureInfo.InvariantCulture, $"pcap flow {why} after {seconds:0.###} s, {gaps} tcp gaps");
    }

    /// <summary>The flow's two addresses as <see cref="IPAddress"/>, made once per flow (packet events ask on every packet).</summary>
    private static (IPAddress Client, IPAddress Server) Addresses(Flow flow)
    {
        flow.ClientIp ??= ToAddress(flow.ClientAddress, flow.IsIPv6);
        flow.ServerIp ??= ToAddress(flow.ServerAddress, flow.IsIPv6);
        return (flow.ClientIp, flow.ServerIp);
    }

    private static IPAddress ToAddress(UInt128 address, bool isIPv6)
    {
        Span<byte> bytes = stackalloc byte[16];
        if (!isIPv6)
        {
            BinaryPrimitives.WriteUInt32BigEndian(bytes, (uint)address);
            return new IPAddress(bytes[..4]);
        }

        BinaryPrimitives.WriteUInt128BigEndian(bytes, address);
        return new IPAddress(bytes);
    }

    private void MoveToTail(Flow flow)
    {
        if (_activeTail == flow)
        {
            return;
        }

        Remove(ref _activeHead, ref _activeTail, flow);
        Append(ref _activeHead, ref _activeTail, flow);
    }

    private static void Append(ref Flow? head, ref Flow? tail, Flow flow)
    {
        flow.Previous = tail;
        flow.Next = null;
        if (tail is null)
        {
            head = flow;
        }
        else
        {
            tail.Next = flow;
        }

        tail = flow;
    }

    private static void Remove(ref Flow? head, ref Flow? tail, Flow flow)
    {
        if (flow.Previous is null)
        {
            head = flow.Next;
        }
        else
        {
            flow.Previous.Next = flow.Next;
        }

        if (flow.Next is null)
        {
            tail = flow.Previous;
        }
        else
        {
            flow.Next.Previous = flow.Previous;
        }

        flow.Previous = null;
        flow.Next = null;
    }
}
