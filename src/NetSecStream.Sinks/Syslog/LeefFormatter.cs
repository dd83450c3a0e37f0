using System.Globalization;
using System.Text;
using NetSecStream.Core.Events;

namespace NetSecStream.Sinks.Syslog;

/// <summary>
/// Alerts as IBM QRadar LEEF 2.0 lines: <c>LEEF:2.0|Vendor|Product|Version|EventID|x09|key=value&lt;TAB&gt;...</c>.
/// The sixth header field declares the attribute delimiter (a tab, written <c>x09</c>). Header fields escape
/// <c>\</c> and <c>|</c>; attribute values escape <c>\</c>, the tab delimiter (<c>\t</c>) and line ends
/// (<c>\n</c>, <c>\r</c>). Keys: the LEEF standard <c>devTime</c> (epoch milliseconds), <c>cat</c>, <c>sev</c> (1-10),
/// <c>src</c>, <c>dst</c>, <c>srcPort</c>, <c>dstPort</c>, <c>proto</c>, <c>policy</c> (the rule's name), plus
/// <c>ruleId</c>, <c>action</c>, <c>reason</c>, <c>externalId</c>, <c>riskScore</c>, <c>communityId</c>,
/// <c>srcNamespace</c>, <c>srcWorkload</c>, <c>dstNamespace</c>, <c>dstWorkload</c>, <c>flowEnd</c>, <c>dvchost</c>.
/// </summary>
public static class LeefFormatter
{
    public const char Delimiter = '\t';

    /// <summary>The delimiter as the LEEF 2.0 header declares it.</summary>
    public const string DelimiterHeader = "x09";

    public static string Format(Alert alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        ArgumentNullException.ThrowIfNull(alert.Flow);
        if (!double.IsFinite(alert.RiskScore))
        {
            throw new ArgumentException($"alert {alert.Id} has a risk score that is not a number", nameof(alert));
        }

        var flow = alert.Flow;
        var sb = new StringBuilder(512);
        sb.Append("LEEF:2.0|");
        CefFormatter.AppendHeader(sb, CefFormatter.Vendor).Append('|');
        CefFormatter.AppendHeader(sb, CefFormatter.Product).Append('|');
        CefFormatter.AppendHeader(sb, CefFormatter.DeviceVersion).Append('|');
        CefFormatter.AppendHeader(sb, alert.RuleId).Append('|');
        sb.Append(DelimiterHeader).Append('|');

        bool first = true;
        void Attr(string key, string? value)
        {
            if (value is null)
            {
                return;
            }

            if (!first)
            {
                sb.Append(Delimiter);
            }

            first = false;
            sb.Append(key).Append('=');
            AppendValue(sb, value);
        }

        Attr("devTime", alert.Timestamp.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
        Attr("cat", alert.RuleCategory ?? alert.Detector);
        Attr("sev", CefFormatter.Severity(alert.Severity).ToString(CultureInfo.InvariantCulture));
        Attr("src", flow.Source.Ip.ToString());
        Attr("dst", flow.Destination.Ip.ToString());
        Attr("srcPort", flow.Source.Port.ToString(CultureInfo.InvariantCulture));
        Attr("dstPort", flow.Destination.Port.ToString(CultureInfo.InvariantCulture));
        Attr("proto", CefFormatter.ProtocolName(flow.IpProtocol));
        Attr("policy", alert.RuleName);
        Attr("ruleId", alert.RuleId);
        Attr("action", CefFormatter.Action(alert));
        Attr("reason", alert.Explanation);
        Attr("externalId", alert.Id);
        Attr("riskScore", Math.Round(alert.RiskScore).ToString(CultureInfo.InvariantCulture));
        Attr("communityId", flow.CommunityId);
        Attr("srcNamespace", flow.Source.Namespace);
        Attr("srcWorkload", flow.Source.Workload ?? flow.Source.Pod);
        Attr("dstNamespace", flow.Destination.Namespace);
        Attr("dstWorkload", flow.Destination.Workload ?? flow.Destination.Pod);
        Attr("flowEnd", flow.Timestamp.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
        Attr("dvchost", flow.NodeName);
        return sb.ToString();
    }

    /// <summary>An attribute value: <c>\</c>, tab, CR and LF escaped.</summary>
    public static StringBuilder AppendValue(StringBuilder sb, string value)
    {
        ArgumentNullException.ThrowIfNull(sb);
        ArgumentNullException.ThrowIfNull(value);
        foreach (char c in value)
        {
            switch (c)
            {
                case '\\': sb.Append(@"\\"); break;
                case Delimiter: sb.Append(@"\t"); break;
                case '\r': sb.Append(@"\r"); break;
                case '\n': sb.Append(@"\n"); break;
                default: sb.Append(c); break;
            }
        }

        return sb;
    }
}
