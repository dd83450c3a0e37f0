using System.Net;
using System.Net.Sockets;
using System.Text;
using Google.Protobuf.Collections;
using Google.Protobuf.WellKnownTypes;
using NetSecStream.Collectors.Hubble;
using NetSecStream.Core.Events;
using ProtoFlow = NetSecStream.Collectors.HubbleRelay.Protocol.Flow;
using ProtoEndpoint = NetSecStream.Collectors.HubbleRelay.Protocol.Endpoint;

namespace NetSecStream.Collectors.HubbleRelay;

/// <summary>
/// Maps a Hubble <c>Flow</c> protobuf message to the <see cref="FlowEvent"/> that <see cref="HubbleFlowDecoder"/>
/// makes of the same flow's JSON (<c>hubble observe -o json</c>): the same defaults for the zero values protobuf JSON
/// leaves out, the same label, workload, DNS and HTTP rules, and the same error texts. Not thread-safe: one per stream.
/// </summary>
internal sealed class HubbleRelayFlowMapper(string collectorId, string? cluster, int labelCacheCapacity = 4096)
{
    private readonly LabelSetCache _labelSets = new(labelCacheCapacity);
    private readonly string? _cluster = string.IsNullOrWhiteSpace(cluster) ? null : cluster;

    /// <summary>Why the last <see cref="Map"/> returned null: a message, and a low-cardinality metric reason.</summary>
    public string? Error { get; private set; }

    public string ReasonTag { get; private set; } = "";

    /// <summary>
    /// Maps one flow; <paramref name="envelopeNode"/> and <paramref name="envelopeTime"/> are the GetFlowsResponse's,
    /// used where the flow lacks its own. Returns null with <see cref="Error"/> set when the flow is unusable.
    /// </summary>
    public FlowEvent? Map(ProtoFlow flow, string? envelopeNode, Timestamp? envelopeTime)
    {
        ArgumentNullException.ThrowIfNull(flow);
        Error = null;
        ReasonTag = "";
        if (flow.IP is null)
        {
            return Fail("missing_field", "flow.IP missing");
        }

        if (flow.IP.Source.Length == 0 || flow.IP.Destination.Length == 0)
        {
            return Fail("missing_field", flow.IP.Source.Length == 0 ? "flow.IP.source missing" : "flow.IP.destination missing");
        }

        if (!TryParseAddress(flow.IP.Source, out var sourceIp))
        {
            return Fail("invalid_value", $"flow.IP.source '{flow.IP.Source}' is not an IP address");
        }

        if (!TryParseAddress(flow.IP.Destination, out var destinationIp))
        {
            return Fail("invalid_value", $"flow.IP.destination '{flow.IP.Destination}' is not an IP address");
        }

        if (sourceIp.AddressFamily != destinationIp.AddressFamily)
        {
            return Fail("invalid_value", $"flow.IP.source {sourceIp} and flow.IP.destination {destinationIp} are of different address families");
        }

        var time = flow.Time ?? envelopeTime;
        if (time is null)
        {
            return Fail("missing_field", "flow.time missing");
        }

        DateTimeOffset timestamp;
        try
        {
            timestamp = time.ToDateTimeOffset();
        }
        catch (InvalidOperationException)
        {
            return Fail("invalid_value", $"flow.time {time.Seconds}s {time.Nanos}ns is not a valid timestamp");
        }

        if (!TryReadLayer4(flow.L4, out var l4))
        {
            return null;
        }

        var l7 = flow.L7;
        bool isResponse = l7?.Type == Protocol.L7FlowType.Response;
        var result = new FlowEvent
        {
            Timestamp = timestamp,
            Source = BuildEndpoint(sourceIp, l4.SourcePort, flow.Source, flow.SourceNames),
            Destination = BuildEndpoint(destinationIp, l4.DestinationPort, flow.Destination, flow.DestinationNames),
            IpProtocol = l4.Protocol,
            Direction = flow.TrafficDirection switch
            {
                Protocol.TrafficDirection.Ingress => TrafficDirection.Ingress,
                Protocol.TrafficDirection.Egress => TrafficDirection.Egress,
                _ => TrafficDirection.Unknown,
            },
            Verdict = MapVerdict(flow.Verdict),
#pragma warning disable CS0612 // Flow.reply is deprecated in favour of is_reply, but older agents send only reply.
            IsReply = flow.IsReply ?? (flow.Reply ? true : null),
#pragma warning restore CS0612
            TcpFlags = l4.Flags,
            IcmpType = l4.IcmpType,
            IcmpCode = l4.IcmpCode,
            Dns = l7?.RecordCase == Protocol.Layer7.RecordOneofCase.Dns ? MapDns(l7.Dns, isResponse) : null,
            Http = l7?.RecordCase == Protocol.Layer7.RecordOneofCase.Http ? MapHttp(l7.Http, isResponse) : null,
            CollectorId = collectorId,
            NodeName = NullIfEmpty(flow.NodeName) ?? NullIfEmpty(envelopeNode),
            Cluster = _cluster,
#pragma warning disable CS0612 // Summary is deprecated upstream but still sent, and the JSON path keeps it.
            Summary = NullIfEmpty(flow.Summary),
#pragma warning restore CS0612
        };

        // Without an l4 section the transport is unknown; a Community ID of protocol 0 would be wrong, not absent.
        if (result.IpProtocol != 0)
        {
            result.CommunityId = CommunityId.Compute(result);
        }

        return result;
    }

