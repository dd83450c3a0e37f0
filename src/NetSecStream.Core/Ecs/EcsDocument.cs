using System.Text.Json.Serialization;

namespace NetSecStream.Core.Ecs;

// The ECS document as it travels on Kafka and lands in Elasticsearch and files. Field names are ECS 8.11
// (https://www.elastic.co/guide/en/ecs/8.11/ecs-field-reference.html); what ECS has no slot for lives under
// `netsec.*`. Nulls are omitted, so a section appears only when its facts are known. Property order is the
// order in the JSON, @timestamp first.

internal sealed class EcsDocument
{
    [JsonPropertyName("@timestamp")]
    public EcsTimestamp? Timestamp { get; set; }

    [JsonPropertyName("ecs")]
    public EcsVersionField? Ecs { get; set; }

    [JsonPropertyName("event")]
    public EcsEvent? Event { get; set; }

    [JsonPropertyName("rule")]
    public EcsRule? Rule { get; set; }

    [JsonPropertyName("source")]
    public EcsEndpoint? Source { get; set; }

    [JsonPropertyName("destination")]
    public EcsEndpoint? Destination { get; set; }

    [JsonPropertyName("network")]
    public EcsNetwork? Network { get; set; }

    [JsonPropertyName("dns")]
    public EcsDns? Dns { get; set; }

    [JsonPropertyName("http")]
    public EcsHttp? Http { get; set; }

    [JsonPropertyName("url")]
    public EcsUrl? Url { get; set; }

    [JsonPropertyName("user_agent")]
    public EcsUserAgent? UserAgent { get; set; }

    [JsonPropertyName("tls")]
    public EcsTls? Tls { get; set; }

    [JsonPropertyName("orchestrator")]
    public EcsOrchestrator? Orchestrator { get; set; }

    [JsonPropertyName("kubernetes")]
    public EcsKubernetes? Kubernetes { get; set; }

    [JsonPropertyName("observer")]
    public EcsObserver? Observer { get; set; }

    [JsonPropertyName("netsec")]
    public NetSecFields? NetSec { get; set; }
}

internal sealed class EcsVersionField
{
    [JsonPropertyName("version")]
    public string? Version { get; set; }
}

internal sealed class EcsEvent
{
    [JsonPropertyName("kind")]
    public string? Kind { get; set; }

    [JsonPropertyName("category")]
    public IReadOnlyList<string>? Category { get; set; }

    [JsonPropertyName("type")]
    public IReadOnlyList<string>? Type { get; set; }

    [JsonPropertyName("action")]
    public string? Action { get; set; }

    [JsonPropertyName("dataset")]
    public string? Dataset { get; set; }

    [JsonPropertyName("module")]
    public string? Module { get; set; }

    [JsonPropertyName("id")]
    public string? Id { get; set; }

    [JsonPropertyName("severity")]
    public int? Severity { get; set; }

    [JsonPropertyName("risk_score")]
    public double? RiskScore { get; set; }

    /// <summary>For alerts: when the flow the alert is about was observed (@timestamp is the alert's time).</summary>
    [JsonPropertyName("start")]
    public EcsTimestamp? Start { get; set; }
}

internal sealed class EcsRule
{
    [JsonPropertyName("id")]
    public string? Id { get; set; }

    [JsonPropertyName("name")]
    public string? Name { get; set; }

    [JsonPropertyName("category")]
    public string? Category { get; set; }

    [JsonPropertyName("ruleset")]
    public string? Ruleset { get; set; }

    [JsonPropertyName("version")]
    public string? Version { get; set; }
}

internal sealed class EcsEndpoint
{
    [JsonPropertyName("ip")]
    public EcsIp? Ip { get; set; }

    [JsonPropertyName("port")]
    public int? Port { get; set; }

    /// <summary>First DNS name Cilium associated with the address; all of them are in netsec.*.dns_names.</summary>
    [JsonPropertyName("domain")]
    public string? Domain { get; set; }
}

internal sealed class EcsNetwork
{
    [JsonPropertyName("transport")]
    public string? Transport { get; set; }

    [JsonPropertyName("iana_number")]
    public string? IanaNumber { get; set; }

    [JsonPropertyName("type")]
    public string? Type { get; set; }

    [JsonPropertyName("protocol")]
    public string? Protocol { get; set; }

    [JsonPropertyName("direction")]
    public string? Direction { get; set; }

    [JsonPropertyName("community_id")]
    public string? CommunityId { get; set; }

    [JsonPropertyName("bytes")]
    public long? Bytes { get; set; }

