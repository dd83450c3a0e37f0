using System.Collections.Frozen;
using NetSecStream.Core.Events;

namespace NetSecStream.Policy.Suggest;

/// <summary>How a flow endpoint appears to a policy: a workload (pods by labels), a Cilium entity, or an address outside.</summary>
public readonly record struct PeerIdentity(PeerKind Kind, WorkloadId? Workload, string? Entity)
{
    /// <summary>Cilium's reserved identities a policy can name with <c>fromEntities</c>/<c>toEntities</c>; world is named by CIDR instead.</summary>
    public static readonly FrozenSet<string> Entities =
        new[] { "host", "remote-node", "kube-apiserver", "health", "init", "ingress", "unmanaged" }.ToFrozenSet(StringComparer.Ordinal);

    // Labels that change with every rollout or pod (a policy on them stops matching after the next deploy), and
    // Cilium's own bookkeeping labels, which a namespace-scoped policy expresses by its namespace instead.
    private static readonly FrozenSet<string> Volatile = new[]
    {
        "pod-template-hash", "controller-revision-hash", "pod-template-generation", "statefulset.kubernetes.io/pod-name",
        "apps.kubernetes.io/pod-index", "controller-uid", "batch.kubernetes.io/controller-uid", "job-name", "batch.kubernetes.io/job-name",
        "io.kubernetes.pod.namespace", "security.istio.io/tlsMode", "service.istio.io/canonical-revision",
    }.ToFrozenSet(StringComparer.Ordinal);

    // The usual names of "what application is this"; the first one a pod has identifies it, refined by the qualifiers.
    private static readonly string[] NameLabels = ["app.kubernetes.io/name", "app", "k8s-app"];
    private static readonly string[] Qualifiers = ["app.kubernetes.io/instance", "app.kubernetes.io/component", "component", "tier"];

    public static PeerIdentity Of(FlowEndpoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (endpoint.Namespace is { Length: > 0 } ns)
        {
            return new PeerIdentity(PeerKind.Endpoint, WorkloadOf(ns, endpoint), null);
        }

        if (endpoint.ReservedEntity is { } entity && Entities.Contains(entity))
        {
            return new PeerIdentity(PeerKind.Entity, null, entity);
        }

        return new PeerIdentity(PeerKind.Cidr, null, null);
    }

    /// <summary>The stable identifying labels of a pod; empty when it has none a policy could select it by.</summary>
    public static Dictionary<string, string> StableLabels(IReadOnlyDictionary<string, string>? labels)
    {
        var stable = new Dictionary<string, string>(StringComparer.Ordinal);
        if (labels is null || labels.Count == 0)
        {
            return stable;
        }

        foreach (string name in NameLabels)
        {
            if (labels.TryGetValue(name, out string? value))
            {
                stable[name] = value;
                foreach (string qualifier in Qualifiers)
                {
                    if (labels.TryGetValue(qualifier, out string? q))
                    {
                        stable[qualifier] = q;
                    }
                }

                return stable;
            }
        }

        foreach (var (key, value) in labels)
        {
            if (!Volatile.Contains(key) && !key.StartsWith("io.cilium.", StringComparison.Ordinal))
            {
                stable[key] = value;
            }
        }

        if (stable.Count == 0 && labels.TryGetValue("io.cilium.k8s.policy.serviceaccount", out string? account))
        {
            // Cilium exposes the service account as a label: the last stable handle on a pod with no labels of its own.
            stable["io.cilium.k8s.policy.serviceaccount"] = account;
        }

        return stable;
    }

    private static WorkloadId WorkloadOf(string ns, FlowEndpoint endpoint)
    {
        var labels = StableLabels(endpoint.Labels);
        string name = endpoint.Workload
            ?? NameLabels.Select(l => labels.GetValueOrDefault(l)).FirstOrDefault(v => v is not null)
            ?? labels.Values.FirstOrDefault()
            ?? "unlabelled";
        return new WorkloadId(ns, labels, name);
    }

    public SuggestedPeer ToPeer(FlowEndpoint endpoint) => Kind switch
    {
        PeerKind.Endpoint => SuggestedPeer.ForEndpoint(Workload!),
        PeerKind.Entity => SuggestedPeer.ForEntity(Entity!),
        _ => SuggestedPeer.ForAddress(endpoint.Ip),
    };
}

/// <summary>
/// A flow read as a connection attempt: who opened it (client), to whom (server), on what protocol and port. Replies
/// are not connections: the dataplane lets them through as part of the connection a policy allowed.
/// </summary>
public readonly record struct Connection(FlowEvent Flow, FlowEndpoint Client, FlowEndpoint Server, PortProtocol Port)
{
    public static bool TryFrom(FlowEvent flow, out Connection connection)
    {
        ArgumentNullException.ThrowIfNull(flow);
        connection = default;
        if (flow.Kind is FlowEventKind.Packet or FlowEventKind.Transaction || flow.IsReply == true)
        {
            return false;
        }

        if (flow.IsReply is null && IsReplyByPorts(flow))
        {
            // NetFlow and pcap flows do not say which side opened: a well-known source port answering an ephemeral
            // one is the reply half of a connection.
            return false;
        }

        var (client, server) = (flow.Source, flow.Destination);

        string? protocol = flow.IpProtocol switch
        {
            6 => "TCP",
            17 => "UDP",
            132 => "SCTP",
            1 => "ICMP",
            58 => "ICMPv6",
            _ => null,
        };
        if (protocol is null)
        {
            return false;
        }

        int port = protocol is "ICMP" or "ICMPv6" ? flow.IcmpType ?? 0 : server.Port;
        if (protocol is "ICMP" && flow.IcmpType is 0 or 3 or 11 || protocol is "ICMPv6" && flow.IcmpType is 129 or 1 or 3)
        {
            // Echo replies and errors answer something the other side sent.
            return false;
        }

        connection = new Connection(flow, client, server, new PortProtocol(protocol, port));
        return true;
    }

    private static bool IsReplyByPorts(FlowEvent flow) =>
        flow.IpProtocol is 6 or 17 && flow.Source.Port is > 0 and < 1024 && flow.Destination.Port >= 1024;
}
