using NetSecStream.Signatures.Engine;
using NetSecStream.Signatures.Engine.State;
using NetSecStream.Signatures.Keywords;
using NetSecStream.Signatures.Rules;
using static NetSecStream.Signatures.Tests.Engine.StateTestKit;

namespace NetSecStream.Signatures.Tests.Engine;

public sealed class XbitsTests
{
    [Fact]
    public void Parses_commands_tracks_and_expiry()
    {
        RuleSetLoadResult load = RuleSetLoader.LoadText("""
            alert tcp any any -> any any (msg:"a"; xbits:set,ET.x,track ip_src, expire 15; sid:1;)
            alert tcp any any -> any any (msg:"b"; xbits:isset,ET.x,track ip_pair; sid:2;)
            alert tcp any any -> any any (msg:"c"; xbits:frob,ET.x,track ip_src; sid:3;)
            alert tcp any any -> any any (msg:"d"; xbits:set,ET.x; sid:4;)
            alert tcp any any -> any any (msg:"e"; xbits:set,ET.x,track ip_src,expire -1; sid:5;)
            """);
        XbitsOption a = load.Rules.Single(r => r.Sid == 1).Options.OfType<XbitsOption>().Single();
        Assert.Equal((FlowbitsCommand.Set, "ET.x", "ip_src", 15), (a.Command, a.Name, a.Track, a.ExpireSeconds));
        XbitsOption b = load.Rules.Single(r => r.Sid == 2).Options.OfType<XbitsOption>().Single();
        Assert.Equal((FlowbitsCommand.IsSet, "ip_pair", XbitsOption.DefaultExpireSeconds), (b.Command, b.Track, b.ExpireSeconds));
        Assert.Equal([3L, 4, 5], load.Diagnostics.Select(d => d.Sid).Order());
    }

    [Fact]
    public void A_host_bit_set_on_one_flow_is_seen_by_other_flows_of_that_host_until_it_expires()
    {
        // Set on the client request with track ip_dst, test the server's later traffic with track ip_src.
        const string rules = """
            alert tcp any any -> any any (msg:"download"; content:"GET /payload"; xbits:set,ET.dl,track ip_dst,expire 10; noalert; sid:1;)
            alert tcp any any -> any any (msg:"server talks again"; content:"CALLBACK"; xbits:isset,ET.dl,track ip_src; sid:2;)
            """;
        using SignatureEngine engine = Build(rules);
        Assert.Empty(engine.Sids(Packet("GET /payload", 0, dst: "198.51.100.7")));
        Assert.Equal([2L], engine.Sids(Packet("CALLBACK", 5, src: "198.51.100.7", sport: 4444, dst: "10.9.9.9", dport: 1234)));
        Assert.Empty(engine.Sids(Packet("CALLBACK", 5, src: "198.51.100.8", sport: 4444, dst: "10.9.9.9", dport: 1234)));
        Assert.Empty(engine.Sids(Packet("CALLBACK", 11, src: "198.51.100.7", sport: 4444, dst: "10.9.9.9", dport: 1234)));
    }

    [Fact]
    public void Pair_bits_hold_for_both_directions_of_the_pair_only()
    {
        const string rules = """
            alert tcp any any -> any any (msg:"mark pair"; content:"HELLO"; xbits:set,p,track ip_pair; noalert; sid:1;)
            alert tcp any any -> any any (msg:"pair seen"; content:"AGAIN"; xbits:isset,p,track ip_pair; sid:2;)
            alert tcp any any -> any any (msg:"pair unseen"; content:"AGAIN"; xbits:isnotset,p,track ip_pair; sid:3;)
            alert tcp any any -> any any (msg:"forget"; content:"BYE"; xbits:unset,p,track ip_pair; noalert; sid:4;)
            """;
        using SignatureEngine engine = Build(rules);
        Assert.Empty(engine.Sids(Packet("HELLO", 0)));
        Assert.Equal([2L], engine.Sids(Packet("AGAIN", 1, sport: 5555)));
        Assert.Equal([2L], engine.Sids(Reply("AGAIN", 2)));
        Assert.Equal([3L], engine.Sids(Packet("AGAIN", 3, dst: "203.0.113.10")));
        Assert.Empty(engine.Sids(Packet("BYE", 4)));
        Assert.Equal([3L], engine.Sids(Packet("AGAIN", 5)));
        Assert.Equal(0, engine.State!.XbitCount);
    }

    [Fact]
    public void The_xbits_table_is_bounded()
    {
        var evicted = new List<(string, StateEvictionReason)>();
        using SignatureEngine engine = Build(
            "alert tcp any any -> any any (msg:\"m\"; content:\"M\"; xbits:set,m,track ip_src,expire 600; noalert; sid:1;)",
            new DetectionStateLimits { MaxXbits = 4 }, (t, r) => evicted.Add((t, r)));
        for (int i = 1; i <= 6; i++)
        {
            engine.Sids(Packet("M", i, src: $"10.1.1.{i}"));
        }

        Assert.Equal(4, engine.State!.XbitCount);
        Assert.Equal([("xbits", StateEvictionReason.Capacity), ("xbits", StateEvictionReason.Capacity)], evicted);
    }
}
