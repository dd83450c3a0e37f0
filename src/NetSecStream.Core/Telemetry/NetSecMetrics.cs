using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace NetSecStream.Core.Telemetry;

/// <summary>
/// Every metric NetSecStream emits, one instrument per occurrence, all on the <c>NetSecStream</c> meter.
/// Exported to Prometheus as <c>netsec_*</c>. Tags: <c>component</c> (a component id), <c>stage</c>, <c>reason</c>.
/// </summary>
public sealed class NetSecMetrics : IDisposable
{
    public const string MeterName = "NetSecStream";

    private readonly Meter _meter;
    private readonly Counter<long> _eventsIn;
    private readonly Counter<long> _eventsOut;
    private readonly Counter<long> _eventsRejected;
    private readonly Counter<long> _alertsRaised;
    private readonly Counter<long> _alertsSuppressed;
    private readonly Counter<long> _flowsInspected;
    private readonly Counter<long> _bytesInspected;
    private readonly Counter<long> _packetsInspected;
    private readonly Counter<long> _sinkRetries;
    private readonly Counter<long> _sinkErrors;
    private readonly Counter<long> _sinkSent;
    private readonly Counter<long> _sinkSpilled;
    private readonly Dictionary<string, (string Sink, Func<(long Buffered, long SpillBytes)> State)> _sinkBuffers = [];
    private readonly Counter<long> _eventsTruncated;
    private readonly Counter<long> _deadLetters;
    private readonly Histogram<double> _alertLatency;
    private readonly Counter<long> _componentReloads;
    private readonly Counter<long> _sourceErrors;
    private readonly Counter<long> _stateEvicted;
    private readonly Counter<long> _behaviourScored;
    private readonly Counter<long> _policyVerdicts;
    private readonly Counter<long> _blocksApplied;
    private readonly Counter<long> _blocksExpired;
    private readonly Counter<long> _blocksRevoked;
    private readonly Counter<long> _blocksRefused;
    private readonly Dictionary<string, Func<long>> _queueDepths = [];
    private readonly Dictionary<string, Func<IEnumerable<(string Topic, int Partition, long Lag)>>> _consumerLags = [];
    private readonly Lock _queueLock = new();

    public NetSecMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _eventsIn = _meter.CreateCounter<long>("netsec_events_in", "{event}", "Events received by a stage or component.");
        _eventsOut = _meter.CreateCounter<long>("netsec_events_out", "{event}", "Events passed on by a stage or component.");
        _eventsRejected = _meter.CreateCounter<long>("netsec_events_rejected", "{event}", "Events rejected (dead-lettered) by a stage, by reason.");
        _alertsRaised = _meter.CreateCounter<long>("netsec_alerts", "{alert}", "Alerts decided, by detector and mode.");
        _alertsSuppressed = _meter.CreateCounter<long>("netsec_alerts_deduplicated", "{alert}", "Alerts folded into an earlier alert with the same dedupe key.");
        _flowsInspected = _meter.CreateCounter<long>("netsec_flows_inspected", "{flow}", "Flows inspected, by namespace (the product's headline measure).");
        _bytesInspected = _meter.CreateCounter<long>("netsec_bytes_inspected", "By", "Bytes of traffic inspected, by namespace, where the collector reports bytes.");
        _packetsInspected = _meter.CreateCounter<long>("netsec_packets_inspected", "{packet}", "Packets inspected, by namespace, where the collector reports packets.");
        _sinkRetries = _meter.CreateCounter<long>("netsec_sink_retries", "{attempt}", "Sink write attempts retried, by sink.");
        _sinkErrors = _meter.CreateCounter<long>("netsec_sink_errors", "{error}", "Sink write failures, by sink.");
        _sinkSent = _meter.CreateCounter<long>("netsec_sink_sent", "{event}", "Alerts and flows a sink's destination accepted (directly or replayed from its spill), by sink.");
        _sinkSpilled = _meter.CreateCounter<long>("netsec_sink_spilled", "{batch}", "Batches a sink spilled to disk because its destination was down or slow, by sink.");
        _meter.CreateObservableGauge("netsec_sink_buffered", () => ObserveSinkBuffers(spill: false), "{batch}", "Batches held in memory by a sink, waiting for its destination, by sink.");
        _meter.CreateObservableGauge("netsec_sink_spill_bytes", () => ObserveSinkBuffers(spill: true), "By", "Bytes of spilled batches on disk not yet replayed, by sink.");
        _eventsTruncated = _meter.CreateCounter<long>("netsec_events_truncated", "{event}", "Events cut to a size bound before sending (a syslog datagram), by component.");
        _deadLetters = _meter.CreateCounter<long>("netsec_dead_letters", "{record}", "Records written to the dead-letter path, by stage.");
        _componentReloads = _meter.CreateCounter<long>("netsec_component_reloads", "{reload}", "Reloads of component data (indicator lists, rules), by component and outcome.");
        _sourceErrors = _meter.CreateCounter<long>("netsec_source_errors", "{error}", "Failures of a source's connection or stream (each one is retried), by component and reason.");
        _behaviourScored = _meter.CreateCounter<long>("netsec_behaviour_scored", "{event}", "Events scored by a behaviour model, by model, role (live or shadow) and outcome (above or below its threshold).");
        _policyVerdicts = _meter.CreateCounter<long>("netsec_policy_verdicts", "{flow}", "Flows judged against the declared network policies (audit), by verdict (allowed, denied, not_evaluated, not_selected).");
        _stateEvicted = _meter.CreateCounter<long>("netsec_state_evicted", "{entry}", "Entries dropped from a bounded detection state table (flowbits, thresholds), by component, table and reason (capacity, expired).");
        _alertLatency = _meter.CreateHistogram<double>(
            "netsec_event_to_alert_latency",
            "s",
            "Seconds from an event entering the pipeline to its alert being accepted by every sink.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
        _blocksApplied = _meter.CreateCounter<long>("netsec_blocks_applied", "{block}", "Block rules written to a cluster or GitOps directory (new or extended), by cluster.");
        _blocksExpired = _meter.CreateCounter<long>("netsec_blocks_expired", "{block}", "Block rules deleted when their TTL ran out, by cluster.");
        _blocksRevoked = _meter.CreateCounter<long>("netsec_blocks_revoked", "{block}", "Block rules an operator deleted before their expiry, by cluster.");
        _blocksRefused = _meter.CreateCounter<long>("netsec_blocks_refused", "{block}", "Block requests not enforced, by reason (allowlisted_peer, rate_limited, api_error ...).");
        _meter.CreateObservableGauge("netsec_queue_depth", ObserveQueueDepths, "{item}", "Items waiting in a bounded queue, by stage.");
        _meter.CreateObservableGauge("netsec_kafka_consumer_lag", ObserveConsumerLag, "{message}", "Messages between a partition's end and the group's committed offset, by topic and partition.");
    }

