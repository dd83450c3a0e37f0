using System.Diagnostics.Metrics;
using System.Text;
using Microsoft.Extensions.Options;
using NetSecStream.Core.Components;
using NetSecStream.Core.Ecs;
using NetSecStream.Core.Telemetry;

namespace NetSecStream.Core.Tests.Ecs;

public sealed class EcsFlowDecoderTests
{
    [Fact]
    public void Decoder_Identity_IsEcsJsonDecoder()
    {
        var decoder = new EcsFlowDecoder();

        Assert.Equal("ecs_json", decoder.Id);
        Assert.Equal(EcsFlowDecoder.ComponentId, decoder.Id);
        Assert.Equal(ComponentKind.Decoder, decoder.Kind);
        Assert.Equal(1024 * 1024, decoder.MaxRecordBytes);
    }

    [Fact]
    public void Decode_SerializedFlow_GivesTheFlowBack()
    {
        var flow = EcsSamples.DnsFlowV6();
        var decoder = new EcsFlowDecoder(new EcsDecoderOptions { InternCapacity = 16 });

        var result = decoder.Decode(EcsJson.SerializeFlow(flow));

        Assert.True(result.IsSuccess, result.Error);
        EcsSamples.AssertSameFlow(flow, result.Event!);
    }

    [Fact]
    public void Decode_RecordOverTheLimit_IsRejectedUnread()
    {
        byte[] json = EcsJson.SerializeFlow(EcsSamples.Minimal());
        var decoder = new EcsFlowDecoder(new EcsDecoderOptions { MaxRecordBytes = json.Length - 1 });

        var result = decoder.Decode(json);

        Assert.False(result.IsSuccess);
        Assert.Equal($"record of {json.Length} bytes exceeds Decoders:Ecs:MaxRecordBytes ({json.Length - 1})", result.Error);
        Assert.True(new EcsFlowDecoder(new EcsDecoderOptions { MaxRecordBytes = json.Length }).Decode(json).IsSuccess);
    }

    [Fact]
    public void Decode_Outcomes_AreCountedWithComponentAndLowCardinalityReason()
    {
        using var metrics = new NetSecMetrics();
        using var recorder = new MeasurementRecorder(metrics);
        var decoder = new EcsFlowDecoder(new EcsDecoderOptions { MaxRecordBytes = 4096 }, metrics);
        string minimal = Encoding.UTF8.GetString(EcsJson.SerializeFlow(EcsSamples.Minimal()));

        decoder.Decode(Encoding.UTF8.GetBytes(minimal));
        decoder.Decode(EcsJson.SerializeFlow(EcsSamples.HttpFlowV4()));
        decoder.Decode("garbage"u8);
        decoder.Decode(""u8);
        decoder.Decode("{\"netsec\":{\"schema_version\":\"1\"}}"u8);
        decoder.Decode(Encoding.UTF8.GetBytes(minimal.Replace("\"schema_version\":\"1\"", "\"schema_version\":\"7\"", StringComparison.Ordinal)));
        decoder.Decode(Encoding.UTF8.GetBytes(minimal.Replace("\"port\":80", "\"port\":80000", StringComparison.Ordinal)));
        decoder.Decode(Encoding.UTF8.GetBytes(minimal.Replace("\"192.0.2.2\"", "\"192.0.2.999\"", StringComparison.Ordinal)));
        decoder.Decode(new byte[4097]);

        Assert.Equal(9, recorder.Total("netsec_events_in"));
        Assert.Equal(2, recorder.Total("netsec_events_out"));
        Assert.Equal(
            ["invalid_json", "invalid_json", "invalid_value", "invalid_value", "missing_field", "oversized", "unsupported_schema"],
            recorder.Reasons("netsec_events_rejected").Order(StringComparer.Ordinal));
        Assert.All(recorder.Components, component => Assert.Equal("ecs_json", component));
    }