    [JsonPropertyName("packets")]
    public long? Packets { get; set; }
}

internal sealed class EcsDns
{
    /// <summary><c>query</c> or <c>answer</c>.</summary>
    [JsonPropertyName("type")]
    public string? Type { get; set; }

    [JsonPropertyName("question")]
    public EcsDnsQuestion? Question { get; set; }

    [JsonPropertyName("response_code")]
    public string? ResponseCode { get; set; }

    [JsonPropertyName("answers")]
    public IReadOnlyList<EcsDnsAnswer>? Answers { get; set; }

    [JsonPropertyName("resolved_ip")]
    public IReadOnlyList<string>? ResolvedIp { get; set; }

    /// <summary>The header's OPCODE by name (<c>QUERY</c>, <c>NOTIFY</c>, <c>UPDATE</c> ...), a number where it has none.</summary>
    [JsonPropertyName("op_code")]
    public string? OpCode { get; set; }
}

internal sealed class EcsDnsQuestion
{
    [JsonPropertyName("name")]
    public string? Name { get; set; }

    [JsonPropertyName("type")]
    public string? Type { get; set; }
}

internal sealed class EcsDnsAnswer
{
    [JsonPropertyName("data")]
    public string? Data { get; set; }
}

internal sealed class EcsHttp
{
    [JsonPropertyName("version")]
    public string? Version { get; set; }

    [JsonPropertyName("request")]
    public EcsHttpRequest? Request { get; set; }

    [JsonPropertyName("response")]
    public EcsHttpResponse? Response { get; set; }
}

internal sealed class EcsHttpRequest
{
    [JsonPropertyName("method")]
    public string? Method { get; set; }

    [JsonPropertyName("body")]
    public EcsHttpBody? Body { get; set; }
}

internal sealed class EcsHttpResponse
{
    [JsonPropertyName("status_code")]
    public int? StatusCode { get; set; }

    [JsonPropertyName("body")]
    public EcsHttpBody? Body { get; set; }
}

/// <summary>A body prefix that is valid UTF-8 (any other goes base64 under netsec.http).</summary>
internal sealed class EcsHttpBody
{
    [JsonPropertyName("content")]
    public string? Content { get; set; }
}

internal sealed class EcsUrl
{
    [JsonPropertyName("domain")]
    public string? Domain { get; set; }

    [JsonPropertyName("path")]
    public string? Path { get; set; }

    [JsonPropertyName("query")]
    public string? Query { get; set; }

    [JsonPropertyName("original")]
    public string? Original { get; set; }

    [JsonPropertyName("full")]
    public string? Full { get; set; }
}

internal sealed class EcsUserAgent
{
    [JsonPropertyName("original")]
    public string? Original { get; set; }
}

internal sealed class EcsTls
{
    [JsonPropertyName("version")]
    public string? Version { get; set; }

    [JsonPropertyName("version_protocol")]
    public string? VersionProtocol { get; set; }

    [JsonPropertyName("client")]
    public EcsTlsClient? Client { get; set; }

    /// <summary>The protocol the server selected by ALPN.</summary>
    [JsonPropertyName("next_protocol")]
    public string? NextProtocol { get; set; }

    /// <summary>The leaf certificate, for searching; all certificates in full are under netsec.tls.certificates.</summary>
    [JsonPropertyName("server")]
    public EcsTlsServer? Server { get; set; }
}

internal sealed class EcsTlsServer
{
    [JsonPropertyName("hash")]
    public EcsTlsHash? Hash { get; set; }

    [JsonPropertyName("not_before")]
    public EcsTimestamp? NotBefore { get; set; }

    [JsonPropertyName("not_after")]
    public EcsTimestamp? NotAfter { get; set; }

    [JsonPropertyName("x509")]
    public EcsX509? X509 { get; set; }
}

internal sealed class EcsTlsHash
{
    [JsonPropertyName("sha1")]
    public string? Sha1 { get; set; }
}

internal sealed class EcsX509
{
    [JsonPropertyName("subject")]
    public EcsX509Name? Subject { get; set; }

    [JsonPropertyName("issuer")]
    public EcsX509Name? Issuer { get; set; }

    [JsonPropertyName("serial_number")]
    public string? SerialNumber { get; set; }

    [JsonPropertyName("alternative_names")]
    public IReadOnlyList<string>? AlternativeNames { get; set; }
}

internal sealed class EcsX509Name
{
    [JsonPropertyName("distinguished_name")]
    public string? DistinguishedName { get; set; }
}

