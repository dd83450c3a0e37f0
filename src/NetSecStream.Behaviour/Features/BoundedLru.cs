namespace NetSecStream.Behaviour.Features;

/// <summary>
/// A dictionary of at most <see cref="Capacity"/> entries that evicts the least recently used one to make room and
/// counts the evictions. Not thread-safe: each extractor partition owns its tables.
/// </summary>
internal sealed class BoundedLru<TKey, TValue>
    where TKey : notnull
{
    private readonly Dictionary<TKey, LinkedListNode<(TKey Key, TValue Value)>> _map;
    private readonly LinkedList<(TKey Key, TValue Value)> _order = new();

    public BoundedLru(int capacity, IEqualityComparer<TKey>? comparer = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        _map = new Dictionary<TKey, LinkedListNode<(TKey, TValue)>>(Math.Min(capacity, 1024), comparer);
    }

    public int Capacity { get; }

    public int Count => _map.Count;

    /// <summary>Entries pushed out to make room since this table was created.</summary>
    public long Evictions { get; private set; }

    /// <summary>Finds <paramref name="key"/> and marks it most recently used.</summary>
    public bool TryGet(TKey key, out TValue value)
    {
        if (_map.TryGetValue(key, out var node))
        {
            _order.Remove(node);
            _order.AddFirst(node);
            value = node.Value.Value;
            return true;
        }

        value = default!;
        return false;
    }

    /// <summary>Adds or replaces <paramref name="key"/>, evicting the least recently used entry when full.</summary>
    public void Set(TKey key, TValue value)
    {
        if (_map.TryGetValue(key, out var node))
        {
            _order.Remove(node);
            node.Value = (key, value);
            _order.AddFirst(node);
            return;
        }

        if (_map.Count >= Capacity)
        {
            var last = _order.Last!;
            _order.RemoveLast();
            _map.Remove(last.Value.Key);
            Evictions++;
        }

        _map[key] = _order.AddFirst((key, value));
    }

    public TValue GetOrAdd(TKey key, Func<TValue> create)
    {
        if (TryGet(key, out var value))
        {
            return value;
        }

        value = create();
        Set(key, value);
        return value;
    }
}
