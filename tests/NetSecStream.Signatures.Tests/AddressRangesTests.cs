using System.Net;
using NetSecStream.Signatures.Engine;
using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Tests;

public sealed class AddressRangesTests
{
    private static readonly RuleVariables Vars = RuleVariables.CreateDefault();

    [Theory]
    [InlineData("any", "192.0.2.1", true)]
    [InlineData("any", "2001:db8::1", true)]
    [InlineData("10.0.0.0/8", "10.255.255.255", true)]
    [InlineData("10.0.0.0/8", "11.0.0.0", false)]
    [InlineData("10.0.0.0/8", "::ffff:10.1.2.3", true)]
    [InlineData("!10.0.0.0/8", "10.1.2.3", false)]
    [InlineData("!10.0.0.0/8", "192.0.2.1", true)]
    [InlineData("!10.0.0.0/8", "2001:db8::1", true)]
    [InlineData("[10.0.0.0/8,!10.1.0.0/16]", "10.1.2.3", false)]
    [InlineData("[10.0.0.0/8,!10.1.0.0/16]", "10.2.2.3", true)]
    [InlineData("[!10.1.0.0/16]", "192.0.2.1", true)]
    [InlineData("[!10.1.0.0/16]", "10.1.0.1", false)]
    [InlineData("![10.0.0.0/8,192.0.2.0/24]", "192.0.2.9", false)]
    [InlineData("![10.0.0.0/8,192.0.2.0/24]", "198.51.100.1", true)]
    [InlineData("[0.0.0.0/0,!255.255.255.255]", "255.255.255.255", false)]
    [InlineData("[0.0.0.0/0,!255.255.255.255]", "255.255.255.254", true)]
    [InlineData("2001:db8::/32", "2001:db8:ffff::1", true)]
    [InlineData("2001:db8::/32", "2001:db9::1", false)]
    [InlineData("$HOME_NET", "172.16.5.4", true)]
    [InlineData("$EXTERNAL_NET", "172.16.5.4", false)]
    [InlineData("$EXTERNAL_NET", "8.8.8.8", true)]
    public void Sets_match_as_suricata_lists_do(string text, string address, bool expected) =>
        Assert.Equal(expected, AddressSet.Parse(text, Vars).Matches(IPAddress.Parse(address)));

    [Fact]
    public void Ranges_agree_with_a_walk_over_the_blocks_for_random_lists()
    {
        var random = new Random(5);
        for (int round = 0; round < 200; round++)
        {
            var blocks = new List<(uint Low, uint High, bool Negated)>();
            var parts = new List<string>();
            for (int i = 0; i < random.Next(1, 12); i++)
            {
                uint address = (uint)random.Next(0, 4) << 30 | (uint)random.Next() & 0x3FFFFFFF;
                int prefix = random.Next(4, 33);
                uint mask = prefix == 32 ? uint.MaxValue : ~(uint.MaxValue >> prefix);
                bool negated = random.Next(4) == 0;
                blocks.Add((address & mask, (address & mask) | ~mask, negated));
                parts.Add((negated ? "!" : "") + new IPAddress(BitConverter.GetBytes(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(address & mask))) + "/" + prefix);
            }

            AddressSet set = AddressSet.Parse("[" + string.Join(",", parts) + "]", Vars);
            for (int probe = 0; probe < 200; probe++)
            {
                uint a = probe % 2 == 0 ? (uint)random.NextInt64(0, uint.MaxValue) : blocks[random.Next(blocks.Count)].Low + (uint)random.Next(0, 3);
                bool anyPositive = blocks.Any(b => !b.Negated);
                bool expected = (!anyPositive || blocks.Any(b => !b.Negated && a >= b.Low && a <= b.High))
                    && !blocks.Any(b => b.Negated && a >= b.Low && a <= b.High);
                var ip = new IPAddress(BitConverter.GetBytes(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(a)));
                Assert.Equal(expected, set.Matches(ip));
            }
        }
    }

    [Fact]
    public void Reputation_rules_are_found_by_address_and_not_run_on_every_event()
    {
        const string rules = """
            alert ip [192.0.2.1,192.0.2.7,198.51.100.0/24] any -> $HOME_NET any (msg:"rep list"; sid:1;)
            alert ip $HOME_NET any -> [203.0.113.5] any (msg:"rep out"; sid:2;)
            alert ip any any -> any any (msg:"everything"; sid:3;)
            """;
        using var engine = new SignatureEngine(RuleSetLoader.LoadText(rules), usePrefilter: true);
        Assert.Equal(2, engine.AddressIndexedCount);
        Assert.Equal(1, engine.HeaderOnlyCount);

        long[] Sids(string src, string dst) =>
            [.. engine.Match(Engine.SignatureEngineTests.Flow(src: src, dst: dst)).Select(m => m.Rule.Sid).Order()];
        Assert.Equal([1L, 3], Sids("198.51.100.77", "10.0.0.1"));
        Assert.Equal([1L, 3], Sids("192.0.2.7", "10.0.0.1"));
        Assert.Equal([3L], Sids("192.0.2.8", "10.0.0.1"));
        Assert.Equal([3L], Sids("198.51.100.77", "8.8.8.8"));
        Assert.Equal([2L, 3], Sids("10.9.9.9", "203.0.113.5"));
    }

    [Fact]
    public void Port_rules_without_patterns_are_found_by_port_and_still_match_as_before()
    {
        const string rules = """
            alert tcp $EXTERNAL_NET any -> $HOME_NET 22 (msg:"ssh scan"; flags:S; sid:1;)
            alert tcp any any <> any [5900:5920,443] (msg:"vnc or tls either way"; sid:2;)
            alert tcp any any -> any !80 (msg:"negated port"; sid:3;)
            """;
        using var engine = new SignatureEngine(RuleSetLoader.LoadText(rules), usePrefilter: true);
        Assert.Equal(2, engine.PortIndexedCount);
        Assert.Equal(1, engine.HeaderOnlyCount);

        long[] Sids(string src, ushort sport, string dst, ushort dport, Core.Events.TcpFlags flags = Core.Events.TcpFlags.Syn)
        {
            var flow = Engine.SignatureEngineTests.Flow(src: src, sport: sport, dst: dst, dport: dport);
            var withFlags = new Core.Events.FlowEvent
            {
                Timestamp = flow.Timestamp, Source = flow.Source, Destination = flow.Destination, IpProtocol = 6, TcpFlags = flags,
            };
            return [.. engine.Match(withFlags).Select(m => m.Rule.Sid).Order()];
        }

        Assert.Equal([1L, 3], Sids("198.51.100.1", 40000, "10.0.0.1", 22));
        Assert.Equal([2L, 3], Sids("10.0.0.1", 5901, "198.51.100.1", 40000));
        Assert.Equal([2L, 3], Sids("10.0.0.1", 40000, "198.51.100.1", 443));
        Assert.Equal([], Sids("10.0.0.1", 40000, "198.51.100.1", 80));
    }
}
