using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using NetSecStream.Core;
using NetSecStream.Core.Events;

namespace NetSecStream.Sinks.Eve;

/// <summary>
/// Writes an <see cref="Alert"/> as one Suricata EVE JSON <c>alert</c> event, with Suricata's key names and value
/// formats, so EveBox, Filebeat's Suricata module and suricata-verify read it as Suricata's own output.
/// Fields NetSecStream does not know are left out, never invented.
/// </summary>
public static class EveJson
{
    /// <summary>Generator id of every alert: Suricata's rule gid default.</summary>
    public const uint DefaultGid = 1;

    /// <summary>
    /// Signature ids made up for alerts whose rule id is not a number (intel, behaviour, policy) lie in
    /// [<see cref="SyntheticSidBase"/>, <see cref="SyntheticSidBase"/> + <see cref="SyntheticSidRange"/>), far from
    /// local (1000000-1999999) and Emerging Threats (2000000-2999999) sids, and within a signed 32-bit int.
    /// </summary>
    public const uint SyntheticSidBase = 2_000_000_000;

    public const uint SyntheticSidRange = 100_000_000;

    // Suricata masks flow_id to 51 bits so JavaScript and JSON tools that hold numbers as doubles keep it exact.
    private const long FlowIdMask = 0x7_FFFF_FFFF_FFFF;

    public static void WriteAlert(Utf8JsonWriter writer, Alert alert)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(alert);
        var flow = alert.Flow;
        var (gid, sid, rev) = RuleNumbers(alert);

        writer.WriteStartObject();
        writer.WriteString("timestamp", Timestamp(alert.Timestamp));
        writer.WriteNumber("flow_id", FlowId(flow));
        if (flow.NodeName is { Length: > 0 } node)
        {
            writer.WriteString("host", node);
        }

        writer.WriteString("event_type", "alert");
        if (flow.PacketNumber is { } packetNumber)
        {
            writer.WriteNumber("pcap_cnt", packetNumber);
        }

        writer.WriteString("src_ip", Address(flow.Source.Ip));
        bool hasPorts = flow.IpProtocol is 6 or 17 or 132;
        if (hasPorts)
        {
            writer.WriteNumber("src_port", flow.Source.Port);
        }

        writer.WriteString("dest_ip", Address(flow.Destination.Ip));
        if (hasPorts)
        {
            writer.WriteNumber("dest_port", flow.Destination.Port);
        }

        writer.WriteString("proto", Proto(flow.IpProtocol));
        if (flow.IpProtocol is 1 or 58)
        {
            if (flow.IcmpType is { } type)
            {
                writer.WriteNumber("icmp_type", type);
            }

            if (flow.IcmpCode is { } code)
            {
                writer.WriteNumber("icmp_code", code);
            }
        }

        if (AppProto(flow) is { } appProto)
        {
            writer.WriteString("app_proto", appProto);
        }

        if (flow.IsReply is { } reply)
        {
            writer.WriteString("direction", reply ? "to_client" : "to_server");
        }

        if (CommunityIdOf(flow) is { } communityId)
        {
            writer.WriteString("community_id", communityId);
        }

        writer.WriteStartObject("alert");
        writer.WriteString("action", alert.Mode == Mode.Block ? "blocked" : "allowed");
        writer.WriteNumber("gid", gid);
        writer.WriteNumber("signature_id", sid);
        writer.WriteNumber("rev", rev);
        writer.WriteString("signature", alert.RuleName);
        writer.WriteString("category", alert.RuleCategory ?? "");
        writer.WriteNumber("severity", alert.Severity);
        WriteMetadata(writer, alert);
        writer.WriteEndObject();

