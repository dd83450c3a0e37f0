using System.Text;
using NetSecStream.Core;
using NetSecStream.Core.Components;
using NetSecStream.Core.Events;
using NetSecStream.Core.Telemetry;
using NetSecStream.Pipeline.Decide;
using NetSecStream.Pipeline.Detectors.Intel;
using NetSecStream.Pipeline.Enrichment;
using NetSecStream.Pipeline.InProcess;
using NetSecStream.Testing;

namespace NetSecStream.Pipeline.Tests;

public sealed class FlowPipelineTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("netsec-pipeline-").FullName;
    private readonly NetSecMetrics _metrics = new();

    public void Dispose()
    {
        _metrics.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private IntelDetector Intel(params string[] indicators)
    {
        string file = Path.Combine(_dir, "feed.txt");
        File.WriteAllLines(file, indicators);
        return new IntelDetector(new IntelOptions { Paths = [file] }, _metrics);
    }

    private FlowPipeline Build(IRecordSource source, IReadOnlyList<IDetector> detectors, IReadOnlyList<IAlertSink> sinks, IDeadLetterSink deadLetters,
        PipelineOptions? options = null, ModeOptions? modes = null) =>
        new(options ?? new PipelineOptions { DedupeWindow = TimeSpan.Zero },
            new PipelineComponents(source, new CsvFlowDecoder(), [new CommunityIdEnricher()], detectors, sinks, deadLetters),
            new ModeResolver(modes ?? new ModeOptions()), _metrics);

    [Fact]
    public async Task Pipeline_DeliversEveryAlert_DeadLettersBadRecords_AndCommitsEverything()
    {
        var records = new List<byte[]>();
        for (int i = 0; i < 10_000; i++)
        {
            records.Add(i % 1000 == 7
                ? Encoding.UTF8.GetBytes("garbage")
                : CsvFlowDecoder.Record("10.0.0." + (i % 200), 30000 + (i % 1000), i % 100 == 0 ? "203.0.113.7" : "10.1.0.1", 443, "shop", second: i));
        }

        var source = new MemoryRecordSource(records);
        var sink = new RecordingSink();
        var deadLetters = new MemoryDeadLetterSink();
        var pipeline = Build(source, [Intel("203.0.113.7")], [sink], deadLetters, new PipelineOptions { BatchSize = 256, DedupeWindow = TimeSpan.Zero });

        await pipeline.RunAsync(CancellationToken.None);

        Assert.Equal(10_000, pipeline.Stats.RecordsIn);
        Assert.Equal(10, pipeline.Stats.Rejected);
        Assert.Equal(10_000, source.CommittedPosition);
        Assert.Equal(0, pipeline.Stats.InFlightEvents);
        Assert.Equal(100, sink.Alerts.Count);
        Assert.All(sink.Alerts, a => Assert.StartsWith("1:", a.Flow.CommunityId, StringComparison.Ordinal));
        Assert.Equal(10, deadLetters.Items.Count);
        Assert.All(deadLetters.Items, d => Assert.Equal("expected 5 fields, got 1", d.Reason));
        Assert.Equal(Enumerable.Range(0, 10).Select(k => (long)(k * 1000) + 8), deadLetters.Items.Select(d => d.Position).Order());
        Assert.True(sink.Started && sink.Stopped);
        Assert.Equal(100, pipeline.Stats.AlertsByDetector["intel"]);
        Assert.NotNull(pipeline.Stats.LatencyPercentileMs(99));
    }

    [Fact]
    public async Task Detectors_RunInParallelBranches_AndTheirAlertsAreMergedInDetectorOrder()
    {
        var records = Enumerable.Range(0, 2000).Select(i => CsvFlowDecoder.Record("10.0.0.1", 1000 + i, "192.0.2.1", 80, "shop", "c2.bad.example", i)).ToList();
        var sink = new RecordingSink();
        string second = Path.Combine(_dir, "domains.txt");
        File.WriteAllText(second, "bad.example\n");
        var domainIntel = new IntelDetector(new IntelOptions { Paths = [second] }, _metrics);
        var pipeline = Build(new MemoryRecordSource(records), [Intel("192.0.2.1"), domainIntel, new ThrowingDetector()], [sink], new MemoryDeadLetterSink());

        await pipeline.RunAsync(CancellationToken.None);

        Assert.Equal(4000, sink.Alerts.Count);
        var first = sink.Alerts.Take(2).ToList();
        Assert.Contains("destination address", first[0].Explanation, StringComparison.Ordinal);
        Assert.Contains("DNS query", sink.Alerts.First(a => a.RuleId.Contains("bad.example", StringComparison.Ordinal)).Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SinkOutage_IsRetried_WithoutLoss()
    {
        var records = Enumerable.Range(0, 500).Select(i => CsvFlowDecoder.Record("10.0.0.1", 1000 + i, "203.0.113.7", 443, "shop", second: i)).ToList();
        var sink = new RecordingSink();
        sink.FailNext(3);
        var source = new MemoryRecordSource(records);
        var pipeline = Build(source, [Intel("203.0.113.7")], [sink], new MemoryDeadLetterSink(),
            new PipelineOptions { BatchSize = 100, DedupeWindow = TimeSpan.Zero, SinkInitialBackoff = TimeSpan.FromMilliseconds(5), SinkMaxBackoff = TimeSpan.FromMilliseconds(20) });

        await pipeline.RunAsync(CancellationToken.None);

        Assert.Equal(500, sink.Alerts.Count);
        Assert.Equal(500, sink.Alerts.Select(a => a.Flow.Source.Port).Distinct().Count());
        Assert.Equal(500, source.CommittedPosition);
    }

    [Fact]
    public async Task SinkThatNeverRecovers_StopsThePipeline_WithoutCommittingItsBatch()
    {
        var records = Enumerable.Range(0, 1000).Select(i => CsvFlowDecoder.Record("10.0.0.1", 1000 + i, "203.0.113.7", 443, "shop", second: i)).ToList();
        var sink = new RecordingSink();
        sink.FailNext(int.MaxValue);
        var source = new MemoryRecordSource(records);
        var pipeline = Build(source, [Intel("203.0.113.7")], [sink], new MemoryDeadLetterSink(),
            new PipelineOptions { BatchSize = 100, DedupeWindow = TimeSpan.Zero, SinkMaxAttempts = 3, SinkInitialBackoff = TimeSpan.FromMilliseconds(1), SinkMaxBackoff = TimeSpan.FromMilliseconds(2) });

        var error = await Assert.ThrowsAsync<SinkFailedException>(() => pipeline.RunAsync(CancellationToken.None));

        Assert.Equal("recording", error.Sink);
        Assert.Equal(0, source.CommittedPosition);
        // The batch that gave up tried exactly SinkMaxAttempts times; the others in flight (up to Pipeline:SinkParallelism)
        // tried at most that often before the stop cancelled their retries.
        Assert.Equal(3, sink.AttemptsByBatch.Values.Max());
        Assert.All(sink.AttemptsByBatch.Values, attempts => Assert.InRange(attempts, 1, 3));
        Assert.InRange(sink.AttemptsByBatch.Count, 1, new PipelineOptions().SinkParallelism);
        Assert.InRange(sink.Attempts, 3, 3 * new PipelineOptions().SinkParallelism);
        Assert.True(sink.Stopped);
    }

    [Fact]
    public async Task Modes_ApplyPerNamespaceAndWorkload_AndDedupeFoldsRepeatsInEventTime()
    {
        var records = new List<byte[]>
        {
            CsvFlowDecoder.Record("10.0.0.1", 1000, "203.0.113.7", 443, "shop", second: 0),
            CsvFlowDecoder.Record("10.0.0.1", 1001, "203.0.113.7", 443, "shop", second: 10),
            CsvFlowDecoder.Record("10.0.0.1", 1002, "203.0.113.7", 443, "shop", second: 20),
            CsvFlowDecoder.Record("10.0.0.1", 1003, "203.0.113.7", 443, "shop", second: 70),
            CsvFlowDecoder.Record("10.0.0.2", 1004, "203.0.113.7", 443, "payments", second: 0),
            CsvFlowDecoder.Record("10.0.0.3", 1005, "203.0.113.7", 443, "other", second: 0),
        };
        var sink = new RecordingSink();
        var modes = new ModeOptions { Default = "log", Namespaces = { ["shop"] = "alert", ["payments"] = "block" } };
        var pipeline = Build(new MemoryRecordSource(records), [Intel("203.0.113.7")], [sink], new MemoryDeadLetterSink(),
            new PipelineOptions { DedupeWindow = TimeSpan.FromMinutes(1) }, modes);

        await pipeline.RunAsync(CancellationToken.None);

        var alerts = sink.Alerts.ToList();
        Assert.Equal(4, alerts.Count);
        Assert.Equal([1000, 1003, 1004, 1005], alerts.Select(a => (int)a.Flow.Source.Port));
        Assert.Equal([1L, 3L, 1L, 1L], alerts.Select(a => a.DedupeCount));
        Assert.Equal([Mode.Alert, Mode.Alert, Mode.Block, Mode.Log], alerts.Select(a => a.Mode));
    }

    [Fact]
    public void ModeResolver_WorkloadWinsOverNamespace_IngressUsesDestination()
    {
        var resolver = new ModeResolver(new ModeOptions { Default = "alert", Namespaces = { ["shop"] = "block" }, Workloads = { ["shop/frontend"] = "log" } });
        Assert.Equal(Mode.Log, resolver.Resolve(Flows.Tcp("10.0.0.1", 1, "10.0.0.2", 2, "shop", workload: "frontend")));
        Assert.Equal(Mode.Block, resolver.Resolve(Flows.Tcp("10.0.0.1", 1, "10.0.0.2", 2, "shop", workload: "cart")));
        Assert.Equal(Mode.Alert, resolver.Resolve(Flows.Tcp("10.0.0.1", 1, "10.0.0.2", 2, "shop", "web", direction: TrafficDirection.Ingress)));
        Assert.Equal(Mode.Alert, resolver.Resolve(Flows.Tcp("10.0.0.1", 1, "10.0.0.2", 2)));
        var invalid = new ModeOptionsValidator().Validate(null, new ModeOptions { Default = "drop", Namespaces = { ["x"] = "nope" }, Workloads = { ["noslash"] = "log" } });
        Assert.Equal(3, invalid.Failures!.Count());
        Assert.Contains(invalid.Failures!, f => f.StartsWith("Modes:Namespaces:x", StringComparison.Ordinal));
    }

    [Fact]
    public void Decider_BlocksOnlyWhereTheNamespaceBlocks_AndOnlyFindingsThatAskForIt()
    {
        var decider = new AlertDecider(new ModeResolver(new ModeOptions { Default = "alert", Namespaces = { ["shop"] = "block" } }), _metrics, TimeSpan.Zero, 100);
        Alert Make(string ns, bool? requestsBlock, int i) => new()
        {
            Id = "a" + i, Timestamp = DateTimeOffset.UnixEpoch, Detector = DetectorKinds.Signature, RuleId = "1", RuleName = "r", Severity = 2,
            RiskScore = 70, Explanation = "x", DedupeKey = "k" + i, RequestsBlock = requestsBlock, Flow = Flows.Tcp("10.0.0.1", 1, "10.0.0.2", 2, ns),
        };

        // drop/reject rule, alert rule, a detector that leaves it to the mode: in a blocking namespace, then elsewhere.
        var decided = decider.Decide([Make("shop", true, 1), Make("shop", false, 2), Make("shop", null, 3), Make("web", true, 4), Make("web", null, 5)]);
        Assert.Equal([Mode.Block, Mode.Alert, Mode.Block, Mode.Alert, Mode.Alert], decided.Select(a => a.Mode));
    }

    [Fact]
    public async Task InProcessTransport_BackpressuresPublishers_AndDrainsOnCompletion()
    {
        var transport = new InProcessRecordSource(_metrics, capacity: 64);
        var sink = new SlowSink(TimeSpan.FromMilliseconds(20));
        var options = new PipelineOptions { BatchSize = 32, StageBuffer = 1, DedupeWindow = TimeSpan.Zero };
        var pipeline = Build(transport, [Intel("203.0.113.7")], [sink], new MemoryDeadLetterSink(), options);
        sink.Stats = pipeline.Stats;
        var run = pipeline.RunAsync(CancellationToken.None);
        for (int i = 0; i < 2000; i++)
        {
            await transport.PublishAsync(new RawRecord(CsvFlowDecoder.Record("10.0.0.1", i, "203.0.113.7", 443, "shop", second: i), "t", i + 1), CancellationToken.None);
        }

        transport.Complete();
        await run;

        Assert.Equal(2000, sink.Count);
        Assert.Equal(2000, transport.CommittedPosition("t"));
        // Publisher waits once the channel (64) and the graph's bounded buffers are full.
        Assert.InRange(sink.MaxInFlight, 1, 1000);
    }

    private sealed class ThrowingDetector : IDetector
    {
        public string Id => "throwing";

        public ComponentKind Kind => ComponentKind.Detector;

        public string DetectorKind => "test";

        public void Detect(IReadOnlyList<FlowEvent> batch, ICollection<Alert> alerts) => throw new InvalidOperationException("boom");
    }

    private sealed class SlowSink(TimeSpan delay) : IAlertSink
    {
        public PipelineStats? Stats { get; set; }

        private long _maxInFlight;
        private int _count;

        public long MaxInFlight => Interlocked.Read(ref _maxInFlight);

        public int Count => Volatile.Read(ref _count);

        public string Id => "slow";

        public ComponentKind Kind => ComponentKind.Sink;

        public async ValueTask WriteAsync(IReadOnlyList<Alert> alerts, CancellationToken cancellationToken)
        {
            long inFlight = Stats?.InFlightEvents ?? 0;
            long seen;
            while (inFlight > (seen = Interlocked.Read(ref _maxInFlight)) && Interlocked.CompareExchange(ref _maxInFlight, inFlight, seen) != seen)
            {
            }

            await Task.Delay(delay, cancellationToken);
            Interlocked.Add(ref _count, alerts.Count);
        }
    }
}
