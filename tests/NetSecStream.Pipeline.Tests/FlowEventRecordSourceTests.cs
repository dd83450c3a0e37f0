using System.Runtime.CompilerServices;
using NetSecStream.Core.Components;
using NetSecStream.Core.Telemetry;
using NetSecStream.Pipeline.Decide;
using NetSecStream.Pipeline.Detectors.Intel;
using NetSecStream.Pipeline.Enrichment;
using NetSecStream.Testing;

namespace NetSecStream.Pipeline.Tests;

/// <summary>Collectors that decode their own input run through the same graph: flows skip the decoder, rejections are dead-lettered.</summary>
public sealed class FlowEventRecordSourceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("netsec-flowsource-").FullName;
    private readonly NetSecMetrics _metrics = new();

    public void Dispose()
    {
        _metrics.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Pipeline_OverAFlowEventSource_AlertsOnItsFlows_DeadLettersItsRejections_CommitsThroughIt()
    {
        var inner = new ScriptedFlowSource(flows: 1000, rejectEvery: 100);
        string feed = Path.Combine(_dir, "feed.txt");
        await File.WriteAllLinesAsync(feed, ["203.0.113.7"]);
        var sink = new RecordingSink();
        var deadLetters = new MemoryDeadLetterSink();
        var pipeline = new FlowPipeline(new PipelineOptions { BatchSize = 64, DedupeWindow = TimeSpan.Zero },
            new PipelineComponents(new FlowEventRecordSource(inner, _metrics), new ThrowingDecoder(), [new CommunityIdEnricher()],
                [new IntelDetector(new IntelOptions { Paths = [feed] }, _metrics)], [sink], deadLetters),
            new ModeResolver(new ModeOptions()), _metrics);

        await pipeline.RunAsync(CancellationToken.None);

        Assert.Equal(1000, pipeline.Stats.EventsDecoded);
        Assert.Equal(10, pipeline.Stats.Rejected);
        Assert.Equal(100, sink.Alerts.Count);
        Assert.All(sink.Alerts, a => Assert.StartsWith("1:", a.Flow.CommunityId, StringComparison.Ordinal));
        Assert.Equal(10, deadLetters.Items.Count);
        Assert.All(deadLetters.Items, d => Assert.Equal("datagram too short", d.Reason));
        Assert.All(deadLetters.Items, d => Assert.Equal(3, d.Payload.Length));
        Assert.Equal(1009, inner.Committed);
    }

    private sealed class ScriptedFlowSource(int flows, int rejectEvery) : IFlowEventSource
    {
        public string Id => "scripted";

        public ComponentKind Kind => ComponentKind.Source;

        public long Committed { get; private set; } = -1;

        public event Action<DeadLetter>? Rejected;

        public async IAsyncEnumerable<SourcedFlow> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await Task.Yield();
            for (int i = 0; i < flows; i++)
            {
                if (i % rejectEvery == 0)
                {
                    Rejected?.Invoke(new DeadLetter("netflow", "exporter-a", i + (i / rejectEvery), "datagram too short", new byte[3], DateTimeOffset.UtcNow));
                }

                var flow = Flows.Tcp("10.0.0.1", (ushort)(1000 + i), i % 10 == 0 ? "203.0.113.7" : "10.1.0.1", 443, "shop");
                yield return new SourcedFlow(flow, "exporter-a", i + (i / rejectEvery) + 1);
            }
        }

        public ValueTask CommitAsync(string origin, long position, CancellationToken cancellationToken)
        {
            Committed = Math.Max(Committed, position);
            return ValueTask.CompletedTask;
        }
    }

    private sealed class ThrowingDecoder : IFlowDecoder
    {
        public string Id => "unused";

        public ComponentKind Kind => ComponentKind.Decoder;

        public DecodeResult Decode(ReadOnlySpan<byte> payload) => throw new InvalidOperationException("a pre-decoded record reached the decoder");
    }
}
