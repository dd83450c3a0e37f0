using System.Diagnostics.Metrics;
using System.Text;
using Microsoft.Extensions.Options;
using NetSecStream.Collectors.Files;
using NetSecStream.Collectors.Hubble;
using NetSecStream.Core.Telemetry;

namespace NetSecStream.Collectors.Tests.Hubble;

public sealed class JsonLinesFileSourceTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task ReadAsync_SplitsLines_CountsBlankLinesAndKeepsLastLineWithoutNewline()
    {
        string path = _folder.File("flows.json");
        await File.WriteAllTextAsync(path, "one\n\ntwo\r\n  \r\nthree\r\n\nfour");

        var records = await ReadAllAsync(new HubbleFileSourceOptions { Path = path });

        Assert.Equal([("one", 1L), ("two", 3L), ("three", 5L), ("four", 7L)], records.Select(r => (r.Text, r.Line)));
        Assert.All(records, r => Assert.Equal(path, r.Origin));
    }

    [Fact]
    public async Task ReadAsync_EverySampleFile_YieldsOneRecordPerLineThatDecodes()
    {
        var decoder = new HubbleFlowDecoder();
        foreach (var (file, count) in HubbleSamples.LineCounts)
        {
            var source = new JsonLinesFileSource(new HubbleFileSourceOptions { Path = HubbleSamples.PathOf(file) });
            long expectedLine = 0;
            await foreach (var record in source.ReadAsync())
            {
                Assert.Equal(++expectedLine, record.Position);
                var result = decoder.Decode(record.Payload.Span);
                Assert.True(result.IsSuccess, $"{file}:{record.Position}: {result.Error}");
            }

            Assert.Equal(count, expectedLine);
        }
    }

    [Fact]
    public async Task ReadAsync_LinesSpanningManySlabs_ArrivesIntactAndStaysValid()
    {
        string path = _folder.File("big.json");
        var expected = Enumerable.Range(1, 20_000).Select(i => $"line-{i}-" + new string((char)('a' + (i % 26)), i % 300)).ToList();
        await File.WriteAllLinesAsync(path, expected);

        // Hold on to every record before looking at any: payloads must not be overwritten by later reads.
        var held = new List<NetSecStream.Core.Components.RawRecord>();
        await foreach (var record in new JsonLinesFileSource(new HubbleFileSourceOptions { Path = path }).ReadAsync())
        {
            held.Add(record);
        }

        Assert.Equal(expected, held.Select(r => Encoding.UTF8.GetString(r.Payload.Span)));
        Assert.Equal(Enumerable.Range(1, 20_000).Select(i => (long)i), held.Select(r => r.Position));
    }

    [Fact]
    public async Task ReadAsync_MixedGoodAndBadLines_RejectsBadOnesWithTheirLineNumbers()
    {
        string good1 = HubbleSamples.Line("basic-sample-10-flows.json", 1);
        string good2 = HubbleSamples.Line("basic-sample-5-dns-flows.json", 2);
        string good3 = HubbleSamples.Line("basic-sample-5-http-flows.json", 1);
        string good4 = HubbleSamples.Line("basic-sample-400-icmpv4-flows.json", 2);
        string oversized = good3.Replace("Prometheus/2.15.1", new string('p', 9000), StringComparison.Ordinal);
        string path = _folder.File("mixed.json");
        await File.WriteAllTextAsync(path, string.Join("\n", new[]
        {
            good1,                                                     // 1
            "this is not json",                                        // 2
            good2,                                                     // 3
            "",                                                        // 4
            good3[..200],                                              // 5 truncated
            good3 + "\r",                                              // 6 CRLF
            good1.Replace("\"source\":\"10.0.2.16\"", "\"source\":\"10.0.2.999\"", StringComparison.Ordinal), // 7
            oversized,                                                 // 8 longer than MaxLineBytes
            good1.Replace("\"destination_port\":42044", "\"destination_port\":\"x\"", StringComparison.Ordinal), // 9
            good4,                                                     // 10, no final newline
        }));

        var rejectedBySource = new List<(long Line, string Reason)>();
        var source = new JsonLinesFileSource(new HubbleFileSourceOptions { Path = path, MaxLineBytes = 8192 })
        {
            OnRejected = (line, reason) => rejectedBySource.Add((line, reason)),
        };
        var decoder = new HubbleFlowDecoder();
        var decoded = new List<long>();
        var rejectedByDecoder = new List<(long Line, string Reason)>();
        await foreach (var record in source.ReadAsync())
        {
            var result = decoder.Decode(record.Payload.Span);
            if (result.IsSuccess)
            {
                decoded.Add(record.Position);
            }
            else
            {
                rejectedByDecoder.Add((record.Position, result.Error!));
            }
        }

        Assert.Equal([1L, 3, 6, 10], decoded);
        Assert.Equal([2L, 5, 7, 9], rejectedByDecoder.Select(r => r.Line));
        Assert.StartsWith("invalid JSON at byte ", rejectedByDecoder[0].Reason, StringComparison.Ordinal);
        Assert.StartsWith("invalid JSON at byte 200", rejectedByDecoder[1].Reason, StringComparison.Ordinal);
        Assert.Equal("flow.IP.source '10.0.2.999' is not an IP address", rejectedByDecoder[2].Reason);
        Assert.Equal("flow.l4.TCP.destination_port: 'x' is not an unsigned 32-bit integer", rejectedByDecoder[3].Reason);
        Assert.Equal([(8L, "line longer than MaxLineBytes (8192 bytes)")], rejectedBySource);
    }

    [Fact]
    public async Task ReadAsync_OversizedLines_AreSkippedWhetherOrNotTheyFitTheBuffer()
    {
        string path = _folder.File("oversized.json");
        string huge = new('x', 3 * 1024 * 1024);
        await File.WriteAllTextAsync(path, $"a\n{huge}\nb\n{new string('y', 100)}\nc\n{huge}");

        var rejected = new List<long>();
        var source = new JsonLinesFileSource(new HubbleFileSourceOptions { Path = path, MaxLineBytes = 64 })
        {
            OnRejected = (line, _) => rejected.Add(line),
        };
        var records = new List<(string, long)>();
        await foreach (var record in source.ReadAsync())
        {
            records.Add((Encoding.UTF8.GetString(record.Payload.Span), record.Position));
        }

        Assert.Equal([("a", 1L), ("b", 3L), ("c", 5L)], records);
        Assert.Equal([2L, 4, 6], rejected);
    }

    [Fact]
    public async Task ReadAsync_Counts_InOutAndOversizedRejects()
    {
        string path = _folder.File("counted.json");
        await File.WriteAllTextAsync(path, "a\nbb\n" + new string('z', 50) + "\nc\n");
        using var metrics = new NetSecMetrics();
        var totals = new Dictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter == metrics.Meter)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string key = instrument.Name;
            foreach (var tag in tags)
            {
                if (tag.Key == "component")
                {
                    Assert.Equal("hubble_file", tag.Value);
                }
                else if (tag.Key == "reason")
                {
                    key += "/" + tag.Value;
                }
            }

            totals[key] = totals.GetValueOrDefault(key) + value;
        });
        listener.Start();

        var source = new JsonLinesFileSource(new HubbleFileSourceOptions { Path = path, MaxLineBytes = 10 }, metrics: metrics);
        await foreach (var _ in source.ReadAsync())
        {
        }

        Assert.Equal(4, totals["netsec_events_in"]);
        Assert.Equal(3, totals["netsec_events_out"]);
        Assert.Equal(1, totals["netsec_events_rejected/oversized_line"]);
    }

    [Fact]
    public async Task ReadAsync_Stdin_ReadsTheStreamWithStdinOrigin()
    {
        var stdin = new MemoryStream(Encoding.UTF8.GetBytes("{\"a\":1}\r\n\n{\"b\":2}"));
        var source = new JsonLinesFileSource(new HubbleFileSourceOptions { Path = "-" }, null, null, () => stdin);

        var records = new List<(string, long, string)>();
        await foreach (var record in source.ReadAsync())
        {
            records.Add((Encoding.UTF8.GetString(record.Payload.Span), record.Position, record.Origin));
        }

        Assert.Equal([("{\"a\":1}", 1L, "stdin"), ("{\"b\":2}", 3L, "stdin")], records);
        Assert.Equal("stdin", source.Origin);
    }

    [Fact]
    public async Task StartAsync_MissingFileNotFollowed_FailsNamingTheKey()
    {
        string path = _folder.File("absent.json");
        var source = new JsonLinesFileSource(new HubbleFileSourceOptions { Path = path });
        var error = await Assert.ThrowsAsync<FileNotFoundException>(() => source.StartAsync(CancellationToken.None));
        Assert.Equal($"Sources:Hubble:Path '{path}' does not exist", error.Message);
        Assert.Equal("hubble_file", source.Id);
    }

    [Theory]
    [InlineData("", false, false, 250, 1024, "Sources:Hubble:Path is required")]
    [InlineData("  ", false, false, 250, 1024, "Sources:Hubble:Path is required")]
    [InlineData("f.json", false, false, 0, 1024, "Sources:Hubble:PollInterval must be greater than 0 and at most 00:01:00 (was 00:00:00)")]
    [InlineData("f.json", false, false, 250, 0, "Sources:Hubble:MaxLineBytes must be between 1 and 268435456 (was 0)")]
    [InlineData("-", true, false, 250, 1024, "Sources:Hubble:Follow cannot be used with standard input (Path '-'): it is read until it closes")]
    [InlineData("f.json", false, true, 250, 1024, "Sources:Hubble:StartAtEnd requires Follow")]
    public void Validator_BadOptions_NameTheKey(string path, bool follow, bool startAtEnd, int pollMs, int maxLineBytes, string message)
    {
        var options = new HubbleFileSourceOptions
        {
            Path = path,
            Follow = follow,
            StartAtEnd = startAtEnd,
            PollInterval = TimeSpan.FromMilliseconds(pollMs),
            MaxLineBytes = maxLineBytes,
        };
        var result = new HubbleFileSourceOptionsValidator().Validate(null, options);
        Assert.True(result.Failed);
        Assert.Equal([message], result.Failures);
        var thrown = Assert.Throws<OptionsValidationException>(() => new JsonLinesFileSource(options));
        Assert.Contains(message, thrown.Failures);
    }

    [Fact]
    public void Validator_Defaults_WithPath_Succeed()
    {
        Assert.True(new HubbleFileSourceOptionsValidator().Validate(null, new HubbleFileSourceOptions { Path = "flows.json" }).Succeeded);
        Assert.True(new HubbleDecoderOptionsValidator().Validate(null, new HubbleDecoderOptions()).Succeeded);
    }

    [Fact]
    public void DecoderValidator_BadOptions_NameTheKey()
    {
        var result = new HubbleDecoderOptionsValidator().Validate(null, new HubbleDecoderOptions { CollectorId = "", MaxLineBytes = 10 });
        Assert.Equal(["Decoders:Hubble:CollectorId is required", "Decoders:Hubble:MaxLineBytes must be between 64 and 268435456 (was 10)"], result.Failures);
    }

    private static async Task<List<(string Text, long Line, string Origin)>> ReadAllAsync(HubbleFileSourceOptions options)
    {
        var records = new List<(string, long, string)>();
        await foreach (var record in new JsonLinesFileSource(options).ReadAsync())
        {
            records.Add((Encoding.UTF8.GetString(record.Payload.Span), record.Position, record.Origin));
        }

        return records;
    }
}