internal sealed class EcsTlsClient
{
    [JsonPropertyName("server_name")]
    public string? ServerName { get; set; }

    [JsonPropertyName("ja3")]
    public string? Ja3 { get; set; }
}

internal sealed class EcsOrchestrator
{
    [JsonPropertyName("type")]
    public string? Type { get; set; }

    [JsonPropertyName("namespace")]
    public string? Namespace { get; set; }

    [JsonPropertyName("resource")]
    public EcsOrchestratorResource? Resource { get; set; }

    [JsonPropertyName("cluster")]
    public EcsOrchestratorCluster? Cluster { get; set; }
}

internal sealed class EcsOrchestratorResource
{
    [JsonPropertyName("type")]
    public string? Type { get; set; }

    [JsonPropertyName("name")]
    public string? Name { get; set; }
}

internal sealed class EcsOrchestratorCluster
{
    [JsonPropertyName("name")]
    public string? Name { get; set; }
}

/// <summary>The fields Elastic's Kubernetes integration uses, so dashboards built on them work on our data.</summary>
internal sealed class EcsKubernetes
{
    [JsonPropertyName("namespace")]
    public string? Namespace { get; set; }

    [JsonPropertyName("pod")]
    public EcsKubernetesPod? Pod { get; set; }

    /// <summary>Label keys with '.' replaced by '_' (as Beats' <c>labels.dedot</c>), so they do not expand into objects.</summary>
    [JsonPropertyName("labels")]
    public DedottedLabels? Labels { get; set; }
}

internal sealed class EcsKubernetesPod
{
    [JsonPropertyName("name")]
    public string? Name { get; set; }
}

internal sealed class EcsObserver
{
    [JsonPropertyName("type")]
    public string? Type { get; set; }

    [JsonPropertyName("hostname")]
    public string? Hostname { get; set; }
}

internal sealed class NetSecFields
{
    [JsonPropertyName("schema_version")]
    public string? SchemaVersion { get; set; }

    [JsonPropertyName("collector")]
    public string? Collector { get; set; }

    [JsonPropertyName("verdict")]
    public string? Verdict { get; set; }

    [JsonPropertyName("is_reply")]
    public bool? IsReply { get; set; }

    [JsonPropertyName("tcp_flags")]
    public IReadOnlyList<string>? TcpFlags { get; set; }

    [JsonPropertyName("icmp")]
    public NetSecIcmp? Icmp { get; set; }

    [JsonPropertyName("summary")]
    public string? Summary { get; set; }

    /// <summary>packet, transaction or summary; absent for a flow.</summary>
    [JsonPropertyName("event_kind")]
    public string? EventKind { get; set; }

    [JsonPropertyName("packet_number")]
    public long? PacketNumber { get; set; }

    [JsonPropertyName("established")]
    public bool? Established { get; set; }

    [JsonPropertyName("app_protocol")]
    public string? AppProtocol { get; set; }

    [JsonPropertyName("detector")]
    public string? Detector { get; set; }

    [JsonPropertyName("mode")]
    public string? Mode { get; set; }

    [JsonPropertyName("explanation")]
    public string? Explanation { get; set; }

    [JsonPropertyName("dedupe_key")]
    public string? DedupeKey { get; set; }

    [JsonPropertyName("dedupe_count")]
    public long? DedupeCount { get; set; }

    /// <summary>Aggregated alerts: the earliest occurrence counted in <see cref="DedupeCount"/>.</summary>
    [JsonPropertyName("first_seen")]
    public EcsTimestamp? FirstSeen { get; set; }

    /// <summary>Aggregated alerts: the latest occurrence counted in <see cref="DedupeCount"/>.</summary>
    [JsonPropertyName("last_seen")]
    public EcsTimestamp? LastSeen { get; set; }

    [JsonPropertyName("source")]
    public NetSecEndpoint? Source { get; set; }

    [JsonPropertyName("destination")]
    public NetSecEndpoint? Destination { get; set; }

    [JsonPropertyName("dns")]
    public NetSecDns? Dns { get; set; }

    [JsonPropertyName("http")]
    public NetSecHttp? Http { get; set; }

    [JsonPropertyName("tls")]
    public NetSecTls? Tls { get; set; }

    [JsonPropertyName("ssh")]
    public NetSecSsh? Ssh { get; set; }

    [JsonPropertyName("payload")]
    public NetSecPayload? Payload { get; set; }
}

/// <summary>Kubernetes and Cilium facts of one side of the flow.</summary>
internal sealed class NetSecEndpoint
{
    [JsonPropertyName("namespace")]
    public string? Namespace { get; set; }

