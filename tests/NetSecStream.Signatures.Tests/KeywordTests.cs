using NetSecStream.Signatures.Keywords;
using NetSecStream.Signatures.Rules;
using static NetSecStream.Signatures.Tests.GrammarTests;

namespace NetSecStream.Signatures.Tests;

public sealed class KeywordTests
{
    private static Rule WithOptions(string options) => Parse($"alert tcp any any -> any any ({options} sid:1;)");

    private static string Error(string options) => Fails($"alert tcp any any -> any any ({options} sid:1;)").Message;

    [Fact]
    public void Table_EveryKeywordHasNameDescriptionAndDocumentation()
    {
        Assert.True(KeywordTable.All.Count > 100);
        Assert.All(KeywordTable.All, pair =>
        {
            Assert.Equal(pair.Key, pair.Value.Name);
            Assert.False(string.IsNullOrWhiteSpace(pair.Value.Description));
            Assert.StartsWith("https://docs.suricata.io/", pair.Value.Documentation.AbsoluteUri, StringComparison.Ordinal);
        });
        foreach (string required in (string[])["msg", "sid", "rev", "gid", "classtype", "priority", "reference", "metadata", "target", "content",
                     "nocase", "depth", "offset", "distance", "within", "startswith", "endswith", "fast_pattern", "pcre", "isdataat", "dsize",
                     "bsize", "byte_test", "byte_jump", "byte_extract", "flow", "flowbits", "threshold", "detection_filter", "app-layer-protocol",
                     "dns.query", "http.uri", "http.uri.raw", "http.host", "http.method", "http.user_agent", "http.header", "http.cookie",
                     "http.stat_code", "http.request_body", "http.response_body", "tls.sni", "ja3.hash", "file.data", "http_uri", "http_host",
                     "http_method", "http_user_agent", "http_header", "http_cookie", "http_stat_code", "http_client_body", "http_server_body",
                     "dns_query", "tls_sni", "ja3_hash", "file_data", "iprep", "dataset"])
        {
            Assert.True(KeywordTable.All.ContainsKey(required), required);
        }
    }

    [Fact]
    public void Meta_MsgSidRevGidPriorityReferenceMetadataTarget()
    {
        Rule r = Parse("alert tcp any any -> any any (msg:\"m\"; reference:url,example.com/a,b; reference:cve,2024-1; " +
                       "metadata:created_at 2024_01_01, signature_severity Major; target:dest_ip; priority:2; gid:3; sid:2000001; rev:5;)");
        Assert.Equal(("m", 2000001L, 5, 3, 2, "dest_ip"), (r.Msg, r.Sid, r.Rev, r.Gid, r.Priority, r.Target));
        Assert.Equal(new RuleReference("url", "example.com/a,b"), r.References[0]);
        Assert.Equal(new KeyValuePair<string, string>("signature_severity", "Major"), r.Metadata[1]);
        Assert.Contains("sid must be greater than 0", Fails("alert tcp any any -> any any (sid:0;)").Message, StringComparison.Ordinal);
        Assert.Contains("no sid", Fails("alert tcp any any -> any any (msg:\"x\";)").Message, StringComparison.Ordinal);
        Assert.Contains("priority must be", Error("priority:0;"), StringComparison.Ordinal);
        Assert.Contains("target", Error("target:both;"), StringComparison.Ordinal);
        Assert.Contains("is not 'type,value'", Error("reference:nocomma;"), StringComparison.Ordinal);
        Assert.Contains("msg given twice", Error("msg:\"a\"; msg:\"b\";"), StringComparison.Ordinal);
    }

