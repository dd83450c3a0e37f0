namespace NetSecStream.Signatures.Engine;

/// <summary>
/// The ids found by one scan, each at most once: a bitset for membership and a list for iteration. The caller owns
/// one per thread (from <see cref="MultiPatternMatcher.CreateMatches"/>) and reuses it, so scanning allocates nothing.
/// Clearing touches only the ids that were set.
/// </summary>
public sealed class PrefilterMatches
{
    private readonly ulong[] _bits;
    private readonly int[] _ids;
    private int _count;

    public PrefilterMatches(int idCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(idCapacity);
        IdCapacity = idCapacity;
        _bits = new ulong[(idCapacity + 63) >> 6];
        _ids = new int[idCapacity];
    }

    /// <summary>Ids from 0 to this value minus one fit.</summary>
    public int IdCapacity { get; }

    public int Count => _count;

    /// <summary>The ids found, in the order they were found.</summary>
    public ReadOnlySpan<int> Ids => _ids.AsSpan(0, _count);

    public bool Contains(int id) => (uint)id < (uint)IdCapacity && (_bits[id >> 6] & (1UL << id)) != 0;

    /// <summary>Adds the id; false when it was already there.</summary>
    internal bool Add(int id)
    {
        ref ulong word = ref _bits[id >> 6];
        ulong bit = 1UL << id;
        if ((word & bit) != 0)
        {
            return false;
        }

        word |= bit;
        _ids[_count++] = id;
        return true;
    }

    public void Clear()
    {
        foreach (int id in _ids.AsSpan(0, _count))
        {
            _bits[id >> 6] = 0;
        }

        _count = 0;
    }
}
