using System.Net;

namespace NetSecStream.Policy.Blocking;

/// <summary>
/// Peers and workloads a block rule never denies or selects: kube-system (always), configured namespaces, the cluster
/// DNS and API server addresses, node CIDRs and configured CIDRs, and Cilium's reserved entities other than
/// <c>world</c> (host, remote-node, kube-apiserver, health ...), which are cluster infrastructure by definition.
/// </summary>
public sealed class BlockAllowlist
{
    public const string KubeSystem = "kube-system";

    private readonly HashSet<string> _namespaces;
    private readonly IPNetwork[] _networks;

    // Which configured list each of _networks came from, so a refusal can name the entry an operator would change.
    private readonly string[] _origins;

    public BlockAllowlist(IEnumerable<string>? namespaces = null, IEnumerable<IPNetwork>? cidrs = null, IEnumerable<IPAddress>? clusterDnsIps = null,
        IEnumerable<IPAddress>? apiServerIps = null, IEnumerable<IPNetwork>? nodeCidrs = null)
    {
        _namespaces = new HashSet<string>(namespaces ?? [], StringComparer.Ordinal) { KubeSystem };
        (IPNetwork Network, string Origin)[] entries =
        [
            .. (cidrs ?? []).Select(n => (n, "Cidrs")),
            .. (nodeCidrs ?? []).Select(n => (n, "NodeCidrs")),
            .. (clusterDnsIps ?? []).Select(ip => (HostNetwork(ip), "ClusterDnsIps")),
            .. (apiServerIps ?? []).Select(ip => (HostNetwork(ip), "ApiServerIps")),
        ];
        _networks = [.. entries.Select(e => e.Network)];
        _origins = [.. entries.Select(e => e.Origin)];
    }

    public IReadOnlyCollection<string> Namespaces => _namespaces;

    /// <summary>Every allowlisted network, host addresses as /32 or /128.</summary>
    public IReadOnlyList<IPNetwork> Networks => _networks;

    public bool IsNamespaceAllowlisted(string? ns) => ns is not null && _namespaces.Contains(ns);

    public bool IsAddressAllowlisted(IPAddress address) => FindEntry(address) is not null;

    /// <summary>
    /// The first allowlist entry holding <paramref name="address"/>: the network and the list it was configured in
    /// (<c>Cidrs</c>, <c>NodeCidrs</c>, <c>ClusterDnsIps</c>, <c>ApiServerIps</c>), or null.
    /// </summary>
    public (IPNetwork Network, string List)? FindEntry(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var normalized = Normalize(address);
        for (int i = 0; i < _networks.Length; i++)
        {
            if (_networks[i].Contains(normalized))
            {
                return (_networks[i], _origins[i]);
            }
        }

        return null;
    }

    /// <summary>Whether any address of <paramref name="network"/> is allowlisted (the networks overlap).</summary>
    public bool Overlaps(IPNetwork network)
    {
        foreach (var allowed in _networks)
        {
            if (allowed.BaseAddress.AddressFamily == network.BaseAddress.AddressFamily
                && (allowed.Contains(network.BaseAddress) || network.Contains(allowed.BaseAddress)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Reserved entities that are never a peer to block: everything but <c>world</c> (and its v4/v6 halves) is the
    /// cluster itself (host, remote-node, kube-apiserver, health, init, and unmanaged pods, whose addresses are reused).
    /// </summary>
    public static bool IsInfrastructureEntity(string? reservedEntity) =>
        reservedEntity is { Length: > 0 } entity && !entity.StartsWith("world", StringComparison.Ordinal);

    public static IPNetwork HostNetwork(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var normalized = Normalize(address);
        return new IPNetwork(normalized, normalized.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
    }

    /// <summary>IPv4-mapped IPv6 addresses are compared as the IPv4 address they carry.</summary>
    public static IPAddress Normalize(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
    }
}
