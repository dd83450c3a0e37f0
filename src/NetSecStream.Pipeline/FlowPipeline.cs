using System.Diagnostics;
using Akka.Actor;
using Akka.Configuration;
using Akka.Streams;
using Akka.Streams.Dsl;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NetSecStream.Core.Components;
using NetSecStream.Core.Events;
using NetSecStream.Core.Telemetry;
using NetSecStream.Pipeline.Decide;

namespace NetSecStream.Pipeline;

/// <summary>The parts one pipeline is built from.</summary>
public sealed record PipelineComponents(
    IRecordSource Source,
    IFlowDecoder Decoder,
    IReadOnlyList<IFlowEnricher> Enrichers,
    IReadOnlyList<IDetector> Detectors,
    IReadOnlyList<IAlertSink> Sinks,
    IDeadLetterSink DeadLetters)
{
    /// <summary>In start order: dead letters and sinks first, the source last (stopped in reverse).</summary>
    public IEnumerable<INetSecComponent> All =>
        (DeadLetters is INetSecComponent deadLetters ? [deadLetters] : Enumerable.Empty<INetSecComponent>())
            .Concat(Sinks).Concat(Detectors).Concat(Enrichers).Append(Decoder).Append(Source);
}

/// <summary>
/// The processing graph on Akka.Streams:
/// source → batch → decode + enrich (batches in parallel, order kept; bad records dead-lettered) → detectors in parallel → decide (mode, dedupe)
/// → every sink (several batches in flight) → commit in order. Three asynchronous islands (decode, detect, decide+sink) with bounded buffers between
/// them, so backpressure reaches the source; positions are committed only after every sink accepted a batch.
/// </summary>
public sealed partial class FlowPipeline
{
    private const string DecodeStage = "decode";

    private readonly PipelineOptions _options;
    private readonly PipelineComponents _components;
    private readonly AlertDecider _decider;
    private readonly ModeResolver _modes;
    private readonly NetSecMetrics _metrics;
    private readonly ILogger _logger;

