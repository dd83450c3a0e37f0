using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NetSecStream.Core.Components;
using NetSecStream.Core.Events;
using NetSecStream.Core.Telemetry;

namespace NetSecStream.Collectors.NetFlow;

/// <summary>
/// Reads NetFlow v5/v9/IPFIX export datagrams captured in a pcap or pcapng file (UDP on any port, Ethernet, Linux
/// cooked, loopback or raw IP link types) and decodes them into flow events (collector id <c>netflow</c>), in file
/// order, with the packet's capture time as the decoder's clock (template expiry). Origin is the file path, position
/// the 1-based packet number (of the last fragment, for a datagram that came in IP fragments: they are reassembled,
/// bounded by <see cref="IpFragmentReassembler"/>). Packets that are not UDP (<c>not_udp</c>), datagrams whose
/// fragments never all arrived (<c>ip_fragment_incomplete</c>), truncated frames (<c>truncated_packet</c>) and
/// datagrams the decoder rejects are counted in <c>netsec_events_rejected{component="netflow_pcap",reason}</c>;
/// a corrupt file ends the read (<c>bad_pcap</c>).
/// <c>netsec_events_in</c> counts packets, <c>netsec_events_out</c> flows.
/// </summary>
public sealed class NetFlowPcapSource : IFlowEventSource
{
    public const string ComponentId = "netflow_pcap";

    private const int MaxPacketBytes = 256 * 1024;

    private readonly string _path;
    private readonly NetFlowOptions _options;
    private readonly NetSecMetrics? _metrics;
    private readonly ILogger _logger;

    public NetFlowPcapSource(string path, NetFlowOptions options, NetSecMetrics? metrics = null, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(options);
        NetFlowOptionsValidator.ThrowIfInvalid(options);
        _path = path;
        _options = options;
        _metrics = metrics;
        _logger = logger ?? NullLogger.Instance;
    }

    public string Id => ComponentId;

    public ComponentKind Kind => ComponentKind.Source;

    public event Action<DeadLetter>? Rejected;

    /// <summary>The decoder of the last (or current) read, for its telemetry and options state.</summary>
    public NetFlowDecoder? Decoder { get; private set; }

    /// <summary>Packets read, flows produced and rejections in the last (or current) read.</summary>
    public long Packets { get; private set; }

    public long Flows { get; private set; }

    public long RejectedUnits { get; private set; }

    /// <summary>Fails fast when the file is missing or is not a capture.</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(_path))
        {
            throw new FileNotFoundException($"{ComponentId}: pcap file '{_path}' does not exist", _path);
        }

        using var reader = PcapReader.Open(_path, MaxPacketBytes);
        return Task.CompletedTask;
    }

    public async IAsyncEnumerable<SourcedFlow> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var ingest = new NetFlowIngest(ComponentId, _options, _metrics);
        Decoder = ingest.Decoder;
        Packets = Flows = RejectedUnits = 0;
        var flows = new List<FlowEvent>(64);
        var fragments = new IpFragmentReassembler();
        using var reader = PcapReader.Open(_path, MaxPacketBytes);
        NetFlowLog.PcapOpened(_logger, ComponentId, _path);
        while (!cancellationToken.IsCancellationRequested)
        {
            flows.Clear();
            long position = Packets + 1;
            if (!ReadOne(reader, ingest, fragments, flows))
            {
                break;
            }

            foreach (var flow in flows)
            {
                yield return new SourcedFlow(flow, _path, position);
            }

            if ((position & 0x3FF) == 0)
            {
                await Task.Yield();
            }
        }

        CountIncomplete(ingest, fragments.Dropped + fragments.InProgress);
        if (reader.Error is { } error)
        {
            RejectedUnits++;
            ingest.CountRejected("bad_pcap");
            NetFlowLog.PcapCorrupt(_logger, ComponentId, _path, Packets, error);
        }

        NetFlowLog.PcapFinished(_logger, ComponentId, _path, Packets, Flows, RejectedUnits);
    }

    private void CountIncomplete(NetFlowIngest ingest, long datagrams)
    {
        for (long i = 0; i < datagrams; i++)
        {
            RejectedUnits++;
            ingest.CountRejected("ip_fragment_incomplete");
        }
    }

    /// <summary>Reads and decodes one packet; false at the end of the file (or when it is corrupt).</summary>
    private bool ReadOne(PcapReader reader, NetFlowIngest ingest, IpFragmentReassembler fragments, List<FlowEvent> flows)
    {
        if (!reader.TryRead(out int linkType, out long timestampMs, out var frame))
        {
            return false;
        }

        long position = ++Packets;
        ingest.CountIn(1);
        var skip = UdpFrame.TryGetUdp(frame, linkType, out var exporter, out _, out var payload, out var fragment);
        if (skip == FrameSkip.Fragment)
        {
            long droppedBefore = fragments.Dropped;
            bool complete = fragments.TryAdd(in fragment, payload, timestampMs, out byte[] whole, out int length);
            CountIncomplete(ingest, fragments.Dropped - droppedBefore);
            if (!complete)
            {
                return true;
            }

            skip = UdpFrame.TryParseUdp(whole.AsSpan(0, length), out _, out payload);
        }

        if (skip != FrameSkip.None)
        {
            string reason = skip switch
            {
                FrameSkip.Truncated => "truncated_packet",
                _ => "not_udp",
            };
            RejectedUnits++;
            ingest.CountRejected(reason);
            Rejected?.Invoke(ingest.DeadLetter(_path, position, reason, frame));
            return true;
        }

        var result = ingest.Ingest(payload, exporter, timestampMs, flows);
        Flows += flows.Count;
        ingest.CountOut(flows.Count);
        if (!result.IsClean)
        {
            RejectedUnits++;
            string reason = NetFlowRejectReasons.Name(result.FirstFailure);
            NetFlowLog.DatagramRejected(_logger, ComponentId, _path, position, reason);
            Rejected?.Invoke(ingest.DeadLetter(_path, position, reason, payload));
        }

        return true;
    }
}
