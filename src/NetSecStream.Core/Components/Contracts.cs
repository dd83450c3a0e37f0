using NetSecStream.Core.Events;

namespace NetSecStream.Core.Components;

/// <summary>The kinds of component the pipeline is built from (docs/specs/component.md).</summary>
public enum ComponentKind
{
    Source,
    Decoder,
    Enricher,
    Detector,
    Sink,
}

/// <summary>Every source, stage and sink: a stable <c>lower_snake_case</c> id and a lifecycle.</summary>
public interface INetSecComponent
{
    /// <summary>Stable id, e.g. <c>hubble_file</c>, <c>intel</c>, <c>file</c>. Metrics and logs carry it.</summary>
    string Id { get; }

    ComponentKind Kind { get; }

    /// <summary>Acquire resources (open files, load lists). Must be idempotent-safe to call once.</summary>
    Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Flush and release everything; after it returns no more work is done.</summary>
    Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>One raw record from a source: bytes plus where they came from, for dead letters and commits.</summary>
public readonly record struct RawRecord(ReadOnlyMemory<byte> Payload, string Origin, long Position)
{
    /// <summary>The flow, when the source decoded the record itself (<see cref="IFlowEventSource"/>); the decoder is skipped.</summary>
    public FlowEvent? Flow { get; init; }

    /// <summary>Why the source could not decode the record; the record goes to the dead-letter path with this reason.</summary>
    public string? Rejection { get; init; }

    /// <summary>Decodes the record with <paramref name="decoder"/> unless its source already did (or already rejected it).</summary>
    public DecodeResult DecodeWith(IFlowDecoder decoder)
    {
        ArgumentNullException.ThrowIfNull(decoder);
        return Flow is { } flow ? DecodeResult.Ok(flow)
            : Rejection is { } reason ? DecodeResult.Fail(reason)
            : decoder.Decode(Payload.Span);
    }
}

/// <summary>Result of decoding one raw record.</summary>
public readonly record struct DecodeResult(FlowEvent? Event, string? Error)
{
    public static DecodeResult Ok(FlowEvent flow) => new(flow, null);

    public static DecodeResult Fail(string reason) => new(null, reason);

    public bool IsSuccess => Event is not null;
}

/// <summary>Turns raw records (a JSON line, a Kafka message) into flow events.</summary>
public interface IFlowDecoder : INetSecComponent
{
    /// <summary>Decodes one record; never throws for bad input, returns <see cref="DecodeResult.Fail"/> with the reason.</summary>
    DecodeResult Decode(ReadOnlySpan<byte> payload);
}

/// <summary>Adds facts to events in place (Kubernetes metadata, GeoIP ...).</summary>
public interface IFlowEnricher : INetSecComponent
{
    void Enrich(FlowEvent flow);
}

/// <summary>
/// A detector inspects a batch of events and appends alerts. The pipeline runs detectors in parallel,
/// each on its own batch copy; a detector must not mutate events. It is given whole batches so detectors
/// that pay per call (ML scoring) can amortise.
/// </summary>
public interface IDetector : INetSecComponent
{
    /// <summary>Detector family: one of <see cref="DetectorKinds"/>.</summary>
    string DetectorKind { get; }

    void Detect(IReadOnlyList<FlowEvent> batch, ICollection<Alert> alerts);
}

/// <summary>
/// A source whose records come from origins that can be taken away while it runs (Kafka partitions revoked in a
/// rebalance); it says which, so stages holding per-origin state can drop it (the new owner builds its own).
/// </summary>
public interface IRevocableOriginSource
{
    /// <summary>Raised with the revoked origins (as in <see cref="RawRecord.Origin"/>), on the source's own thread.</summary>
    event Action<IReadOnlyCollection<string>>? OriginsRevoked;
}

/// <summary>A detector that keeps state per origin and forgets an origin's state when the origin is revoked.</summary>
public interface IOriginStateOwner
{
    /// <summary>May be called from any thread; the state goes before the detector's next batch.</summary>
    void DropOrigins(IReadOnlyCollection<string> origins);
}

/// <summary>
/// Receives decided alerts (and optionally flows). Returning means the data is accepted durably: written and flushed,
/// acknowledged by the server, or (for a sink wrapped in <c>BufferedSink</c>) durably spilled to disk to be replayed.
/// </summary>
public interface IAlertSink : INetSecComponent
{
    ValueTask WriteAsync(IReadOnlyList<Alert> alerts, CancellationToken cancellationToken);

