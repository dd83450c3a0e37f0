namespace NetSecStream.Collectors.HubbleRelay;

/// <summary>Options of the <c>hubble_relay</c> source (configuration section <c>Collectors:HubbleRelay</c>).</summary>
public sealed class HubbleRelayOptions
{
    public const string SectionName = "Collectors:HubbleRelay";

    public const int DefaultMaxMessageBytes = 4 * 1024 * 1024;

    /// <summary>
    /// Hubble Relay's gRPC address, <c>http://host:port</c> or, with <see cref="HubbleRelayTlsOptions.Enabled"/>,
    /// <c>https://host:port</c>. The default is the in-cluster service Cilium installs.
    /// </summary>
    public string Address { get; set; } = "http://hubble-relay.kube-system.svc:80";

    public HubbleRelayTlsOptions Tls { get; set; } = new();

    /// <summary>Keep streaming flows as they happen, reconnecting when the stream breaks (like <c>hubble observe -f</c>).</summary>
    public bool Follow { get; set; } = true;

    /// <summary>
    /// How many flows already in Hubble's buffers to read first (<c>hubble observe --last</c>); 0 starts with new
    /// flows. Without <see cref="Follow"/> the source reads these and ends, so it must then be greater than 0.
    /// </summary>
    public ulong Last { get; set; }

    /// <summary>Only flows that match (either endpoint, for the endpoint criteria) are sent by the relay.</summary>
    public HubbleRelayFlowFilterOptions Allow { get; set; } = new();

    /// <summary>Flows that match are left out by the relay, even when <see cref="Allow"/> matches them.</summary>
    public HubbleRelayFlowFilterOptions Deny { get; set; } = new();

    /// <summary>First wait before reconnecting after the stream broke; doubled (with jitter) on each failure in a row.</summary>
    public TimeSpan ReconnectInitialBackoff { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest wait between reconnection attempts.</summary>
    public TimeSpan ReconnectMaxBackoff { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Largest gRPC message accepted from the relay. A larger one breaks the stream: it is counted as rejected
    /// (reason <c>oversized</c>) and the source resumes after the last flow it saw; when the same happens again
    /// before any flow arrives, it resumes from the current time, skipping the oversized message (and the log says so).
    /// </summary>
    public int MaxMessageBytes { get; set; } = DefaultMaxMessageBytes;

    /// <summary>Written to <c>FlowEvent.CollectorId</c>; the same default as the Hubble JSON decoder, as the flows are the same.</summary>
    public string CollectorId { get; set; } = "hubble";

    /// <summary>Cluster name written to <c>FlowEvent.Cluster</c>; Hubble flows do not carry it.</summary>
    public string? Cluster { get; set; }
}

/// <summary>TLS to Hubble Relay (<c>Collectors:HubbleRelay:Tls</c>), as <c>hubble observe --tls</c> configures it.</summary>
public sealed class HubbleRelayTlsOptions
{
    /// <summary>Use TLS; the <see cref="HubbleRelayOptions.Address"/> must then be an <c>https</c> URL.</summary>
    public bool Enabled { get; set; }

    /// <summary>PEM file of the CA that signed the relay's certificate; without it the system's trust store is used.</summary>
    public string? CaCertificatePath { get; set; }

    /// <summary>PEM client certificate for mutual TLS (with <see cref="ClientKeyPath"/>).</summary>
    public string? ClientCertificatePath { get; set; }

    /// <summary>PEM private key of <see cref="ClientCertificatePath"/>.</summary>
    public string? ClientKeyPath { get; set; }

    /// <summary>Name the relay's certificate must carry when it differs from the address's host (<c>--tls-server-name</c>).</summary>
    public string? ServerName { get; set; }
}

/// <summary>
/// One allow or deny list, sent to the relay as Hubble flow filters. The endpoint criteria (<see cref="Namespaces"/>,
/// <see cref="PodPrefixes"/>, <see cref="Labels"/>, <see cref="Ips"/>) match a flow when one endpoint meets all of
/// those that are set; the other criteria must match as well. An empty list matches every flow, so it filters nothing.
/// </summary>
public sealed class HubbleRelayFlowFilterOptions
{
    /// <summary>Kubernetes namespaces (<c>kube-system</c>).</summary>
    public List<string> Namespaces { get; set; } = [];

    /// <summary>Pod name prefixes, optionally within a namespace (<c>coredns-</c>, <c>kube-system/coredns-</c>).</summary>
    public List<string> PodPrefixes { get; set; } = [];

    /// <summary>Label selectors in Kubernetes syntax (<c>k8s:app=web</c>, <c>reserved:world</c>).</summary>
    public List<string> Labels { get; set; } = [];

    /// <summary>Addresses or CIDR blocks (<c>10.0.0.0/8</c>).</summary>
    public List<string> Ips { get; set; } = [];

    /// <summary>Dataplane verdicts: FORWARDED, DROPPED, ERROR, AUDIT, REDIRECTED, TRACED, TRANSLATED.</summary>
    public List<string> Verdicts { get; set; } = [];

    /// <summary>L4 or L7 protocols as Hubble names them: tcp, udp, icmpv4, icmpv6, sctp, http, dns, kafka.</summary>
    public List<string> Protocols { get; set; } = [];

    /// <summary>Node name patterns (<c>worker-*</c>).</summary>
    public List<string> NodeNames { get; set; } = [];

    internal bool HasEndpointCriteria => Namespaces.Count > 0 || PodPrefixes.Count > 0 || Labels.Count > 0 || Ips.Count > 0;

    internal bool IsEmpty => !HasEndpointCriteria && Verdicts.Count == 0 && Protocols.Count == 0 && NodeNames.Count == 0;
}