    private bool TryReadLayer4(Protocol.Layer4? l4, out Layer4Facts facts)
    {
        facts = default;
        switch (l4?.ProtocolCase)
        {
            case Protocol.Layer4.ProtocolOneofCase.TCP:
                facts.Protocol = 6;
                facts.Flags = MapTcpFlags(l4.TCP.Flags);
                return TryPorts("flow.l4.TCP", l4.TCP.SourcePort, l4.TCP.DestinationPort, ref facts);
            case Protocol.Layer4.ProtocolOneofCase.UDP:
                facts.Protocol = 17;
                return TryPorts("flow.l4.UDP", l4.UDP.SourcePort, l4.UDP.DestinationPort, ref facts);
            case Protocol.Layer4.ProtocolOneofCase.SCTP:
                facts.Protocol = 132;
                return TryPorts("flow.l4.SCTP", l4.SCTP.SourcePort, l4.SCTP.DestinationPort, ref facts);
            case Protocol.Layer4.ProtocolOneofCase.ICMPv4:
                facts.Protocol = 1;
                return TryIcmp("flow.l4.ICMPv4", l4.ICMPv4.Type, l4.ICMPv4.Code, ref facts);
            case Protocol.Layer4.ProtocolOneofCase.ICMPv6:
                facts.Protocol = 58;
                return TryIcmp("flow.l4.ICMPv6", l4.ICMPv6.Type, l4.ICMPv6.Code, ref facts);
            default:
                return true;
        }
    }

    private bool TryPorts(string prefix, uint sourcePort, uint destinationPort, ref Layer4Facts facts)
    {
        if (sourcePort > ushort.MaxValue || destinationPort > ushort.MaxValue)
        {
            bool source = sourcePort > ushort.MaxValue;
            Fail("invalid_value", $"{prefix}.{(source ? "source_port" : "destination_port")} {(source ? sourcePort : destinationPort)} is out of range (0-65535)");
            return false;
        }

        facts.SourcePort = (ushort)sourcePort;
        facts.DestinationPort = (ushort)destinationPort;
        return true;
    }

    private bool TryIcmp(string prefix, uint type, uint code, ref Layer4Facts facts)
    {
        if (type > byte.MaxValue || code > byte.MaxValue)
        {
            bool isType = type > byte.MaxValue;
            Fail("invalid_value", $"{prefix}.{(isType ? "type" : "code")} {(isType ? type : code)} is out of range (0-255)");
            return false;
        }

        facts.IcmpType = (byte)type;
        facts.IcmpCode = (byte)code;
        return true;
    }

