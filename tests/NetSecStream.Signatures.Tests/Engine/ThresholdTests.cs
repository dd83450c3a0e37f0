using NetSecStream.Core.Events;
using NetSecStream.Signatures.Engine;
using NetSecStream.Signatures.Engine.State;
using static NetSecStream.Signatures.Tests.Engine.StateTestKit;

namespace NetSecStream.Signatures.Tests.Engine;

public sealed class ThresholdTests
{
    private static string Rule(string option, string content = "HIT") =>
        $"alert tcp any any -> any any (msg:\"t\"; content:\"{content}\"; {option}; sid:1;)";

    /// <summary>Which of the given event times (seconds) alert, all events on one flow from one source.</summary>
    private static double[] Alerting(SignatureEngine engine, params double[] times) =>
        [.. times.Where(t => engine.Sids(Packet("HIT", t)).Length > 0)];

    [Fact]
    public void Limit_alerts_on_the_first_n_matches_of_each_window()
    {
        using SignatureEngine engine = Build(Rule("threshold:type limit, track by_src, count 2, seconds 60"));
        Assert.Equal([0, 1, 61, 62], Alerting(engine, 0, 1, 2, 59, 60, 61, 62, 63));
    }

    [Fact]
    public void Threshold_alerts_on_every_nth_match_of_a_window()
    {
        using SignatureEngine engine = Build(Rule("threshold:type threshold, track by_src, count 3, seconds 60"));
        // 0,1,2 -> alert at the 3rd; 3,4,5 -> alert at the 6th; the window (0..60] ends, 70 starts a new one.
        Assert.Equal([2, 5, 72], Alerting(engine, 0, 1, 2, 3, 4, 5, 6, 70, 71, 72));
    }

    [Fact]
    public void Both_alerts_once_per_window_at_the_nth_match()
    {
        using SignatureEngine engine = Build(Rule("threshold:type both, track by_src, count 3, seconds 60"));
        Assert.Equal([2, 102], Alerting(engine, 0, 1, 2, 3, 4, 5, 100, 101, 102, 103));
    }

    [Fact]
    public void Backoff_alerts_at_count_then_at_count_times_multiplier_powers()
    {
        using SignatureEngine engine = Build(Rule("threshold:type backoff, track by_flow, count 1, multiplier 10"));
        double[] times = [.. Enumerable.Range(1, 120).Select(i => (double)i)];
        Assert.Equal([1, 10, 100], Alerting(engine, times));
    }

    [Fact]
    public void Detection_filter_alerts_on_every_match_once_the_count_is_exceeded()
    {
        // suricata-verify threshold/detection_filter-rule-flow: 8 matches on a flow, count 1, 2, 4, 7, 8 -> 7, 6, 4, 1, 0 alerts.
        foreach ((int count, int alerts) in new[] { (1, 7), (2, 6), (4, 4), (7, 1), (8, 0) })
        {
            using SignatureEngine engine = Build(Rule($"detection_filter:track by_flow, count {count}, seconds 3600"));
            Assert.Equal(alerts, Alerting(engine, 0, 1, 2, 3, 4, 5, 6, 7).Length);
        }
    }

    [Fact]
    public void Detection_filter_window_restarts_after_seconds()
    {
        using SignatureEngine engine = Build(Rule("detection_filter:track by_src, count 2, seconds 10"));
        Assert.Equal([2, 3, 22], Alerting(engine, 0, 1, 2, 3, 20, 21, 22));
    }

    [Fact]
    public void Threshold_rule_flow_limits_and_both_as_in_suricata_verify()
    {
        const string rules = """
            alert tcp any any -> any any (content:"HIT"; sid:1;)
            alert tcp any any -> any any (content:"HIT"; threshold:type limit, track by_flow, count 1, seconds 3600; sid:2;)
            alert tcp any any -> any any (content:"HIT"; threshold:type limit, track by_flow, count 2, seconds 3600; sid:3;)
            alert tcp any any -> any any (content:"HIT"; threshold:type both, track by_flow, count 3, seconds 3600; sid:4;)
            """;
        using SignatureEngine engine = Build(rules);
        long[] all = [.. Enumerable.Range(0, 8).SelectMany(i => engine.Sids(i % 2 == 0 ? Packet("HIT", i) : Reply("HIT", i)))];
        Assert.Equal(8, all.Count(s => s == 1));
        Assert.Equal(1, all.Count(s => s == 2));
        Assert.Equal(2, all.Count(s => s == 3));
        Assert.Equal(1, all.Count(s => s == 4));
    }

    [Fact]
    public void Tracks_separate_sources_destinations_pairs_flows_and_rules()
    {
        static int[] Run(string track)
        {
            using SignatureEngine engine = Build(Rule($"threshold:type limit, track {track}, count 1, seconds 60"));
            return
            [
                engine.Sids(Packet("HIT", 0, src: "10.0.0.1", dst: "192.0.2.1")).Length,
                engine.Sids(Packet("HIT", 1, src: "10.0.0.1", dst: "192.0.2.2")).Length, // same src, other dst
                engine.Sids(Packet("HIT", 2, src: "10.0.0.2", dst: "192.0.2.1")).Length, // other src, same dst
                engine.Sids(Packet("HIT", 3, src: "192.0.2.1", sport: 80, dst: "10.0.0.1", dport: 40000)).Length, // reverse pair
                engine.Sids(Packet("HIT", 4, src: "10.0.0.1", sport: 40001, dst: "192.0.2.1")).Length, // same pair, other flow
            ];
        }

        Assert.Equal([1, 0, 1, 1, 0], Run("by_src"));
        Assert.Equal([1, 1, 0, 1, 0], Run("by_dst"));
        Assert.Equal([1, 1, 1, 0, 0], Run("by_both"));
        Assert.Equal([1, 0, 0, 0, 0], Run("by_rule"));
        Assert.Equal([1, 1, 1, 0, 1], Run("by_flow"));
    }

