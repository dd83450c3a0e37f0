using System.Globalization;
using System.Net;
using System.Text;

namespace NetSecStream.Collectors.Generator;

/// <summary>
/// One side of a generated flow: a pod, a node's host stack, a health endpoint, the API server or an address in
/// the world. Its Hubble endpoint object is rendered once, in both forms Hubble uses: with the Cilium endpoint
/// <c>ID</c> when the reporting node hosts the endpoint, without it otherwise.
/// </summary>
internal sealed class Peer
{
    private Peer(string ip, string remoteJson, string localJson, ClusterNode? node, Workload? workload, string? dnsName, bool isWorld)
    {
        Ip = ip;
        Address = IPAddress.Parse(ip);
        IpUtf8 = Encoding.ASCII.GetBytes(ip);
        RemoteJson = Encoding.UTF8.GetBytes(remoteJson);
        LocalJson = Encoding.UTF8.GetBytes(localJson);
        Node = node;
        Workload = workload;
        DnsName = dnsName;
        IsWorld = isWorld;
        NamesJson = dnsName is null ? null : Encoding.UTF8.GetBytes("[" + JsonText.Quote(dnsName) + "]");
    }

    public string Ip { get; }

    public IPAddress Address { get; }

    public byte[] IpUtf8 { get; }

    public byte[] RemoteJson { get; }

    public byte[] LocalJson { get; }

    /// <summary>The node hosting the endpoint; null for addresses outside the cluster.</summary>
    public ClusterNode? Node { get; }

    public Workload? Workload { get; }

    /// <summary>The DNS name Cilium's FQDN proxy associated with a world address (destination_names).</summary>
    public string? DnsName { get; }

    public byte[]? NamesJson { get; }

    public bool IsWorld { get; }

    public byte[] JsonFor(ClusterNode observer) => ReferenceEquals(Node, observer) ? LocalJson : RemoteJson;

    public static Peer World(string ip, string? dnsName) =>
        new(ip, """{"identity":2,"labels":["reserved:world"]}""", """{"identity":2,"labels":["reserved:world"]}""", null, null, dnsName, isWorld: true);

    public static Peer KubeApiServer(string ip)
    {
        const string Json = """{"identity":7,"labels":["reserved:kube-apiserver"]}""";
        return new(ip, Json, Json, null, null, null, isWorld: false);
    }

    public static Peer Host(ClusterNode node, string routerIp)
    {
        const string Json = """{"identity":1,"labels":["reserved:host"]}""";
        return new(routerIp, Json, Json, node, null, null, isWorld: false);
    }

    public static Peer RemoteNode(ClusterNode node)
    {
        const string Json = """{"identity":6,"labels":["reserved:remote-node"]}""";
        return new(node.NodeIp, Json, Json, node, null, null, isWorld: false);
    }

    public static Peer Health(ClusterNode node, string ip, int endpointId)
    {
        string local = "{\"ID\":" + endpointId.ToString(CultureInfo.InvariantCulture) + ",\"identity\":4,\"labels\":[\"reserved:health\"]}";
        return new(ip, """{"identity":4,"labels":["reserved:health"]}""", local, node, null, null, isWorld: false);
    }

    public static Peer Pod(ClusterNode node, Workload workload, string ip, int endpointId, string podName)
    {
        var body = new StringBuilder(512);
        body.Append("\"identity\":").Append(workload.Identity.ToString(CultureInfo.InvariantCulture))
            .Append(",\"namespace\":").Append(JsonText.Quote(workload.Namespace))
            .Append(",\"labels\":[");
        for (int i = 0; i < workload.CiliumLabels.Count; i++)
        {
            if (i > 0)
            {
                body.Append(',');
            }

            body.Append(JsonText.Quote(workload.CiliumLabels[i]));
        }

        body.Append("],\"pod_name\":").Append(JsonText.Quote(podName))
            .Append(",\"workloads\":[{\"name\":").Append(JsonText.Quote(workload.Name))
            .Append(",\"kind\":").Append(JsonText.Quote(workload.Kind)).Append("}]}");
        string rest = body.ToString();
        string remote = "{" + rest;
        string local = "{\"ID\":" + endpointId.ToString(CultureInfo.InvariantCulture) + "," + rest;
        return new Peer(ip, remote, local, node, workload, null, isWorld: false);
    }
}

/// <summary>A Kubernetes node: its name, address, pod CIDR and the special endpoints Cilium keeps on it.</summary>
internal sealed class ClusterNode
{
    public ClusterNode(string name, string nodeIp, int index)
    {
        Name = name;
        NodeIp = nodeIp;
        Index = index;
        NameUtf8 = Encoding.UTF8.GetBytes(JsonText.Quote(name));
    }

    public string Name { get; }

    /// <summary>The name as a JSON string literal, quotes included.</summary>
    public byte[] NameUtf8 { get; }

    public string NodeIp { get; }

    public int Index { get; }

    /// <summary>The node's cilium_host address (first address of its pod CIDR), identity 1 reserved:host.</summary>
    public Peer Host { get; set; } = null!;

    /// <summary>The node as other nodes see it: identity 6 reserved:remote-node.</summary>
    public Peer RemoteNode { get; set; } = null!;

    /// <summary>Cilium's health endpoint on this node.</summary>
    public Peer Health { get; set; } = null!;
}

/// <summary>A Deployment, StatefulSet or DaemonSet, the Service in front of it and its pods.</summary>
internal sealed class Workload
{
    public required string Namespace { get; init; }

    /// <summary>Owner workload name as Hubble reports it in <c>workloads</c>.</summary>
    public required string Name { get; init; }

    public required string Kind { get; init; }

    public required string ServiceName { get; init; }

    public required ushort ServicePort { get; init; }

    public ushort MetricsPort { get; init; }

    public required uint Identity { get; init; }

    public required IReadOnlyList<string> CiliumLabels { get; init; }

    public required string ClusterIp { get; init; }

    public List<Peer> Pods { get; } = [];

    /// <summary>The service as Hubble's destination_service object.</summary>
    public byte[] ServiceJson => _serviceJson ??= Encoding.UTF8.GetBytes(
        "{\"name\":" + JsonText.Quote(ServiceName) + ",\"namespace\":" + JsonText.Quote(Namespace) + "}");

    /// <summary>The service's cluster DNS name with the trailing dot.</summary>
    public string Fqdn => ServiceName + "." + Namespace + ".svc.cluster.local.";

    private byte[]? _serviceJson;

    public Peer PickPod(SimRandom random) => Pods[random.Next(Pods.Count)];

    /// <summary>The host part of URLs a client in <paramref name="clientNamespace"/> uses to reach the service.</summary>
    public string HostFor(string? clientNamespace) =>
        (clientNamespace == Namespace ? ServiceName : ServiceName + "." + Namespace) + ":" + ServicePort.ToString(CultureInfo.InvariantCulture);
}

/// <summary>Minimal JSON string quoting for the few dynamic strings the generator renders up front.</summary>
internal static class JsonText
{
    public static string Quote(string value)
    {
        var sb = new StringBuilder(value.Length + 2);
        sb.Append('"');
        foreach (char c in value)
        {
            switch (c)
            {
                case '"':
                    sb.Append("\\\"");
                    break;
                case '\\':
                    sb.Append("\\\\");
                    break;
                case < ' ':
                    sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    break;
                default:
                    sb.Append(c);
                    break;
            }
        }

        return sb.Append('"').ToString();
    }
}