    [JsonPropertyName("pod")]
    public string? Pod { get; set; }

    [JsonPropertyName("workload")]
    public string? Workload { get; set; }

    /// <summary>Labels with their original keys (map as <c>flattened</c> in Elasticsearch).</summary>
    [JsonPropertyName("labels")]
    public IReadOnlyDictionary<string, string>? Labels { get; set; }

    [JsonPropertyName("identity")]
    public uint? Identity { get; set; }

    [JsonPropertyName("reserved_entity")]
    public string? ReservedEntity { get; set; }

    [JsonPropertyName("dns_names")]
    public IReadOnlyList<string>? DnsNames { get; set; }
}

internal sealed class NetSecIcmp
{
    [JsonPropertyName("type")]
    public int? Type { get; set; }

    [JsonPropertyName("code")]
    public int? Code { get; set; }
}

internal sealed class NetSecDns
{
    /// <summary>All query types when there is more than one (dns.question.type holds the first).</summary>
    [JsonPropertyName("question_types")]
    public IReadOnlyList<string>? QuestionTypes { get; set; }
}

internal sealed class NetSecHttp
{
    [JsonPropertyName("is_response")]
    public bool? IsResponse { get; set; }

    [JsonPropertyName("request_line")]
    public string? RequestLine { get; set; }

    [JsonPropertyName("response_line")]
    public string? ResponseLine { get; set; }

    [JsonPropertyName("status_message")]
    public string? StatusMessage { get; set; }

    [JsonPropertyName("response_protocol")]
    public string? ResponseProtocol { get; set; }

    /// <summary>Request headers in order (response headers when is_response and no request was seen).</summary>
    [JsonPropertyName("request_headers")]
    public IReadOnlyList<NetSecHeader>? RequestHeaders { get; set; }

    [JsonPropertyName("response_headers")]
    public IReadOnlyList<NetSecHeader>? ResponseHeaders { get; set; }

    /// <summary>The request body, base64, when it is not valid UTF-8 (else it is http.request.body.content).</summary>
    [JsonPropertyName("request_body")]
    public ReadOnlyMemory<byte>? RequestBody { get; set; }

    [JsonPropertyName("response_body")]
    public ReadOnlyMemory<byte>? ResponseBody { get; set; }
}

internal sealed class NetSecHeader
{
    [JsonPropertyName("name")]
    public string? Name { get; set; }

    [JsonPropertyName("value")]
    public string? Value { get; set; }
}

internal sealed class NetSecTls
{
    [JsonPropertyName("client_alpn")]
    public IReadOnlyList<string>? ClientAlpn { get; set; }

    [JsonPropertyName("server_alpn")]
    public IReadOnlyList<string>? ServerAlpn { get; set; }

    [JsonPropertyName("certificates")]
    public IReadOnlyList<NetSecCertificate>? Certificates { get; set; }
}

/// <summary>One server certificate: its DER (base64) and the facts read from it.</summary>
internal sealed class NetSecCertificate
{
    [JsonPropertyName("der")]
    public ReadOnlyMemory<byte>? Der { get; set; }

    [JsonPropertyName("subject")]
    public string? Subject { get; set; }

    [JsonPropertyName("issuer")]
    public string? Issuer { get; set; }

    [JsonPropertyName("serial")]
    public string? Serial { get; set; }

    [JsonPropertyName("sha1")]
    public string? Sha1 { get; set; }

    [JsonPropertyName("subject_alt_names")]
    public IReadOnlyList<string>? SubjectAltNames { get; set; }

    [JsonPropertyName("not_before")]
    public DateTimeOffset? NotBefore { get; set; }

    [JsonPropertyName("not_after")]
    public DateTimeOffset? NotAfter { get; set; }
}

internal sealed class NetSecSsh
{
    [JsonPropertyName("client_proto")]
    public string? ClientProto { get; set; }

    [JsonPropertyName("client_software")]
    public string? ClientSoftware { get; set; }

    [JsonPropertyName("server_proto")]
    public string? ServerProto { get; set; }

    [JsonPropertyName("server_software")]
    public string? ServerSoftware { get; set; }
}

/// <summary>Bounded payload prefixes (pcap collector only), base64; written for flows, never for alerts.</summary>
internal sealed class NetSecPayload
{
    [JsonPropertyName("to_server")]
    public ReadOnlyMemory<byte>? ToServer { get; set; }

    [JsonPropertyName("to_client")]
    public ReadOnlyMemory<byte>? ToClient { get; set; }
}