    public Meter Meter => _meter;

    public void EventsIn(string component, long count = 1) => _eventsIn.Add(count, new KeyValuePair<string, object?>("component", component));

    public void EventsOut(string component, long count = 1) => _eventsOut.Add(count, new KeyValuePair<string, object?>("component", component));

    public void EventRejected(string component, string reason, long count = 1) =>
        _eventsRejected.Add(count, new KeyValuePair<string, object?>("component", component), new KeyValuePair<string, object?>("reason", reason));

    public void AlertRaised(string detector, Mode mode) =>
        _alertsRaised.Add(1, new KeyValuePair<string, object?>("detector", detector), new KeyValuePair<string, object?>("mode", ModeNames.ToName(mode)));

    public void AlertDeduplicated(string detector) => _alertsSuppressed.Add(1, new KeyValuePair<string, object?>("detector", detector));

    public void FlowsInspected(string? cluster, string? ns, long flows, long? bytes, long? packets)
    {
        var tags = new TagList
        {
            { "cluster", cluster ?? "default" },
            { "namespace", ns ?? "" },
        };
        _flowsInspected.Add(flows, tags);
        if (bytes is > 0)
        {
            _bytesInspected.Add(bytes.Value, tags);
        }

        if (packets is > 0)
        {
            _packetsInspected.Add(packets.Value, tags);
        }
    }

    public void SinkRetry(string sink) => _sinkRetries.Add(1, new KeyValuePair<string, object?>("component", sink));

    public void EventTruncated(string component, long count = 1) => _eventsTruncated.Add(count, new KeyValuePair<string, object?>("component", component));

    public void SinkError(string sink) => _sinkErrors.Add(1, new KeyValuePair<string, object?>("component", sink));

    /// <summary>A sink's destination accepted <paramref name="count"/> alerts or flows.</summary>
    public void SinkSent(string sink, long count) => _sinkSent.Add(count, new KeyValuePair<string, object?>("component", sink));

    /// <summary>A sink spilled one batch to disk instead of its destination.</summary>
    public void SinkSpilled(string sink) => _sinkSpilled.Add(1, new KeyValuePair<string, object?>("component", sink));

    /// <summary>
    /// Registers a buffering sink (<paramref name="key"/> unique per instance) whose memory and spill are reported as
    /// <c>netsec_sink_buffered{component}</c> and <c>netsec_sink_spill_bytes{component}</c>.
    /// </summary>
    public void TrackSinkBuffer(string key, string sink, Func<(long Buffered, long SpillBytes)> state)
    {
        lock (_queueLock)
        {
            _sinkBuffers[key] = (sink, state);
        }
    }

    /// <summary>Stops reporting a buffering sink registered with <see cref="TrackSinkBuffer"/> (it was stopped).</summary>
    public void UntrackSinkBuffer(string key)
    {
        lock (_queueLock)
        {
            _sinkBuffers.Remove(key);
        }
    }

