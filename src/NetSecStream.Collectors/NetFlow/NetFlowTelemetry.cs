using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using NetSecStream.Core.Telemetry;

namespace NetSecStream.Collectors.NetFlow;

/// <summary>
/// What the NetFlow decoder counts: rejections by reason (<c>netsec_events_rejected{component,reason}</c>) and
/// sequence gaps per exporter and observation domain (<c>netsec_netflow_sequence_gaps</c>, and the records or
/// datagrams they lost, <c>netsec_netflow_sequence_lost</c>). The counts are also kept here for tests and summaries.
/// Not thread-safe: one decoder, one reader.
/// </summary>
public sealed class NetFlowTelemetry
{
    private static readonly ConditionalWeakTable<NetSecMetrics, GapInstruments> Instruments = [];

    private readonly string _component;
    private readonly NetSecMetrics? _metrics;
    private readonly GapInstruments? _gaps;
    private readonly long[] _rejects = new long[NetFlowRejectReasons.Count];

    public NetFlowTelemetry(string component, NetSecMetrics? metrics)
    {
        _component = component;
        _metrics = metrics;
        _gaps = metrics is null ? null : Instruments.GetValue(metrics, static m => new GapInstruments(m.Meter));
    }

    /// <summary>Sequence gaps seen (a datagram whose sequence number skipped ahead).</summary>
    public long SequenceGaps { get; private set; }

    /// <summary>Units the gaps skipped: records for v5 and IPFIX, datagrams for v9.</summary>
    public long SequenceLost { get; private set; }

    public long Rejected(NetFlowRejectReason reason) => _rejects[(int)reason];

    public long TotalRejected
    {
        get
        {
            long total = 0;
            foreach (long count in _rejects)
            {
                total += count;
            }

            return total;
        }
    }

    /// <summary>Rejections so far by metric reason, leaving out reasons never seen.</summary>
    public IReadOnlyDictionary<string, long> RejectsByReason()
    {
        var byReason = new Dictionary<string, long>();
        for (int i = 1; i < _rejects.Length; i++)
        {
            if (_rejects[i] > 0)
            {
                byReason[NetFlowRejectReasons.Name((NetFlowRejectReason)i)] = _rejects[i];
            }
        }

        return byReason;
    }

    internal void Reject(NetFlowRejectReason reason)
    {
        _rejects[(int)reason]++;
        _metrics?.EventRejected(_component, NetFlowRejectReasons.Name(reason));
    }

    internal void SequenceGap(string exporter, uint domain, long lost)
    {
        SequenceGaps++;
        SequenceLost += lost;
        if (_gaps is not null)
        {
            var component = new KeyValuePair<string, object?>("component", _component);
            var exporterTag = new KeyValuePair<string, object?>("exporter", exporter);
            var domainTag = new KeyValuePair<string, object?>("domain", domain);
            _gaps.Gaps.Add(1, component, exporterTag, domainTag);
            _gaps.Lost.Add(lost, component, exporterTag, domainTag);
        }
    }

    private sealed class GapInstruments(Meter meter)
    {
        public Counter<long> Gaps { get; } = meter.CreateCounter<long>(
            "netsec_netflow_sequence_gaps", "{gap}", "NetFlow/IPFIX datagrams whose sequence number skipped ahead, by exporter and observation domain.");

        public Counter<long> Lost { get; } = meter.CreateCounter<long>(
            "netsec_netflow_sequence_lost", "{record}", "Records (v5, IPFIX) or datagrams (v9) the sequence gaps skipped, by exporter and observation domain.");
    }
}
