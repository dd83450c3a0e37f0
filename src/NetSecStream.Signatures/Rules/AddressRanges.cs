using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Numerics;

namespace NetSecStream.Signatures.Rules;

/// <summary>
/// Sorted, disjoint, inclusive ranges of one address family: the flat form an <see cref="AddressSet"/> compiles to, so
/// that a list of hundreds of blocks (reputation rules) is one binary search instead of a walk over every block.
/// </summary>
public sealed class RangeList<T>
    where T : struct, IBinaryInteger<T>, IMinMaxValue<T>
{
    public static readonly RangeList<T> Empty = new([], []);

    public static readonly RangeList<T> All = new([T.MinValue], [T.MaxValue]);

    private readonly T[] _low;
    private readonly T[] _high;

    private RangeList(T[] low, T[] high)
    {
        _low = low;
        _high = high;
    }

    public int Count => _low.Length;

    public T Low(int i) => _low[i];

    public T High(int i) => _high[i];

    /// <summary>One range [low, high].</summary>
    public RangeList(T low, T high)
        : this([low], [high])
    {
    }

    public bool Contains(T value)
    {
        // The last range starting at or before value.
        int lo = 0, hi = _low.Length - 1, found = -1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_low[mid] <= value)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return found >= 0 && value <= _high[found];
    }

    public RangeList<T> Union(RangeList<T> other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var pairs = new List<(T Low, T High)>(Count + other.Count);
        for (int i = 0; i < Count; i++)
        {
            pairs.Add((_low[i], _high[i]));
        }

        for (int i = 0; i < other.Count; i++)
        {
            pairs.Add((other._low[i], other._high[i]));
        }

        return Normalize(pairs);
    }

    public RangeList<T> Complement()
    {
        var low = new List<T>(Count + 1);
        var high = new List<T>(Count + 1);
        T next = T.MinValue;
        bool open = true;
        for (int i = 0; i < Count; i++)
        {
            if (open && _low[i] > next)
            {
                low.Add(next);
                high.Add(_low[i] - T.One);
            }

            if (_high[i] == T.MaxValue)
            {
                open = false;
                break;
            }

            next = _high[i] + T.One;
        }

        if (open)
        {
            low.Add(next);
            high.Add(T.MaxValue);
        }

        return new RangeList<T>([.. low], [.. high]);
    }

    public RangeList<T> Intersect(RangeList<T> other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var low = new List<T>();
        var high = new List<T>();
        int i = 0, j = 0;
        while (i < Count && j < other.Count)
        {
            T l = T.Max(_low[i], other._low[j]);
            T h = T.Min(_high[i], other._high[j]);
            if (l <= h)
            {
                low.Add(l);
                high.Add(h);
            }

            if (_high[i] < other._high[j])
            {
                i++;
            }
            else
            {
                j++;
            }
        }

        return new RangeList<T>([.. low], [.. high]);
    }

    internal static RangeList<T> Normalize(List<(T Low, T High)> pairs)
    {
        pairs.Sort((a, b) => a.Low.CompareTo(b.Low));
        var low = new List<T>(pairs.Count);
        var high = new List<T>(pairs.Count);
        foreach ((T l, T h) in pairs)
        {
            int last = high.Count - 1;
            if (last >= 0 && (high[last] == T.MaxValue || l <= high[last] + T.One))
            {
                high[last] = T.Max(high[last], h);
            }
            else
            {
                low.Add(l);
                high.Add(h);
            }
        }

        return new RangeList<T>([.. low], [.. high]);
    }
}

/// <summary>An <see cref="AddressSet"/> compiled to ranges per family (IPv4-mapped IPv6 addresses count as IPv4).</summary>
public sealed class AddressRanges
{
    public static readonly AddressRanges Everything = new(RangeList<uint>.All, RangeList<UInt128>.All);

    public AddressRanges(RangeList<uint> v4, RangeList<UInt128> v6)
    {
        V4 = v4;
        V6 = v6;
    }

    public RangeList<uint> V4 { get; }

    public RangeList<UInt128> V6 { get; }

    /// <summary>True when every address of both families is in the set (<c>any</c>).</summary>
    public bool IsEverything => V4.Count == 1 && V4.Low(0) == 0 && V4.High(0) == uint.MaxValue
        && V6.Count == 1 && V6.Low(0) == UInt128.Zero && V6.High(0) == UInt128.MaxValue;

    public bool Contains(IPAddress address) => Key.Of(address) is var k && (k.IsV4 ? V4.Contains(k.V4) : V6.Contains(k.V6));

    public bool Contains(in Key key) => key.IsV4 ? V4.Contains(key.V4) : V6.Contains(key.V6);

    public AddressRanges Union(AddressRanges other) => new(V4.Union(other.V4), V6.Union(other.V6));

    public AddressRanges Intersect(AddressRanges other) => new(V4.Intersect(other.V4), V6.Intersect(other.V6));

    public AddressRanges Complement() => new(V4.Complement(), V6.Complement());

    public static AddressRanges Of(IPNetwork network)
    {
        byte[] bytes = network.BaseAddress.GetAddressBytes();
        if (network.BaseAddress.AddressFamily == AddressFamily.InterNetwork)
        {
            uint low = BinaryPrimitives.ReadUInt32BigEndian(bytes);
            uint span = network.PrefixLength == 0 ? uint.MaxValue : (1u << (32 - network.PrefixLength)) - 1;
            return new AddressRanges(new RangeList<uint>(low, low | span), RangeList<UInt128>.Empty);
        }

        UInt128 low6 = BinaryPrimitives.ReadUInt128BigEndian(bytes);
        UInt128 span6 = network.PrefixLength == 0 ? UInt128.MaxValue : (UInt128.One << (128 - network.PrefixLength)) - UInt128.One;
        return new AddressRanges(RangeList<uint>.Empty, new RangeList<UInt128>(low6, low6 | span6));
    }

    /// <summary>An address as a number of its family, computed once per event and looked up in many sets.</summary>
    public readonly record struct Key(bool IsV4, uint V4, UInt128 V6)
    {
        public static Key Of(IPAddress address)
        {
            ArgumentNullException.ThrowIfNull(address);
            Span<byte> bytes = stackalloc byte[16];
            address.TryWriteBytes(bytes, out int written);
            if (written == 4)
            {
                return new Key(true, BinaryPrimitives.ReadUInt32BigEndian(bytes), default);
            }

            // IPv4-mapped (::ffff:a.b.c.d) compares as IPv4, as Suricata matches it.
            if (bytes[..10].IndexOfAnyExcept((byte)0) < 0 && bytes[10] == 0xFF && bytes[11] == 0xFF)
            {
                return new Key(true, BinaryPrimitives.ReadUInt32BigEndian(bytes[12..]), default);
            }

            return new Key(false, 0, BinaryPrimitives.ReadUInt128BigEndian(bytes));
        }
    }
}