    [Fact]
    public void Decode_FromManyThreads_CountsEveryRecordOnceAndDecodesEachRight()
    {
        using var metrics = new NetSecMetrics();
        using var recorder = new MeasurementRecorder(metrics);
        var decoder = new EcsFlowDecoder(new EcsDecoderOptions { InternCapacity = 64 }, metrics);
        var flows = Enumerable.Range(0, 4000).Select(i => EcsSamples.RandomFlow(new Random(i))).ToArray();
        var documents = flows.Select(EcsJson.SerializeFlow).ToArray();
        var decoded = new DecodeResult[flows.Length];

        Parallel.For(0, flows.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => decoded[i] = decoder.Decode(documents[i]));

        for (int i = 0; i < flows.Length; i++)
        {
            Assert.True(decoded[i].IsSuccess, decoded[i].Error);
            EcsSamples.AssertSameFlow(flows[i], decoded[i].Event!);
        }

        Assert.Equal(flows.Length, recorder.Total("netsec_events_in"));
        Assert.Equal(flows.Length, recorder.Total("netsec_events_out"));
    }

    [Fact]
    public void Validator_Defaults_AreValid()
    {
        var result = new EcsDecoderOptionsValidator().Validate(null, new EcsDecoderOptions());

        Assert.True(result.Succeeded);
        Assert.Equal("Decoders:Ecs", EcsDecoderOptions.SectionName);
        Assert.Equal(8192, new EcsDecoderOptions().InternCapacity);
    }

    [Theory]
    [InlineData(0, 8192, "Decoders:Ecs:MaxRecordBytes must be > 0 (was 0)")]
    [InlineData(-5, 8192, "Decoders:Ecs:MaxRecordBytes must be > 0 (was -5)")]
    [InlineData(268435457, 8192, "Decoders:Ecs:MaxRecordBytes must be at most 268435456 (was 268435457)")]
    [InlineData(1024, 15, "Decoders:Ecs:InternCapacity must be between 16 and 16777216 (was 15)")]
    [InlineData(1024, 16777217, "Decoders:Ecs:InternCapacity must be between 16 and 16777216 (was 16777217)")]
    public void Validator_BadValue_FailsNamingTheFullKey(int maxRecordBytes, int internCapacity, string message)
    {
        var result = new EcsDecoderOptionsValidator().Validate(null, new EcsDecoderOptions { MaxRecordBytes = maxRecordBytes, InternCapacity = internCapacity });

        Assert.True(result.Failed);
        Assert.Equal([message], result.Failures);
    }

    [Fact]
    public void Validator_SeveralBadValues_ReportsEach()
    {
        var result = new EcsDecoderOptionsValidator().Validate(null, new EcsDecoderOptions { MaxRecordBytes = 0, InternCapacity = 0 });

        Assert.Equal(2, result.Failures!.Count());
        Assert.All(result.Failures!, failure => Assert.StartsWith("Decoders:Ecs:", failure, StringComparison.Ordinal));
    }

    [Fact]
    public void Constructor_InvalidOptions_ThrowsNamingTheKey()
    {
        var ex = Assert.Throws<OptionsValidationException>(() => new EcsFlowDecoder(new EcsDecoderOptions { MaxRecordBytes = 0 }));

        Assert.Contains("Decoders:Ecs:MaxRecordBytes must be > 0", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>Collects the <see cref="NetSecMetrics"/> measurements of one test.</summary>
    private sealed class MeasurementRecorder : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly List<(string Instrument, long Value, string? Component, string? Reason)> _measurements = [];
        private readonly Lock _lock = new();

        public MeasurementRecorder(NetSecMetrics metrics)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter == metrics.Meter)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            {
                string? component = null;
                string? reason = null;
                foreach (var tag in tags)
                {
                    component = tag.Key == "component" ? tag.Value as string : component;
                    reason = tag.Key == "reason" ? tag.Value as string : reason;
                }

                lock (_lock)
                {
                    _measurements.Add((instrument.Name, value, component, reason));
                }
            });
            _listener.Start();
        }

        public IEnumerable<string?> Components
        {
            get
            {
                lock (_lock)
                {
                    return _measurements.Select(m => m.Component).ToList();
                }
            }
        }

        public long Total(string instrument)
        {
            lock (_lock)
            {
                return _measurements.Where(m => m.Instrument == instrument).Sum(m => m.Value);
            }
        }

        public List<string> Reasons(string instrument)
        {
            lock (_lock)
            {
                return _measurements.Where(m => m.Instrument == instrument).Select(m => m.Reason ?? "<none>").ToList();
            }
        }

        public void Dispose() => _listener.Dispose();
    }
}
