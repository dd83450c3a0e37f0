using System.Text;
using System.Text.RegularExpressions;
using NetSecStream.Core.Ecs;
using NetSecStream.Core.Events;
using NetSecStream.Core.Telemetry;
using NetSecStream.Sinks.Files;

namespace NetSecStream.Sinks.Tests.Files;

public sealed partial class FileSinkTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly ManualTimeProvider _time = new(SinkSamples.Start);
    private readonly NetSecMetrics _metrics = new();

    public void Dispose()
    {
        _metrics.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task WriteAsync_Batches_WritesOneEcsLinePerAlertInOrder()
    {
        await using var sink = CreateSink();

        await sink.WriteAsync(SinkSamples.Alerts(0, 5), CancellationToken.None);
        await sink.WriteAsync(SinkSamples.Alerts(5, 3), CancellationToken.None);

        string file = Assert.Single(_dir.Files("*.ndjson"));
        Assert.Equal("alerts-20250601-123045-000.ndjson", Path.GetFileName(file));
        var lines = SinkSamples.ReadLines(file);
        Assert.Equal(Enumerable.Range(0, 8).Select(i => $"alert-{i:D6}"), lines.Select(SinkSamples.EventId));
        Assert.All(lines, line =>
        {
            Assert.Equal("alert", line.GetProperty("event").GetProperty("kind").GetString());
            Assert.Equal(SchemaVersion.Current, line.GetProperty("netsec").GetProperty("schema_version").GetString());
        });
    }

    [Fact]
    public async Task WriteAsync_Line_IsExactlyTheEcsDocument()
    {
        await using var sink = CreateSink();
        var alert = SinkSamples.Alert(1);

        await sink.WriteAsync([alert], CancellationToken.None);

        byte[] written = File.ReadAllBytes(Assert.Single(_dir.Files("alerts-*.ndjson")));
        Assert.Equal(Encoding.UTF8.GetString(EcsJson.SerializeAlert(alert)) + "\n", Encoding.UTF8.GetString(written));
    }

    [Fact]
    public async Task WriteAsync_PastMaxFileBytes_RotatesWithoutSplittingLines()
    {
        int lineLength = EcsJson.SerializeAlert(SinkSamples.Alert(0)).Length + 1;
        await using var sink = CreateSink(o => o.MaxFileBytes = (lineLength * 3) + (lineLength / 2));

        await sink.WriteAsync(SinkSamples.Alerts(0, 4), CancellationToken.None);
        await sink.WriteAsync(SinkSamples.Alerts(4, 6), CancellationToken.None);

        string[] files = _dir.Files("alerts-*.ndjson");
        Assert.Equal(
            ["alerts-20250601-123045-000.ndjson", "alerts-20250601-123045-001.ndjson", "alerts-20250601-123045-002.ndjson", "alerts-20250601-123045-003.ndjson"],
            files.Select(Path.GetFileName));
        Assert.All(files, f => Assert.True(new FileInfo(f).Length <= (lineLength * 3) + (lineLength / 2), f + " is over the limit"));
        var ids = files.SelectMany(SinkSamples.ReadLines).Select(SinkSamples.EventId);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"alert-{i:D6}"), ids);
    }

    [Fact]
    public async Task WriteAsync_LineLargerThanMaxFileBytes_GetsAFileOfItsOwn()
    {
        await using var sink = CreateSink(o => o.MaxFileBytes = 100);

        await sink.WriteAsync(SinkSamples.Alerts(0, 3), CancellationToken.None);

        string[] files = _dir.Files("alerts-*.ndjson");
        Assert.Equal(3, files.Length);
        Assert.All(files, f => Assert.Single(SinkSamples.ReadLines(f)));
    }

    [Fact]
    public async Task WriteAsync_PastMaxFileAge_StartsANewFileNamedForTheNewTime()
    {
        await using var sink = CreateSink(o => o.MaxFileAge = TimeSpan.FromMinutes(1));

        await sink.WriteAsync(SinkSamples.Alerts(0, 1), CancellationToken.None);
        _time.Advance(TimeSpan.FromSeconds(59));
        await sink.WriteAsync(SinkSamples.Alerts(1, 1), CancellationToken.None);
        _time.Advance(TimeSpan.FromSeconds(1));
        await sink.WriteAsync(SinkSamples.Alerts(2, 1), CancellationToken.None);

        string[] files = _dir.Files("alerts-*.ndjson");
        Assert.Equal(["alerts-20250601-123045-000.ndjson", "alerts-20250601-123145-000.ndjson"], files.Select(Path.GetFileName));
        Assert.Equal(["alert-000000", "alert-000001"], SinkSamples.ReadLines(files[0]).Select(SinkSamples.EventId));
        Assert.Equal(["alert-000002"], SinkSamples.ReadLines(files[1]).Select(SinkSamples.EventId));
    }

    [Fact]
    public async Task WriteAsync_AfterRestartInTheSameSecond_NeverAppendsToTheEarlierFile()
    {
        var first = CreateSink();
        await first.WriteAsync(SinkSamples.Alerts(0, 2), CancellationToken.None);
        await first.StopAsync(CancellationToken.None);
        string earlier = Assert.Single(_dir.Files("alerts-*.ndjson"));

        // A crash in the middle of a line leaves a torn last line behind.
        await File.AppendAllTextAsync(earlier, "{\"@timestamp\":\"2025-06-01T12:3");

        await using var second = CreateSink();
        await second.WriteAsync(SinkSamples.Alerts(2, 2), CancellationToken.None);

        string[] files = _dir.Files("alerts-*.ndjson");
        Assert.Equal(["alerts-20250601-123045-000.ndjson", "alerts-20250601-123045-001.ndjson"], files.Select(Path.GetFileName));
        string[] earlierLines = await File.ReadAllLinesAsync(earlier);
        Assert.Equal(3, earlierLines.Length);
        Assert.Equal(["alert-000002", "alert-000003"], SinkSamples.ReadLines(files[1]).Select(SinkSamples.EventId));
    }

    [Fact]
    public async Task WriteFlowsAsync_IncludeFlowsOff_WritesNothing()
    {
        await using var sink = CreateSink();

        await sink.WriteFlowsAsync([SinkSamples.Flow(1)], CancellationToken.None);

        Assert.Empty(_dir.Files("*"));
    }

    [Fact]
    public async Task WriteFlowsAsync_IncludeFlowsOn_WritesFlowFilesBesideAlertFiles()
    {
        await using var sink = CreateSink(o => o.IncludeFlows = true);

        await sink.WriteFlowsAsync([SinkSamples.Flow(1), SinkSamples.Flow(2)], CancellationToken.None);
        await sink.WriteAsync([SinkSamples.Alert(3)], CancellationToken.None);

        var flows = SinkSamples.ReadLines(Assert.Single(_dir.Files("flows-*.ndjson")));
        Assert.Equal(2, flows.Count);
        Assert.All(flows, line => Assert.Equal("event", line.GetProperty("event").GetProperty("kind").GetString()));
        Assert.Equal(40001, flows[0].GetProperty("source").GetProperty("port").GetInt32());
        Assert.Single(SinkSamples.ReadLines(Assert.Single(_dir.Files("alerts-*.ndjson"))));
    }

    [Fact]
    public async Task WriteAsync_CallsFromManyThreads_LoseAndInterleaveNothing()
    {
        await using var sink = CreateSink(o => o.MaxFileBytes = 64 * 1024);

        var writers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            for (int batch = 0; batch < 25; batch++)
            {
                await sink.WriteAsync(SinkSamples.Alerts((w * 1000) + (batch * 4), 4), CancellationToken.None);
            }
        }));
        await Task.WhenAll(writers);

        var ids = _dir.Files("alerts-*.ndjson").SelectMany(SinkSamples.ReadLines).Select(SinkSamples.EventId).ToList();
        Assert.Equal(8 * 25 * 4, ids.Count);
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }

    [Fact]
    public async Task WriteAsync_CountsEventsInAndOutForComponentFile()
    {
        using var recorder = new MetricsRecorder(_metrics);
        await using var sink = CreateSink();

        await sink.WriteAsync(SinkSamples.Alerts(0, 7), CancellationToken.None);

        Assert.Equal(7, recorder.Total("netsec_events_in", "file"));
        Assert.Equal(7, recorder.Total("netsec_events_out", "file"));
        Assert.Equal(0, recorder.Total("netsec_sink_errors", "file"));
    }

    [Fact]
    public async Task WriteAsync_DirectoryIsAFile_ThrowsAndCountsSinkError()
    {
        Directory.CreateDirectory(_dir.Path);
        string blocked = Path.Combine(_dir.Path, "not-a-directory");
        await File.WriteAllTextAsync(blocked, "x");
        using var recorder = new MetricsRecorder(_metrics);
        await using var sink = CreateSink(o => o.Directory = blocked);

        await Assert.ThrowsAsync<IOException>(async () => await sink.WriteAsync(SinkSamples.Alerts(0, 2), CancellationToken.None));

        Assert.Equal(1, recorder.Total("netsec_sink_errors", "file"));
        Assert.Equal(2, recorder.Total("netsec_events_in", "file"));
        Assert.Equal(0, recorder.Total("netsec_events_out", "file"));
    }

    [Fact]
    public async Task WriteAsync_UnserialisableAlert_IsSkippedAndCountedTheRestWritten()
    {
        using var recorder = new MetricsRecorder(_metrics);
        await using var sink = CreateSink();
        var broken = new Alert
        {
            Id = "broken",
            Timestamp = SinkSamples.Start,
            Detector = DetectorKinds.Signature,
            RuleId = "1",
            RuleName = "r",
            Severity = 1,
            RiskScore = 1,
            Explanation = "",
            DedupeKey = "",
            Flow = null!,
        };

        await sink.WriteAsync([SinkSamples.Alert(1), broken, SinkSamples.Alert(2)], CancellationToken.None);

        var ids = SinkSamples.ReadLines(Assert.Single(_dir.Files("alerts-*.ndjson"))).Select(SinkSamples.EventId);
        Assert.Equal(["alert-000001", "alert-000002"], ids);
        Assert.Equal(1, recorder.Total("netsec_events_rejected", "file"));
        Assert.Equal(2, recorder.Total("netsec_events_out", "file"));
    }

    [Fact]
    public async Task WriteAsync_AfterStop_Throws()
    {
        var sink = CreateSink();
        await sink.StopAsync(CancellationToken.None);

        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await sink.WriteAsync(SinkSamples.Alerts(0, 1), CancellationToken.None));
    }

    [Fact]
    public async Task StartAsync_CreatesTheDirectory_NoFileUntilTheFirstWrite()
    {
        await using var sink = CreateSink();

        await sink.StartAsync(CancellationToken.None);

        Assert.True(Directory.Exists(_dir.Path));
        Assert.Empty(_dir.Files("*"));
        Assert.Equal("file", sink.Id);
    }

    [Fact]
    public async Task FileNames_FollowThePattern()
    {
        await using var sink = CreateSink(o => o.IncludeFlows = true);

        await sink.WriteAsync(SinkSamples.Alerts(0, 1), CancellationToken.None);
        await sink.WriteFlowsAsync([SinkSamples.Flow(0)], CancellationToken.None);

        Assert.All(_dir.Files("*"), f => Assert.Matches(FileNamePattern(), Path.GetFileName(f)));
    }

    [GeneratedRegex(@"^(alerts|flows)-\d{8}-\d{6}-\d{3}\.ndjson$")]
    private static partial Regex FileNamePattern();

    private FileSink CreateSink(Action<FileSinkOptions>? configure = null)
    {
        var options = new FileSinkOptions { Directory = _dir.Path };
        configure?.Invoke(options);
        return new FileSink(options, _metrics, time: _time);
    }
}
