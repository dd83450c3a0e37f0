using System.Net;

namespace NetSecStream.Core.Events;

/// <summary>
/// One observed network flow (or flow update) as every collector reports it and every detector reads it.
/// Fields a collector does not know stay null; nothing is invented.
/// </summary>
public sealed class FlowEvent
{
    /// <summary>When the dataplane observed the flow (UTC).</summary>
    public required DateTimeOffset Timestamp { get; init; }

    /// <summary>Settable so an enricher can replace an endpoint with an enriched copy (endpoints are immutable).</summary>
    public required FlowEndpoint Source { get; set; }

    /// <summary>Settable so an enricher can replace an endpoint with an enriched copy (endpoints are immutable).</summary>
    public required FlowEndpoint Destination { get; set; }

    /// <summary>IANA protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, 132 SCTP).</summary>
    public required byte IpProtocol { get; init; }

    public Transport Transport => TransportNames.FromProtocol(IpProtocol);

    public TrafficDirection Direction { get; init; }

    public DataplaneVerdict Verdict { get; init; }

    /// <summary>True when the dataplane marked this event as the reply direction of a connection.</summary>
    public bool? IsReply { get; init; }

    public long? Bytes { get; init; }

    public long? Packets { get; init; }

    public TcpFlags TcpFlags { get; init; }

    /// <summary>ICMP type and code, for ICMP and ICMPv6 flows.</summary>
    public byte? IcmpType { get; init; }

    public byte? IcmpCode { get; init; }

    public DnsFacts? Dns { get; init; }

    public HttpFacts? Http { get; init; }

    public TlsFacts? Tls { get; init; }

    /// <summary>SSH identification strings (RFC 4253 4.2) of both sides, when the pcap collector saw them.</summary>
    public SshFacts? Ssh { get; init; }

    /// <summary>Bounded payload prefixes per direction; only the pcap collector fills these.</summary>
    public PayloadBuffers? Payload { get; init; }

    /// <summary>What this event stands for: a flow (the default), one packet, one L7 transaction, or a flow's totals.</summary>
    public FlowEventKind Kind { get; init; }

    /// <summary>1-based number of the captured packet the event was taken at (Suricata's <c>pcap_cnt</c>); pcap source only.</summary>
    public long? PacketNumber { get; init; }

    /// <summary>
    /// Whether the connection was established when the event was observed: TCP after the three-way handshake,
    /// UDP and others once both sides have sent. Null when the collector cannot tell.
    /// </summary>
    public bool? Established { get; init; }

    /// <summary>The application protocol the collector identified on the flow (<c>http</c>, <c>tls</c>, <c>dns</c> ...), or null.</summary>
    public string? AppProtocol { get; init; }

    /// <summary>Which collector produced the event (<c>hubble_file</c>, <c>netflow</c>, ...).</summary>
    public string CollectorId { get; init; } = "";

    /// <summary>The Kubernetes node (or exporter) that observed the flow.</summary>
    public string? NodeName { get; init; }

    /// <summary>Cluster name, when the collector is told it.</summary>
    public string? Cluster { get; init; }

    /// <summary>Community ID v1 (seed 0) of the 5-tuple, e.g. <c>1:LQU9qZlK+B5F3KDmev6m5PMibrg=</c>.</summary>
    public string? CommunityId { get; set; }

    /// <summary>Free-text summary from the dataplane (Hubble <c>Summary</c>).</summary>
    public string? Summary { get; init; }

    /// <summary>
    /// Where the processor read the event from (the record's origin, e.g. <c>netsec.flows/3</c> for a Kafka partition);
    /// set by the pipeline's decode stage, never serialised. Detectors key per-partition state by it.
    /// </summary>
    public string? Origin { get; set; }
}

/// <summary>One side of a flow, with whatever Kubernetes identity the collector knows.</summary>
public sealed class FlowEndpoint
{
    public required IPAddress Ip { get; init; }

    /// <summary>Transport port; 0 when the protocol has none.</summary>
    public ushort Port { get; init; }

    public string? Namespace { get; init; }

    public string? Pod { get; init; }

    /// <summary>Owning workload (Deployment, DaemonSet, ...) name where known.</summary>
    public string? Workload { get; init; }

