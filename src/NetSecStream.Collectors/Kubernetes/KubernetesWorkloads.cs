using k8s.Models;

namespace NetSecStream.Collectors.Kubernetes;

/// <summary>
/// The workload that owns a pod, from its controller owner reference and Kubernetes' naming conventions, without
/// asking the API server about the owners: a ReplicaSet named <c>&lt;deployment&gt;-&lt;pod-template-hash&gt;</c>
/// belongs to that Deployment; a Job named <c>&lt;cronjob&gt;-&lt;scheduled minute&gt;</c> to that CronJob;
/// DaemonSets, StatefulSets and other controllers are the workload themselves; a mirror pod of a static manifest
/// (owned by its Node) is named <c>&lt;manifest&gt;-&lt;node&gt;</c>; a pod without an owner is its own workload.
/// </summary>
internal static class KubernetesWorkloads
{
    private const string PodTemplateHashLabel = "pod-template-hash";

    public static string? Of(V1Pod pod)
    {
        var metadata = pod.Metadata;
        if (metadata is null)
        {
            return null;
        }

        var owner = metadata.OwnerReferences?.FirstOrDefault(o => o.Controller == true) ?? metadata.OwnerReferences?.FirstOrDefault();
        if (owner?.Name is not { Length: > 0 } ownerName)
        {
            return metadata.Name;
        }

        return owner.Kind switch
        {
            "ReplicaSet" => DeploymentOf(ownerName, metadata.Labels),
            "Job" => CronJobOf(ownerName),
            "Node" => ManifestOf(metadata.Name, pod.Spec?.NodeName ?? ownerName),
            _ => ownerName,
        };
    }

    /// <summary>The Deployment of a ReplicaSet that carries the pod-template-hash suffix; other ReplicaSets stand alone.</summary>
    internal static string DeploymentOf(string replicaSet, IDictionary<string, string>? podLabels)
    {
        if (podLabels is not null
            && podLabels.TryGetValue(PodTemplateHashLabel, out string? hash)
            && hash.Length > 0
            && replicaSet.Length > hash.Length + 1
            && replicaSet.EndsWith(hash, StringComparison.Ordinal)
            && replicaSet[^(hash.Length + 1)] == '-')
        {
            return replicaSet[..^(hash.Length + 1)];
        }

        return replicaSet;
    }

    /// <summary>The CronJob of a Job it scheduled (suffix: the scheduled time in minutes since the epoch, 8+ digits).</summary>
    internal static string CronJobOf(string job)
    {
        int dash = job.LastIndexOf('-');
        if (dash > 0 && job.Length - dash - 1 >= 8 && job.AsSpan(dash + 1).IndexOfAnyExceptInRange('0', '9') < 0)
        {
            return job[..dash];
        }

        return job;
    }

    private static string? ManifestOf(string? podName, string nodeName)
    {
        if (podName is not null && podName.Length > nodeName.Length + 1 && podName.EndsWith("-" + nodeName, StringComparison.Ordinal))
        {
            return podName[..^(nodeName.Length + 1)];
        }

        return podName;
    }
}
