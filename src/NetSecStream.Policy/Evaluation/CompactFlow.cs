using System.Globalization;
using System.Net;
using System.Text.Json;
using NetSecStream.Core.Events;

namespace NetSecStream.Policy.Evaluation;

/// <summary>
/// A compact, hand-writable flow form for policy cases and questions ("would this flow pass?"), one JSON object a line:
/// <code>{"src":{"ns":"shop","labels":{"app":"web"},"ip":"10.0.1.5"},"dst":{"entity":"world","ip":"8.8.8.8","port":53},"proto":"udp"}</code>
/// Endpoint fields: <c>ns</c> (a pod's namespace), <c>labels</c> (pod labels), <c>nsLabels</c> (its namespace's labels),
/// <c>entity</c> (a Cilium reserved entity for non-pods: world, host, remote-node, kube-apiserver ...), <c>ip</c>,
/// <c>port</c>. An endpoint without <c>ns</c> or <c>entity</c> is world. <c>proto</c>: tcp (default), udp, sctp, icmp or a number.
/// </summary>
public static class CompactFlow
{
    public static FlowEvent Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException ex)
        {
            throw new FormatException("invalid JSON: " + ex.Message, ex);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException("expected a JSON object");
            }

            foreach (var property in root.EnumerateObject())
            {
                if (property.Name is not ("src" or "dst" or "proto" or "comment"))
                {
                    throw new FormatException($"unknown field '{property.Name}' (src, dst, proto, comment)");
                }
            }

            if (!root.TryGetProperty("src", out var src) || !root.TryGetProperty("dst", out var dst))
            {
                throw new FormatException("'src' and 'dst' are required");
            }

            byte protocol = root.TryGetProperty("proto", out var proto) ? ParseProtocol(proto) : (byte)6;
            return new FlowEvent
            {
                Timestamp = DateTimeOffset.UnixEpoch,
                Source = ParseEndpoint(src, "src"),
                Destination = ParseEndpoint(dst, "dst"),
                IpProtocol = protocol,
                CollectorId = "compact",
            };
        }
    }

    /// <summary>Reads every line; bad lines are reported as <c>file:line: reason</c> and skipped.</summary>
    public static List<(int Line, FlowEvent Flow)> ReadAll(TextReader reader, string file, Action<string> reject)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(reject);
        var flows = new List<(int, FlowEvent)>();
        int lineNumber = 0;
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line) || line.TrimStart().StartsWith("//", StringComparison.Ordinal))
            {
                continue;
            }

            try
            {
                flows.Add((lineNumber, Parse(line)));
            }
            catch (FormatException ex)
            {
                reject($"{file}:{lineNumber}: {ex.Message}");
            }
        }

        return flows;
    }

    private static byte ParseProtocol(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Number && element.TryGetByte(out byte number))
        {
            return number;
        }

        return element.ValueKind == JsonValueKind.String ? element.GetString()!.ToLowerInvariant() switch
        {
            "tcp" => (byte)6,
            "udp" => (byte)17,
            "sctp" => (byte)132,
            "icmp" => (byte)1,
            "icmpv6" or "ipv6-icmp" => (byte)58,
            var other => throw new FormatException($"proto '{other}' is not tcp, udp, sctp, icmp, icmpv6 or a number"),
        } : throw new FormatException("proto must be a string or a number");
    }

    private static FlowEndpoint ParseEndpoint(JsonElement element, string side)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException($"{side}: expected an object");
        }

        string? ns = null;
        string? entity = null;
        string? ip = null;
        ushort port = 0;
        Dictionary<string, string>? labels = null;
        Dictionary<string, string>? nsLabels = null;
        foreach (var property in element.EnumerateObject())
        {
            switch (property.Name)
            {
                case "ns":
                    ns = Text(property, side);
                    break;
                case "entity":
                    entity = Text(property, side);
                    break;
                case "ip":
                    ip = Text(property, side);
                    break;
                case "port":
                    if (!property.Value.TryGetUInt16(out port))
                    {
                        throw new FormatException($"{side}.port must be 0-65535");
                    }

                    break;
                case "labels":
                    labels = StringMap(property.Value, side + ".labels");
                    break;
                case "nsLabels":
                    nsLabels = StringMap(property.Value, side + ".nsLabels");
                    break;
                default:
                    throw new FormatException($"{side}: unknown field '{property.Name}' (ns, labels, nsLabels, entity, ip, port)");
            }
        }

        if (ns is not null && entity is not null)
        {
            throw new FormatException($"{side}: a pod (ns) has no entity");
        }

        if (ns is not null)
        {
            labels ??= [];
            labels[EndpointIdentity.NamespaceLabel] = ns;
            foreach (var (key, value) in nsLabels ?? [])
            {
                labels[EndpointIdentity.NamespaceLabelsPrefix + key] = value;
            }
        }

        ip ??= ns is not null ? "10.0.0.10" : entity is "host" or "remote-node" ? "10.132.0.10" : "203.0.113.10";
        if (!IPAddress.TryParse(ip, out var address))
        {
            throw new FormatException($"{side}.ip '{ip}' is not an IP address");
        }

        return new FlowEndpoint
        {
            Ip = address,
            Port = port,
            Namespace = ns,
            Labels = labels,
            ReservedEntity = ns is null ? entity ?? "world" : null,
        };
    }

    private static string Text(JsonProperty property, string side) => property.Value.ValueKind == JsonValueKind.String
        ? property.Value.GetString()!
        : throw new FormatException($"{side}.{property.Name} must be a string");

    private static Dictionary<string, string> StringMap(JsonElement element, string context)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException($"{context}: expected an object of strings");
        }

        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            map[property.Name] = property.Value.ValueKind == JsonValueKind.String
                ? property.Value.GetString()!
                : throw new FormatException($"{context}.{property.Name}: expected a string");
        }

        return map;
    }

    /// <summary>The protocol name the compact form uses.</summary>
    public static string ProtocolName(byte protocol) => protocol switch
    {
        6 => "tcp",
        17 => "udp",
        132 => "sctp",
        1 => "icmp",
        58 => "icmpv6",
        _ => protocol.ToString(CultureInfo.InvariantCulture),
    };
}
