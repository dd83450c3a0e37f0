using System.Diagnostics.Metrics;
using NetSecStream.Core.Events;
using NetSecStream.Core.Telemetry;
using NetSecStream.Signatures.Engine;
using static NetSecStream.Signatures.Tests.Engine.StateTestKit;

namespace NetSecStream.Signatures.Tests.Engine;

public sealed class SignatureStateDetectorTests
{
    [Theory]
    [InlineData("MaxFlowStates", 0)]
    [InlineData("FlowStateIdleSeconds", 0)]
    [InlineData("MaxThresholdStates", -1)]
    [InlineData("MaxXbitStates", 20_000_000)]
    public void State_bounds_are_validated_naming_the_key(string key, int value)
    {
        string rules = Path.GetTempFileName();
        try
        {
            var options = new SignatureOptions { Paths = [rules] };
            typeof(SignatureOptions).GetProperty(key)!.SetValue(options, value);
            string error = Assert.Single(options.Validate());
            Assert.StartsWith($"Detectors:Signatures:{key} ", error, StringComparison.Ordinal);
            Assert.Empty(new SignatureOptions { Paths = [rules] }.Validate());
        }
        finally
        {
            File.Delete(rules);
        }
    }

    [Fact]
    public async Task Flowbits_work_across_batches_and_evictions_are_counted_in_the_metric()
    {
        string rules = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(rules, """
                alert tcp any any -> any any (msg:"login"; content:"LOGIN"; flowbits:set,in; flowbits:noalert; sid:1;)
                alert tcp any any -> any any (msg:"data after login"; content:"DATA"; flowbits:isset,in; sid:2;)
                """);
            using var metrics = new NetSecMetrics();
            var evicted = new List<(string? Table, string? Reason)>();
            using var listener = new MeterListener();
            listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter == metrics.Meter && instrument.Name == "netsec_state_evicted")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
            {
                string? table = null, reason = null;
                foreach (KeyValuePair<string, object?> tag in tags)
                {
                    table = tag.Key == "table" ? tag.Value as string : table;
                    reason = tag.Key == "reason" ? tag.Value as string : reason;
                }

                evicted.Add((table, reason));
            });
            listener.Start();

            using var detector = new SignatureDetector(new SignatureOptions { Paths = [rules], MaxFlowStates = 1 }, metrics);
            await detector.StartAsync(CancellationToken.None);
            Assert.Equal(2, detector.Engine!.EvaluableCount);
            var alerts = new List<Alert>();
            detector.Detect([Packet("LOGIN", 0)], alerts);
            detector.Detect([Packet("DATA", 1)], alerts);
            Assert.Equal("2", Assert.Single(alerts).RuleId);

            detector.Detect([Packet("LOGIN", 2, sport: 1), Packet("DATA", 3)], alerts);
            Assert.Single(alerts);
            Assert.Equal([("flowbits", "capacity")], evicted);
        }
        finally
        {
            File.Delete(rules);
        }
    }

    [Fact]
    public async Task A_malformed_threshold_file_fails_the_start_naming_the_key_and_line()
    {
        string rules = Path.GetTempFileName();
        string thresholds = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(rules, "alert tcp any any -> any any (msg:\"x\"; content:\"X\"; sid:1;)\n");
            await File.WriteAllTextAsync(thresholds, "suppress gen_id 1, sig_id 1\nthreshold gen_id 1, sig_id 1, type often\n");
            using var metrics = new NetSecMetrics();
            using var detector = new SignatureDetector(new SignatureOptions { Paths = [rules], ThresholdFile = thresholds }, metrics);
            var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => detector.StartAsync(CancellationToken.None));
            Assert.StartsWith($"Detectors:Signatures:ThresholdFile: {thresholds}:2: ", ex.Message, StringComparison.Ordinal);

            await File.WriteAllTextAsync(thresholds, "suppress gen_id 1, sig_id 1\n");
            using var ok = new SignatureDetector(new SignatureOptions { Paths = [rules], ThresholdFile = thresholds }, metrics);
            await ok.StartAsync(CancellationToken.None);
            var alerts = new List<Alert>();
            ok.Detect([Packet("X")], alerts);
            Assert.Empty(alerts);
        }
        finally
        {
            File.Delete(rules);
            File.Delete(thresholds);
        }
    }
}