    [Fact]
    public void Classtype_PriorityComesFromClassificationConfig_ExplicitPriorityWins()
    {
        ClassificationConfig config = ClassificationConfig.Parse(
            ["# c", "config classification: trojan-activity,A Network Trojan was detected,1", "config classification: misc-activity,Misc activity,3"]);
        var parser = new RuleParser(classifications: config);
        Assert.Equal(1, parser.Parse("alert tcp any any -> any any (classtype:trojan-activity; sid:1;)").Priority);
        Assert.Equal(2, parser.Parse("alert tcp any any -> any any (classtype:misc-activity; priority:2; sid:1;)").Priority);
        RuleParseException e = Assert.Throws<RuleParseException>(() => parser.Parse("alert tcp any any -> any any (classtype:nope; sid:1;)"));
        Assert.Contains("classtype 'nope' is not in classification.config", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Content_Modifiers()
    {
        Rule r = WithOptions("content:\"abc\"; nocase; offset:2; depth:10; fast_pattern; content:\"de\"; distance:-1; within:5; " +
                             "content:\"x\"; startswith; endswith; content:\"abcdef\"; fast_pattern:1,3; content:\"z\"; fast_pattern:only; rawbytes;");
        ContentMatch[] c = r.Options.OfType<ContentMatch>().ToArray();
        Assert.True(c[0].Nocase);
        Assert.Equal((2L, 10L), (c[0].Offset!.Value.Value, c[0].Depth!.Value.Value));
        Assert.True(c[0].FastPattern);
        Assert.Equal((-1L, 5L), (c[1].Distance!.Value.Value, c[1].Within!.Value.Value));
        Assert.True(c[1].IsRelative);
        Assert.True(c[2].StartsWith && c[2].EndsWith);
        Assert.Equal((1, 3), c[3].FastPatternSlice);
        Assert.True(c[4].FastPatternOnly && c[4].RawBytes);
    }

    [Theory]
    [InlineData("content:\"a\"; depth:1; within:2;", "cannot be combined")]
    [InlineData("content:\"a\"; distance:1; offset:2;", "cannot be combined")]
    [InlineData("content:\"a\"; depth:1; depth:2;", "given twice")]
    [InlineData("content:\"a\"; depth:-1;", "cannot be negative")]
    [InlineData("content:\"a\"; depth:x;", "neither a number nor a byte_extract variable")]
    [InlineData("content:\"abc\"; fast_pattern:2,5;", "fast_pattern")]
    [InlineData("depth:3;", "needs a preceding content")]
    [InlineData("http_uri;", "needs a preceding content")]
    public void Content_ModifierErrors(string options, string reason) =>
        Assert.Contains(reason, Error(options), StringComparison.Ordinal);

    [Fact]
    public void StickyBuffers_GroupOptionsPerBuffer_LegacyModifiersMoveThePrecedingContent()
    {
        Rule r = Parse("alert http any any -> any any (content:\"GET\"; http_method; content:\"/a\"; http_uri; http.host; content:\"ex.com\"; " +
                       "bsize:6; pcre:\"/ex/i\"; file_data; content:\"MZ\"; pkt_data; content:\"raw\"; sid:1;)");
        Assert.Equal(["http.method", "http.uri", "http.host", "file.data", RuleBuilder.PayloadBuffer], r.Buffers.Select(b => b.Buffer));
        Assert.Equal(3, r.Buffers[2].Options.Count);
        Assert.IsType<PcreMatch>(r.Buffers[2].Options[2]);
        Rule aliases = Parse("alert dns any any -> any any (dns_query; content:\"a\"; tls_sni; content:\"b\"; ja3_hash; content:\"c\"; sid:1;)");
        Assert.Equal(["dns.query", "tls.sni", "ja3.hash"], aliases.Buffers.Select(b => b.Buffer));
        Assert.Contains("bsize needs a sticky buffer", Error("bsize:3;"), StringComparison.Ordinal);
        Assert.Contains("inside sticky buffer", Error("http.uri; content:\"a\"; http_host;"), StringComparison.Ordinal);
    }

    [Fact]
    public void Pcre_ModifiersMapToOptionsAndBuffers()
    {
        PcreMatch p = WithOptions("pcre:\"/^a.b$/ismxR\";").Options.OfType<PcreMatch>().Single();
        Assert.True(p.Relative);
        Assert.Matches(p.Regex, "A\nB");
        Assert.Equal(RuleBuilder.PayloadBuffer, p.Buffer);
        Assert.Equal("http.uri", WithOptions("pcre:\"/a/U\";").Options.OfType<PcreMatch>().Single().Buffer);
        Assert.Equal("http.header", WithOptions("pcre:\"/a/H\";").Options.OfType<PcreMatch>().Single().Buffer);
        Assert.Equal("http.request_body", WithOptions("pcre:\"/a/P\";").Options.OfType<PcreMatch>().Single().Buffer);
        Assert.Equal("http.user_agent", WithOptions("pcre:\"/a/V\";").Options.OfType<PcreMatch>().Single().Buffer);
        PcreMatch negated = WithOptions("pcre:!\"/x/\";").Options.OfType<PcreMatch>().Single();
        Assert.True(negated.Negated);
        Assert.True(negated.NonBacktracking);
    }

    [Fact]
    public void Pcre_PcreSyntaxIsTranslated_BackreferencesFallBackToBacktrackingWithTimeout()
    {
        PcreMatch named = WithOptions("pcre:\"/(?P<v>ab)\\_(?P=v)/\";").Options.OfType<PcreMatch>().Single();
        Assert.Matches(named.Regex, "ab_ab");
        Assert.False(named.NonBacktracking);
        Assert.Equal(RuleLimits.PcreMatchTimeout, named.Regex.MatchTimeout);
        PcreMatch posix = WithOptions("pcre:\"/^[[:digit:]]+x/\";").Options.OfType<PcreMatch>().Single();
        Assert.Matches(posix.Regex, "123x");
        Assert.DoesNotMatch(posix.Regex, ":x");
        Assert.Matches(WithOptions("pcre:\"/^(a)\\g{1}$/\";").Options.OfType<PcreMatch>().Single().Regex, "aa");
    }

    [Theory]
    [InlineData("pcre:\"/a(?R)?b/\";", ".NET cannot express")]
    [InlineData("pcre:\"/a\\Kb/\";", ".NET cannot express")]
    [InlineData("pcre:\"/ab/G\";", "'G'")]
    [InlineData("pcre:\"/ab/q\";", "unknown modifier 'q'")]
    [InlineData("pcre:\"/ab/UH\";", "two buffers")]
    [InlineData("pcre:\"ab\";", "expected \"/regex/flags\"")]
    public void Pcre_Errors(string options, string reason) =>
        Assert.Contains(reason, Error(options), StringComparison.Ordinal);

    [Fact]
    public void IsDataAtDsizeBsizeUrilen()
    {
        Rule r = Parse("alert http any any -> any any (dsize:>10; content:\"a\"; isdataat:!5,relative; http.uri; bsize:3<>9; urilen:<20,raw; sid:1;)");
        var dsize = (NumericRangeOption)r.Options[0];
        Assert.Equal(new NumericRange(NumericOperator.Greater, 10, 10), dsize.Range);
        var isdataat = r.Options.OfType<IsDataAtOption>().Single();
        Assert.True(isdataat.Negated && isdataat.Relative);
        Assert.Equal(5, isdataat.Position.Value);
        NumericRangeOption bsize = r.Options.OfType<NumericRangeOption>().Single(o => o.Keyword == "bsize");
        Assert.Equal("http.uri", bsize.Buffer);
        Assert.True(bsize.Range.Matches(5) && !bsize.Range.Matches(9));
        Assert.Equal("raw", r.Options.OfType<NumericRangeOption>().Single(o => o.Keyword == "urilen").Qualifier);
        Assert.Contains("needs min < max", Error("dsize:9<>3;"), StringComparison.Ordinal);
        Assert.Contains("is not a number", Error("dsize:abc;"), StringComparison.Ordinal);
        Assert.Contains("unknown option", Error("isdataat:1,sideways;"), StringComparison.Ordinal);
    }

    [Fact]
    public void ByteTestJumpExtract()
    {
        Rule r = WithOptions("byte_extract:2,0,len,relative,little; byte_test:4,!&,0x80,len,relative,big; byte_jump:2,1,relative,multiplier 2,post_offset -1; " +
                             "content:\"a\"; distance:len; byte_test:0,=,0,0,string,dec;");
        ByteOperation[] ops = r.Options.OfType<ByteOperation>().ToArray();
        Assert.Equal("len", ops[0].Variable);
        Assert.Equal(("&", true, 0x80L, "len"), (ops[1].Operator, ops[1].Negated, ops[1].Value!.Value.Value, ops[1].Offset.Variable));
        Assert.True(ops[2].Relative);
        Assert.Equal("len", r.Options.OfType<ContentMatch>().Single().Distance!.Value.Variable);
        Assert.Contains("byte count 11", Error("byte_test:11,=,1,0;"), StringComparison.Ordinal);
        Assert.Contains("is not an operator", Error("byte_test:1,~,1,0;"), StringComparison.Ordinal);
        Assert.Contains("needs bytes,operator,value,offset", Error("byte_test:1,=,1;"), StringComparison.Ordinal);
        Assert.Contains("unknown option 'sideways'", Error("byte_jump:1,0,sideways;"), StringComparison.Ordinal);
        Assert.Contains("needs bytes,offset,name", Error("byte_extract:1,0;"), StringComparison.Ordinal);
    }

    [Fact]
    public void Flow()
    {
        FlowOption f = WithOptions("flow:established,to_server,only_stream;").Flow!;
        Assert.Equal((true, true, true), (f.ToServer!.Value, f.Established!.Value, f.Stream!.Value));
        FlowOption g = WithOptions("flow:from_server,not_established,no_stream,stateless;").Flow!;
        Assert.Equal((false, false, false, true), (g.ToServer!.Value, g.Established!.Value, g.Stream!.Value, g.Stateless));
        Assert.True(WithOptions("flow:from_client;").Flow!.ToServer);
        Assert.False(WithOptions("flow:to_client;").Flow!.ToServer);
        Assert.Contains("conflicts", Error("flow:to_server,to_client;"), StringComparison.Ordinal);
        Assert.Contains("unknown option 'sideways'", Error("flow:sideways;"), StringComparison.Ordinal);
    }

    [Fact]
    public void Flowbits()
    {
        Rule r = WithOptions("flowbits:set,a; flowbits:isset,b|c; flowbits:isnotset,d&e; flowbits:unset,f; flowbits:toggle,g; flowbits:noalert;");
        Assert.Equal(
            [FlowbitsCommand.Set, FlowbitsCommand.IsSet, FlowbitsCommand.IsNotSet, FlowbitsCommand.Unset, FlowbitsCommand.Toggle, FlowbitsCommand.NoAlert],
            r.Flowbits.Select(f => f.Command));
        Assert.Equal(["b", "c"], r.Flowbits[1].Names);
        Assert.True(r.Flowbits[2].All);
        Assert.Contains("unknown command 'flip'", Error("flowbits:flip,a;"), StringComparison.Ordinal);
        Assert.Contains("needs a name", Error("flowbits:set;"), StringComparison.Ordinal);
        Assert.Contains("takes no name", Error("flowbits:noalert,a;"), StringComparison.Ordinal);
    }

    [Fact]
    public void ThresholdAndDetectionFilter()
    {
        Rule r = WithOptions("threshold:type limit, track by_src, count 1, seconds 60; detection_filter:track by_dst,count 5,seconds 10,unique_on dst_port;");
        Assert.Equal(("limit", "by_src", 1L, 60L), (r.Threshold!.Type, r.Threshold.Track, r.Threshold.Count, r.Threshold.Seconds));
        Assert.Equal(("by_dst", 5L, "dst_port"), (r.DetectionFilter!.Track, r.DetectionFilter.Count, r.DetectionFilter.UniqueOn));
        Assert.Contains("needs type, track, count and seconds", Error("threshold:type limit, track by_src;"), StringComparison.Ordinal);
        Assert.Contains("unexpected 'track by_moon'", Error("detection_filter:track by_moon,count 1,seconds 1;"), StringComparison.Ordinal);
    }

    [Fact]
    public void AppLayerProtocolIprepDataset()
    {
        Rule r = Parse("alert tcp any any -> any any (app-layer-protocol:!http,final; iprep:src,CnC,>,30; dns.query; dataset:isset,bad,type string,load bad.lst; sid:1;)");
        AppLayerProtocolOption a = r.Options.OfType<AppLayerProtocolOption>().Single();
        Assert.Equal(("http", true, "final"), (a.Protocol, a.Negated, a.Mode));
        IprepOption i = r.Options.OfType<IprepOption>().Single();
        Assert.Equal(("src", "CnC"), (i.Side, i.Category));
        Assert.True(i.Score.Matches(31));
        DatasetOption d = r.Options.OfType<DatasetOption>().Single();
        Assert.Equal(("isset", "bad", "dns.query"), (d.Command, d.Name, d.Buffer));
        Assert.Contains("unknown protocol 'gopher'", Error("app-layer-protocol:gopher;"), StringComparison.Ordinal);
        Assert.Contains("iprep", Error("iprep:src,CnC,30;"), StringComparison.Ordinal);
        Assert.Contains("dataset", Error("dataset:frob,x;"), StringComparison.Ordinal);
    }

    [Fact]
    public void KeptKeywords_AreParsedAndKept()
    {
        Rule r = WithOptions("tag:session,5,packets; noalert; flags:S,12; stream_size:server,>,10;");
        Assert.Equal(["tag", "noalert", "flags", "stream_size"], r.Options.OfType<KeptOption>().Select(o => o.Keyword));
        Assert.Equal("session,5,packets", r.Options.OfType<KeptOption>().First().Value);
    }

    [Fact]
    public void LegacyForms_UricontentAndUnquotedPcre()
    {
        Rule r = Parse("alert http any any -> any any (uricontent:\"/one\"; nocase; pcre:/one/U; sid:1;)");
        ContentMatch c = r.Options.OfType<ContentMatch>().Single();
        Assert.Equal(("http.uri", true), (c.Buffer, c.Nocase));
        Assert.Equal("http.uri", r.Options.OfType<PcreMatch>().Single().Buffer);
        Assert.Equal("igmp", Parse("alert igmp any any -> any any (sid:1;)").Protocol);
    }

    [Theory]
    [InlineData(@"a++b", @"(?>a+)b")]
    [InlineData(@"[a-z]{3,20}+\&", @"(?>[a-z]{3,20})\&")]
    [InlineData(@"(?:[a-z0-9]{4})*+x", @"(?>(?:[a-z0-9]{4})*)x")]
    [InlineData(@"\d{2,5}+(?!\&|\d)", @"(?>\d{2,5})(?!\&|\d)")]
    [InlineData(@"\x41*+", @"(?>\x41*)")]
    [InlineData(@"\++", @"\++")]
    [InlineData(@"[+]+?a+", @"[+]+?a+")]
    [InlineData(@"(?i)a?+", @"(?i)(?>a?)")]
    public void Pcre_PossessiveQuantifiersBecomeAtomicGroups(string pcre, string dotnet) =>
        Assert.Equal(dotnet, PcrePossessive.Rewrite(pcre));
}
