using System.Diagnostics.Metrics;
using System.Net;
using NetSecStream.Core.Events;
using NetSecStream.Core.Telemetry;
using NetSecStream.Pipeline.Decide;

namespace NetSecStream.Pipeline.Tests;

public sealed class AlertAggregationTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 27, 8, 0, 0, TimeSpan.Zero);

    private readonly NetSecMetrics _metrics = new();

    public void Dispose() => _metrics.Dispose();

    private AlertDecider Decider(TimeSpan dedupeWindow, Dictionary<string, AggregationRule>? rules = null, int maxKeys = 1000) =>
        new(new ModeResolver(new ModeOptions()), _metrics, dedupeWindow, maxKeys, rules);

    private static Alert Alert(int second, string detector = DetectorKinds.Signature, string rule = "2000001", string? dedupeKey = null,
        string sourceWorkload = "frontend", string destinationWorkload = "db", string destinationIp = "10.0.0.2", ushort port = 5432) => new()
    {
        Id = Guid.NewGuid().ToString("N"),
        Timestamp = T0.AddSeconds(second),
        Detector = detector,
        RuleId = rule,
        RuleName = rule,
        Severity = 2,
        RiskScore = 50,
        Explanation = "x",
        DedupeKey = dedupeKey ?? Guid.NewGuid().ToString("N"),
        Flow = new FlowEvent
        {
            Timestamp = T0.AddSeconds(second),
            Source = new FlowEndpoint { Ip = IPAddress.Parse("10.0.0.1"), Port = (ushort)(40000 + second), Namespace = "shop", Workload = sourceWorkload },
            Destination = new FlowEndpoint { Ip = IPAddress.Parse(destinationIp), Port = port, Namespace = "shop", Workload = destinationWorkload },
            IpProtocol = 6,
            CollectorId = "test",
        },
    };

    [Fact]
    public void WithoutARule_RepeatsOfADedupeKey_FoldIntoTheNextAlertAfterTheWindow_WithCountFirstAndLast()
    {
        var decider = Decider(TimeSpan.FromSeconds(60));
        var raised = decider.Decide([Alert(0, dedupeKey: "k"), Alert(10, dedupeKey: "k"), Alert(20, dedupeKey: "k"), Alert(30, dedupeKey: "other")]);
        Assert.Equal(2, raised.Count);
        Assert.Equal(1, raised[0].DedupeCount);
        Assert.Null(raised[0].FirstSeen);

        var next = Assert.Single(decider.Decide([Alert(65, dedupeKey: "k")]));
        Assert.Equal(3, next.DedupeCount);
        Assert.Equal(T0.AddSeconds(10), next.FirstSeen);
        Assert.Equal(T0.AddSeconds(65), next.LastSeen);
    }

    [Fact]
    public void ARule_GroupsByDetectorRuleAndWorkloads_WhateverTheDedupeKeys()
    {
        var decider = Decider(TimeSpan.Zero, new() { [DetectorKinds.Signature] = new AggregationRule { Window = TimeSpan.FromSeconds(30) } });
        var raised = decider.Decide([
            Alert(0), Alert(1), Alert(2),                    // same rule and workloads, different dedupe keys: one alert
            Alert(3, destinationWorkload: "cache"),           // another destination workload
            Alert(4, rule: "2000002"),                        // another rule
            Alert(5, detector: DetectorKinds.Intel),          // no rule for intel and dedupe off: raised as is
            Alert(6, detector: DetectorKinds.Intel),
        ]);
        Assert.Equal(5, raised.Count);

        var later = Assert.Single(decider.Decide([Alert(31)]));
        Assert.Equal(3, later.DedupeCount);
        Assert.Equal(T0.AddSeconds(1), later.FirstSeen);
        Assert.Equal(T0.AddSeconds(31), later.LastSeen);
    }

    [Fact]
    public void KeysAreConfigurable_PerDetector()
    {
        var rules = new Dictionary<string, AggregationRule>
        {
            [DetectorKinds.Signature] = new() { Window = TimeSpan.FromSeconds(30), Keys = ["rule", "destination_port"] },
            [DetectorKinds.Intel] = new() { Window = TimeSpan.FromSeconds(30), Keys = ["destination_ip"] },
        };
        var decider = Decider(TimeSpan.Zero, rules);
        var raised = decider.Decide([
            Alert(0, destinationWorkload: "a"), Alert(1, destinationWorkload: "b"),   // workloads are not in the key: folded
            Alert(2, port: 443),                                                       // another port: raised
            Alert(3, detector: DetectorKinds.Intel, rule: "x"), Alert(4, detector: DetectorKinds.Intel, rule: "y"),  // same address: folded
            Alert(5, detector: DetectorKinds.Intel, destinationIp: "10.0.0.9"),
        ]);
        Assert.Equal(4, raised.Count);
    }

    [Fact]
    public void WindowsArePerDetector_AndAZeroWindowTurnsFoldingOff()
    {
        var rules = new Dictionary<string, AggregationRule>
        {
            [DetectorKinds.Signature] = new() { Window = TimeSpan.FromSeconds(5) },
            [DetectorKinds.Behaviour] = new() { Window = TimeSpan.Zero },
        };
        var decider = Decider(TimeSpan.FromMinutes(10), rules);
        Assert.Single(decider.Decide([Alert(0), Alert(4)]));
        Assert.Single(decider.Decide([Alert(6)]));
        Assert.Equal(3, decider.Decide([Alert(7, detector: DetectorKinds.Behaviour), Alert(7, detector: DetectorKinds.Behaviour), Alert(8, detector: DetectorKinds.Behaviour)]).Count);
        Assert.Single(decider.Decide([Alert(0, detector: DetectorKinds.Intel, dedupeKey: "i"), Alert(500, detector: DetectorKinds.Intel, dedupeKey: "i")]));
    }

    [Fact]
    public void TheKeyTable_IsBounded_AndEvictionsAreCounted()
    {
        long evicted = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, _metrics.Meter) && instrument.Name == "netsec_state_evicted")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "component" && Equals(tag.Value, AlertDecider.ComponentId))
                {
                    Interlocked.Add(ref evicted, value);
                }
            }
        });
        listener.Start();

        var decider = Decider(TimeSpan.Zero, new() { [DetectorKinds.Signature] = new AggregationRule() }, maxKeys: 4);
        var raised = decider.Decide([.. Enumerable.Range(0, 10).Select(i => Alert(i, rule: "r" + i))]);

        Assert.Equal(10, raised.Count);
        Assert.True(decider.TrackedKeys <= 4, $"{decider.TrackedKeys} keys tracked, bound is 4");
        Assert.True(evicted >= 6, $"{evicted} evictions counted");
    }

    [Theory]
    [InlineData("signatur", "Window", "00:01:00", "Pipeline:Aggregation:signatur: 'signatur' is not a detector")]
    [InlineData("signature", "Keys:0", "rule_name", "Pipeline:Aggregation:signature:Keys:0 'rule_name' is not a key field")]
    [InlineData("intel", "Window", "-00:00:01", "Pipeline:Aggregation:intel:Window must not be negative")]
    public void BadRules_AreRejected_NamingTheKey(string detector, string field, string value, string expected)
    {
        var rule = new AggregationRule();
        if (field == "Window")
        {
            rule.Window = TimeSpan.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
        }
        else
        {
            rule.Keys.Add(value);
        }

        var result = new PipelineOptionsValidator().Validate(null, new PipelineOptions { Aggregation = { [detector] = rule } });
        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.StartsWith(expected, StringComparison.Ordinal));
    }
}
