using System.Globalization;
using System.Net.Sockets;
using System.Text;
using NetSecStream.Core.Events;
using NetSecStream.Core;

namespace NetSecStream.Sinks.Syslog;

/// <summary>
/// Alerts as ArcSight Common Event Format (CEF:0) lines. Header fields escape <c>\</c> and <c>|</c>; extension values
/// escape <c>\</c>, <c>=</c> and line ends (<c>\n</c>, <c>\r</c>), so a line never holds a raw newline.
/// Standard keys: <c>rt</c> (alert time), <c>end</c> (flow time), <c>src</c>/<c>dst</c> (IPv4) or <c>c6a2</c>/<c>c6a3</c>
/// (IPv6), <c>spt</c>, <c>dpt</c>, <c>proto</c>, <c>act</c>, <c>cat</c>, <c>msg</c>, <c>externalId</c>, <c>cnt</c>,
/// <c>dvchost</c>, <c>cn1</c> (risk score) and <c>cs1</c>..<c>cs6</c>: rule id, source namespace, source workload,
/// community id, destination namespace, destination workload, each with its <c>csNLabel</c>.
/// </summary>
public static class CefFormatter
{
    public const string Vendor = "NetSecStream";
    public const string Product = "NetSecStream";

    public static string DeviceVersion { get; } = typeof(CefFormatter).Assembly.GetName().Version?.ToString(3) ?? "0";

    /// <summary>CEF severity 0-10 of an alert severity 1 (highest) to 4 (lowest).</summary>
    public static int Severity(int alertSeverity) => alertSeverity switch
    {
        <= 1 => 10,
        2 => 8,
        3 => 5,
        _ => 3,
    };

    /// <summary>What happened to the traffic: <c>block</c> when the alert's namespace mode blocks and the finding asks for it, else <c>alert</c>.</summary>
    public static string Action(Alert alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        return alert.Mode == Mode.Block && alert.RequestsBlock != false ? "block" : "alert";
    }

    public static string Format(Alert alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        ArgumentNullException.ThrowIfNull(alert.Flow);
        var flow = alert.Flow;
        var sb = new StringBuilder(512);
        sb.Append("CEF:0|");
        AppendHeader(sb, Vendor).Append('|');
        AppendHeader(sb, Product).Append('|');
        AppendHeader(sb, DeviceVersion).Append('|');
        AppendHeader(sb, alert.RuleId).Append('|');
        AppendHeader(sb, alert.RuleName).Append('|');
        sb.Append(Severity(alert.Severity).ToString(CultureInfo.InvariantCulture)).Append('|');

        bool first = true;
        void Ext(string key, string? value)
        {
            if (value is null)
            {
                return;
            }

            if (!first)
            {
                sb.Append(' ');
            }

            first = false;
            sb.Append(key).Append('=');
            AppendExtensionValue(sb, value);
        }

        Ext("rt", alert.Timestamp.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
        Ext("end", flow.Timestamp.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
        bool v6 = flow.Source.Ip.AddressFamily == AddressFamily.InterNetworkV6 || flow.Destination.Ip.AddressFamily == AddressFamily.InterNetworkV6;
        Ext(v6 ? "c6a2" : "src", flow.Source.Ip.ToString());
        Ext(v6 ? "c6a3" : "dst", flow.Destination.Ip.ToString());
        if (flow.Source.Port != 0 || flow.Destination.Port != 0)
        {
            Ext("spt", flow.Source.Port.ToString(CultureInfo.InvariantCulture));
            Ext("dpt", flow.Destination.Port.ToString(CultureInfo.InvariantCulture));
        }

        Ext("proto", ProtocolName(flow.IpProtocol));
        Ext("act", Action(alert));
        Ext("cat", alert.RuleCategory ?? alert.Detector);
        Ext("msg", alert.Explanation);
        Ext("externalId", alert.Id);
        Ext("cnt", alert.DedupeCount.ToString(CultureInfo.InvariantCulture));
        Ext("dvchost", flow.NodeName);
        Ext("cn1Label", "riskScore");
        Ext("cn1", double.IsFinite(alert.RiskScore) ? Math.Round(alert.RiskScore).ToString(CultureInfo.InvariantCulture) : throw new ArgumentException($"alert {alert.Id} has a risk score that is not a number", nameof(alert)));
        Ext("cs1Label", "ruleId");
        Ext("cs1", alert.RuleId);
        Ext("cs2Label", "sourceNamespace");
        Ext("cs2", flow.Source.Namespace);
        Ext("cs3Label", "sourceWorkload");
        Ext("cs3", flow.Source.Workload ?? flow.Source.Pod);
        Ext("cs4Label", "communityId");
        Ext("cs4", flow.CommunityId);
        Ext("cs5Label", "destinationNamespace");
        Ext("cs5", flow.Destination.Namespace);
        Ext("cs6Label", "destinationWorkload");
        Ext("cs6", flow.Destination.Workload ?? flow.Destination.Pod);
        return sb.ToString();
    }

    /// <summary>IANA protocol name as CEF's <c>proto</c> expects it (<c>TCP</c>, <c>UDP</c>, ...), or the number.</summary>
    public static string ProtocolName(byte protocol) => protocol switch
    {
        6 => "TCP",
        17 => "UDP",
        1 => "ICMP",
        58 => "ICMPv6",
        132 => "SCTP",
        _ => protocol.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>A header field: <c>\</c> and <c>|</c> escaped; line ends, which the header may not hold, become spaces.</summary>
    public static StringBuilder AppendHeader(StringBuilder sb, string? value)
    {
        ArgumentNullException.ThrowIfNull(sb);
        foreach (char c in value ?? "")
        {
            switch (c)
            {
                case '\\': sb.Append(@"\\"); break;
                case '|': sb.Append(@"\|"); break;
                case '\r' or '\n': sb.Append(' '); break;
                default: sb.Append(c); break;
            }
        }

        return sb;
    }

    /// <summary>An extension value: <c>\</c>, <c>=</c>, CR and LF escaped.</summary>
    public static StringBuilder AppendExtensionValue(StringBuilder sb, string value)
    {
        ArgumentNullException.ThrowIfNull(sb);
        ArgumentNullException.ThrowIfNull(value);
        foreach (char c in value)
        {
            switch (c)
            {
                case '\\': sb.Append(@"\\"); break;
                case '=': sb.Append(@"\="); break;
                case '\r': sb.Append(@"\r"); break;
                case '\n': sb.Append(@"\n"); break;
                default: sb.Append(c); break;
            }
        }

        return sb;
    }
}