    /// <summary>Kubernetes labels as key/value pairs (Cilium's <c>k8s:</c> prefix removed).</summary>
    public IReadOnlyDictionary<string, string>? Labels { get; init; }

    /// <summary>Cilium security identity, when reported.</summary>
    public uint? Identity { get; init; }

    /// <summary>Reserved entity names (world, host, remote-node, kube-apiserver ...) from Cilium's <c>reserved:</c> labels.</summary>
    public string? ReservedEntity { get; init; }

    /// <summary>DNS names Cilium associated with this address (<c>destination_names</c>).</summary>
    public IReadOnlyList<string>? DnsNames { get; init; }
}

/// <summary>
/// The granularity of a <see cref="FlowEvent"/>. Collectors that see flows (Hubble, NetFlow) report <see cref="Flow"/>.
/// The pcap source in packet-inspection mode reports each packet, each finished L7 transaction, and at the end the
/// flow's totals as <see cref="Summary"/>; signature rules run on packets and transactions and skip the summary,
/// detectors of flows (intel, behaviour) skip the packets.
/// </summary>
public enum FlowEventKind
{
    /// <summary>A whole flow, or a flow update, with whatever L7 facts and payload prefixes the collector has.</summary>
    Flow = 0,

    /// <summary>One captured packet: its flags and its payload in its direction; no byte or packet totals.</summary>
    Packet,

    /// <summary>One finished L7 transaction (an HTTP request and response, a DNS query, a TLS handshake).</summary>
    Transaction,

    /// <summary>The totals of a flow whose packets and transactions were reported one by one.</summary>
    Summary,
}

public enum TrafficDirection
{
    Unknown = 0,
    Ingress,
    Egress,
}

public enum DataplaneVerdict
{
    Unknown = 0,
    Forwarded,
    Dropped,
    Audit,
    Redirected,
    Error,
    Traced,
    Translated,
}

public enum Transport
{
    Other = 0,
    Tcp,
    Udp,
    Icmp,
    IcmpV6,
    Sctp,
}

public static class TransportNames
{
    public static Transport FromProtocol(byte protocol) => protocol switch
    {
        6 => Transport.Tcp,
        17 => Transport.Udp,
        1 => Transport.Icmp,
        58 => Transport.IcmpV6,
        132 => Transport.Sctp,
        _ => Transport.Other,
    };

    /// <summary>ECS <c>network.transport</c> value (lower case IANA name).</summary>
    public static string EcsName(byte protocol) => protocol switch
    {
        6 => "tcp",
        17 => "udp",
        1 => "icmp",
        58 => "ipv6-icmp",
        132 => "sctp",
        _ => protocol.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}

[Flags]
public enum TcpFlags : ushort
{
    None = 0,
    Fin = 0x01,
    Syn = 0x02,
    Rst = 0x04,
    Psh = 0x08,
    Ack = 0x10,
    Urg = 0x20,
    Ece = 0x40,
    Cwr = 0x80,
    Ns = 0x100,
}

public sealed class DnsFacts
{
    /// <summary>Query name without the trailing dot, lower case.</summary>
    public string? Query { get; init; }

    public IReadOnlyList<string>? QueryTypes { get; init; }

    /// <summary>DNS response code (0 NOERROR, 3 NXDOMAIN ...); null for queries.</summary>
    public int? Rcode { get; init; }

    public IReadOnlyList<string>? Answers { get; init; }

    public bool IsResponse { get; init; }

    /// <summary>Header OPCODE (RFC 1035 4.1.1, RFC 6895): 0 QUERY, 1 IQUERY, 2 STATUS, 4 NOTIFY, 5 UPDATE; null when unknown.</summary>
    public int? Opcode { get; init; }
}

public sealed class HttpFacts
{
    public string? Method { get; init; }

    public string? Host { get; init; }

    /// <summary>Path and query (<c>/api/v1/items?x=1</c>).</summary>
    public string? Uri { get; init; }

    /// <summary>Full URL when the source gave one.</summary>
    public string? Url { get; init; }

    public string? UserAgent { get; init; }

    public int? StatusCode { get; init; }

    public string? Protocol { get; init; }

    /// <summary>Request headers (response headers when <see cref="IsResponse"/> and the request was not seen).</summary>
    public IReadOnlyList<KeyValuePair<string, string>>? Headers { get; init; }

    public bool IsResponse { get; init; }

