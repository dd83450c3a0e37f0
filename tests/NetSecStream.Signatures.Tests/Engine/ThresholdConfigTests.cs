using NetSecStream.Signatures.Engine;
using NetSecStream.Signatures.Engine.State;
using NetSecStream.Signatures.Rules;
using static NetSecStream.Signatures.Tests.Engine.StateTestKit;

namespace NetSecStream.Signatures.Tests.Engine;

public sealed class ThresholdConfigTests
{
    private const string Rules = """
        alert tcp any any -> any any (msg:"plain"; content:"HIT"; sid:1;)
        alert tcp any any -> any any (msg:"own threshold"; content:"HIT"; threshold:type limit, track by_src, count 3, seconds 60; sid:2;)
        alert tcp any any -> any any (msg:"other"; content:"HIT"; flowbits:set,seen; sid:3;)
        alert tcp any any -> any any (msg:"seen"; content:"CHECK"; flowbits:isset,seen; sid:4;)
        """;

    private static SignatureEngine Build(string config)
    {
        ThresholdConfig c = ThresholdConfig.Parse(config.Split('\n'));
        Assert.Empty(c.Problems);
        RuleSetLoadResult load = RuleSetLoader.LoadText(Rules);
        return new SignatureEngine(load, thresholdConfig: c);
    }

    private static int Count(SignatureEngine engine, long sid, int events, string src = "10.0.0.5") =>
        Enumerable.Range(0, events).Sum(i => engine.Sids(Packet("HIT", i, src: src)).Count(s => s == sid));

    [Fact]
    public void A_line_for_the_sid_overrides_the_rules_own_threshold()
    {
        using SignatureEngine engine = Build("threshold gen_id 1, sig_id 2, type limit, track by_src, count 1, seconds 60");
        Assert.Equal(1, Count(engine, 2, 5));
    }

    [Fact]
    public void A_global_line_applies_to_rules_without_thresholds_only()
    {
        using SignatureEngine engine = Build("""
            # every rule at most twice a minute per source
            event_filter gen_id 0, sig_id 0, type limit, \
                track by_src, count 2, seconds 60
            """);
        long[] sids = [.. Enumerable.Range(0, 5).SelectMany(i => engine.Sids(Packet("HIT", i)))];
        Assert.Equal([2, 3, 2], new long[] { 1, 2, 3 }.Select(sid => sids.Count(s => s == sid)));
        Assert.Equal(2, Count(engine, 1, 5, src: "10.0.0.6"));
    }

    [Fact]
    public void Suppress_drops_alerts_for_a_rule_or_for_listed_addresses_and_keeps_state_writes()
    {
        using SignatureEngine engine = Build("""
            suppress gen_id 1, sig_id 3
            suppress gen_id 0, sig_id 0, track by_src, ip [192.0.2.0/24, 198.51.100.7]
            suppress gen_id 1, sig_id 1, track by_either, ip 203.0.113.0/24
            """);
        Assert.Equal([2L], engine.Sids(Packet("HIT", 0)));
        Assert.Equal([4L], engine.Sids(Packet("CHECK", 1)));
        Assert.Empty(engine.Sids(Packet("HIT CHECK", 2, src: "192.0.2.9")));
        Assert.Equal([1L, 2], engine.Sids(Packet("HIT", 3, src: "10.1.1.1", dst: "10.2.2.2")));
    }

    [Fact]
    public void Malformed_lines_are_problems_with_line_numbers_and_rate_filter_is_unsupported()
    {
        ThresholdConfig c = ThresholdConfig.Parse("""
            threshold gen_id 1, sig_id 2, type limit, track by_src, count 1, seconds 60

            threshold gen_id 1, sig_id 2, type sometimes, track by_src, count 1, seconds 60
            suppress gen_id 1, sig_id x
            suppress gen_id 1, sig_id 5, track by_src
            rate_filter gen_id 1, sig_id 1000, track by_rule, count 100, seconds 60, new_action alert, timeout 30
            frobnicate gen_id 1, sig_id 1
            suppress gen_id 1, sig_id 6, track by_src, ip not-an-address
            """.Split('\n'));
        Assert.Equal(1, c.ThresholdCount);
        Assert.Equal(0, c.SuppressionCount);
        Assert.Equal([3, 4, 5, 6, 7, 8], c.Problems.Select(p => p.Line));
        Assert.Equal([6], c.Problems.Where(p => p.Unsupported).Select(p => p.Line));
        Assert.StartsWith("<threshold.config>:3: ", c.Problems[0].ToString(), StringComparison.Ordinal);
    }
}