    /// <summary>Optional: flows as well as alerts; sinks that do not want flows return immediately.</summary>
    ValueTask WriteFlowsAsync(IReadOnlyList<FlowEvent> flows, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}

/// <summary>A record that could not be processed, with the reason, kept for inspection and replay.</summary>
public sealed record DeadLetter(string Stage, string Origin, long Position, string Reason, ReadOnlyMemory<byte> Payload, DateTimeOffset Time);

public interface IDeadLetterSink
{
    ValueTask WriteAsync(DeadLetter deadLetter, CancellationToken cancellationToken);

    /// <summary>Writes several dead letters with one flush; a flood of bad input must not cost a disk flush each.</summary>
    async ValueTask WriteAsync(IReadOnlyList<DeadLetter> deadLetters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(deadLetters);
        foreach (var deadLetter in deadLetters)
        {
            await WriteAsync(deadLetter, cancellationToken).ConfigureAwait(false);
        }
    }
}

/// <summary>
/// A source of raw records (a file of JSON lines, stdin, a Kafka topic). <see cref="RawRecord.Position"/> is the
/// line number for files and the offset for Kafka; the pipeline calls <see cref="CommitAsync"/> with a position
/// only after every sink accepted everything up to and including it.
/// </summary>
public interface IRecordSource : INetSecComponent
{
    IAsyncEnumerable<RawRecord> ReadAsync(CancellationToken cancellationToken);

    ValueTask CommitAsync(string origin, long position, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}

/// <summary>
/// A record source that receives records in groups anyway (a Kafka consumer's fetches) and hands them over as such,
/// sparing the pipeline a hand-off per record. <see cref="ReadBatchesAsync"/> and <see cref="IRecordSource.ReadAsync"/>
/// are alternatives: a reader uses one of them.
/// </summary>
public interface IBatchingRecordSource : IRecordSource
{
    /// <summary>Batches of at most <paramref name="maxBatch"/> records; a batch waits at most <paramref name="linger"/> for more once it has one.</summary>
    IAsyncEnumerable<IReadOnlyList<RawRecord>> ReadBatchesAsync(int maxBatch, TimeSpan linger, CancellationToken cancellationToken);
}

/// <summary>
/// A batch of records whose payloads live in buffers the source reuses (a Kafka consumer copies messages into pooled
/// slabs instead of one array each). The pipeline calls <see cref="ReleasePayloads"/> once nothing reads the payloads
/// any more: after decoding, with the dead letters written (and their payloads copied). A batch never released is
/// simply collected; a released batch's payloads must not be read again.
/// </summary>
public interface IPayloadBatch
{
    /// <summary>Hands the payload buffers back to the source; idempotent.</summary>
    void ReleasePayloads();
}

/// <summary>A flow event a collector decoded itself, with where it came from (for dead letters and progress).</summary>
public readonly record struct SourcedFlow(FlowEvent Flow, string Origin, long Position);

/// <summary>
/// A source that decodes its own input into flow events (NetFlow/IPFIX datagrams, pcap packets, Hubble Relay's gRPC
/// stream): one input unit may yield many flows, or none until a flow ends. <see cref="SourcedFlow.Origin"/> names the
/// input (exporter address, file, relay) and <see cref="SourcedFlow.Position"/> the datagram, packet or message number.
/// Input it cannot decode is counted in <c>netsec_events_rejected{component,reason}</c> and reported through
/// <see cref="Rejected"/>; it never ends the stream. Like <see cref="IRecordSource"/>, the pipeline calls
/// <see cref="CommitAsync"/> only after every sink accepted everything up to and including that position.
/// </summary>
public interface IFlowEventSource : INetSecComponent
{
    IAsyncEnumerable<SourcedFlow> ReadAsync(CancellationToken cancellationToken);

    ValueTask CommitAsync(string origin, long position, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>Raised for each input unit that was rejected (origin, position, reason, raw bytes), for the dead-letter path.</summary>
    event Action<DeadLetter>? Rejected
    {
        add { }
        remove { }
    }
}
