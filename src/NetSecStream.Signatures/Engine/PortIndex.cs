using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Engine;

/// <summary>
/// Rules without a fast pattern and without a bounded address side (port-scan and service rules: "SSH Scan" on port
/// 22, "Unusual Port 445 traffic" ...) found by the event's ports instead of being evaluated on every event, as
/// Suricata groups signatures by destination port. Returns a superset: both of the event's ports are looked up, and
/// the engine still evaluates the whole header of every candidate.
/// </summary>
internal sealed class PortIndex
{
    /// <summary>A rule whose destination ports are more than this many stays evaluated on every event.</summary>
    private const int MaxPortsPerRule = 256;

    private readonly Dictionary<int, int[]> _rules;

    private PortIndex(Dictionary<int, int[]> rules, int count)
    {
        _rules = rules;
        RuleCount = count;
    }

    public int RuleCount { get; }

    /// <summary>Indexes the rules of <paramref name="candidates"/> whose destination ports are a short list; the rest go to <paramref name="unindexed"/>.</summary>
    public static PortIndex Build(IEnumerable<(int Index, Rule Rule)> candidates, List<int> unindexed)
    {
        var lists = new Dictionary<int, List<int>>();
        int count = 0;
        var ports = new List<int>();
        foreach ((int index, Rule rule) in candidates)
        {
            ports.Clear();
            // Both of the event's ports are looked up, so a <> rule (whose destination ports may match either) is found too.
            if (!TryList(rule.DestinationPorts, ports))
            {
                unindexed.Add(index);
                continue;
            }

            count++;
            foreach (int port in ports.Distinct())
            {
                if (!lists.TryGetValue(port, out List<int>? list))
                {
                    lists[port] = list = [];
                }

                list.Add(index);
            }
        }

        return new PortIndex(lists.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray()), count);
    }

    /// <summary>Adds the rules indexed under <paramref name="port"/> that are not yet <paramref name="seen"/>.</summary>
    public void Lookup(int port, List<int> into, bool[] seen)
    {
        if (_rules.Count == 0 || !_rules.TryGetValue(port, out int[]? rules))
        {
            return;
        }

        foreach (int r in rules)
        {
            if (!seen[r])
            {
                seen[r] = true;
                into.Add(r);
            }
        }
    }

    /// <summary>The ports of a set without negation, when there are at most <see cref="MaxPortsPerRule"/> of them.</summary>
    private static bool TryList(PortSet set, List<int> ports)
    {
        if (set.Negated || set.IsAny)
        {
            return false;
        }

        if (set.Items.Count == 0)
        {
            if (set.High - set.Low + 1 + ports.Count > MaxPortsPerRule)
            {
                return false;
            }

            for (int p = set.Low; p <= set.High; p++)
            {
                ports.Add(p);
            }

            return true;
        }

        foreach (PortSet item in set.Items)
        {
            if (!TryList(item, ports))
            {
                return false;
            }
        }

        return true;
    }
}
