using NetSecStream.Core.Components;
using NetSecStream.Core.Events;
using NetSecStream.Core.Telemetry;

namespace NetSecStream.Collectors.NetFlow;

/// <summary>
/// The part both NetFlow sources share: decode a datagram, map its records to flow events, count what went in and
/// out and what was rejected, and raise a dead letter for a datagram with any rejected part.
/// </summary>
internal sealed class NetFlowIngest
{
    /// <summary>Reason for a record that names no IP addresses (layer-2 or MPLS-only templates).</summary>
    public const string NoAddressReason = "no_address";

    private readonly string _component;
    private readonly NetSecMetrics? _metrics;
    private readonly NetFlowEventMapper _mapper;
    private readonly NetFlowRecordBuffer _records = new(256);

    public NetFlowIngest(string component, NetFlowOptions options, NetSecMetrics? metrics)
    {
        _component = component;
        _metrics = metrics;
        Decoder = new NetFlowDecoder(options, new NetFlowTelemetry(component, metrics));
        _mapper = new NetFlowEventMapper(options.ApplySampling);
    }

    public NetFlowDecoder Decoder { get; }

    public long RecordsWithoutAddress { get; private set; }

    /// <summary>Decodes one datagram into <paramref name="flows"/>; returns the decode result.</summary>
    public NetFlowDecodeResult Ingest(ReadOnlySpan<byte> datagram, NetFlowAddress exporter, long receivedMs, List<FlowEvent> flows)
    {
        _records.Clear();
        var result = Decoder.Decode(datagram, exporter, receivedMs, _records);
        foreach (ref readonly var record in _records.AsSpan())
        {
            var flow = _mapper.Map(in record);
            if (flow is null)
            {
                RecordsWithoutAddress++;
                _metrics?.EventRejected(_component, NoAddressReason);
                continue;
            }

            flows.Add(flow);
        }

        return result;
    }

    public void CountIn(long units) => _metrics?.EventsIn(_component, units);

    public void CountOut(long flows)
    {
        if (flows > 0)
        {
            _metrics?.EventsOut(_component, flows);
        }
    }

    public void CountRejected(string reason) => _metrics?.EventRejected(_component, reason);

    public DeadLetter DeadLetter(string origin, long position, string reason, ReadOnlySpan<byte> payload) =>
        new(_component, origin, position, reason, payload.ToArray(), DateTimeOffset.UtcNow);
}
