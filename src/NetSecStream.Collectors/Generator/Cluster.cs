using System.Globalization;
using System.Text;

namespace NetSecStream.Collectors.Generator;

/// <summary>A service outside the cluster that workloads call by name, with the addresses it resolves to.</summary>
internal sealed class ExternalService
{
    public ExternalService(Cluster cluster, string name, params string[] ips)
    {
        Name = name;
        Ips = ips;
        Addresses = ips.Select(ip => cluster.WorldPeer(ip, name)).ToArray();
    }

    public string Name { get; }

    public IReadOnlyList<string> Ips { get; }

    public IReadOnlyList<Peer> Addresses { get; }
}

/// <summary>
/// The simulated cluster: four GKE-style nodes with their pod CIDRs (10.0.N.0/24), namespaces of workloads
/// with stable pods (replica-set hashes, endpoint ids, Cilium identities), the external services they call,
/// and the internet clients that visit the shop. Built once per run from the run's seed.
/// </summary>
internal sealed class Cluster
{
    public const string Name = "prod-eu1";

    // Kubernetes' SafeEncodeString alphabet: pod-template hashes and pod name suffixes use these characters.
    private const string NameAlphabet = "bcdfghjklmnpqrstvwxz2456789";

    private static readonly (int A, int B)[] ClientPrefixes =
    [
        (81, 2), (86, 150), (92, 40), (109, 154), (176, 24), (77, 99), (82, 132), (90, 216),
        (24, 48), (73, 162), (98, 207), (212, 58), (5, 148), (37, 201), (151, 36), (2, 84),
    ];

    private readonly SimRandom _random;
    private readonly HashSet<int> _endpointIds = [];
    private readonly HashSet<uint> _identities = [];
    private readonly HashSet<string> _usedIps = [];
    private readonly Dictionary<(string Ip, string? Name), Peer> _world = [];
    private readonly Dictionary<string, Peer> _podsByIp = [];
    private readonly List<Workload> _workloads = [];
    private int _nextClusterIp = 20;

