using NetSecStream.Core.Events;
using NetSecStream.Signatures.Engine;
using NetSecStream.Signatures.Engine.State;
using static NetSecStream.Signatures.Tests.Engine.StateTestKit;

namespace NetSecStream.Signatures.Tests.Engine;

public sealed class FlowbitsTests
{
    private const string LoginThenData = """
        alert tcp any any -> any any (msg:"login"; content:"LOGIN"; flowbits:set,logged_in; flowbits:noalert; sid:1;)
        alert tcp any any -> any any (msg:"data after login"; content:"DATA"; flowbits:isset,logged_in; sid:2;)
        """;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_bit_set_on_one_event_is_seen_by_a_later_event_of_the_same_flow(bool prefilter)
    {
        using SignatureEngine engine = Build(LoginThenData, prefilter: prefilter);
        Assert.Empty(engine.Sids(Packet("DATA", 0)));
        Assert.Empty(engine.Sids(Packet("LOGIN user", 1)));
        Assert.Equal([2L], engine.Sids(Packet("DATA", 2)));
        Assert.Equal([2L], engine.Sids(Packet("DATA again", 3)));
    }

    [Fact]
    public void Bits_do_not_leak_to_another_flow()
    {
        using SignatureEngine engine = Build(LoginThenData);
        Assert.Empty(engine.Sids(Packet("LOGIN", 0, sport: 40000)));
        Assert.Empty(engine.Sids(Packet("DATA", 1, sport: 40001)));
        Assert.Empty(engine.Sids(Packet("DATA", 1, src: "10.0.0.6")));
        Assert.Empty(engine.Sids(Packet("DATA", 1, proto: 17)));
        Assert.Equal([2L], engine.Sids(Packet("DATA", 2, sport: 40000)));
    }

    [Fact]
    public void Both_directions_share_the_bits_by_community_id_or_by_the_normalized_tuple()
    {
        const string rules = """
            alert tcp any any -> any any (msg:"request"; content:"GET"; flowbits:set,req; flowbits:noalert; sid:1;)
            alert tcp any any -> any any (msg:"response to it"; content:"200 OK"; flowbits:isset,req; sid:2;)
            """;
        using SignatureEngine byTuple = Build(rules);
        Assert.Empty(byTuple.Sids(Packet("GET /", 0)));
        Assert.Equal([2L], byTuple.Sids(Reply("HTTP/1.1 200 OK", 1)));

        using SignatureEngine byId = Build(rules);
        const string id = "1:LQU9qZlK+B5F3KDmev6m5PMibrg=";
        Assert.Empty(byId.Sids(Packet("GET /", 0, communityId: id)));
        Assert.Equal([2L], byId.Sids(Packet("HTTP/1.1 200 OK", 1, src: "192.0.2.1", communityId: id)));
        Assert.Empty(byId.Sids(Packet("HTTP/1.1 200 OK", 1, communityId: "1:other")));
    }

