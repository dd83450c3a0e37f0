using System.Collections.Concurrent;
using System.Net;

namespace NetSecStream.Collectors.Kubernetes;

/// <summary>What an update did to the index.</summary>
internal enum PodIndexChange
{
    Unchanged,
    Added,
    Updated,
    Removed,
    /// <summary>The pod was not indexed: the index holds <c>MaxPods</c> pods already.</summary>
    Full,
}

/// <summary>
/// Pods by address, fed by the list and watch loops and read by the enricher on every flow. An address claimed by
/// more than one pod (a pod shutting down while a new one already has its address) resolves to a pod that is not
/// terminating, then to the newest. Writers take a lock; readers read a concurrent map of resolved addresses.
/// Bounded by <c>maxPods</c>.
/// </summary>
internal sealed class KubernetesPodIndex(int maxPods)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, KubernetesPodInfo> _pods = new(StringComparer.Ordinal);
    private readonly Dictionary<IPAddress, List<KubernetesPodInfo>> _claims = [];
    private readonly ConcurrentDictionary<IPAddress, KubernetesPodInfo> _byIp = new();

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _pods.Count;
            }
        }
    }

    /// <summary>IPv4 addresses written as IPv4-mapped IPv6 (::ffff:10.0.0.1) are looked up as the IPv4 they are.</summary>
    public static IPAddress Normalize(IPAddress ip) => ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip;

    public bool TryGet(IPAddress ip, out KubernetesPodInfo? pod) => _byIp.TryGetValue(Normalize(ip), out pod);

    /// <summary>Adds or replaces the pod with <paramref name="key"/>; a null <paramref name="pod"/> (not indexable) removes it.</summary>
    public PodIndexChange Apply(string key, KubernetesPodInfo? pod)
    {
        lock (_lock)
        {
            if (pod is null)
            {
                return RemoveLocked(key) ? PodIndexChange.Removed : PodIndexChange.Unchanged;
            }

            bool existed = _pods.TryGetValue(key, out var previous);
            if (!existed && _pods.Count >= maxPods)
            {
                return PodIndexChange.Full;
            }

            if (previous is not null)
            {
                Unclaim(previous);
            }

            _pods[key] = pod;
            Claim(pod);
            return existed ? PodIndexChange.Updated : PodIndexChange.Added;
        }
    }

    public bool Remove(string key)
    {
        lock (_lock)
        {
            return RemoveLocked(key);
        }
    }

    /// <summary>
    /// After a fresh list of one scope (a namespace, or all when <paramref name="scopeNamespace"/> is null): the pods
    /// of that scope that the list no longer has are removed. Returns how many.
    /// </summary>
    public int RemoveMissing(string? scopeNamespace, IReadOnlySet<string> listedKeys)
    {
        lock (_lock)
        {
            var gone = _pods
                .Where(pair => (scopeNamespace is null || pair.Value.Namespace == scopeNamespace) && !listedKeys.Contains(pair.Key))
                .Select(pair => pair.Key)
                .ToList();
            foreach (string key in gone)
            {
                RemoveLocked(key);
            }

            return gone.Count;
        }
    }

    private bool RemoveLocked(string key)
    {
        if (!_pods.Remove(key, out var pod))
        {
            return false;
        }

        Unclaim(pod);
        return true;
    }

    private void Claim(KubernetesPodInfo pod)
    {
        foreach (var ip in pod.Ips)
        {
            if (!_claims.TryGetValue(ip, out var claimants))
            {
                _claims[ip] = claimants = new List<KubernetesPodInfo>(1);
            }

            claimants.Add(pod);
            Resolve(ip, claimants);
        }
    }

    private void Unclaim(KubernetesPodInfo pod)
    {
        foreach (var ip in pod.Ips)
        {
            if (!_claims.TryGetValue(ip, out var claimants))
            {
                continue;
            }

            claimants.RemoveAll(claimant => ReferenceEquals(claimant, pod));
            if (claimants.Count == 0)
            {
                _claims.Remove(ip);
                _byIp.TryRemove(ip, out _);
            }
            else
            {
                Resolve(ip, claimants);
            }
        }
    }

    private void Resolve(IPAddress ip, List<KubernetesPodInfo> claimants)
    {
        var best = claimants[0];
        for (int i = 1; i < claimants.Count; i++)
        {
            var candidate = claimants[i];
            if ((best.Terminating && !candidate.Terminating)
                || (best.Terminating == candidate.Terminating && candidate.Created > best.Created))
            {
                best = candidate;
            }
        }

        _byIp[ip] = best;
    }
}