    public FlowPipeline(PipelineOptions options, PipelineComponents components, ModeResolver modes, NetSecMetrics metrics, ILoggerFactory? loggerFactory = null)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _components = components ?? throw new ArgumentNullException(nameof(components));
        _modes = modes ?? throw new ArgumentNullException(nameof(modes));
        _metrics = metrics ?? throw new ArgumentNullException(nameof(metrics));
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<FlowPipeline>();
        _decider = new AlertDecider(modes, metrics, options.DedupeWindow, options.DedupeMaxKeys, options.Aggregation);
        _metrics.TrackQueue("pipeline_in_flight_events", () => Stats.InFlightEvents);
    }

    public PipelineStats Stats { get; } = new();

    /// <summary>True between the start of the graph and its completion; used by the readiness check.</summary>
    public bool IsRunning { get; private set; }

    /// <summary>
    /// Starts every component, runs the graph until the source ends or <paramref name="stopToken"/> fires, drains
    /// what is in flight to the sinks, commits, and stops every component. Throws when a sink gave up: nothing after
    /// the last committed position is lost, it is read again next time.
    /// </summary>
    public async Task RunAsync(CancellationToken stopToken)
    {
        var started = new List<INetSecComponent>();
        ActorSystem? system = null;
        try
        {
            foreach (var component in _components.All)
            {
                await component.StartAsync(stopToken).ConfigureAwait(false);
                started.Add(component);
            }

            // Detectors with per-origin state forget a revoked partition's state; its new owner builds its own.
            if (_components.Source is IRevocableOriginSource revocable)
            {
                foreach (var owner in _components.Detectors.OfType<IOriginStateOwner>())
                {
                    revocable.OriginsRevoked += owner.DropOrigins;
                }
            }

            system = ActorSystem.Create("netsec", ActorConfig);
            using var materializer = system.Materializer();
            using var readCts = CancellationTokenSource.CreateLinkedTokenSource(stopToken);
            LogStarted(_logger, _components.Source.Id, _components.Detectors.Count, _components.Sinks.Count);
            IsRunning = true;
            var completion = BuildGraph(readCts.Token).Run(materializer);
            try
            {
                await completion.ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopToken.IsCancellationRequested)
            {
                // Stopped while the source was reading: batches not yet delivered are not committed, and are read
                // again by the next run (at-least-once); everything committed so far stands.
                LogStoppedMidRead(_logger);
            }

            LogCompleted(_logger, Stats.RecordsIn, Stats.Rejected, Stats.Alerts);
        }
        finally
        {
            IsRunning = false;
            if (_components.Source is IRevocableOriginSource revocable)
            {
                foreach (var owner in _components.Detectors.OfType<IOriginStateOwner>())
                {
                    revocable.OriginsRevoked -= owner.DropOrigins;
                }
            }

            started.Reverse();
            foreach (var component in started)
            {
                try
                {
                    await component.StopAsync(CancellationToken.None).ConfigureAwait(false);
                }
#pragma warning disable CA1031 // One component failing to stop must not keep the others from stopping.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    LogStopFailed(_logger, component.Id, ex);
                }
            }

            if (system is not null)
            {
                await system.Terminate().ConfigureAwait(false);
            }
        }
    }

    private static readonly Config ActorConfig = ConfigurationFactory.ParseString("""
        akka.loglevel = WARNING
        akka.stdout-loglevel = WARNING
        akka.log-dead-letters = off
        akka.log-dead-letters-during-shutdown = off
        akka.coordinated-shutdown.run-by-clr-shutdown-hook = off
        akka.coordinated-shutdown.exit-clr = off
        """);

    private IRunnableGraph<Task> BuildGraph(CancellationToken readToken)
    {
        int buffer = _options.StageBuffer;
        var bounded = Attributes.CreateInputBuffer(1, buffer);
        var source = _components.Source is IBatchingRecordSource batching
            ? Source.From(() => BatchingAdapter.Stamp(batching.ReadBatchesAsync(_options.BatchSize, _options.BatchLinger, readToken), readToken))
            : Source.From(() => BatchingAdapter.Batch(_components.Source.ReadAsync(readToken), _options.BatchSize, _options.BatchLinger, readToken));

        return source
            .SelectAsync(_options.DecodeParallelism, batch => _options.DecodeParallelism == 1 ? DecodeAsync(batch) : Task.Run(() => DecodeAsync(batch)))
            .Async()
            .Via(DetectFlow())
            .Select(Decide)
            .SelectAsync(_options.SinkParallelism, DeliverAsync)
            .SelectAsync(1, CommitAsync)
            .WithAttributes(bounded)
            .ToMaterialized(Sink.Ignore<FlowBatch>(), Keep.Right);
    }

    private async Task<FlowBatch> DecodeAsync(RecordBatch batch)
    {
        var records = batch.Records;
        Stats.OnRecords(records.Count);
        _metrics.EventsIn(DecodeStage, records.Count);
        var events = new List<FlowEvent>(records.Count);
        var checkpoints = new Dictionary<string, long>(1, StringComparer.Ordinal);
        int rejected = 0;
        List<DeadLetter>? deadLetters = null;
        string? lastOrigin = null;
        long lastPosition = 0;
        foreach (var record in records)
        {
            // Runs of records from one origin (a partition's fetch) keep their highest position in locals.
            if (!ReferenceEquals(record.Origin, lastOrigin))
            {
                if (lastOrigin is not null)
                {
                    checkpoints[lastOrigin] = checkpoints.TryGetValue(lastOrigin, out long seen) ? Math.Max(seen, lastPosition) : lastPosition;
                }

                lastOrigin = record.Origin;
                lastPosition = record.Position;
            }
            else
            {
                lastPosition = Math.Max(lastPosition, record.Position);
            }

            DecodeResult result;
            try
            {
                result = record.DecodeWith(_components.Decoder);
            }
#pragma warning disable CA1031 // A decoder bug on one record must cost that record, not the stream.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                result = DecodeResult.Fail("decoder error: " + ex.Message);
            }

            if (result.Event is { } flow)
            {
                flow.Origin = record.Origin;
                events.Add(flow);
                continue;
            }

            rejected++;
            string reason = result.Error ?? "undecodable record";
            _metrics.EventRejected(_components.Decoder.Id, ReasonClass(reason));
            _metrics.DeadLettered(DecodeStage, ReasonClass(reason));
            // A copy: the record's payload may live in a buffer its source reuses once the batch is released.
            (deadLetters ??= []).Add(new DeadLetter(DecodeStage, record.Origin, record.Position, reason, record.Payload.ToArray(), DateTimeOffset.UtcNow));
        }

        if (lastOrigin is not null)
        {
            checkpoints[lastOrigin] = checkpoints.TryGetValue(lastOrigin, out long seen) ? Math.Max(seen, lastPosition) : lastPosition;
        }

        if (deadLetters is not null)
        {
            // Written before the batch moves on, so a committed position never covers an unrecorded bad record.
            await _components.DeadLetters.WriteAsync(deadLetters, CancellationToken.None).ConfigureAwait(false);
        }

        // Decoded events hold copies of what they need: the payload buffers can go back to the source.
        (records as IPayloadBatch)?.ReleasePayloads();

        foreach (var enricher in _components.Enrichers)
        {
            _metrics.EventsIn(enricher.Id, events.Count);
            foreach (var flow in events)
            {
                enricher.Enrich(flow);
            }

            _metrics.EventsOut(enricher.Id, events.Count);
        }

        CountInspected(events);
        Stats.OnDecoded(events.Count, rejected);
        _metrics.EventsOut(DecodeStage, events.Count);
        return new FlowBatch
        {
            Events = events,
            IngestTimestamp = batch.IngestTimestamp,
            RecordCount = records.Count,
            Rejected = rejected,
            Checkpoints = checkpoints,
        };
    }

    // The metric's reason tag must stay low-cardinality: the text before the first ':' or quote.
    private static string ReasonClass(string reason)
    {
        int cut = reason.AsSpan().IndexOfAny(":'\"(");
        string head = (cut > 0 ? reason[..cut] : reason).Trim();
        return head.Length > 48 ? head[..48] : head;
    }

    private void CountInspected(List<FlowEvent> events)
    {
        if (events.Count == 0)
        {
            return;
        }

        var perNamespace = new Dictionary<(string?, string?), (long Flows, long Bytes, long Packets)>();
        foreach (var flow in events)
        {
            var key = (flow.Cluster, ModeResolver.Subject(flow).Namespace);
            perNamespace.TryGetValue(key, out var totals);

            // Packet and transaction events belong to a flow counted once, by its summary.
            long counted = flow.Kind is FlowEventKind.Packet or FlowEventKind.Transaction ? 0 : 1;
            perNamespace[key] = (totals.Flows + counted, totals.Bytes + (flow.Bytes ?? 0), totals.Packets + (flow.Packets ?? 0));
        }

        foreach (var ((cluster, ns), totals) in perNamespace)
        {
            _metrics.FlowsInspected(cluster, ns, totals.Flows, totals.Bytes, totals.Packets);
        }
    }

    private Flow<FlowBatch, FlowBatch, Akka.NotUsed> DetectFlow()
    {
        var detectors = _components.Detectors;
        if (detectors.Count == 0)
        {
            return Flow.Create<FlowBatch>();
        }

        if (detectors.Count == 1)
        {
            var only = detectors[0];
            return Flow.Create<FlowBatch>().Select(batch =>
            {
                batch.Alerts = RunDetector(only, batch);
                return batch;
            }).Async();
        }

        // One branch per detector, each its own asynchronous island, zipped back in detector order.
        return Flow.FromGraph(GraphDsl.Create(builder =>
        {
            var broadcast = builder.Add(new Broadcast<FlowBatch>(detectors.Count));
            var zip = builder.Add(new ZipN<(FlowBatch Batch, List<Alert> Alerts)>(detectors.Count));
            for (int i = 0; i < detectors.Count; i++)
            {
                var detector = detectors[i];
                var branch = Flow.Create<FlowBatch>().Select(batch => (batch, RunDetector(detector, batch))).Async();
                builder.From(broadcast.Out(i)).Via(branch).To(zip.In(i));
            }

            var merge = builder.Add(Flow.Create<System.Collections.Immutable.IImmutableList<(FlowBatch Batch, List<Alert> Alerts)>>().Select(results =>
            {
                var batch = results[0].Batch;
                var all = new List<Alert>();
                foreach (var (_, alerts) in results)
                {
                    all.AddRange(alerts);
                }

                batch.Alerts = all;
                return batch;
            }));
            builder.From(zip.Out).To(merge.Inlet);
            return new FlowShape<FlowBatch, FlowBatch>(broadcast.In, merge.Outlet);
        }));
    }

    private List<Alert> RunDetector(IDetector detector, FlowBatch batch)
    {
        var alerts = new List<Alert>();
        if (batch.Events.Count == 0)
        {
            return alerts;
        }

        _metrics.EventsIn(detector.Id, batch.Events.Count);
        try
        {
            detector.Detect(batch.Events, alerts);
        }
#pragma warning disable CA1031 // A detector failing on a batch is counted and logged; the other detectors' work stands.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _metrics.EventRejected(detector.Id, "detector_error", batch.Events.Count);
            LogDetectorFailed(_logger, detector.Id, batch.Events.Count, ex);
            return [];
        }

        _metrics.EventsOut(detector.Id, batch.Events.Count);
        return alerts;
    }

    private FlowBatch Decide(FlowBatch batch)
    {
        if (batch.Alerts.Count > 0)
        {
            batch.Alerts = _decider.Decide(batch.Alerts);
        }

        return batch;
    }

    private async Task<FlowBatch> DeliverAsync(FlowBatch batch)
    {
        var sinks = _components.Sinks;
        if (sinks.Count == 1)
        {
            await DeliverToSinkAsync(sinks[0], batch).ConfigureAwait(false);
        }
        else if (sinks.Count > 1)
        {
            var writes = new Task[sinks.Count];
            for (int i = 0; i < sinks.Count; i++)
            {
                writes[i] = DeliverToSinkAsync(sinks[i], batch);
            }

            await Task.WhenAll(writes).ConfigureAwait(false);
        }

        foreach (var alert in batch.Alerts)
        {
            double seconds = Stopwatch.GetElapsedTime(batch.IngestTimestamp).TotalSeconds;
            _metrics.AlertLatency(seconds);
            Stats.OnLatency(seconds);
            Stats.OnAlert(alert.Detector);
        }

        return batch;
    }

    // Deliveries may finish out of order (several batches in flight to slow sinks); SelectAsync emits them in input
    // order, so this stage commits positions strictly in order: a position is never committed before an earlier one.
    private async Task<FlowBatch> CommitAsync(FlowBatch batch)
    {
        foreach (var (origin, position) in batch.Checkpoints)
        {
            await _components.Source.CommitAsync(origin, position, CancellationToken.None).ConfigureAwait(false);
        }

        Stats.OnCommitted(batch.RecordCount);
        return batch;
    }

    private async Task DeliverToSinkAsync(IAlertSink sink, FlowBatch batch)
    {
        var backoff = _options.SinkInitialBackoff;
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                if (batch.Alerts.Count > 0)
                {
                    await sink.WriteAsync(batch.Alerts, CancellationToken.None).ConfigureAwait(false);
                }

                if (batch.Events.Count > 0)
                {
                    await sink.WriteFlowsAsync(batch.Events, CancellationToken.None).ConfigureAwait(false);
                }

                return;
            }
            catch (Exception ex) when (attempt < _options.SinkMaxAttempts && ex is not OperationCanceledException)
            {
                _metrics.SinkRetry(sink.Id);
                LogSinkRetry(_logger, sink.Id, attempt, backoff, ex.Message);
                await Task.Delay(backoff).ConfigureAwait(false);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _options.SinkMaxBackoff.Ticks));
            }
            catch (Exception ex)
            {
                _metrics.SinkError(sink.Id);
                LogSinkGaveUp(_logger, sink.Id, attempt, ex);
                throw new SinkFailedException(sink.Id, attempt, ex);
            }
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "pipeline started: source {Source}, {Detectors} detectors, {Sinks} sinks")]
    private static partial void LogStarted(ILogger logger, string source, int detectors, int sinks);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "pipeline completed: {Records} records, {Rejected} rejected, {Alerts} alerts")]
    private static partial void LogCompleted(ILogger logger, long records, long rejected, long alerts);

    [LoggerMessage(EventId = 3, Level = LogLevel.Error, Message = "detector {Detector} failed on a batch of {Count} events")]
    private static partial void LogDetectorFailed(ILogger logger, string detector, int count, Exception exception);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "sink {Sink} write failed (attempt {Attempt}), retrying in {Backoff}: {Reason}")]
    private static partial void LogSinkRetry(ILogger logger, string sink, int attempt, TimeSpan backoff, string reason);

    [LoggerMessage(EventId = 5, Level = LogLevel.Error, Message = "sink {Sink} failed {Attempts} times; stopping without committing")]
    private static partial void LogSinkGaveUp(ILogger logger, string sink, int attempts, Exception exception);

    [LoggerMessage(EventId = 7, Level = LogLevel.Information, Message = "pipeline stopped while reading; uncommitted batches will be read again")]
    private static partial void LogStoppedMidRead(ILogger logger);

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning, Message = "component {Component} failed to stop")]
    private static partial void LogStopFailed(ILogger logger, string component, Exception exception);
}

/// <summary>A sink refused a batch more times than allowed; the pipeline stops without committing it.</summary>
public sealed class SinkFailedException(string sink, int attempts, Exception inner)
    : Exception($"sink '{sink}' failed {attempts} times: {inner.Message}", inner)
{
    public string Sink { get; } = sink;
}
