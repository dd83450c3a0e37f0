using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using NetSecStream.Core.Components;
using NetSecStream.Core.Ecs;
using NetSecStream.Core.Events;
using NetSecStream.Core.Telemetry;
using NetSecStream.Sinks.Eve;
using NetSecStream.Sinks.Tests.Files;

namespace NetSecStream.Sinks.Tests.Eve;

public sealed class EveFileSinkTests : IDisposable
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
    public async Task WriteAsync_WritesOneEveLinePerAlert_InEveJsonFiles()
    {
        await using var sink = CreateSink();

        await sink.WriteAsync(SinkSamples.Alerts(0, 3), CancellationToken.None);
        await sink.WriteAsync(SinkSamples.Alerts(3, 2), CancellationToken.None);

        string file = Assert.Single(_dir.Files("*"));
        Assert.Equal("eve-20250601-123045-000.json", Path.GetFileName(file));
        var lines = SinkSamples.ReadLines(file);
        Assert.Equal(5, lines.Count);
        Assert.All(lines, line =>
        {
            Assert.Equal("alert", line.GetProperty("event_type").GetString());
            Assert.Equal(1000001, line.GetProperty("alert").GetProperty("signature_id").GetInt64());
        });
        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"alert-{i:D6}"),
            lines.Select(l => l.GetProperty("alert").GetProperty("metadata").GetProperty("netsec_alert_id")[0].GetString()));
    }

    [Fact]
    public async Task WriteAsync_Line_IsExactlyEveJsonOfTheAlert()
    {
        await using var sink = CreateSink();
        var alert = SinkSamples.Alert(1);

        await sink.WriteAsync([alert], CancellationToken.None);

        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new System.Text.Json.Utf8JsonWriter(buffer, EcsJson.WriterOptions))
        {
            EveJson.WriteAlert(writer, alert);
        }

        Assert.Equal(Encoding.UTF8.GetString(buffer.WrittenSpan) + "\n", await File.ReadAllTextAsync(Assert.Single(_dir.Files("eve-*.json"))));
    }

    [Fact]
    public async Task WriteAsync_PastMaxFileBytes_RotatesWithoutSplittingLines()
    {
        await using (var probe = CreateSink(o => o.Directory = Path.Combine(_dir.Path, "probe")))
        {
            await probe.WriteAsync([SinkSamples.Alert(0)], CancellationToken.None);
        }

        long lineLength = new FileInfo(Directory.GetFiles(Path.Combine(_dir.Path, "probe")).Single()).Length;
        long limit = (lineLength * 2) + (lineLength / 2);
        await using var sink = CreateSink(o => o.MaxFileBytes = limit);

        await sink.WriteAsync(SinkSamples.Alerts(0, 5), CancellationToken.None);

        string[] files = _dir.Files("eve-*.json");
        Assert.Equal(["eve-20250601-123045-000.json", "eve-20250601-123045-001.json", "eve-20250601-123045-002.json"], files.Select(Path.GetFileName));
        Assert.All(files, f => Assert.True(new FileInfo(f).Length <= limit, f + " is over the limit"));
        Assert.Equal(5, files.Sum(f => SinkSamples.ReadLines(f).Count));
    }

    [Fact]
    public async Task WriteAsync_PastMaxFileAge_StartsANewFile()
    {
        await using var sink = CreateSink(o => o.MaxFileAge = TimeSpan.FromMinutes(1));

        await sink.WriteAsync(SinkSamples.Alerts(0, 1), CancellationToken.None);
        _time.Advance(TimeSpan.FromMinutes(1));
        await sink.WriteAsync(SinkSamples.Alerts(1, 1), CancellationToken.None);

        Assert.Equal(["eve-20250601-123045-000.json", "eve-20250601-123145-000.json"], _dir.Files("eve-*.json").Select(Path.GetFileName));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task WriteAsync_ReturnsOnlyOnceTheBatchIsInTheFile_WithOrWithoutFsync(bool fsync)
    {
        await using var sink = CreateSink(o => o.FsyncOnWrite = fsync);

        await sink.WriteAsync(SinkSamples.Alerts(0, 4), CancellationToken.None);

        // Still open: what a reader (Filebeat, EveBox) sees now is every line of the acknowledged batch.
        Assert.NotNull(sink.CurrentFile);
        using var reader = new FileStream(sink.CurrentFile!, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var text = new StreamReader(reader);
        string content = await text.ReadToEndAsync();
        Assert.Equal(4, content.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.EndsWith("\n", content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WriteAsync_CountsUnderEveFile_AndSkipsAnAlertThatCannotBeWritten()
    {
        using var recorder = new MetricsRecorder(_metrics);
        await using var sink = CreateSink();
        var broken = new Alert
        {
            Id = "broken",
            Timestamp = SinkSamples.Start,
            Detector = DetectorKinds.Intel,
            RuleId = "r",
            RuleName = "r",
            Severity = 2,
            RiskScore = 50,
            Explanation = "x",
            DedupeKey = "k",
            Flow = null!,
        };

        await sink.WriteAsync([SinkSamples.Alert(0), broken, SinkSamples.Alert(1)], CancellationToken.None);

        Assert.Equal(2, SinkSamples.ReadLines(Assert.Single(_dir.Files("eve-*.json"))).Count);
        Assert.Equal(3, recorder.Total("netsec_events_in", EveFileSink.ComponentId));
        Assert.Equal(2, recorder.Total("netsec_events_out", EveFileSink.ComponentId));
        Assert.Equal(1, recorder.Total("netsec_events_rejected", EveFileSink.ComponentId));
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

        Assert.Equal(1, recorder.Total("netsec_sink_errors", EveFileSink.ComponentId));
        Assert.Equal(0, recorder.Total("netsec_events_out", EveFileSink.ComponentId));
    }

    [Fact]
    public async Task WriteAsync_AfterStop_Throws()
    {
        var sink = CreateSink();
        await sink.StartAsync(CancellationToken.None);
        await sink.StopAsync(CancellationToken.None);

        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await sink.WriteAsync(SinkSamples.Alerts(0, 1), CancellationToken.None));
    }

    [Fact]
    public void Options_Invalid_FailWithTheFullKey()
    {
        var result = new EveFileSinkOptionsValidator().Validate(null, new EveFileSinkOptions { Directory = "", MaxFileBytes = 0, MaxFileAge = TimeSpan.Zero });

        Assert.True(result.Failed);
        Assert.Equal(3, result.Failures!.Count());
        Assert.All(result.Failures!, f => Assert.StartsWith("Sinks:Eve:", f, StringComparison.Ordinal));
        Assert.Throws<ArgumentException>(() => new EveFileSink(new EveFileSinkOptions(), _metrics));
    }

    [Fact]
    public async Task AddEveFileSink_FromConfiguration_RegistersTheSinkWithBoundOptions_AndRejectsBadValues()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Sinks:Eve:Directory"] = "/tmp/netsec-eve",
            ["Sinks:Eve:MaxFileBytes"] = "1048576",
            ["Sinks:Eve:FsyncOnWrite"] = "false",
        }).Build();
        await using (var provider = new ServiceCollection().AddEveFileSink(config.GetSection(EveFileSinkOptions.SectionName)).BuildServiceProvider())
        {
            provider.GetRequiredService<IStartupValidator>().Validate();
            var options = provider.GetRequiredService<IOptions<EveFileSinkOptions>>().Value;
            Assert.Equal("/tmp/netsec-eve", options.Directory);
            Assert.Equal(1048576, options.MaxFileBytes);
            Assert.False(options.FsyncOnWrite);
            Assert.Same(provider.GetRequiredService<EveFileSink>(), Assert.Single(provider.GetServices<IAlertSink>()));
        }

        var bad = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Sinks:Eve:Directory"] = "/tmp/x", ["Sinks:Eve:MaxFileBytes"] = "0" }).Build();
        await using (var provider = new ServiceCollection().AddEveFileSink(bad.GetSection(EveFileSinkOptions.SectionName)).BuildServiceProvider())
        {
            var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
            Assert.Contains("Sinks:Eve:MaxFileBytes must be > 0", ex.Message, StringComparison.Ordinal);
        }
    }

    private EveFileSink CreateSink(Action<EveFileSinkOptions>? configure = null)
    {
        var options = new EveFileSinkOptions { Directory = _dir.Path };
        configure?.Invoke(options);
        return new EveFileSink(options, _metrics, time: _time);
    }
}
