using NetSecStream.Core.Events;

namespace NetSecStream.Collectors.Generator;

/// <summary>Where on the datapath Cilium saw a traced packet; the value is Hubble's trace sub-type.</summary>
internal enum ObservationPoint : byte
{
    ToEndpoint = 0,
    ToProxy = 1,
    ToHost = 2,
    ToStack = 3,
    ToOverlay = 4,
}

internal enum L7Kind : byte
{
    None,
    DnsRequest,
    DnsResponse,
    HttpRequest,
    HttpResponse,
}

/// <summary>One DNS question and its answer; the request and response flows share it.</summary>
internal sealed class DnsExchange
{
    /// <summary>Fully qualified query name with the trailing dot, as Hubble reports it.</summary>
    public required string Query { get; init; }

    public required string QueryType { get; init; }

    /// <summary>0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN.</summary>
    public int Rcode { get; init; }

    public IReadOnlyList<string> Ips { get; init; } = [];

    public uint Ttl { get; init; }

    /// <summary>Record types in the answer (empty when nothing was answered).</summary>
    public IReadOnlyList<string> AnswerTypes { get; init; } = [];
}

/// <summary>One HTTP request and its response as Envoy reports them to Hubble.</summary>
internal sealed class HttpExchange
{
    public required string Method { get; init; }

    public required string Url { get; init; }

    public string Protocol { get; init; } = "HTTP/1.1";

    public int Code { get; init; }

    public long LatencyNs { get; init; }

    /// <summary>Request headers, sorted by key as Hubble prints them; the response repeats them.</summary>
    public required IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; }
}

/// <summary>
/// One flow as the generator schedules it, before it is rendered to a Hubble JSON line. Records are only
/// built by <see cref="FlowBuilder"/> and read once by <see cref="HubbleJsonWriter"/>.
/// </summary>
internal sealed class FlowRecord
{
    public long TimeNs { get; set; }

    public required Peer Source { get; init; }

    public required Peer Destination { get; init; }

    /// <summary>IANA protocol: 6 TCP, 17 UDP, 1 ICMP.</summary>
    public byte Protocol { get; init; }

    public ushort SourcePort { get; init; }

    public ushort DestinationPort { get; init; }

    public TcpFlags Flags { get; init; }

    public byte IcmpType { get; init; }

    public byte IcmpCode { get; init; }

    public bool Dropped { get; init; }

    /// <summary>Hubble's traffic_direction: INGRESS or EGRESS of the endpoint that owns the connection.</summary>
    public bool Ingress { get; init; }

    public bool IsReply { get; init; }

    public ObservationPoint Point { get; init; }

    /// <summary>The node whose Cilium agent reported the flow.</summary>
    public required ClusterNode ObservedAt { get; init; }

    public L7Kind L7 { get; init; }

    public DnsExchange? Dns { get; init; }

    public HttpExchange? Http { get; init; }

    /// <summary>The Kubernetes service the client addressed, rendered as destination_service (source_service on replies).</summary>
    public Workload? Service { get; init; }

    public required string Label { get; init; }

    public string? Episode { get; init; }
}
