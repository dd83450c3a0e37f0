using System.Net;
using k8s.Models;

namespace NetSecStream.Collectors.Kubernetes;

/// <summary>What the enricher knows of one pod: identity, labels, owning workload and node, and its addresses.</summary>
public sealed record KubernetesPodInfo(
    string Key,
    string Namespace,
    string Name,
    IReadOnlyDictionary<string, string>? Labels,
    string? Workload,
    string? NodeName,
    IReadOnlyList<IPAddress> Ips,
    DateTimeOffset Created,
    bool Terminating)
{
    /// <summary>
    /// The pod as the index keeps it, or null when it must not be indexed: host-network pods (their address is the
    /// node's), pods that have finished (Succeeded, Failed: their address may already belong to another pod), and
    /// pods without an address yet.
    /// </summary>
    public static KubernetesPodInfo? From(V1Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        var metadata = pod.Metadata;
        if (metadata?.Name is null || pod.Spec?.HostNetwork == true || pod.Status?.Phase is "Succeeded" or "Failed")
        {
            return null;
        }

        var ips = new List<IPAddress>(2);
        if (pod.Status?.PodIPs is { } podIps)
        {
            foreach (var podIp in podIps)
            {
                AddAddress(ips, podIp?.Ip);
            }
        }

        AddAddress(ips, pod.Status?.PodIP);
        if (ips.Count == 0)
        {
            return null;
        }

        string ns = metadata.NamespaceProperty ?? "default";
        var labels = metadata.Labels is { Count: > 0 } ? new Dictionary<string, string>(metadata.Labels, StringComparer.Ordinal).AsReadOnly() : null;
        return new KubernetesPodInfo(
            KeyOf(pod),
            ns,
            metadata.Name,
            labels,
            KubernetesWorkloads.Of(pod),
            pod.Spec?.NodeName,
            ips,
            metadata.CreationTimestamp is DateTime created ? new DateTimeOffset(DateTime.SpecifyKind(created, DateTimeKind.Utc)) : DateTimeOffset.MinValue,
            metadata.DeletionTimestamp is not null);
    }

    /// <summary>The pod's uid, or namespace/name when the server left the uid out.</summary>
    public static string KeyOf(V1Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        return pod.Metadata?.Uid is { Length: > 0 } uid ? uid : $"{pod.Metadata?.NamespaceProperty}/{pod.Metadata?.Name}";
    }

    private static void AddAddress(List<IPAddress> ips, string? text)
    {
        if (!string.IsNullOrEmpty(text) && IPAddress.TryParse(text, out var ip))
        {
            ip = KubernetesPodIndex.Normalize(ip);
            if (!ips.Contains(ip))
            {
                ips.Add(ip);
            }
        }
    }
}