        WriteDns(writer, flow.Dns);
        WriteHttp(writer, flow.Http);
        WriteTls(writer, flow.Tls);
        WriteFlowCounters(writer, flow);
        writer.WriteEndObject();
    }

    /// <summary>Suricata's timestamp format, in UTC: <c>2024-01-02T03:04:05.123456+0000</c>.</summary>
    public static string Timestamp(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff", CultureInfo.InvariantCulture) + "+0000";

    /// <summary>
    /// The flow's EVE <c>flow_id</c>: the first 8 bytes of its Community ID digest (big-endian), masked to 51 bits as
    /// Suricata masks its own. Both directions of a connection share a Community ID, so they share the flow id; the
    /// same 5-tuple gives the same number in every run and on every processor.
    /// </summary>
    public static long FlowId(FlowEvent flow)
    {
        ArgumentNullException.ThrowIfNull(flow);
        string? communityId = CommunityIdOf(flow);
        Span<byte> digest = stackalloc byte[32];
        if (communityId is not null && communityId.StartsWith(CommunityId.Prefix, StringComparison.Ordinal)
            && Convert.TryFromBase64String(communityId[CommunityId.Prefix.Length..], digest, out int length) && length >= 8)
        {
            return BinaryPrimitives.ReadInt64BigEndian(digest) & FlowIdMask;
        }

        // No Community ID (e.g. an unusual id format): hash the text we have, still stable.
        return (long)(Fnv1a64(communityId ?? $"{flow.Source.Ip}|{flow.Source.Port}|{flow.Destination.Ip}|{flow.Destination.Port}|{flow.IpProtocol}") & FlowIdMask);
    }

    /// <summary>
    /// gid, signature_id and rev of an alert. A rule id that is a number is the sid (<c>2000001</c>); <c>gid:sid</c>
    /// and <c>gid:sid:rev</c> are read as Suricata writes them. Any other rule id (<c>intel:list:value</c>) gets gid 1
    /// and a sid from the FNV-1a hash of the id in the synthetic range (<see cref="SyntheticSidBase"/>); the original
    /// id is kept in <c>alert.metadata.netsec_rule_id</c>. rev is <see cref="Alert.RuleVersion"/> when it is a whole
    /// number, else 0 (Suricata's default when a rule has no rev).
    /// </summary>
    public static (uint Gid, uint Sid, uint Rev) RuleNumbers(Alert alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        uint rev = uint.TryParse(alert.RuleVersion, NumberStyles.None, CultureInfo.InvariantCulture, out uint version) ? version : 0;
        string[] parts = alert.RuleId.Split(':');
        var numbers = new uint[parts.Length];
        bool numeric = parts.Length <= 3;
        for (int i = 0; numeric && i < parts.Length; i++)
        {
            numeric = uint.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out numbers[i]);
        }

        if (numeric)
        {
            return parts.Length switch
            {
                1 => (DefaultGid, numbers[0], rev),
                2 => (numbers[0], numbers[1], rev),
                _ => (numbers[0], numbers[1], alert.RuleVersion is null ? numbers[2] : rev),
            };
        }

        return (DefaultGid, SyntheticSid(alert.RuleId), rev);
    }

    /// <summary>The signature id given to a rule id that is not a number: stable across runs and machines.</summary>
    public static uint SyntheticSid(string ruleId)
    {
        ArgumentNullException.ThrowIfNull(ruleId);
        return SyntheticSidBase + (uint)(Fnv1a64(ruleId) % SyntheticSidRange);
    }

    /// <summary>Suricata's <c>proto</c> spelling: TCP, UDP, ICMP, IPv6-ICMP, SCTP, else the protocol number.</summary>
    public static string Proto(byte protocol) => protocol switch
    {
        6 => "TCP",
        17 => "UDP",
        1 => "ICMP",
        58 => "IPv6-ICMP",
        132 => "SCTP",
        _ => protocol.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>
    /// An address as Suricata prints it: dotted IPv4, IPv6 as eight 4-digit groups (<c>2001:0db8:0000:...:0001</c>).
    /// IPv4-mapped IPv6 addresses are printed as IPv4.
    /// </summary>
    public static string Address(IPAddress ip)
    {
        ArgumentNullException.ThrowIfNull(ip);
        if (ip.IsIPv4MappedToIPv6)
        {
            ip = ip.MapToIPv4();
        }

        if (ip.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return ip.ToString();
        }

        Span<byte> bytes = stackalloc byte[16];
        ip.TryWriteBytes(bytes, out _);
        var text = new StringBuilder(39);
        for (int i = 0; i < 16; i += 2)
        {
            if (i > 0)
            {
                text.Append(':');
            }

            text.Append(BinaryPrimitives.ReadUInt16BigEndian(bytes[i..]).ToString("x4", CultureInfo.InvariantCulture));
        }

        return text.ToString();
    }

    private static string? AppProto(FlowEvent flow) =>
        flow.AppProtocol ?? (flow.Http is not null ? "http" : flow.Tls is not null ? "tls" : flow.Dns is not null ? "dns" : null);

    private static string? CommunityIdOf(FlowEvent flow)
    {
        if (flow.CommunityId is { Length: > 0 } id)
        {
            return id;
        }

        // Mixed address families have no Community ID; anything else the enricher would have computed.
        return flow.Source.Ip.AddressFamily == flow.Destination.Ip.AddressFamily ? CommunityId.Compute(flow) : null;
    }

    private static void WriteMetadata(Utf8JsonWriter writer, Alert alert)
    {
        // Suricata's alert.metadata is the rule's metadata keyword: an object of string arrays.
        writer.WriteStartObject("metadata");
        WriteMetadataValue(writer, "netsec_detector", alert.Detector);
        WriteMetadataValue(writer, "netsec_rule_id", alert.RuleId);
        WriteMetadataValue(writer, "netsec_ruleset", alert.Ruleset);
        WriteMetadataValue(writer, "netsec_mode", alert.Mode.ToString().ToLowerInvariant());
        WriteMetadataValue(writer, "netsec_alert_id", alert.Id);
        WriteMetadataValue(writer, "netsec_explanation", alert.Explanation);
        if (alert.Flow.Source.Namespace is { Length: > 0 } sourceNamespace)
        {
            WriteMetadataValue(writer, "netsec_src_namespace", sourceNamespace);
        }

        if (alert.Flow.Destination.Namespace is { Length: > 0 } destinationNamespace)
        {
            WriteMetadataValue(writer, "netsec_dest_namespace", destinationNamespace);
        }

        writer.WriteEndObject();
    }

    private static void WriteMetadataValue(Utf8JsonWriter writer, string key, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return;
        }

        writer.WriteStartArray(key);
        writer.WriteStringValue(value);
        writer.WriteEndArray();
    }

    private static void WriteDns(Utf8JsonWriter writer, DnsFacts? dns)
    {
        if (dns?.Query is not { Length: > 0 } query)
        {
            return;
        }

        // Suricata 7's alert dns object (EVE dns version 2): the request's queries under "query".
        writer.WriteStartObject("dns");
        writer.WriteStartArray("query");
        var types = dns.QueryTypes is { Count: > 0 } known ? known : [null!];
        foreach (string? type in types)
        {
            writer.WriteStartObject();
            writer.WriteString("type", "query");
            writer.WriteString("rrname", query);
            if (type is { Length: > 0 })
            {
                writer.WriteString("rrtype", type);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static void WriteHttp(Utf8JsonWriter writer, HttpFacts? http)
    {
        if (http is null)
        {
            return;
        }

        Uri? url = http.Url is { Length: > 0 } && Uri.TryCreate(http.Url, UriKind.Absolute, out var parsed) ? parsed : null;
        string? host = http.Host is { Length: > 0 } ? http.Host : url?.Host;
        int? port = null;
        if (host is not null && SplitHostPort(host) is { } split)
        {
            (host, port) = split;
        }

        string? path = http.Uri is { Length: > 0 } ? http.Uri : url?.PathAndQuery;
        writer.WriteStartObject("http");
        WriteIfKnown(writer, "hostname", host);
        if (port is { } p)
        {
            writer.WriteNumber("http_port", p);
        }

        WriteIfKnown(writer, "url", path);
        WriteIfKnown(writer, "http_user_agent", http.UserAgent);
        WriteIfKnown(writer, "http_method", http.Method);
        WriteIfKnown(writer, "protocol", http.Protocol);
        if (http.StatusCode is { } status)
        {
            writer.WriteNumber("status", status);
        }

        writer.WriteEndObject();
    }

    private static (string Host, int Port)? SplitHostPort(string host)
    {
        int colon = host.LastIndexOf(':');
        if (colon <= 0 || host.IndexOf(':', StringComparison.Ordinal) != colon)
        {
            return null; // no port, or a bare IPv6 address
        }

        return int.TryParse(host.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) && port is > 0 and <= 65535
            ? (host[..colon], port)
            : null;
    }

    private static void WriteTls(Utf8JsonWriter writer, TlsFacts? tls)
    {
        if (tls is null)
        {
            return;
        }

        writer.WriteStartObject("tls");
        WriteIfKnown(writer, "sni", tls.Sni);
        WriteIfKnown(writer, "version", tls.Version);
        if (tls.Ja3 is { Length: > 0 } ja3)
        {
            writer.WriteStartObject("ja3");
            writer.WriteString("hash", ja3);
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }

    private static void WriteFlowCounters(Utf8JsonWriter writer, FlowEvent flow)
    {
        if (flow.Packets is null && flow.Bytes is null)
        {
            return;
        }

        // One flow event counts one direction; Suricata's flow object names it from the server's side.
        string side = flow.IsReply == true ? "toclient" : "toserver";
        writer.WriteStartObject("flow");
        if (flow.Packets is { } packets)
        {
            writer.WriteNumber("pkts_" + side, packets);
        }

        if (flow.Bytes is { } bytes)
        {
            writer.WriteNumber("bytes_" + side, bytes);
        }

        writer.WriteEndObject();
    }

    private static void WriteIfKnown(Utf8JsonWriter writer, string key, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            writer.WriteString(key, value);
        }
    }

    private static ulong Fnv1a64(string text)
    {
        ulong hash = 14695981039346656037;
        foreach (byte b in Encoding.UTF8.GetBytes(text))
        {
            hash = (hash ^ b) * 1099511628211;
        }

        return hash;
    }
}