    [Fact]
    public void Each_rule_counts_on_its_own()
    {
        const string rules = """
            alert tcp any any -> any any (content:"HIT"; threshold:type limit, track by_src, count 1, seconds 60; sid:1;)
            alert tcp any any -> any any (content:"HIT"; threshold:type limit, track by_src, count 1, seconds 60; sid:2;)
            """;
        using SignatureEngine engine = Build(rules);
        Assert.Equal([1L, 2], engine.Sids(Packet("HIT", 0)));
        Assert.Empty(engine.Sids(Packet("HIT", 1)));
    }

    [Fact]
    public void Detection_filter_unique_on_counts_distinct_ports()
    {
        // suricata-verify detection_filter-distinct-dstport / -no-dups / -srcport.
        using SignatureEngine dst = Build("alert tcp any any -> 1.1.1.1 any (content:\"S\"; detection_filter: track by_dst, count 1, seconds 60, unique_on dst_port; sid:100001;)");
        Assert.Empty(dst.Sids(Packet("S", 0, src: "3.3.3.3", sport: 12345, dst: "1.1.1.1", dport: 80)));
        Assert.Empty(dst.Sids(Packet("S", 1, src: "3.3.3.3", sport: 12345, dst: "1.1.1.1", dport: 80)));
        Assert.Equal([100001L], dst.Sids(Packet("S", 2, src: "3.3.3.3", sport: 12345, dst: "1.1.1.1", dport: 81)));

        using SignatureEngine noDups = Build("alert tcp any any -> 1.1.1.1 any (content:\"S\"; detection_filter: track by_dst, count 3, seconds 60, unique_on dst_port; sid:100011;)");
        foreach (ushort port in new ushort[] { 80, 80, 81, 81, 80 })
        {
            Assert.Empty(noDups.Sids(Packet("S", 0, src: "3.3.3.3", sport: 12345, dst: "1.1.1.1", dport: port)));
        }

        using SignatureEngine src = Build("alert tcp any any -> 2.2.2.2 80 (content:\"S\"; detection_filter: track by_src, count 1, seconds 60, unique_on src_port; sid:100002;)");
        Assert.Empty(src.Sids(Packet("S", 0, src: "10.0.0.1", sport: 2000, dst: "2.2.2.2", dport: 80)));
        Assert.Equal([100002L], src.Sids(Packet("S", 1, src: "10.0.0.1", sport: 2001, dst: "2.2.2.2", dport: 80)));
        Assert.Empty(src.Sids(Packet("S", 2, src: "10.0.0.9", sport: 2002, dst: "2.2.2.2", dport: 80)));
    }

    [Fact]
    public void A_thresholded_rule_still_sets_its_flowbits()
    {
        const string rules = """
            alert tcp any any -> any any (content:"HIT"; flowbits:set,seen; threshold:type limit, track by_flow, count 1, seconds 60; sid:1;)
            alert tcp any any -> any any (content:"CHECK"; flowbits:isset,seen; sid:2;)
            """;
        using SignatureEngine engine = Build(rules);
        Assert.Equal([1L], engine.Sids(Packet("HIT", 0)));
        Assert.Empty(engine.Sids(Packet("HIT", 1)));
        Assert.Equal([2L], engine.Sids(Packet("CHECK", 2)));
    }

    [Fact]
    public void The_counter_table_is_bounded_and_evictions_are_counted()
    {
        int capacity = 0;
        using SignatureEngine engine = Build(Rule("threshold:type limit, track by_src, count 1, seconds 60"),
            new DetectionStateLimits { MaxThresholdEntries = 3 }, (table, reason) => capacity += table == "thresholds" && reason == StateEvictionReason.Capacity ? 1 : 0);
        for (int i = 1; i <= 10; i++)
        {
            Assert.Single(engine.Sids(Packet("HIT", 0, src: $"10.0.0.{i}")));
        }

        Assert.Equal(3, engine.State!.ThresholdCount);
        Assert.Equal(7, capacity);

        // The evicted source starts counting again; a kept one is still limited.
        Assert.Single(engine.Sids(Packet("HIT", 1, src: "10.0.0.1")));
        Assert.Empty(engine.Sids(Packet("HIT", 1, src: "10.0.0.10")));
    }

    [Fact]
    public void Absurd_or_backward_event_times_do_not_throw()
    {
        const string rules = """
            alert tcp any any -> any any (content:"HIT"; flowbits:set,b; threshold:type limit, track by_src, count 1, seconds 4294967295; sid:1;)
            alert tcp any any -> any any (content:"HIT"; xbits:set,x,track ip_src,expire 2147483647; detection_filter:track by_flow, count 1, seconds 60; sid:2;)
            alert tcp any any -> any any (content:"HIT"; threshold:type backoff, track by_flow, count 1, multiplier 2; sid:3;)
            """;
        using SignatureEngine engine = Build(rules);
        FlowEvent At(DateTimeOffset time)
        {
            FlowEvent p = Packet("HIT");
            return new FlowEvent { Timestamp = time, Kind = p.Kind, Source = p.Source, Destination = p.Destination, IpProtocol = 6, Payload = p.Payload };
        }

        Assert.Equal([1L, 3], engine.Sids(At(DateTimeOffset.MaxValue)));
        Assert.Equal([2L, 3], engine.Sids(At(DateTimeOffset.MaxValue)));
        Assert.Equal([2L], engine.Sids(At(DateTimeOffset.MinValue)));
    }
}