    [Fact]
    public void An_ipv6_flow_never_sees_the_bits_of_an_ipv4_flow()
    {
        // suricata-verify hashaf-flow-v4-v6-collision: the IPv6 address words equal the IPv4 ones.
        const string rules = """
            alert udp any any -> any any (msg:"set on v4"; content:"SETFLOW"; flowbits:set,hashaf.flow; sid:9100001;)
            alert udp any any -> any any (msg:"BUG: v6 reused v4 flow"; content:"HITFLOW"; flowbits:isset,hashaf.flow; sid:9100002;)
            """;
        using SignatureEngine engine = Build(rules);
        Assert.Equal([9100001L], engine.Sids(Packet("SETFLOW", 0, src: "1.2.3.4", sport: 1111, dst: "5.6.7.8", dport: 2222, proto: 17)));
        Assert.Empty(engine.Sids(Packet("HITFLOW", 0, src: "102:304::", sport: 1111, dst: "506:708::", dport: 2222, proto: 17)));
        Assert.Equal([9100002L], engine.Sids(Packet("HITFLOW", 1, src: "1.2.3.4", sport: 1111, dst: "5.6.7.8", dport: 2222, proto: 17)));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Within_one_event_writers_run_before_readers_whatever_the_file_order(bool prefilter)
    {
        // The rules of suricata-verify detect-flowbits, on its single packet: Suricata orders rules that only write
        // bits first (1, 2, 7), then those that read and write (8), then readers (3, 5, 6, 9, 11, 12).
        const string rules = """
            alert ip any any -> any any (msg:"Flowbit set"; flowbits:set,fb1; sid:1;)
            alert ip any any -> any any (msg:"Flowbit set"; flowbits:set,fb2; sid:2;)
            alert ip any any -> any any (msg:"Flowbit isset ored flowbits"; flowbits:isset,fb3|fb4; sid:3;)
            alert ip any any -> any any (msg:"Flowbit isset ored flowbits"; flowbits:isset,fb1|fb5; sid:5;)
            alert ip any any -> any any (msg:"Flowbit isnotset ored flowbits"; flowbits:isnotset, fb1|fb2 ; sid:6;)
            alert ip any any -> any any (msg:"Flowbit unset"; flowbits:unset,fb1; sid:7;)
            alert ip any any -> any any (msg:"Flowbit set"; flowbits:noalert; flowbits:isnotset,fb1; flowbits:set,fb1; content:"GET "; sid:8;)
            alert ip any any -> any any (msg:"Flowbit isset"; flowbits:isset,fb1; sid:9;)
            alert ip any any -> any any (msg:"Noalert"; flowbits:noalert; content:"GET "; sid:10;)
            alert ip any any -> any any (msg:"isset option"; flowbits:isset,fbt; content:"GET "; sid:11;)
            alert ip any any -> any any (msg:"Flowbit isset and flowbits"; flowbits:isset,fb1; flowbits:isset,fb2; sid:12;)
            """;
        using SignatureEngine engine = Build(rules, prefilter: prefilter);
        Assert.Equal([1L, 2, 5, 7, 9, 12], engine.Sids(Packet("GET /one/ HTTP/1.1\r\n\r\n", src: "5.6.7.8", dst: "1.2.3.4")));
    }

    [Fact]
    public void A_reader_listed_first_sees_a_bit_set_by_a_later_rule_on_the_same_event()
    {
        const string rules = """
            alert tcp any any -> any any (msg:"reader"; content:"X"; flowbits:isset,b; sid:1;)
            alert tcp any any -> any any (msg:"writer"; content:"X"; flowbits:set,b; sid:2;)
            """;
        using SignatureEngine engine = Build(rules);
        Assert.Equal([1L, 2], engine.Sids(Packet("X")));
    }

    [Fact]
    public void Writes_apply_only_when_the_rest_of_the_rule_matched()
    {
        const string rules = """
            alert tcp any any -> any any (msg:"set needs MAGIC"; content:"MAGIC"; flowbits:set,b; flowbits:noalert; sid:1;)
            alert tcp any any -> any any (msg:"test"; flowbits:isset,b; sid:2;)
            alert tcp any any -> any any (msg:"set needs c too"; content:"A"; flowbits:isset,c; flowbits:set,d; flowbits:noalert; sid:3;)
            alert tcp any any -> any any (msg:"test d"; flowbits:isset,d; sid:4;)
            """;
        using SignatureEngine engine = Build(rules);
        Assert.Empty(engine.Sids(Packet("nothing", 0)));
        Assert.Empty(engine.Sids(Packet("A", 1)));
        Assert.Equal([2L], engine.Sids(Packet("MAGIC", 2)));
    }

    [Fact]
    public void Noalert_rules_update_state_but_are_never_reported()
    {
        const string rules = """
            alert tcp any any -> any any (msg:"mark"; content:"MARK"; flowbits:set,m; flowbits:noalert; sid:1;)
            alert tcp any any -> any any (msg:"silent"; content:"MARK"; flowbits:noalert; sid:2;)
            alert tcp any any -> any any (msg:"marked"; flowbits:isset,m; sid:3;)
            """;
        using SignatureEngine engine = Build(rules);
        Assert.Equal([3L], engine.Sids(Packet("MARK")));
        Assert.Equal([3L], engine.Sids(Packet("later", 1)));
    }

    [Fact]
    public void Unset_and_toggle()
    {
        const string rules = """
            alert tcp any any -> any any (msg:"set"; content:"SET"; flowbits:set,b; flowbits:noalert; sid:1;)
            alert tcp any any -> any any (msg:"unset"; content:"UNSET"; flowbits:unset,b; flowbits:noalert; sid:2;)
            alert tcp any any -> any any (msg:"toggle"; content:"TOGGLE"; flowbits:toggle,b; flowbits:noalert; sid:3;)
            alert tcp any any -> any any (msg:"is set"; content:"?"; flowbits:isset,b; sid:4;)
            alert tcp any any -> any any (msg:"is not set"; content:"?"; flowbits:isnotset,b; sid:5;)
            """;
        using SignatureEngine engine = Build(rules);
        Assert.Equal([5L], engine.Sids(Packet("?", 0)));
        Assert.Equal([4L], engine.Sids(Packet("SET ?", 1)));
        Assert.Equal([5L], engine.Sids(Packet("UNSET ?", 2)));
        Assert.Equal([4L], engine.Sids(Packet("TOGGLE ?", 3)));
        Assert.Equal([5L], engine.Sids(Packet("TOGGLE ?", 4)));
        Assert.Equal([5L], engine.Sids(Packet("UNSET ?", 5)));
    }

    [Fact]
    public void Or_lists_need_any_and_lists_need_all()
    {
        const string rules = """
            alert tcp any any -> any any (msg:"set a"; content:"A"; flowbits:set,a; flowbits:noalert; sid:1;)
            alert tcp any any -> any any (msg:"set b"; content:"B"; flowbits:set,b; flowbits:noalert; sid:2;)
            alert tcp any any -> any any (msg:"any"; content:"?"; flowbits:isset,a|b; sid:10;)
            alert tcp any any -> any any (msg:"all"; content:"?"; flowbits:isset,a&b; sid:11;)
            alert tcp any any -> any any (msg:"any not set"; content:"?"; flowbits:isnotset,a|b; sid:12;)
            alert tcp any any -> any any (msg:"none set"; content:"?"; flowbits:isnotset,a&b; sid:13;)
            alert tcp any any -> any any (msg:"set both"; content:"SETAB"; flowbits:set,a|b; flowbits:noalert; sid:14;)
            """;
        using SignatureEngine engine = Build(rules);
        Assert.Equal([12L, 13], engine.Sids(Packet("?", 0)));
        Assert.Equal([10L, 12], engine.Sids(Packet("A ?", 1)));
        Assert.Equal([10L, 11], engine.Sids(Packet("B ?", 2)));
        Assert.Equal([10L, 11], engine.Sids(Packet("SETAB ?", 0, sport: 1)));
    }

    [Fact]
    public void A_pass_rule_ends_the_event_and_keeps_its_own_writes()
    {
        const string rules = """
            pass tcp any any -> any any (msg:"trusted"; content:"TRUSTED"; flowbits:set,trusted; sid:1;)
            alert tcp any any -> any any (msg:"bad"; content:"BAD"; flowbits:isnotset,trusted; sid:2;)
            alert tcp any any -> any any (msg:"any"; content:"BAD"; sid:3;)
            """;
        using SignatureEngine engine = Build(rules);
        Assert.Equal([2L, 3], engine.Sids(Packet("BAD", 0)));
        Assert.Empty(engine.Sids(Packet("TRUSTED BAD", 1)));
        Assert.Equal([3L], engine.Sids(Packet("BAD", 2)));
    }

    [Fact]
    public void The_flow_table_is_bounded_and_evictions_are_counted()
    {
        var evicted = new List<(string Table, StateEvictionReason Reason)>();
        using SignatureEngine engine = Build(LoginThenData, new DetectionStateLimits { MaxFlows = 2 }, (t, r) => evicted.Add((t, r)));
        for (ushort port = 1; port <= 3; port++)
        {
            Assert.Empty(engine.Sids(Packet("LOGIN", port, sport: port)));
        }

        Assert.Equal(2, engine.State!.FlowCount);
        Assert.Equal([("flowbits", StateEvictionReason.Capacity)], evicted);
        Assert.Empty(engine.Sids(Packet("DATA", 4, sport: 1)));
        Assert.Equal([2L], engine.Sids(Packet("DATA", 4, sport: 3)));

        for (int i = 0; i < 1000; i++)
        {
            engine.Sids(Packet("LOGIN", 5, sport: (ushort)(100 + i)));
        }

        Assert.Equal(2, engine.State.FlowCount);
        Assert.Equal(1001, engine.State.FlowsEvicted);
    }

    [Fact]
    public void Bits_expire_after_the_idle_timeout_in_event_time()
    {
        var evicted = new List<(string Table, StateEvictionReason Reason)>();
        using SignatureEngine engine = Build(LoginThenData, new DetectionStateLimits { FlowIdleTimeout = TimeSpan.FromSeconds(60) }, (t, r) => evicted.Add((t, r)));
        Assert.Empty(engine.Sids(Packet("LOGIN", 0)));
        Assert.Equal([2L], engine.Sids(Packet("DATA", 50)));
        Assert.Equal([2L], engine.Sids(Packet("DATA", 110)));
        Assert.Empty(engine.Sids(Packet("DATA", 171)));
        Assert.Equal([("flowbits", StateEvictionReason.Expired)], evicted);
        Assert.Equal(0, engine.State!.FlowCount);
    }

    [Fact]
    public void Summary_events_do_not_touch_state()
    {
        using SignatureEngine engine = Build(LoginThenData);
        FlowEvent summary = Packet("LOGIN");
        Assert.Empty(engine.Match(new FlowEvent
        {
            Timestamp = summary.Timestamp, Source = summary.Source, Destination = summary.Destination, IpProtocol = 6,
            Kind = FlowEventKind.Summary, Payload = summary.Payload,
        }));
        Assert.Equal(0, engine.State!.FlowCount);
    }

    [Fact]
    public void Concurrent_callers_keep_per_flow_state_consistent()
    {
        // Each of 8 threads drives its own flows: set then test. With the state locked per event every test sees its set.
        using SignatureEngine engine = Build(LoginThenData);
        int alerts = 0;
        Parallel.For(0, 8, t =>
        {
            for (int i = 0; i < 200; i++)
            {
                string src = $"10.{t}.{i / 250}.{(i % 250) + 1}";
                engine.Match(Packet("LOGIN", i, src: src));
                Interlocked.Add(ref alerts, engine.Match(Packet("DATA", i + 0.5, src: src)).Count);
            }
        });
        Assert.Equal(8 * 200, alerts);
        Assert.Equal(8 * 200, engine.State!.FlowCount);
    }
}
