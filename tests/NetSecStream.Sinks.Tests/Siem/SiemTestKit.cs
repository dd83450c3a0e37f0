using System.Net;
using System.Text;
using NetSecStream.Core;
using NetSecStream.Core.Events;

namespace NetSecStream.Sinks.Tests.Siem;

/// <summary>Alerts for the SIEM sink tests, and parsers of CEF and LEEF written from the specifications, independent of the formatters.</summary>
internal static class SiemTestKit
{
    public const string Hostile = "pipe| back\\slash eq=uals\nnew\r\nline\ttab \u00fcn\u00efc\u00f8d\u00e9 \U0001F6A8 \\| \\= end\\";

    public static Alert Alert(int i, string? hostile = null, Mode mode = Mode.Alert) => new()
    {
        Id = $"alert-{i:D6}",
        Timestamp = new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero).AddMilliseconds(i * 7),
        Detector = DetectorKinds.Signature,
        RuleId = hostile is null ? $"2{i % 1000:D6}" : "99|" + hostile,
        RuleName = hostile is null ? $"ET POLICY test rule {i}" : "name " + hostile,
        RuleCategory = hostile is null ? "policy-violation" : "cat " + hostile,
        Severity = (i % 4) + 1,
        RiskScore = 10 + (i % 90),
        Mode = mode,
        RequestsBlock = mode == Mode.Block ? true : null,
        Explanation = hostile is null ? $"matched content \"GET /{i}\" in http.uri" : "why " + hostile,
        DedupeKey = $"k{i}",
        Flow = new FlowEvent
        {
            Timestamp = new DateTimeOffset(2026, 11, 26, 11, 59, 59, TimeSpan.Zero).AddMilliseconds(i),
            Source = new FlowEndpoint { Ip = IPAddress.Parse("10.0.2.16"), Port = (ushort)(40000 + (i % 20000)), Namespace = hostile is null ? "shop" : "ns " + hostile, Workload = hostile is null ? "cart" : "wl " + hostile },
            Destination = new FlowEndpoint { Ip = IPAddress.Parse("203.0.113.66"), Port = 443, Namespace = "payments", Workload = "gateway" },
            IpProtocol = 6,
            CommunityId = "1:LQU9qZlK+B5F3KDmev6m5PMibrg=",
            NodeName = "node-1",
            CollectorId = "test",
        },
    };

    public sealed record Cef(IReadOnlyList<string> Header, IReadOnlyDictionary<string, string> Extension);

    /// <summary>CEF:Version|Vendor|Product|Version|SignatureID|Name|Severity|Extension, per ArcSight's "Implementing CEF".</summary>
    public static Cef ParseCef(string line)
    {
        int start = line.IndexOf("CEF:", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no CEF in: {line}");
        var header = new List<string>();
        var field = new StringBuilder();
        int i = start;
        while (header.Count < 7)
        {
            char c = line[i++];
            if (c == '\\' && line[i] is '\\' or '|')
            {
                field.Append(line[i++]);
            }
            else if (c == '|')
            {
                header.Add(field.ToString());
                field.Clear();
            }
            else
            {
                field.Append(c);
            }
        }

        string ext = line[i..];
        // Every unescaped '=' ends a key; the key starts after the last space before it.
        var equals = new List<int>();
        for (int j = 0; j < ext.Length; j++)
        {
            if (ext[j] == '\\')
            {
                j++;
            }
            else if (ext[j] == '=')
            {
                equals.Add(j);
            }
        }

        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int k = 0; k < equals.Count; k++)
        {
            int keyStart = ext.LastIndexOf(' ', equals[k]) + 1;
            string key = ext[keyStart..equals[k]];
            int valueEnd = k + 1 < equals.Count ? ext.LastIndexOf(' ', equals[k + 1]) : ext.Length;
            result[key] = UnescapeCefValue(ext[(equals[k] + 1)..valueEnd]);
        }

        return new Cef(header, result);
    }

    private static string UnescapeCefValue(string value)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < value.Length; i++)
        {
            if (value[i] == '\\' && i + 1 < value.Length)
            {
                char next = value[++i];
                sb.Append(next switch { 'n' => '\n', 'r' => '\r', _ => next });
            }
            else
            {
                sb.Append(value[i]);
            }
        }

        return sb.ToString();
    }

    public sealed record Leef(IReadOnlyList<string> Header, IReadOnlyDictionary<string, string> Attributes);

    /// <summary>LEEF:2.0|Vendor|Product|Version|EventID|Delimiter|attributes, per IBM's LEEF 2.0 description.</summary>
    public static Leef ParseLeef(string line)
    {
        int start = line.IndexOf("LEEF:", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no LEEF in: {line}");
        var header = new List<string>();
        var field = new StringBuilder();
        int i = start;
        while (header.Count < 6)
        {
            char c = line[i++];
            if (c == '\\' && line[i] is '\\' or '|')
            {
                field.Append(line[i++]);
            }
            else if (c == '|')
            {
                header.Add(field.ToString());
                field.Clear();
            }
            else
            {
                field.Append(c);
            }
        }

        string delimiterField = header[5];
        char delimiter = delimiterField.Length == 1 ? delimiterField[0] : (char)Convert.ToInt32(delimiterField.TrimStart('0', 'x', 'X'), 16);
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        var current = new StringBuilder();
        void Flush()
        {
            string pair = current.ToString();
            int eq = pair.IndexOf('=', StringComparison.Ordinal);
            attributes[pair[..eq]] = pair[(eq + 1)..];
            current.Clear();
        }

        for (; i < line.Length; i++)
        {
            char c = line[i];
            if (c == '\\' && i + 1 < line.Length)
            {
                char next = line[++i];
                current.Append(next switch { 'n' => '\n', 'r' => '\r', 't' => '\t', _ => next });
            }
            else if (c == delimiter)
            {
                Flush();
            }
            else
            {
                current.Append(c);
            }
        }

        if (current.Length > 0)
        {
            Flush();
        }

        return new Leef(header, attributes);
    }
}
