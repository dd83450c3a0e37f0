using System.Text;
using NetSecStream.Core;
using NetSecStream.Sinks.Syslog;

namespace NetSecStream.Sinks.Tests.Siem;

public sealed class CefLeefFormatterTests
{
    [Fact]
    public void Cef_MapsAlertFieldsToStandardKeys()
    {
        var alert = SiemTestKit.Alert(3);
        var cef = SiemTestKit.ParseCef(CefFormatter.Format(alert));

        Assert.Equal(["CEF:0", "NetSecStream", "NetSecStream", CefFormatter.DeviceVersion, alert.RuleId, alert.RuleName, "3"], cef.Header);
        var x = cef.Extension;
        Assert.Equal("10.0.2.16", x["src"]);
        Assert.Equal("203.0.113.66", x["dst"]);
        Assert.Equal("40003", x["spt"]);
        Assert.Equal("443", x["dpt"]);
        Assert.Equal("TCP", x["proto"]);
        Assert.Equal("alert", x["act"]);
        Assert.Equal(alert.Timestamp.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture), x["rt"]);
        Assert.Equal(alert.Flow.Timestamp.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture), x["end"]);
        Assert.Equal(("ruleId", alert.RuleId), (x["cs1Label"], x["cs1"]));
        Assert.Equal(("sourceNamespace", "shop"), (x["cs2Label"], x["cs2"]));
        Assert.Equal(("sourceWorkload", "cart"), (x["cs3Label"], x["cs3"]));
        Assert.Equal(("communityId", "1:LQU9qZlK+B5F3KDmev6m5PMibrg="), (x["cs4Label"], x["cs4"]));
        Assert.Equal(("destinationNamespace", "payments"), (x["cs5Label"], x["cs5"]));
        Assert.Equal(("destinationWorkload", "gateway"), (x["cs6Label"], x["cs6"]));
        Assert.Equal(alert.Explanation, x["msg"]);
        Assert.Equal(alert.Id, x["externalId"]);
    }

    [Theory]
    [InlineData(1, 10)]
    [InlineData(2, 8)]
    [InlineData(3, 5)]
    [InlineData(4, 3)]
    public void Cef_SeverityMapsHighestToTen(int alertSeverity, int cefSeverity) => Assert.Equal(cefSeverity, CefFormatter.Severity(alertSeverity));

    [Fact]
    public void Cef_BlockModeWithABlockingRule_IsActBlock()
    {
        var cef = SiemTestKit.ParseCef(CefFormatter.Format(SiemTestKit.Alert(1, mode: Mode.Block)));
        Assert.Equal("block", cef.Extension["act"]);
    }

    [Fact]
    public void Cef_HostileValues_AreEscapedOnOneLine_AndParseBackUnchanged()
    {
        var alert = SiemTestKit.Alert(7, SiemTestKit.Hostile);
        string line = CefFormatter.Format(alert);

        Assert.DoesNotContain('\n', line);
        Assert.DoesNotContain('\r', line);
        var cef = SiemTestKit.ParseCef(line);
        Assert.Equal(7, cef.Header.Count);
        // Header fields cannot hold line ends: they become spaces; pipes and backslashes survive escaped.
        Assert.Equal(alert.RuleId.Replace('\r', ' ').Replace('\n', ' '), cef.Header[4]);
        Assert.Equal(alert.RuleName.Replace('\r', ' ').Replace('\n', ' '), cef.Header[5]);
        Assert.Equal(alert.RuleId, cef.Extension["cs1"]);
        Assert.Equal(alert.Explanation, cef.Extension["msg"]);
        Assert.Equal(alert.RuleCategory, cef.Extension["cat"]);
        Assert.Equal(alert.Flow.Source.Namespace, cef.Extension["cs2"]);
        Assert.Equal(alert.Flow.Source.Workload, cef.Extension["cs3"]);
        Assert.Contains(@"\|", line, StringComparison.Ordinal);
        Assert.Contains(@"eq\=uals", line, StringComparison.Ordinal);
        Assert.Contains(@"uals\nnew\r\nline", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Leef_HeaderDeclaresTabDelimiter_AndAttributesMapTheAlert()
    {
        var alert = SiemTestKit.Alert(5);
        var leef = SiemTestKit.ParseLeef(LeefFormatter.Format(alert));

        Assert.Equal(["LEEF:2.0", "NetSecStream", "NetSecStream", CefFormatter.DeviceVersion, alert.RuleId, "x09"], leef.Header);
        var a = leef.Attributes;
        Assert.Equal("10.0.2.16", a["src"]);
        Assert.Equal("203.0.113.66", a["dst"]);
        Assert.Equal("40005", a["srcPort"]);
        Assert.Equal("443", a["dstPort"]);
        Assert.Equal("TCP", a["proto"]);
        Assert.Equal("8", a["sev"]);
        Assert.Equal(alert.RuleName, a["policy"]);
        Assert.Equal("shop", a["srcNamespace"]);
        Assert.Equal("cart", a["srcWorkload"]);
        Assert.Equal(alert.Timestamp.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture), a["devTime"]);
    }

    [Fact]
    public void Leef_HostileValues_AreEscapedOnOneLine_AndParseBackUnchanged()
    {
        var alert = SiemTestKit.Alert(9, SiemTestKit.Hostile);
        string line = LeefFormatter.Format(alert);

        Assert.DoesNotContain('\n', line);
        Assert.DoesNotContain('\r', line);
        var leef = SiemTestKit.ParseLeef(line);
        Assert.Equal(alert.RuleId.Replace('\r', ' ').Replace('\n', ' '), leef.Header[4]);
        Assert.Equal(alert.RuleName, leef.Attributes["policy"]);
        Assert.Equal(alert.RuleId, leef.Attributes["ruleId"]);
        Assert.Equal(alert.Explanation, leef.Attributes["reason"]);
        Assert.Equal(alert.Flow.Source.Namespace, leef.Attributes["srcNamespace"]);
    }

    [Fact]
    public void Rfc5424_OctetCounted_HasLengthPrefixHeaderAndPayload()
    {
        var options = new SyslogSinkOptions { Host = "x", Transport = SyslogTransport.Tcp, Hostname = "node-a", Facility = 4 };
        var encoder = new SyslogEncoder(options);
        byte[] framed = encoder.Encode(SiemTestKit.Alert(1, SiemTestKit.Hostile), out bool truncated);

        Assert.False(truncated);
        string text = Encoding.UTF8.GetString(framed);
        int space = text.IndexOf(' ', StringComparison.Ordinal);
        int length = int.Parse(text[..space], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(framed.Length - space - 1, length);
        // Severity 2 -> syslog error (3); facility 4: PRI 35.
        Assert.StartsWith("<35>1 2026-11-26T12:00:00.007000Z node-a netsec ", text[(space + 1)..], StringComparison.Ordinal);
        Assert.Contains(" alert - CEF:0|", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Rfc3164_LfFramed_HasBsdHeaderAndEndsWithOneNewline()
    {
        var options = new SyslogSinkOptions { Host = "x", Transport = SyslogTransport.Tcp, Framing = SyslogFraming.Lf, Rfc = SyslogRfc.Rfc3164, Hostname = "node-a", Format = SyslogPayloadFormat.Leef };
        string text = Encoding.UTF8.GetString(new SyslogEncoder(options).Encode(SiemTestKit.Alert(0, SiemTestKit.Hostile), out _));

        Assert.Matches(@"^<34>Nov 26 12:00:00 node-a netsec\[\d+\]: LEEF:2\.0\|", text);
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        Assert.Equal(1, text.Count(c => c == '\n'));
    }

    [Fact]
    public void Udp_MessageOverTheBound_IsCutOnACharacterBoundary_WithMarker()
    {
        var options = new SyslogSinkOptions { Host = "x", MaxMessageBytes = 600 };
        var alert = SiemTestKit.Alert(1, string.Concat(Enumerable.Repeat("\u00fc\U0001F6A8", 300)));
        byte[] datagram = new SyslogEncoder(options).Encode(alert, out bool truncated);

        Assert.True(truncated);
        Assert.True(datagram.Length <= 600);
        string text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(datagram);
        Assert.EndsWith(SyslogEncoder.TruncationMarker, text, StringComparison.Ordinal);
    }

    [Fact]
    public void Tcp_MessageOverTheStreamBound_IsCutWithMarker_AndFramedWithItsNewLength()
    {
        // A receiver drops the connection on a frame over its limit, and the message would be resent after every reconnect.
        var options = new SyslogSinkOptions { Host = "x", Transport = SyslogTransport.Tcp, MaxStreamMessageBytes = 1000 };
        var alert = SiemTestKit.Alert(1, new string('x', 2 * 1024 * 1024));
        byte[] frame = new SyslogEncoder(options).Encode(alert, out bool truncated);

        Assert.True(truncated);
        string text = Encoding.UTF8.GetString(frame);
        int space = text.IndexOf(' ', StringComparison.Ordinal);
        int length = int.Parse(text[..space], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(length <= 1000, $"frame of {length} bytes");
        Assert.Equal(length, frame.Length - space - 1);
        Assert.EndsWith(SyslogEncoder.TruncationMarker, text, StringComparison.Ordinal);
    }
}