    private IEnumerable<Measurement<long>> ObserveSinkBuffers(bool spill)
    {
        (string Sink, Func<(long Buffered, long SpillBytes)> State)[] snapshot;
        lock (_queueLock)
        {
            snapshot = [.. _sinkBuffers.Values];
        }

        foreach (var (sink, state) in snapshot)
        {
            var (buffered, spillBytes) = state();
            yield return new Measurement<long>(spill ? spillBytes : buffered, new KeyValuePair<string, object?>("component", sink));
        }
    }

    public void DeadLettered(string stage, string reason) =>
        _deadLetters.Add(1, new KeyValuePair<string, object?>("component", stage), new KeyValuePair<string, object?>("reason", reason));

    public void ComponentReloaded(string component, bool success) =>
        _componentReloads.Add(1, new KeyValuePair<string, object?>("component", component), new KeyValuePair<string, object?>("outcome", success ? "ok" : "failed"));

    /// <summary>A source lost or could not open its input (a gRPC stream, a watch); it reconnects with backoff.</summary>
    public void SourceError(string component, string reason) =>
        _sourceErrors.Add(1, new KeyValuePair<string, object?>("component", component), new KeyValuePair<string, object?>("reason", reason));

    /// <summary>A bounded state table dropped an entry: <paramref name="reason"/> <c>capacity</c> (full) or <c>expired</c> (event time).</summary>
    public void StateEvicted(string component, string table, string reason, long count = 1) =>
        _stateEvicted.Add(count, new KeyValuePair<string, object?>("component", component), new KeyValuePair<string, object?>("table", table),
            new KeyValuePair<string, object?>("reason", reason));

    /// <summary>Flows the policy audit judged, by verdict.</summary>
    public void PolicyEvaluated(string verdict, long count) => _policyVerdicts.Add(count, new KeyValuePair<string, object?>("verdict", verdict));

    public void BehaviourScored(string model, string role, bool aboveThreshold, long count) => _behaviourScored.Add(count,
        new KeyValuePair<string, object?>("model", model), new KeyValuePair<string, object?>("role", role),
        new KeyValuePair<string, object?>("outcome", aboveThreshold ? "above" : "below"));

    public void AlertLatency(double seconds) => _alertLatency.Record(seconds);

    public void BlockApplied(string cluster) => _blocksApplied.Add(1, new KeyValuePair<string, object?>("cluster", cluster));

    public void BlockExpired(string cluster) => _blocksExpired.Add(1, new KeyValuePair<string, object?>("cluster", cluster));

    public void BlockRevoked(string cluster) => _blocksRevoked.Add(1, new KeyValuePair<string, object?>("cluster", cluster));

    public void BlockRefused(string reason) => _blocksRefused.Add(1, new KeyValuePair<string, object?>("reason", reason));

    /// <summary>Registers a queue whose depth is reported as <c>netsec_queue_depth{stage}</c>.</summary>
    public void TrackQueue(string stage, Func<long> depth)
    {
        lock (_queueLock)
        {
            _queueDepths[stage] = depth;
        }
    }

    /// <summary>Registers a consumer whose lag per partition is reported as <c>netsec_kafka_consumer_lag{topic,partition}</c>.</summary>
    public void TrackConsumerLag(string consumer, Func<IEnumerable<(string Topic, int Partition, long Lag)>> lag)
    {
        lock (_queueLock)
        {
            _consumerLags[consumer] = lag;
        }
    }

    private IEnumerable<Measurement<long>> ObserveConsumerLag()
    {
        KeyValuePair<string, Func<IEnumerable<(string Topic, int Partition, long Lag)>>>[] snapshot;
        lock (_queueLock)
        {
            snapshot = [.. _consumerLags];
        }

        foreach (var (_, lags) in snapshot)
        {
            foreach (var (topic, partition, lag) in lags())
            {
                yield return new Measurement<long>(lag,
                    new KeyValuePair<string, object?>("topic", topic),
                    new KeyValuePair<string, object?>("partition", partition.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            }
        }
    }

    private IEnumerable<Measurement<long>> ObserveQueueDepths()
    {
        KeyValuePair<string, Func<long>>[] snapshot;
        lock (_queueLock)
        {
            snapshot = [.. _queueDepths];
        }

        foreach (var (stage, depth) in snapshot)
        {
            yield return new Measurement<long>(depth(), new KeyValuePair<string, object?>("stage", stage));
        }
    }

    public void Dispose() => _meter.Dispose();
}

public static class ModeNames
{
    public static string ToName(Mode mode) => mode switch
    {
        Mode.Log => "log",
        Mode.Alert => "alert",
        Mode.Block => "block",
        _ => "alert",
    };

    public static bool TryParse(string? text, out Mode mode)
    {
        switch (text?.Trim().ToUpperInvariant())
        {
            case "LOG":
                mode = Mode.Log;
                return true;
            case "ALERT":
                mode = Mode.Alert;
                return true;
            case "BLOCK":
                mode = Mode.Block;
                return true;
            default:
                mode = Mode.Alert;
                return false;
        }
    }
}
