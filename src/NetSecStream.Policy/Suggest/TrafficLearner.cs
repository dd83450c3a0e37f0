using System.Net;
using System.Net.Sockets;
using System.Text;
using NetSecStream.Core.Events;

namespace NetSecStream.Policy.Suggest;

/// <summary>
/// Learns, per workload, the connections it accepted (ingress) and opened (egress): peer, protocol and port, with how
/// often the dataplane forwarded or dropped them. Then <see cref="Suggest"/> turns what was forwarded often enough into
/// least-privilege allow rules. Bounded by <see cref="SuggestOptions.MaxWorkloads"/> and
/// <see cref="SuggestOptions.MaxPeersPerWorkload"/>; what does not fit is counted in <see cref="NotLearned"/>.
/// </summary>
public sealed class TrafficLearner
{
    private static readonly WorkloadId DefaultKubeDns = new("kube-system", new Dictionary<string, string> { ["k8s-app"] = "kube-dns" }, "kube-dns");

    private readonly SuggestOptions _options;
    private readonly Dictionary<string, LearnedWorkload> _workloads = new(StringComparer.Ordinal);
    private WorkloadId? _kubeDns;

    public TrafficLearner(SuggestOptions options)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join("; ", errors), nameof(options));
        }
    }

    public long FlowsRead { get; private set; }

    /// <summary>Connection attempts learned from (replies and packet events are not connections).</summary>
    public long ConnectionsLearned { get; private set; }

    /// <summary>Connections with no workload on either side (node to node, health checks).</summary>
    public long WithoutWorkload { get; private set; }

    /// <summary>Observations dropped because a bound was reached.</summary>
    public long NotLearned { get; private set; }

    /// <summary>Pods seen with no label a policy could select them by, by <c>namespace/name</c>.</summary>
    public SortedDictionary<string, long> Unselectable { get; } = new(StringComparer.Ordinal);

    public DateTimeOffset? First { get; private set; }

    public DateTimeOffset? Last { get; private set; }

    public void Observe(FlowEvent flow)
    {
        ArgumentNullException.ThrowIfNull(flow);
        FlowsRead++;
        if (!Connection.TryFrom(flow, out var connection))
        {
            return;
        }

        First = First is { } first && first <= flow.Timestamp ? first : flow.Timestamp;
        Last = Last is { } last && last >= flow.Timestamp ? last : flow.Timestamp;
        var client = PeerIdentity.Of(connection.Client);
        var server = PeerIdentity.Of(connection.Server);
        if (client.Kind != PeerKind.Endpoint && server.Kind != PeerKind.Endpoint)
        {
            WithoutWorkload++;
            return;
        }

        ConnectionsLearned++;
        bool forwarded = IsForwarded(flow.Verdict);
        if (server.Workload is { } dns && connection.Port.Port == 53 && dns.Labels.TryGetValue("k8s-app", out string? app) && app == "kube-dns")
        {
            _kubeDns ??= dns;
        }

        if (client.Workload is { } source)
        {
            Learn(source, egress: true, server.ToPeer(connection.Server), connection.Port, forwarded);
        }

        if (server.Workload is { } destination)
        {
            Learn(destination, egress: false, client.ToPeer(connection.Client), connection.Port, forwarded);
        }
    }

    /// <summary>
    /// Whether the dataplane let the flow through. NetFlow has no verdict (Unknown): an exporter reports traffic that
    /// passed it, so that counts as forwarded; Audit (would have been dropped by policy in audit mode) does not.
    /// </summary>
    public static bool IsForwarded(DataplaneVerdict verdict) =>
        verdict is DataplaneVerdict.Forwarded or DataplaneVerdict.Redirected or DataplaneVerdict.Traced or DataplaneVerdict.Translated or DataplaneVerdict.Unknown;

    private void Learn(WorkloadId id, bool egress, SuggestedPeer peer, PortProtocol port, bool forwarded)
    {
        if (id.Labels.Count == 0)
        {
            string key = id.Namespace + "/" + id.Name;
            if (Unselectable.Count < _options.MaxWorkloads || Unselectable.ContainsKey(key))
            {
                Unselectable[key] = Unselectable.GetValueOrDefault(key) + 1;
            }

            return;
        }

        if (!_workloads.TryGetValue(id.Key, out var workload))
        {
            if (_workloads.Count >= _options.MaxWorkloads)
            {
                NotLearned++;
                return;
            }

            workload = new LearnedWorkload(id);
            _workloads[id.Key] = workload;
        }

        var table = egress ? workload.Egress : workload.Ingress;
        var entryKey = (peer.Key, port);
        if (!table.TryGetValue(entryKey, out var observed))
        {
            if (table.Count >= _options.MaxPeersPerWorkload)
            {
                NotLearned++;
                return;
            }

            observed = new Observed(peer);
            table[entryKey] = observed;
        }

        if (forwarded)
        {
            observed.Forwarded++;
        }
        else
        {
            observed.Dropped++;
        }
    }

    /// <summary>The suggested policies for every selectable workload seen, with what was learned to explain denials.</summary>
    public SuggestionSet Suggest()
    {
        var policies = new List<SuggestedPolicy>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        var kubeDns = _kubeDns ?? DefaultKubeDns;
        foreach (var workload in _workloads.Values.OrderBy(w => w.Id.Namespace, StringComparer.Ordinal).ThenBy(w => w.Id.Key, StringComparer.Ordinal))
        {
            var ingress = Rules(workload.Ingress, workload.Id, dns: null, _options.WorldAfterAddresses,
                servesDns: _options.AllowDns && workload.Id.Equals(kubeDns));
            var egress = Rules(workload.Egress, workload.Id, _options.AllowDns ? kubeDns : null, worldAfter: 0, servesDns: false);
            policies.Add(new SuggestedPolicy(workload.Id, UniqueName(workload.Id, names), ingress, egress));
        }

        return new SuggestionSet(policies, _workloads.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal), _options);
    }

    private List<SuggestedRule> Rules(Dictionary<(string Peer, PortProtocol Port), Observed> table, WorkloadId self, WorkloadId? dns, int worldAfter, bool servesDns)
    {
        // Ports that took connections from so many outside addresses that the service is public: a list of
        // yesterday's client addresses would deny tomorrow's clients.
        var publicPorts = worldAfter <= 0
            ? []
            : table.Where(p => p.Value.Peer.Kind == PeerKind.Cidr && p.Value.Forwarded > 0)
                .GroupBy(p => p.Key.Port).Where(g => g.Count() >= worldAfter).Select(g => g.Key).ToHashSet();
        var world = SuggestedPeer.ForEntity("world");

        // Peer → forwarded count per port, with outside addresses folded into their networks where asked.
        var perPeer = new Dictionary<SuggestedPeer, Dictionary<PortProtocol, long>>();
        var blocks = AggregatedBlocks(table);
        foreach (var ((_, port), observed) in table)
        {
            var peer = observed.Peer;
            if (peer.Kind == PeerKind.Cidr && publicPorts.Contains(port))
            {
                peer = world;
            }
            else if (peer.Kind == PeerKind.Cidr && blocks.TryGetValue(Block(peer.Cidr!.Value.BaseAddress), out var block))
            {
                peer = block;
            }

            if (!perPeer.TryGetValue(peer, out var ports))
            {
                ports = [];
                perPeer[peer] = ports;
            }

            ports[port] = ports.GetValueOrDefault(port) + observed.Forwarded;
        }

        var allowed = new Dictionary<SuggestedPeer, SortedSet<PortProtocol>>();
        foreach (var (peer, ports) in perPeer)
        {
            foreach (var (port, forwarded) in ports)
            {
                if (forwarded >= _options.MinFlows)
                {
                    Allow(peer, port);
                }
            }
        }

        if (dns is not null && !dns.Equals(self))
        {
            var dnsPeer = SuggestedPeer.ForEndpoint(dns);
            Allow(dnsPeer, new PortProtocol("UDP", 53));
            Allow(dnsPeer, new PortProtocol("TCP", 53));
        }

        if (servesDns)
        {
            // Every workload's egress allows DNS to kube-dns; kube-dns must take it from all of them.
            var cluster = SuggestedPeer.ForEntity("cluster");
            Allow(cluster, new PortProtocol("UDP", 53));
            Allow(cluster, new PortProtocol("TCP", 53));
        }

        // One rule per peer kind and port set: peers allowed on the same ports share a rule. ICMP goes in rules of its own.
        return [.. allowed
            .SelectMany(p => new[] { (Peer: p.Key, Ports: p.Value.Where(x => !x.IsIcmp).ToArray()), (Peer: p.Key, Ports: p.Value.Where(x => x.IsIcmp).ToArray()) })
            .Where(p => p.Ports.Length > 0)
            .GroupBy(p => (p.Peer.Kind, Ports: string.Join(",", p.Ports)))
            .OrderBy(g => g.Key.Kind).ThenBy(g => g.Key.Ports, StringComparer.Ordinal)
            .Select(g => new SuggestedRule([.. g.Select(p => p.Peer).OrderBy(p => p.Key, StringComparer.Ordinal)], g.First().Ports))];

        void Allow(SuggestedPeer peer, PortProtocol port)
        {
            if (!allowed.TryGetValue(peer, out var set))
            {
                set = new SortedSet<PortProtocol>(PortProtocol.Order);
                allowed[peer] = set;
            }

            set.Add(port);
        }
    }

    private Dictionary<IPNetwork, SuggestedPeer> AggregatedBlocks(Dictionary<(string Peer, PortProtocol Port), Observed> table)
    {
        var blocks = new Dictionary<IPNetwork, SuggestedPeer>();
        if (_options.AggregateCidrPrefix is null)
        {
            return blocks;
        }

        foreach (var group in table.Values.Where(o => o.Peer.Kind == PeerKind.Cidr)
                     .Select(o => o.Peer.Cidr!.Value.BaseAddress).Distinct().GroupBy(Block))
        {
            if (group.Count() >= _options.AggregateMinAddresses)
            {
                blocks[group.Key] = SuggestedPeer.ForCidr(group.Key);
            }
        }

        return blocks;
    }

    private IPNetwork Block(IPAddress address)
    {
        int prefix = address.AddressFamily == AddressFamily.InterNetworkV6 ? _options.AggregateCidrPrefixV6 : _options.AggregateCidrPrefix ?? 32;
        byte[] bytes = address.GetAddressBytes();
        for (int bit = prefix; bit < bytes.Length * 8; bit++)
        {
            bytes[bit / 8] &= (byte)~(0x80 >> (bit % 8));
        }

        return new IPNetwork(new IPAddress(bytes), prefix);
    }

    private static string UniqueName(WorkloadId id, HashSet<string> taken)
    {
        string baseName = SuggestedPolicy.NamePrefix + DnsLabel(id.Name);
        string name = baseName;
        for (int i = 2; !taken.Add(id.Namespace + "/" + name); i++)
        {
            name = baseName + "-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return name;
    }

    /// <summary>A Kubernetes object name (RFC 1123 subdomain) from any text.</summary>
    internal static string DnsLabel(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (char c in text.ToLowerInvariant())
        {
            builder.Append(c is >= 'a' and <= 'z' or >= '0' and <= '9' or '.' or '-' ? c : '-');
        }

        string name = builder.ToString().Trim('-', '.');
        if (name.Length > 200)
        {
            name = name[..200].TrimEnd('-', '.');
        }

        return name.Length == 0 ? "workload" : name;
    }

    internal sealed class LearnedWorkload(WorkloadId id)
    {
        public WorkloadId Id { get; } = id;

        public Dictionary<(string Peer, PortProtocol Port), Observed> Ingress { get; } = [];

        public Dictionary<(string Peer, PortProtocol Port), Observed> Egress { get; } = [];
    }

    internal sealed class Observed(SuggestedPeer peer)
    {
        public SuggestedPeer Peer { get; } = peer;

        public long Forwarded { get; set; }

        public long Dropped { get; set; }
    }
}
