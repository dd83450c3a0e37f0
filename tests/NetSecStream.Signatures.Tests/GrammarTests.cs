using System.Net;
using System.Text;
using NetSecStream.Signatures.Keywords;
using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Tests;

public sealed class GrammarTests
{
    private static readonly RuleParser Parser = new();

    internal static Rule Parse(string text) => Parser.Parse(text);

    internal static RuleParseException Fails(string text) => Assert.Throws<RuleParseException>(() => Parser.Parse(text));

    [Theory]
    [InlineData("alert", RuleAction.Alert)]
    [InlineData("pass", RuleAction.Pass)]
    [InlineData("drop", RuleAction.Drop)]
    [InlineData("reject", RuleAction.Reject)]
    [InlineData("rejectsrc", RuleAction.RejectSrc)]
    [InlineData("rejectdst", RuleAction.RejectDst)]
    [InlineData("rejectboth", RuleAction.RejectBoth)]
    public void Header_ParsesEveryAction(string action, RuleAction expected) =>
        Assert.Equal(expected, Parse($"{action} tcp any any -> any any (msg:\"x\"; sid:1;)").Action);

    [Theory]
    [InlineData("ip")]
    [InlineData("tcp-pkt")]
    [InlineData("tcp-stream")]
    [InlineData("http")]
    [InlineData("http2")]
    [InlineData("dns")]
    [InlineData("tls")]
    [InlineData("quic")]
    [InlineData("krb5")]
    [InlineData("dcerpc")]
    public void Header_ParsesProtocols(string protocol) =>
        Assert.Equal(protocol, Parse($"alert {protocol} any any -> any any (sid:1;)").Protocol);

