using System.Diagnostics.CodeAnalysis;
using Google.Protobuf.Collections;
using NetSecStream.Collectors.Hubble;

namespace NetSecStream.Collectors.HubbleRelay;

/// <summary>
/// Parsed Cilium label lists by content: every flow of a pod carries the same list, so the dictionary of its
/// <c>k8s:</c> labels is built once and shared. Looked up by the message's own list, without copying it. Bounded:
/// when full it starts over. Not thread-safe.
/// </summary>
internal sealed class LabelSetCache(int capacity)
{
    private readonly Dictionary<string[], HubbleLabelSet> _sets = new(LabelListComparer.Instance);

    public HubbleLabelSet Get(RepeatedField<string> labels)
    {
        var lookup = _sets.GetAlternateLookup<RepeatedField<string>>();
        if (lookup.TryGetValue(labels, out var set))
        {
            return set;
        }

        if (_sets.Count >= capacity)
        {
            _sets.Clear();
        }

        set = Parse(labels);
        _sets[labels.ToArray()] = set;
        return set;
    }

    /// <summary>The same reading of a label list as the JSON decoder's: <c>k8s:</c> labels without prefix, the first <c>reserved:</c> name.</summary>
    internal static HubbleLabelSet Parse(IEnumerable<string> labels)
    {
        Dictionary<string, string>? k8s = null;
        string? reserved = null;
        foreach (string label in labels)
        {
            if (label.StartsWith("k8s:", StringComparison.Ordinal))
            {
                int equals = label.IndexOf('=', 4);
                string key = equals < 0 ? label[4..] : label[4..equals];
                k8s ??= new Dictionary<string, string>(StringComparer.Ordinal);
                k8s[key] = equals < 0 ? "" : label[(equals + 1)..];
            }
            else if (label.StartsWith("reserved:", StringComparison.Ordinal) && label.Length > 9)
            {
                int equals = label.IndexOf('=', 9);
                reserved ??= equals < 0 ? label[9..] : label[9..equals];
            }
        }

        string? podNamespace = null;
        k8s?.TryGetValue("io.kubernetes.pod.namespace", out podNamespace);
        return new HubbleLabelSet(k8s?.AsReadOnly(), reserved, podNamespace);
    }

    private sealed class LabelListComparer : IEqualityComparer<string[]>, IAlternateEqualityComparer<RepeatedField<string>, string[]>
    {
        public static readonly LabelListComparer Instance = new();

        public bool Equals(string[]? x, string[]? y) => x is null ? y is null : y is not null && x.AsSpan().SequenceEqual(y);

        public int GetHashCode([DisallowNull] string[] obj) => Hash(obj);

        public bool Equals(RepeatedField<string> alternate, string[] other)
        {
            if (alternate.Count != other.Length)
            {
                return false;
            }

            for (int i = 0; i < other.Length; i++)
            {
                if (!string.Equals(alternate[i], other[i], StringComparison.Ordinal))
                {
                    return false;
                }
            }

            return true;
        }

        public int GetHashCode(RepeatedField<string> alternate) => Hash(alternate);

        public string[] Create(RepeatedField<string> alternate) => alternate.ToArray();

        private static int Hash(IReadOnlyList<string> labels)
        {
            var hash = default(HashCode);
            for (int i = 0; i < labels.Count; i++)
            {
                hash.Add(labels[i], StringComparer.Ordinal);
            }

            return hash.ToHashCode();
        }
    }
}