    public Cluster(SimRandom random)
    {
        _random = random;
        Nodes = BuildNodes();

        Ingress = AddWorkload("ingress-nginx", "ingress-nginx-controller", "Deployment", 2, "ingress-nginx-controller", 443, 10254, "ingress-nginx",
            ["app.kubernetes.io/component=controller", "app.kubernetes.io/instance=ingress-nginx", "app.kubernetes.io/name=ingress-nginx"]);
        Frontend = AddWorkload("shop", "frontend", "Deployment", 3, "frontend", 8080, 8080, "frontend", ["app=frontend", "version=v2"]);
        Catalog = AddWorkload("shop", "catalog", "Deployment", 2, "catalog", 8080, 8080, "catalog", ["app=catalog", "version=v1"]);
        Cart = AddWorkload("shop", "cart", "Deployment", 2, "cart", 8080, 8080, "cart", ["app=cart", "version=v1"]);
        Checkout = AddWorkload("shop", "checkout", "Deployment", 2, "checkout", 8080, 8080, "checkout", ["app=checkout", "version=v1"]);
        Payments = AddWorkload("shop", "payments", "Deployment", 2, "payments", 8080, 8080, "payments", ["app=payments", "version=v3"]);
        Redis = AddWorkload("shop", "redis-master", "StatefulSet", 1, "redis-master", 6379, 9121, "redis", ["app.kubernetes.io/name=redis", "app=redis"]);
        Postgres = AddWorkload("data", "postgres", "StatefulSet", 1, "postgres", 5432, 9187, "postgres", ["app.kubernetes.io/name=postgresql", "app=postgres"]);
        Kafka = AddWorkload("data", "kafka", "StatefulSet", 3, "kafka", 9092, 9308, "kafka", ["app.kubernetes.io/name=kafka", "app=kafka"]);
        Prometheus = AddWorkload("monitoring", "prometheus-k8s", "StatefulSet", 1, "prometheus-k8s", 9090, 9090, "prometheus-k8s",
            ["app.kubernetes.io/name=prometheus", "prometheus=k8s"]);
        Grafana = AddWorkload("monitoring", "grafana", "Deployment", 1, "grafana", 3000, 3000, "grafana", ["app.kubernetes.io/name=grafana"]);
        CoreDns = AddWorkload("kube-system", "coredns", "Deployment", 2, "kube-dns", 53, 9153, "coredns", ["k8s-app=kube-dns"], clusterIp: "10.96.0.10");
        Notifier = AddWorkload("default", "notifier", "Deployment", 1, "notifier", 8080, 8080, "notifier", ["app=notifier"]);
        Sftp = AddWorkload("default", "sftp-gateway", "Deployment", 1, "sftp-gateway", 22, 0, "sftp-gateway", ["app=sftp-gateway"]);
        RepoServer = AddWorkload("argocd", "argocd-repo-server", "Deployment", 1, "argocd-repo-server", 8081, 8084, "argocd-repo-server",
            ["app.kubernetes.io/name=argocd-repo-server", "app.kubernetes.io/part-of=argocd"]);

        ApiServer = Peer.KubeApiServer("172.16.0.2");
        Stripe = new ExternalService(this, "api.stripe.com", "54.187.174.169", "54.187.205.235", "54.187.216.72");
        AssetBucket = new ExternalService(this, "shop-assets-prod.s3.eu-west-1.amazonaws.com", "52.218.104.74", "52.218.45.115", "52.92.32.170");
        SendGrid = new ExternalService(this, "api.sendgrid.com", "167.89.118.35", "167.89.118.51");
        GitHub = new ExternalService(this, "github.com", "140.82.121.4", "140.82.121.3");
        GrafanaCom = new ExternalService(this, "grafana.com", "34.120.177.193");

        Clients = Enumerable.Range(0, 1500).Select(_ => WorldPeer(RandomClientIp(), null)).ToArray();
        Partners = [WorldPeer("52.19.113.40", null), WorldPeer("3.250.64.12", null)];
        Products = Enumerable.Range(0, 40).Select(_ => RandomToken(10, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")).ToArray();
    }

    public IReadOnlyList<ClusterNode> Nodes { get; }

    public IReadOnlyList<Workload> Workloads => _workloads;

    public Workload Ingress { get; }

    public Workload Frontend { get; }

    public Workload Catalog { get; }

    public Workload Cart { get; }

    public Workload Checkout { get; }

    public Workload Payments { get; }

    public Workload Redis { get; }

    public Workload Postgres { get; }

    public Workload Kafka { get; }

    public Workload Prometheus { get; }

    public Workload Grafana { get; }

    public Workload CoreDns { get; }

    public Workload Notifier { get; }

    public Workload Sftp { get; }

    public Workload RepoServer { get; }

    public Peer ApiServer { get; }

    public ExternalService Stripe { get; }

    public ExternalService AssetBucket { get; }

    public ExternalService SendGrid { get; }

    public ExternalService GitHub { get; }

    public ExternalService GrafanaCom { get; }

    /// <summary>Returning shop visitors (public addresses in consumer ISP blocks).</summary>
    public IReadOnlyList<Peer> Clients { get; }

    /// <summary>Partners that upload files to the SFTP gateway.</summary>
    public IReadOnlyList<Peer> Partners { get; }

    public IReadOnlyList<string> Products { get; }

    /// <summary>A world address, optionally with the DNS name Cilium associated with it; cached per pair.</summary>
    public Peer WorldPeer(string ip, string? dnsName)
    {
        if (!_world.TryGetValue((ip, dnsName), out var peer))
        {
            peer = Peer.World(ip, dnsName);
            _world[(ip, dnsName)] = peer;
        }

        return peer;
    }

    /// <summary>The pod at an address, or a world peer for an address no endpoint holds.</summary>
    public Peer PeerAt(string ip) => _podsByIp.TryGetValue(ip, out var pod) ? pod : WorldPeer(ip, null);

    public string RandomToken(int length, string alphabet)
    {
        return string.Create(length, (_random, alphabet), static (span, state) =>
        {
            for (int i = 0; i < span.Length; i++)
            {
                span[i] = state.alphabet[state._random.Next(state.alphabet.Length)];
            }
        });
    }

    private ClusterNode[] BuildNodes()
    {
        string[] groups = [RandomToken(8, "0123456789abcdef"), RandomToken(8, "0123456789abcdef")];
        var nodes = new ClusterNode[4];
        for (int i = 0; i < nodes.Length; i++)
        {
            string name = "gke-" + Name + "-default-pool-" + groups[i % 2] + "-" + RandomToken(4, "abcdefghijklmnopqrstuvwxyz0123456789");
            string nodeIp = "10.132.0." + (10 + (i * 7) + _random.Next(7)).ToString(CultureInfo.InvariantCulture);
            var node = new ClusterNode(name, nodeIp, i);
            string routerIp = PodCidrAddress(i, 1);
            _usedIps.Add(routerIp);
            node.Host = Peer.Host(node, routerIp);
            node.RemoteNode = Peer.RemoteNode(node);
            node.Health = Peer.Health(node, AllocatePodIp(i), AllocateEndpointId());
            nodes[i] = node;
        }

        return nodes;
    }

    private Workload AddWorkload(string ns, string name, string kind, int replicas, string serviceName, ushort port, ushort metricsPort,
        string serviceAccount, string[] appLabels, string? clusterIp = null)
    {
        var labels = new List<string>(appLabels.Length + 4);
        labels.AddRange(appLabels.Select(l => "k8s:" + l));
        labels.Add("k8s:io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name=" + ns);
        labels.Add("k8s:io.cilium.k8s.policy.cluster=" + Name);
        labels.Add("k8s:io.cilium.k8s.policy.serviceaccount=" + serviceAccount);
        labels.Add("k8s:io.kubernetes.pod.namespace=" + ns);
        labels.Sort(StringComparer.Ordinal);

        var workload = new Workload
        {
            Namespace = ns,
            Name = name,
            Kind = kind,
            ServiceName = serviceName,
            ServicePort = port,
            MetricsPort = metricsPort,
            Identity = AllocateIdentity(),
            CiliumLabels = labels,
            ClusterIp = clusterIp ?? "10.96." + (_nextClusterIp / 250).ToString(CultureInfo.InvariantCulture) + "." +
                ((_nextClusterIp++ % 250) + 2).ToString(CultureInfo.InvariantCulture),
        };

        string templateHash = RandomToken(_random.Chance(0.5) ? 9 : 10, NameAlphabet);
        int firstNode = _random.Next(Nodes.Count);
        for (int r = 0; r < replicas; r++)
        {
            int nodeIndex = (firstNode + r) % Nodes.Count;
            string podName = kind switch
            {
                "StatefulSet" => name + "-" + r.ToString(CultureInfo.InvariantCulture),
                "DaemonSet" => name + "-" + RandomToken(5, NameAlphabet),
                _ => name + "-" + templateHash + "-" + RandomToken(5, NameAlphabet),
            };
            var pod = Peer.Pod(Nodes[nodeIndex], workload, AllocatePodIp(nodeIndex), AllocateEndpointId(), podName);
            workload.Pods.Add(pod);
            _podsByIp[pod.Ip] = pod;
        }

        _workloads.Add(workload);
        return workload;
    }

    private static string PodCidrAddress(int node, int host) =>
        "10.0." + node.ToString(CultureInfo.InvariantCulture) + "." + host.ToString(CultureInfo.InvariantCulture);

    private string AllocatePodIp(int node)
    {
        while (true)
        {
            string ip = PodCidrAddress(node, _random.Next(2, 255));
            if (_usedIps.Add(ip))
            {
                return ip;
            }
        }
    }

    private int AllocateEndpointId()
    {
        while (true)
        {
            int id = _random.Next(1, 4096);
            if (_endpointIds.Add(id))
            {
                return id;
            }
        }
    }

    private uint AllocateIdentity()
    {
        while (true)
        {
            uint id = (uint)_random.Next(10000, 65000);
            if (_identities.Add(id))
            {
                return id;
            }
        }
    }

    private string RandomClientIp()
    {
        var (a, b) = ClientPrefixes[_random.Next(ClientPrefixes.Length)];
        var sb = new StringBuilder(15);
        sb.Append(a).Append('.').Append(b).Append('.').Append(_random.Next(256)).Append('.').Append(_random.Next(1, 255));
        return sb.ToString();
    }
}
