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

    public BlockAllowlist(IEnumerable<string>? namespaces = null, IEnumerable<IPNetwork>? cidrs = null, IEnumerable<IPAddress>? clusterDnsIps = null,
        IEnumerable<IPAddress>? apiServerIps = null, IEnumerable<IPNetwork>? nodeCidrs = null)
    {
        _namespaces = new HashSet<string>(namespaces ?? [], StringComparer.Ordinal) { KubeSystem };
        _networks =
        [
            .. cidrs ?? [],
            .. nodeCidrs ?? [],
            .. (clusterDnsIps ?? []).Concat(apiServerIps ?? []).Select(HostNetwork),
        ];
    }

    public IReadOnlyCollection<string> Namespaces => _namespaces;

    /// <summary>Every allowlisted network, host addresses as /32 or /128.</summary>
    public IReadOnlyList<IPNetwork> Networks => _networks;

    public bool IsNamespaceAllowlisted(string? ns) => ns is not null && _namespaces.Contains(ns);

    public bool IsAddressAllowlisted(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var normalized = Normalize(address);
        foreach (var network in _networks)
        {
            if (network.Contains(normalized))
            {
                return true;
            }
        }

        return false;
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