    /// <summary>The request line as sent (<c>GET /x HTTP/1.1</c>), without its line end.</summary>
    public string? RequestLine { get; init; }

    /// <summary>The status line as sent (<c>HTTP/1.1 200 OK</c>), without its line end.</summary>
    public string? ResponseLine { get; init; }

    /// <summary>The reason phrase of the status line (<c>OK</c>, <c>Not Found</c>); empty when the server sent none.</summary>
    public string? StatusMessage { get; init; }

    /// <summary>The protocol of the status line (<c>HTTP/1.1</c>); <see cref="Protocol"/> is the request's.</summary>
    public string? ResponseProtocol { get; init; }

    /// <summary>Response headers, when a response was seen and the request too (else they are in <see cref="Headers"/>).</summary>
    public IReadOnlyList<KeyValuePair<string, string>>? ResponseHeaders { get; init; }

    /// <summary>A bounded prefix of the request body, transfer coding removed.</summary>
    public ReadOnlyMemory<byte>? RequestBody { get; init; }

    /// <summary>A bounded prefix of the response body, transfer coding removed and gzip/deflate content coding decoded.</summary>
    public ReadOnlyMemory<byte>? ResponseBody { get; init; }
}

public sealed class TlsFacts
{
    public string? Sni { get; init; }

    public string? Version { get; init; }

    public string? Ja3 { get; init; }

    /// <summary>Protocols the client offered in its ALPN extension (RFC 7301), in its order.</summary>
    public IReadOnlyList<string>? ClientAlpn { get; init; }

    /// <summary>The protocol the server selected by ALPN (one value, as a list so both sides read alike).</summary>
    public IReadOnlyList<string>? ServerAlpn { get; init; }

    /// <summary>The certificates of the server's Certificate message (TLS 1.2 and older, where it is cleartext), leaf first.</summary>
    public IReadOnlyList<TlsCertificate>? Certificates { get; init; }
}

/// <summary>One X.509 certificate as the server sent it, with the facts rules and analysts look at.</summary>
public sealed class TlsCertificate
{
    /// <summary>The DER encoding as sent (bounded by the collector).</summary>
    public ReadOnlyMemory<byte> Der { get; init; }

    /// <summary>Subject in certificate order, as Suricata prints it: <c>C=US, O=Example, CN=www.example.com</c>.</summary>
    public string? Subject { get; init; }

    public string? Issuer { get; init; }

    /// <summary>Serial number as upper-case hex pairs joined by colons (<c>0C:1F:...</c>).</summary>
    public string? Serial { get; init; }

    /// <summary>SHA-1 of the DER as lower-case hex pairs joined by colons (<c>aa:bb:...</c>).</summary>
    public string? Sha1Fingerprint { get; init; }

    /// <summary>subjectAltName DNS names.</summary>
    public IReadOnlyList<string>? SubjectAltNames { get; init; }

    public DateTimeOffset? NotBefore { get; init; }

    public DateTimeOffset? NotAfter { get; init; }
}

/// <summary>The SSH identification strings (<c>SSH-protoversion-softwareversion SP comments</c>) of both sides.</summary>
public sealed class SshFacts
{
    /// <summary>Protocol version the client announced (<c>2.0</c>, <c>1.99</c>).</summary>
    public string? ClientProto { get; init; }

    /// <summary>Software version the client announced (<c>OpenSSH_9.6</c>).</summary>
    public string? ClientSoftware { get; init; }

    public string? ServerProto { get; init; }

    public string? ServerSoftware { get; init; }
}

/// <summary>Bounded payload prefixes per direction, for the signature engine.</summary>
public sealed class PayloadBuffers
{
    public ReadOnlyMemory<byte> ToServer { get; init; }

    public ReadOnlyMemory<byte> ToClient { get; init; }

    /// <summary>
    /// Packet inspection of TCP, in process only (the encodings do not carry it): the packet's direction reassembled
    /// from its start up to and including this packet's data (bounded by the payload prefix), so that a pattern split
    /// over segments matches once, at the packet that completes it, as Suricata's stream inspection does.
    /// </summary>
    public ReadOnlyMemory<byte> Stream { get; init; }

    /// <summary>Where in <see cref="Stream"/> the data new with this packet begins (what earlier packets already covered ends there).</summary>
    public int StreamNewFrom { get; init; }
}
