using System.Numerics;
using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Engine;

/// <summary>
/// The IP-only part of the engine (Suricata keeps a radix tree for it): rules without a fast pattern whose source or
/// destination is a bounded address list (reputation rules list hundreds of blocks) are found by the event's addresses
/// in one binary search per address and family, instead of being evaluated on every event. The index returns a
/// superset; the engine still evaluates the whole header of every candidate.
/// </summary>
internal sealed class AddressIndex
{
    /// <summary>Rules whose indexed side covers more IPv4 addresses than this stay evaluated on every event.</summary>
    private const ulong MaxIndexedV4Addresses = 1UL << 24;

    private readonly Segments<uint> _v4;
    private readonly Segments<UInt128> _v6;

    private AddressIndex(Segments<uint> v4, Segments<UInt128> v6, int rules)
    {
        _v4 = v4;
        _v6 = v6;
        RuleCount = rules;
    }

    public int RuleCount { get; }

    /// <summary>
    /// Splits <paramref name="candidates"/> (rule index, rule) into an index over the ones with a bounded address side and
    /// the rest, which <paramref name="unindexed"/> receives.
    /// </summary>
    public static AddressIndex Build(IEnumerable<(int Index, Rule Rule)> candidates, List<int> unindexed)
    {
        var v4 = new List<(uint Low, uint High, int Rule)>();
        var v6 = new List<(UInt128 Low, UInt128 High, int Rule)>();
        int rules = 0;
        foreach ((int index, Rule rule) in candidates)
        {
            AddressRanges? side = Smaller(rule.Source.IsAny ? null : rule.Source.Ranges, rule.Destination.IsAny ? null : rule.Destination.Ranges);
            if (side is null)
            {
                unindexed.Add(index);
                continue;
            }

            rules++;
            for (int i = 0; i < side.V4.Count; i++)
            {
                v4.Add((side.V4.Low(i), side.V4.High(i), index));
            }

            for (int i = 0; i < side.V6.Count; i++)
            {
                v6.Add((side.V6.Low(i), side.V6.High(i), index));
            }
        }

        return new AddressIndex(new Segments<uint>(v4), new Segments<UInt128>(v6), rules);
    }

    /// <summary>Adds the rules whose indexed side holds <paramref name="address"/> and are not yet <paramref name="seen"/>.</summary>
    public void Lookup(in AddressRanges.Key address, List<int> into, bool[] seen)
    {
        int[]? rules = address.IsV4 ? _v4.Find(address.V4) : _v6.Find(address.V6);
        if (rules is null)
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

    private static AddressRanges? Smaller(AddressRanges? a, AddressRanges? b)
    {
        ulong sa = a is null ? ulong.MaxValue : Size(a);
        ulong sb = b is null ? ulong.MaxValue : Size(b);
        AddressRanges? pick = sa <= sb ? a : b;
        return pick is null || Math.Min(sa, sb) > MaxIndexedV4Addresses ? null : pick;
    }

    /// <summary>IPv4 addresses covered; any IPv6 block larger than a /104 counts as too large to index.</summary>
    private static ulong Size(AddressRanges r)
    {
        ulong total = 0;
        for (int i = 0; i < r.V4.Count; i++)
        {
            total += (ulong)(r.V4.High(i) - r.V4.Low(i)) + 1;
        }

        for (int i = 0; i < r.V6.Count; i++)
        {
            UInt128 width = r.V6.High(i) - r.V6.Low(i);
            total += width > (UInt128)MaxIndexedV4Addresses ? ulong.MaxValue / 2 : (ulong)width + 1;
        }

        return total;
    }

    /// <summary>Elementary intervals: sorted starts, each with the rules covering the whole interval (null: none).</summary>
    private sealed class Segments<T>
        where T : struct, IBinaryInteger<T>, IMinMaxValue<T>
    {
        private readonly T[] _starts;
        private readonly int[]?[] _rules;

        public Segments(List<(T Low, T High, int Rule)> ranges)
        {
            var bounds = new SortedSet<T>();
            foreach ((T low, T high, _) in ranges)
            {
                bounds.Add(low);
                if (high != T.MaxValue)
                {
                    bounds.Add(high + T.One);
                }
            }

            _starts = [.. bounds];
            var lists = new List<int>?[_starts.Length];
            foreach ((T low, T high, int rule) in ranges)
            {
                int i = Array.BinarySearch(_starts, low);
                for (; i < _starts.Length && _starts[i] <= high; i++)
                {
                    List<int> list = lists[i] ??= [];
                    if (list.Count == 0 || list[^1] != rule)
                    {
                        list.Add(rule);
                    }
                }
            }

            _rules = new int[]?[lists.Length];
            for (int i = 0; i < lists.Length; i++)
            {
                _rules[i] = lists[i] is { Count: > 0 } l ? [.. l] : null;
            }
        }

        public int[]? Find(T value)
        {
            int i = Array.BinarySearch(_starts, value);
            if (i < 0)
            {
                i = ~i - 1;
            }

            return i < 0 ? null : _rules[i];
        }
    }
}
