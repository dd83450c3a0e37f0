using System.Buffers;

namespace NetSecStream.Collectors.Hubble;

/// <summary>Kubernetes naming conventions the decoder relies on.</summary>
internal static class KubernetesNames
{
    // Kubernetes generates name suffixes (pod-template-hash, the 5-character pod suffix) from this alphabet
    // (apimachinery rand.SafeEncodeString): no vowels and no 0, 1, 3, so the suffixes never spell words.
    private static readonly SearchValues<byte> SafeAlphabet = SearchValues.Create("bcdfghjklmnpqrstvwxz2456789"u8);

    /// <summary>
    /// Length of the owning workload's name within a pod name: <c>reviews-v1-545db77b95-s6jb8</c> (Deployment:
    /// ReplicaSet hash and pod suffix) and <c>node-local-dns-6jnx9</c> (DaemonSet, Job: pod suffix) give the name
    /// before the generated parts; <c>web-0</c> (StatefulSet ordinal) gives <c>web</c>. Names without generated
    /// parts (static pods, bare pods) are returned whole.
    /// </summary>
    public static int WorkloadNameLength(ReadOnlySpan<byte> podName)
    {
        int cut = LastSegmentStart(podName);
        if (cut <= 0)
        {
            return podName.Length;
        }

        var last = podName[cut..];
        if (last.Length == 5 && IsGenerated(last))
        {
            var owner = podName[..(cut - 1)];
            int replicaSetCut = LastSegmentStart(owner);
            if (replicaSetCut > 0)
            {
                var replicaSetHash = owner[replicaSetCut..];
                if (replicaSetHash.Length is >= 6 and <= 10 && IsGenerated(replicaSetHash))
                {
                    return replicaSetCut - 1;
                }
            }

            return owner.Length;
        }

        if (last.Length <= 5 && IsAllDigits(last))
        {
            return cut - 1;
        }

        return podName.Length;
    }

    private static int LastSegmentStart(ReadOnlySpan<byte> name)
    {
        int dash = name.LastIndexOf((byte)'-');
        return dash <= 0 || dash == name.Length - 1 ? -1 : dash + 1;
    }

    private static bool IsGenerated(ReadOnlySpan<byte> segment) => segment.IndexOfAnyExcept(SafeAlphabet) < 0;

    private static bool IsAllDigits(ReadOnlySpan<byte> segment) => segment.IndexOfAnyExceptInRange((byte)'0', (byte)'9') < 0;
}
