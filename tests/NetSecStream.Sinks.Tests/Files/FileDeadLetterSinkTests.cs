using System.Text;
using System.Text.Json;
using NetSecStream.Core.Components;
using NetSecStream.Core.Telemetry;
using NetSecStream.Sinks.Files;

namespace NetSecStream.Sinks.Tests.Files;

public sealed class FileDeadLetterSinkTests : IDisposable
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
    public async Task WriteAsync_TextPayload_WritesReasonPositionAndText()
    {
        await using var sink = CreateSink();
        var time = new DateTimeOffset(2025, 6, 1, 14, 30, 45, 123, TimeSpan.FromHours(2));

        await sink.WriteAsync(Letter("{\"broken\": json", position: 4711, reason: "invalid JSON: unexpected end", time: time), CancellationToken.None);

        var line = Assert.Single(SinkSamples.ReadLines(Assert.Single(_dir.Files("deadletter-*.ndjson"))));
        Assert.Equal("2025-06-01T12:30:45.123Z", line.GetProperty("time").GetString());
        Assert.Equal("decode", line.GetProperty("stage").GetString());
        Assert.Equal("file:/var/log/hubble/flows.json", line.GetProperty("origin").GetString());
        Assert.Equal(4711, line.GetProperty("position").GetInt64());
        Assert.Equal("invalid JSON: unexpected end", line.GetProperty("reason").GetString());
        Assert.Equal("{\"broken\": json", line.GetProperty("payload").GetString());
        Assert.Equal("utf8", line.GetProperty("payload_encoding").GetString());
        Assert.Equal(15, line.GetProperty("payload_bytes").GetInt32());
        Assert.False(line.TryGetProperty("payload_truncated", out _));
    }

    [Fact]
    public async Task WriteAsync_BinaryPayload_WritesBase64()
    {
        await using var sink = CreateSink();
        byte[] binary = [0x00, 0xff, 0xfe, 0x80, 0x41, 0x0a];

        await sink.WriteAsync(Letter(binary), CancellationToken.None);

        var line = Assert.Single(SinkSamples.ReadLines(Assert.Single(_dir.Files("deadletter-*.ndjson"))));
        Assert.Equal("base64", line.GetProperty("payload_encoding").GetString());
        Assert.Equal(binary, line.GetProperty("payload").GetBytesFromBase64());
    }

    [Fact]
    public async Task WriteAsync_LargeBinaryPayload_IsTruncatedTo64KiBAndFlagged()
    {
        await using var sink = CreateSink();
        byte[] binary = new byte[100_000];
        new Random(7).NextBytes(binary);
        binary[0] = 0xff;

        await sink.WriteAsync(Letter(binary), CancellationToken.None);

        var line = Assert.Single(SinkSamples.ReadLines(Assert.Single(_dir.Files("deadletter-*.ndjson"))));
        Assert.True(line.GetProperty("payload_truncated").GetBoolean());
        Assert.Equal(100_000, line.GetProperty("payload_bytes").GetInt32());
        Assert.Equal(binary.AsSpan(0, FileDeadLetterSink.MaxPayloadBytes).ToArray(), line.GetProperty("payload").GetBytesFromBase64());
    }

    [Fact]
    public async Task WriteAsync_LargeTextPayloadCutInsideACharacter_KeepsValidText()
    {
        await using var sink = CreateSink();

        // 'é' is two bytes; with one leading ASCII byte the 64 KiB cut falls in the middle of one.
        string text = "x" + new string('é', 40_000);

        await sink.WriteAsync(Letter(Encoding.UTF8.GetBytes(text)), CancellationToken.None);

        var line = Assert.Single(SinkSamples.ReadLines(Assert.Single(_dir.Files("deadletter-*.ndjson"))));
        Assert.Equal("utf8", line.GetProperty("payload_encoding").GetString());
        Assert.True(line.GetProperty("payload_truncated").GetBoolean());
        string kept = line.GetProperty("payload").GetString()!;
        Assert.Equal(FileDeadLetterSink.MaxPayloadBytes - 1, Encoding.UTF8.GetByteCount(kept));
        Assert.StartsWith(kept, text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WriteAsync_ManyLetters_RotatesBySizeAndKeepsEveryLine()
    {
        await using var sink = CreateSink(o => o.MaxFileBytes = 1024);
        using var recorder = new MetricsRecorder(_metrics);

        for (int i = 0; i < 20; i++)
        {
            await sink.WriteAsync(Letter(Encoding.UTF8.GetBytes(new string('a', 200)), position: i), CancellationToken.None);
        }

        string[] files = _dir.Files("deadletter-*.ndjson");
        Assert.True(files.Length > 1);
        Assert.All(files, f => Assert.True(new FileInfo(f).Length <= 1024));
        var positions = files.SelectMany(SinkSamples.ReadLines).Select(l => l.GetProperty("position").GetInt64());
        Assert.Equal(Enumerable.Range(0, 20).Select(i => (long)i), positions);
        Assert.Equal(20, recorder.Total("netsec_events_out", FileDeadLetterSink.ComponentId));
    }

    [Fact]
    public async Task WriteAsync_PastMaxFileAge_Rotates()
    {
        await using var sink = CreateSink(o => o.MaxFileAge = TimeSpan.FromMinutes(5));

        await sink.WriteAsync(Letter("a"u8.ToArray()), CancellationToken.None);
        _time.Advance(TimeSpan.FromMinutes(5));
        await sink.WriteAsync(Letter("b"u8.ToArray()), CancellationToken.None);

        Assert.Equal(
            ["deadletter-20250601-123045-000.ndjson", "deadletter-20250601-123545-000.ndjson"],
            _dir.Files("deadletter-*.ndjson").Select(Path.GetFileName));
    }

    [Fact]
    public void WriteRecord_EscapesControlCharactersInText()
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            FileDeadLetterSink.WriteRecord(writer, Letter("line1\nline2\t\"q\"\u0001"u8.ToArray()));
        }

        using var doc = JsonDocument.Parse(stream.ToArray());
        Assert.Equal("line1\nline2\t\"q\"\u0001", doc.RootElement.GetProperty("payload").GetString());
        Assert.DoesNotContain((byte)'\n', stream.ToArray());
    }

    private static DeadLetter Letter(byte[] payload, long position = 1, string reason = "bad input") =>
        new("decode", "file:/var/log/hubble/flows.json", position, reason, payload, SinkSamples.Start);

    private static DeadLetter Letter(string payload, long position, string reason, DateTimeOffset time) =>
        new("decode", "file:/var/log/hubble/flows.json", position, reason, Encoding.UTF8.GetBytes(payload), time);

    private FileDeadLetterSink CreateSink(Action<FileDeadLetterOptions>? configure = null)
    {
        var options = new FileDeadLetterOptions { Directory = _dir.Path };
        configure?.Invoke(options);
        return new FileDeadLetterSink(options, _metrics, time: _time);
    }
}
