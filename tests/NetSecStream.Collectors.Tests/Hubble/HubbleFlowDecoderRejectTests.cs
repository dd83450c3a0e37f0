using System.Diagnostics.Metrics;
using System.Text;
using NetSecStream.Collectors.Hubble;
using NetSecStream.Core.Telemetry;

namespace NetSecStream.Collectors.Tests.Hubble;

public sealed class HubbleFlowDecoderRejectTests
{
    private static readonly string Sample = HubbleSamples.Line("basic-sample-10-flows.json", 1);

    private readonly HubbleFlowDecoder _decoder = new();

    [Theory]
    [InlineData("garbage", "invalid JSON at byte 0: 'g' is an invalid start of a value.")]
    [InlineData("not json", "invalid JSON at byte 1: 'not json' is an invalid JSON literal.")]
    [InlineData("{\"flow\":{\"time\":", "invalid JSON at byte 16: ")]
    [InlineData("   ", "empty record")]
    [InlineData("", "empty record")]
    [InlineData("[1,2]", "expected a JSON object, got an array")]
    [InlineData("42", "expected a JSON object, got a number")]
    [InlineData("{\"a\":1}", "not a Hubble flow: neither a 'flow' object nor flow fields")]
    [InlineData("{\"lost_events\":{\"source\":\"PERF_EVENT_RING_BUFFER\",\"num_events_lost\":\"3\"},\"node_name\":\"n1\",\"time\":\"2024-01-01T00:00:00Z\"}", "not a flow: the record is a Hubble lost_events event")]
    [InlineData("{\"flow\":{\"time\":\"2024-01-01T00:00:00Z\",\"verdict\":\"FORWARDED\"}}", "flow.IP missing")]
    [InlineData("{\"flow\":{\"time\":\"2024-01-01T00:00:00Z\",\"IP\":{\"destination\":\"10.0.0.2\"}}}", "flow.IP.source missing")]
    [InlineData("{\"flow\":{\"time\":\"2024-01-01T00:00:00Z\",\"IP\":{\"source\":\"10.0.0.2\"}}}", "flow.IP.destination missing")]
    [InlineData("{\"flow\":{\"IP\":{\"source\":\"10.0.0.1\",\"destination\":\"10.0.0.2\"}}}", "flow.time missing")]
    [InlineData("{\"flow\":{\"time\":\"yesterday\",\"IP\":{\"source\":\"10.0.0.1\",\"destination\":\"10.0.0.2\"}}}", "flow.time 'yesterday' is not an RFC 3339 timestamp")]
    [InlineData("{\"flow\":{\"time\":\"2024-02-30T00:00:00Z\",\"IP\":{\"source\":\"10.0.0.1\",\"destination\":\"10.0.0.2\"}}}", "flow.time '2024-02-30T00:00:00Z' is not an RFC 3339 timestamp")]
    [InlineData("{\"flow\":{\"time\":12,\"IP\":{\"source\":\"10.0.0.1\",\"destination\":\"10.0.0.2\"}}}", "flow.time: expected an RFC 3339 timestamp string, got a number")]
    [InlineData("{\"flow\":{\"time\":\"2024-01-01T00:00:00Z\",\"IP\":{\"source\":\"10\",\"destination\":\"10.0.0.2\"}}}", "flow.IP.source '10' is not an IP address")]
    [InlineData("{\"flow\":{\"time\":\"2024-01-01T00:00:00Z\",\"IP\":{\"source\":\"10.0.0.1\",\"destination\":\"::g\"}}}", "flow.IP.destination '::g' is not an IP address")]
    [InlineData("{\"flow\":{\"time\":\"2024-01-01T00:00:00Z\",\"IP\":{\"source\":\"10.0.0.1\",\"destination\":\"fd00::1\"}}}", "flow.IP.source 10.0.0.1 and flow.IP.destination fd00::1 are of different address families")]
    [InlineData("{\"flow\":{\"time\":\"2024-01-01T00:00:00Z\",\"IP\":[\"10.0.0.1\"]}}", "flow.IP: expected an object, got an array")]
    [InlineData("{\"flow\":\"x\"}", "flow: expected an object, got a string")]
    public void Decode_BadRecord_FailsWithReason(string line, string reason)
    {
        var result = _decoder.Decode(Encoding.UTF8.GetBytes(line));
        Assert.False(result.IsSuccess);
        Assert.Null(result.Event);
        Assert.StartsWith(reason, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_SampleWithBadSourceIp_NamesTheValue()
    {
        AssertRejected(Sample.Replace("\"source\":\"10.0.2.16\"", "\"source\":\"10.0.2.x\"", StringComparison.Ordinal), "flow.IP.source '10.0.2.x' is not an IP address");
    }

    [Fact]
    public void Decode_SampleWithoutIp_IsMissingIp()
    {
        int start = Sample.IndexOf("\"IP\":{", StringComparison.Ordinal);
        int end = Sample.IndexOf('}', start) + 2;
        AssertRejected(Sample.Remove(start, end - start), "flow.IP missing");
    }

    [Theory]
    [InlineData("\"source_port\":\"abc\"", "flow.l4.TCP.source_port: 'abc' is not an unsigned 32-bit integer")]
    [InlineData("\"source_port\":true", "flow.l4.TCP.source_port: expected an unsigned integer, got a boolean")]
    [InlineData("\"source_port\":-1", "flow.l4.TCP.source_port: -1 is not an unsigned 32-bit integer")]
    [InlineData("\"source_port\":70000", "flow.l4.TCP.source_port 70000 is out of range (0-65535)")]
    [InlineData("\"source_port\":{}", "flow.l4.TCP.source_port: expected an unsigned integer, got an object")]
    public void Decode_SampleWithBadPort_NamesTheField(string replacement, string reason)
    {
        AssertRejected(Sample.Replace("\"source_port\":15020", replacement, StringComparison.Ordinal), reason);
    }

    [Theory]
    [InlineData("\"FIN\":true", "\"FIN\":\"yes\"", "flow.l4.TCP.flags.FIN: expected true or false, got a string")]
    [InlineData("\"identity\":25339", "\"identity\":\"many\"", "flow.source.identity: 'many' is not an unsigned 32-bit integer")]
    [InlineData("\"namespace\":\"bookinfo\"", "\"namespace\":7", "flow.source.namespace: expected a string, got a number")]
    [InlineData("\"labels\":[\"k8s:app=reviews\",", "\"labels\":[\"k8s:app=reviews\",5,", "flow.source.labels[1]: expected a string, got a number")]
    [InlineData("\"reply\":true", "\"reply\":\"true\"", "flow.reply: expected true or false, got a string")]
    [InlineData("\"verdict\":\"FORWARDED\"", "\"verdict\":[]", "flow.verdict: expected a string, got an array")]
    public void Decode_SampleWithWrongType_NamesTheField(string original, string replacement, string reason)
    {
        Assert.Contains(original, Sample, StringComparison.Ordinal);
        AssertRejected(Sample.Replace(original, replacement, StringComparison.Ordinal), reason);
    }

    [Fact]
    public void Decode_TruncatedSample_IsInvalidJson()
    {
        AssertRejected(Sample[..57], "invalid JSON at byte ");
        AssertRejected(Sample[..^1], "invalid JSON at byte ");
    }

    [Fact]
    public void Decode_TrailingGarbage_IsInvalidJson()
    {
        AssertRejected(Sample + " x", "invalid JSON at byte ");
    }

    [Fact]
    public void Decode_OversizedRecord_IsRejectedBeforeParsing()
    {
        var decoder = new HubbleFlowDecoder(new HubbleDecoderOptions { MaxLineBytes = 1024 });
        var result = decoder.Decode(Encoding.UTF8.GetBytes(Sample));
        Assert.Equal($"record of {Encoding.UTF8.GetByteCount(Sample)} bytes exceeds MaxLineBytes (1024)", result.Error);
    }

    [Fact]
    public void Decode_EveryTruncation_FailsWithoutThrowing()
    {
        byte[] line = Encoding.UTF8.GetBytes(Sample);
        for (int length = 0; length < line.Length; length++)
        {
            var result = _decoder.Decode(line.AsSpan(0, length));
            Assert.False(result.IsSuccess, $"prefix of {length} bytes decoded");
            Assert.False(string.IsNullOrEmpty(result.Error));
        }
    }

    [Fact]
    public void Decode_RandomCorruption_NeverThrows()
    {
        var random = new Random(20240506);
        var lines = HubbleSamples.Lines("basic-sample-5-http-flows.json").Concat(HubbleSamples.Lines("basic-sample-5-dns-flows.json")).ToArray();
        int rejected = 0;
        for (int i = 0; i < 5000; i++)
        {
            byte[] line = (byte[])lines[i % lines.Length].Clone();
            for (int flips = random.Next(1, 4); flips > 0; flips--)
            {
                line[random.Next(line.Length)] = (byte)random.Next(256);
            }

            var result = _decoder.Decode(line);
            Assert.True(result.IsSuccess == (result.Error is null), "a result is either an event or a reason");
            rejected += result.IsSuccess ? 0 : 1;
        }

        Assert.True(rejected > 0);
    }

    [Fact]
    public void Decode_Outcomes_AreCountedWithComponentAndReason()
    {
        using var metrics = new NetSecMetrics();
        var decoder = new HubbleFlowDecoder(metrics: metrics);
        var measurements = new List<(string Instrument, long Value, string? Reason)>();
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
            string? component = null;
            string? reason = null;
            foreach (var tag in tags)
            {
                component = tag.Key == "component" ? tag.Value as string : component;
                reason = tag.Key == "reason" ? tag.Value as string : reason;
            }

            Assert.Equal("hubble_json", component);
            measurements.Add((instrument.Name, value, reason));
        });
        listener.Start();

        decoder.Decode(Encoding.UTF8.GetBytes(Sample));
        decoder.Decode("garbage"u8);
        decoder.Decode("{\"flow\":{\"time\":\"2024-01-01T00:00:00Z\"}}"u8);

        Assert.Equal(3, measurements.Count(m => m.Instrument == "netsec_events_in"));
        Assert.Single(measurements, m => m.Instrument == "netsec_events_out");
        Assert.Contains(("netsec_events_rejected", 1L, "invalid_json"), measurements);
        Assert.Contains(("netsec_events_rejected", 1L, "missing_field"), measurements);
    }

    private void AssertRejected(string line, string reason)
    {
        var result = _decoder.Decode(Encoding.UTF8.GetBytes(line));
        Assert.False(result.IsSuccess, "decoded: " + line);
        Assert.StartsWith(reason, result.Error, StringComparison.Ordinal);
    }
}