    private FlowEndpoint BuildEndpoint(IPAddress ip, ushort port, ProtoEndpoint? endpoint, RepeatedField<string> names)
    {
        var labels = endpoint is null || endpoint.Labels.Count == 0 ? null : _labelSets.Get(endpoint.Labels);
        string? pod = NullIfEmpty(endpoint?.PodName);
        string? workload = null;
        if (endpoint is not null)
        {
            foreach (var candidate in endpoint.Workloads)
            {
                if (!string.IsNullOrEmpty(candidate.Name))
                {
                    workload = candidate.Name;
                    break;
                }
            }
        }

        return new FlowEndpoint
        {
            Ip = ip,
            Port = port,
            Namespace = NullIfEmpty(endpoint?.Namespace) ?? labels?.PodNamespace,
            Pod = pod,
            Workload = workload ?? (pod is null ? null : WorkloadFromPod(pod)),
            Labels = labels?.Labels,
            Identity = endpoint is null || endpoint.Identity == 0 ? null : endpoint.Identity,
            ReservedEntity = labels?.ReservedEntity,
            DnsNames = names.Count == 0 ? null : names.ToArray(),
        };
    }

    private static DnsFacts MapDns(Protocol.DNS dns, bool isResponse)
    {
        string? query = null;
        if (dns.Query.Length > 0)
        {
            string text = dns.Query.Length > 1 && dns.Query[^1] == '.' ? dns.Query[..^1] : dns.Query;
            query = text.ToLowerInvariant();
        }

        return new DnsFacts
        {
            Query = query,
            QueryTypes = dns.Qtypes.Count == 0 ? null : dns.Qtypes.ToArray(),
            // Protobuf cannot tell rcode 0 from absent; as in JSON, a response without one is NOERROR.
            Rcode = dns.Rcode != 0 ? (int)dns.Rcode : isResponse ? 0 : null,
            Answers = dns.Ips.Count == 0 ? null : dns.Ips.ToArray(),
            IsResponse = isResponse,
        };
    }

    private static HttpFacts MapHttp(Protocol.HTTP http, bool isResponse)
    {
        string? url = NullIfEmpty(http.Url);
        string? urlHost = null;
        string? uri = null;
        if (url is not null)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(url);
            HttpUrlParts.Split(bytes, out var authority, out var pathAndQuery);
            var host = bytes.AsSpan()[authority];
            var path = bytes.AsSpan()[pathAndQuery];
            urlHost = host.IsEmpty ? null : Encoding.UTF8.GetString(host);
            if (path.IsEmpty)
            {
                uri = host.IsEmpty ? null : "/";
            }
            else
            {
                string text = Encoding.UTF8.GetString(path);
                uri = path[0] == '?' ? "/" + text : text;
            }
        }

        List<KeyValuePair<string, string>>? headers = null;
        string? userAgent = null;
        string? hostHeader = null;
        foreach (var header in http.Headers)
        {
            if (string.IsNullOrEmpty(header.Key))
            {
                continue;
            }

            string value = header.Value ?? "";
            (headers ??= new List<KeyValuePair<string, string>>(http.Headers.Count)).Add(new KeyValuePair<string, string>(header.Key, value));
            if (userAgent is null && header.Key.Equals("User-Agent", StringComparison.OrdinalIgnoreCase))
            {
                userAgent = value;
            }
            else if (header.Key.Equals("Host", StringComparison.OrdinalIgnoreCase) || header.Key.Equals(":authority", StringComparison.Ordinal))
            {
                hostHeader ??= value;
            }
        }