    [Fact]
    public void Header_UnknownActionAndProtocolAndDirection_AreDiagnosed()
    {
        Assert.Contains("unknown action 'alarm'", Fails("alarm tcp any any -> any any (sid:1;)").Message, StringComparison.Ordinal);
        Assert.Contains("unknown protocol 'foo'", Fails("alert foo any any -> any any (sid:1;)").Message, StringComparison.Ordinal);
        RuleParseException dir = Fails("alert tcp any any <- any any (sid:1;)");
        Assert.Equal(RuleDiagnosticKind.Syntax, dir.Kind);
        Assert.Contains("direction", dir.Message, StringComparison.Ordinal);
        Assert.Contains("header has 6 fields", Fails("alert tcp any -> any any (sid:1;)").Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Header_BidirectionalArrow() =>
        Assert.Equal(RuleDirection.Both, Parse("alert tcp any any <> any any (sid:1;)").Direction);

    [Fact]
    public void Addresses_CidrListsNegationAndVariables()
    {
        Rule r = Parse("alert tcp [10.0.0.0/8, !10.1.0.0/16, [192.168.1.1, 2001:db8::/32]] any -> $EXTERNAL_NET any (sid:1;)");
        Assert.True(r.Source.Matches(IPAddress.Parse("10.2.3.4")));
        Assert.False(r.Source.Matches(IPAddress.Parse("10.1.3.4")));
        Assert.True(r.Source.Matches(IPAddress.Parse("192.168.1.1")));
        Assert.True(r.Source.Matches(IPAddress.Parse("2001:db8::1")));
        Assert.False(r.Source.Matches(IPAddress.Parse("8.8.8.8")));
        Assert.True(r.Destination.Matches(IPAddress.Parse("8.8.8.8")));
        Assert.False(r.Destination.Matches(IPAddress.Parse("192.168.4.4")));
        Assert.Equal("$EXTERNAL_NET", r.Destination.Text);
    }

    [Fact]
    public void Addresses_HostBitsAndDottedMask_AreAccepted()
    {
        Rule r = Parse("alert ip 10.1.2.3/8 any -> 192.168.0.0/255.255.0.0 any (sid:1;)");
        Assert.True(r.Source.Matches(IPAddress.Parse("10.200.0.1")));
        Assert.True(r.Destination.Matches(IPAddress.Parse("192.168.9.9")));
        Assert.False(r.Destination.Matches(IPAddress.Parse("192.169.0.1")));
    }

    [Theory]
    [InlineData("alert tcp 300.1.1.1 any -> any any (sid:1;)", "is not an address")]
    [InlineData("alert tcp 10.0.0.0/33 any -> any any (sid:1;)", "bad prefix length")]
    [InlineData("alert tcp [10.0.0.1,,10.0.0.2] any -> any any (sid:1;)", "empty element")]
    [InlineData("alert tcp [10.0.0.1 any -> any any (sid:1;)", "unbalanced '['")]
    [InlineData("alert tcp $NOPE any -> any any (sid:1;)", "undefined address variable '$NOPE'")]
    [InlineData("alert tcp any $NOPE_PORTS -> any any (sid:1;)", "undefined port variable '$NOPE_PORTS'")]
    [InlineData("alert tcp any 70000 -> any any (sid:1;)", "is not a port")]
    [InlineData("alert tcp any 90:80 -> any any (sid:1;)", "runs backwards")]
    [InlineData("alert tcp !any any -> any any (sid:1;)", "negates 'any'")]
    [InlineData("alert tcp any any -> any !any (sid:1;)", "negates 'any'")]
    public void Header_BadAddressesAndPorts_AreDiagnosed(string rule, string reason) =>
        Assert.Contains(reason, Fails(rule).Message, StringComparison.Ordinal);

    [Fact]
    public void Ports_RangesOpenRangesListsNegationVariables()
    {
        Rule r = Parse("alert tcp any [1024:, !8080, $HTTP_PORTS] -> any [:1023,!22] (sid:1;)");
        Assert.True(r.SourcePorts.Matches(80));
        Assert.True(r.SourcePorts.Matches(5000));
        Assert.False(r.SourcePorts.Matches(8080));
        Assert.False(r.SourcePorts.Matches(443));
        Assert.True(r.DestinationPorts.Matches(443));
        Assert.False(r.DestinationPorts.Matches(22));
        Assert.False(r.DestinationPorts.Matches(2000));
        Rule shellcode = Parse("alert tcp any $SHELLCODE_PORTS -> any 1:3 (sid:1;)");
        Assert.False(shellcode.SourcePorts.Matches(80));
        Assert.True(shellcode.SourcePorts.Matches(81));
        Assert.True(shellcode.DestinationPorts.Matches(2));
    }

    [Fact]
    public void Variables_DefaultsFollowSuricataYaml()
    {
        RuleVariables v = RuleVariables.CreateDefault();
        Assert.Equal("[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]", v.GetAddress("HOME_NET"));
        Assert.Equal("!$HOME_NET", v.GetAddress("EXTERNAL_NET"));
        Assert.Equal("$EXTERNAL_NET", v.GetAddress("AIM_SERVERS"));
        Assert.Equal("[$HTTP_PORTS,110,143]", v.GetPort("FILE_DATA_PORTS"));
        Assert.Equal("3544", v.GetPort("TEREDO_PORTS"));
        PortSet fileData = PortSet.Parse("$FILE_DATA_PORTS", v);
        Assert.True(fileData.Matches(143));
        Assert.False(fileData.Matches(25));
    }

    [Fact]
    public void Variables_YamlAndSimpleFilesOverrideDefaults()
    {
        RuleVariables v = RuleVariables.CreateDefault();
        v.Apply(
        [
            "%YAML 1.1", "---", "vars:", "  address-groups:", "    HOME_NET: \"[10.10.0.0/16]\"  # lab", "  port-groups:",
            "    HTTP_PORTS: \"[80,8080]\"",
        ]);
        Assert.Equal("[10.10.0.0/16]", v.GetAddress("HOME_NET"));
        Assert.Equal("[80,8080]", v.GetPort("HTTP_PORTS"));
        v.Apply(["# simple", "DNS_SERVERS 10.10.0.53", "ipvar DC_SERVERS [10.10.0.1]", "portvar SSH_PORTS 2222", "MY_PORTS 1:2"]);
        Assert.Equal("10.10.0.53", v.GetAddress("DNS_SERVERS"));
        Assert.Equal("[10.10.0.1]", v.GetAddress("DC_SERVERS"));
        Assert.Equal("2222", v.GetPort("SSH_PORTS"));
        Assert.Equal("1:2", v.GetPort("MY_PORTS"));
        Rule r = new RuleParser(v).Parse("alert tcp $EXTERNAL_NET any -> $HOME_NET $HTTP_PORTS (sid:1;)");
        Assert.True(r.Source.Matches(IPAddress.Parse("10.0.0.1")));
        Assert.True(r.DestinationPorts.Matches(8080));
    }

    [Fact]
    public void Variables_SelfReference_IsDiagnosedNotStackOverflow()
    {
        RuleVariables v = RuleVariables.CreateDefault();
        v.SetAddress("LOOP", "[$LOOP]");
        RuleParseException e = Assert.Throws<RuleParseException>(() => new RuleParser(v).Parse("alert tcp $LOOP any -> any any (sid:1;)"));
        Assert.Contains("deeper than", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_EscapesInsideQuotedValues()
    {
        Rule r = Parse("alert tcp any any -> any any (msg:\"a \\\"quoted\\\" \\; semi \\\\ back\"; content:\"x\\;y\\\"z\\\\\"; sid:7;)");
        Assert.Equal("a \"quoted\" ; semi \\ back", r.Msg);
        var content = Assert.IsType<ContentMatch>(r.Options.Single(o => o is ContentMatch));
        Assert.Equal("x;y\"z\\", Encoding.Latin1.GetString(content.Pattern.Span));
    }

    [Fact]
    public void Options_HexContentAndNegation()
    {
        Rule r = Parse("alert tcp any any -> any any (content:!\"GET|20 2F|a|0d0A|\"; sid:1;)");
        var c = Assert.IsType<ContentMatch>(r.Options[0]);
        Assert.True(c.Negated);
        Assert.Equal("GET /a\r\n"u8.ToArray(), c.Pattern.ToArray());
    }

    [Theory]
    [InlineData("alert tcp any any -> any any (content:\"|4G|\"; sid:1;)", "not a hex digit")]
    [InlineData("alert tcp any any -> any any (content:\"|414|\"; sid:1;)", "odd number of hex digits")]
    [InlineData("alert tcp any any -> any any (content:\"|41\"; sid:1;)", "unterminated |hex|")]
    [InlineData("alert tcp any any -> any any (content:\"abc; sid:1;)", "unbalanced quotes")]
    [InlineData("alert tcp any any -> any any (content:\"a\\qb\"; sid:1;)", "invalid escape")]
    [InlineData("alert tcp any any -> any any (content:\"\"; sid:1;)", "empty pattern")]
    [InlineData("alert tcp any any -> any any (msg:\"x\" sid:1;)", "unbalanced quotes")]
    [InlineData("alert tcp any any -> any any (msg:\"x\"; sid:1;", "does not end with ')'")]
    [InlineData("alert tcp any any -> any any msg:\"x\"; sid:1;", "no '('")]
    [InlineData("alert tcp any any -> any any (nocase; sid:1;)", "needs a preceding content")]
    [InlineData("alert tcp any any -> any any (sid:1; nocase:1;)", "takes no value")]
    [InlineData("alert tcp any any -> any any (sid:1; depth;)", "needs a value")]
    public void Options_SyntaxErrors_SayWhatAndWhere(string rule, string reason)
    {
        RuleParseException e = Fails(rule);
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
        Assert.Equal(1, e.Sid ?? RuleParser.ScanSid(rule));
    }

    [Fact]
    public void Options_UnknownKeyword_IsNamed()
    {
        RuleParseException e = Fails("alert tcp any any -> any any (msg:\"x\"; frobnicate:3; sid:42;)");
        Assert.Equal(RuleDiagnosticKind.UnsupportedKeyword, e.Kind);
        Assert.Equal("unsupported keyword 'frobnicate'", e.Message);
        Assert.Equal("frobnicate", e.Keyword);
        Assert.Equal(42, e.Sid);
    }

    [Fact]
    public void Loader_MultiLineRulesCommentsAndBlankLines()
    {
        const string text = """
            # a comment
            #alert tcp any any -> any any (msg:"disabled"; sid:9;)

            alert tcp any any -> any any (msg:"two \
              lines"; \
              sid:1; rev:2;)
            alert udp any any -> any 53 (msg:"ok"; sid:2;)
            """;
        RuleSetLoadResult result = RuleSetLoader.LoadText(text, file: "t.rules");
        Assert.Equal(2, result.Total);
        Assert.Equal(2, result.Loaded);
        Rule first = result.Rules[0];
        Assert.Equal("two   lines", first.Msg);
        Assert.Equal(4, first.Line);
        Assert.Equal(2, first.Rev);
        Assert.Equal(7, result.Rules[1].Line);
    }

    [Fact]
    public void Loader_DiagnosticsCarryFileLineSidAndKind()
    {
        const string text = """
            alert tcp any any -> any any (msg:"ok"; sid:1;)
            alert tcp any any -> any any (msg:"bad"; xyz; sid:2;)
            alert tcp any any -> any any (msg:"dup"; sid:1;)
            alert tcp any any -> any any (msg:"cut"; sid:3;
            alert tcp any any -> any any (msg:"ends in continuation"; \
            """;
        RuleSetLoadResult result = RuleSetLoader.LoadText(text, file: "t.rules");
        Assert.Equal(5, result.Total);
        Assert.Equal(1, result.Loaded);
        Assert.Equal(4, result.Failed);
        Assert.Equal(new RuleDiagnostic("t.rules", 2, 2, RuleDiagnosticKind.UnsupportedKeyword, "unsupported keyword 'xyz'", "xyz"), result.Diagnostics[0]);
        Assert.Equal(1, result.UnsupportedKeywords["xyz"]);
        Assert.Contains("duplicate sid 1", result.Diagnostics[1].Reason, StringComparison.Ordinal);
        Assert.Equal((4, 3L, RuleDiagnosticKind.Syntax), (result.Diagnostics[2].Line, result.Diagnostics[2].Sid!.Value, result.Diagnostics[2].Kind));
        Assert.Equal(5, result.Diagnostics[3].Line);
        Assert.Equal("t.rules:2: sid 2: unsupported keyword 'xyz'", result.Diagnostics[0].ToString());
    }
}