        return new HttpFacts
        {
            Method = NullIfEmpty(http.Method),
            Host = urlHost ?? hostHeader,
            Uri = uri,
            Url = url,
            UserAgent = userAgent,
            StatusCode = http.Code == 0 ? null : (int)http.Code,
            Protocol = NullIfEmpty(http.Protocol),
            Headers = headers,
            IsResponse = isResponse,
        };
    }

    private static string WorkloadFromPod(string pod)
    {
        Span<byte> buffer = pod.Length <= 256 ? stackalloc byte[256] : new byte[Encoding.UTF8.GetMaxByteCount(pod.Length)];
        int written = Encoding.UTF8.GetBytes(pod, buffer);
        var bytes = buffer[..written];
        int length = KubernetesNames.WorkloadNameLength(bytes);
        return length == bytes.Length ? pod : Encoding.UTF8.GetString(bytes[..length]);
    }

    private static TcpFlags MapTcpFlags(Protocol.TCPFlags? flags)
    {
        if (flags is null)
        {
            return TcpFlags.None;
        }

        var result = TcpFlags.None;
        result |= flags.FIN ? TcpFlags.Fin : TcpFlags.None;
        result |= flags.SYN ? TcpFlags.Syn : TcpFlags.None;
        result |= flags.RST ? TcpFlags.Rst : TcpFlags.None;
        result |= flags.PSH ? TcpFlags.Psh : TcpFlags.None;
        result |= flags.ACK ? TcpFlags.Ack : TcpFlags.None;
        result |= flags.URG ? TcpFlags.Urg : TcpFlags.None;
        result |= flags.ECE ? TcpFlags.Ece : TcpFlags.None;
        result |= flags.CWR ? TcpFlags.Cwr : TcpFlags.None;
        result |= flags.NS ? TcpFlags.Ns : TcpFlags.None;
        return result;
    }

    private static DataplaneVerdict MapVerdict(Protocol.Verdict verdict) => verdict switch
    {
        Protocol.Verdict.Forwarded => DataplaneVerdict.Forwarded,
        Protocol.Verdict.Dropped => DataplaneVerdict.Dropped,
        Protocol.Verdict.Error => DataplaneVerdict.Error,
        Protocol.Verdict.Audit => DataplaneVerdict.Audit,
        Protocol.Verdict.Redirected => DataplaneVerdict.Redirected,
        Protocol.Verdict.Traced => DataplaneVerdict.Traced,
        Protocol.Verdict.Translated => DataplaneVerdict.Translated,
        _ => DataplaneVerdict.Unknown,
    };

    /// <summary>Dotted-quad IPv4 or IPv6 text only, as the JSON decoder accepts: IPAddress.TryParse alone also takes "10".</summary>
    private static bool TryParseAddress(string text, out IPAddress address)
    {
        address = IPAddress.None;
        if (text.Contains(':', StringComparison.Ordinal))
        {
            if (IPAddress.TryParse(text, out var v6) && v6.AddressFamily == AddressFamily.InterNetworkV6)
            {
                address = v6;
                return true;
            }

            return false;
        }

        int dots = 0;
        int digits = 0;
        foreach (char c in text)
        {
            if (c == '.')
            {
                if (digits == 0)
                {
                    return false;
                }

                dots++;
                digits = 0;
            }
            else if (!char.IsAsciiDigit(c) || ++digits > 3)
            {
                return false;
            }
        }

        if (dots != 3 || digits == 0 || !IPAddress.TryParse(text, out var v4))
        {
            return false;
        }

        address = v4;
        return true;
    }

    private static string? NullIfEmpty(string? text) => string.IsNullOrEmpty(text) ? null : text;

    private FlowEvent? Fail(string reasonTag, string error)
    {
        ReasonTag = reasonTag;
        Error = error;
        return null;
    }

    private struct Layer4Facts
    {
        public byte Protocol;
        public ushort SourcePort;
        public ushort DestinationPort;
        public TcpFlags Flags;
        public byte? IcmpType;
        public byte? IcmpCode;
    }
}
