namespace NetSecStream.Signatures.Engine.State;

/// <summary>Event-time arithmetic for state expiry.</summary>
public static class EventTime
{
    /// <summary><paramref name="time"/> + <paramref name="span"/>, saturating: event times come from the wire and may be absurd.</summary>
    public static DateTimeOffset After(DateTimeOffset time, TimeSpan span) =>
        time > DateTimeOffset.MaxValue - span ? DateTimeOffset.MaxValue : time + span;
}

/// <summary>Why an entry left a <see cref="BoundedStateTable{TKey, TValue}"/> before anyone removed it.</summary>
public enum StateEvictionReason
{
    /// <summary>The table was full: the least recently used entry made room.</summary>
    Capacity,

    /// <summary>The entry was not touched before its expiry (event time).</summary>
    Expired,
}

/// <summary>
/// A dictionary with a hard size bound and expiry in event time. Entries are kept in least-recently-used order; each
/// touch moves an entry to the back and sets its expiry. Expired entries are dropped from the front as later events
/// arrive, and when the table is full the least recently used entry is dropped to make room. Every drop is reported to
/// <c>evicted</c>. Not thread-safe: the owner serializes access (see <see cref="DetectionState"/>).
/// </summary>
public sealed class BoundedStateTable<TKey, TValue>
    where TKey : notnull
{
    private readonly Dictionary<TKey, LinkedListNode<Entry>> _index;
    private readonly LinkedList<Entry> _lru = new();
    private readonly Action<StateEvictionReason>? _evicted;

    public BoundedStateTable(int capacity, Action<StateEvictionReason>? evicted = null, IEqualityComparer<TKey>? comparer = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        _evicted = evicted;
        _index = new Dictionary<TKey, LinkedListNode<Entry>>(Math.Min(capacity, 1024), comparer);
    }

    public int Capacity { get; }

    public int Count => _index.Count;

    /// <summary>Entries dropped because the table was full.</summary>
    public long EvictedForCapacity { get; private set; }

    /// <summary>Entries dropped because they expired.</summary>
    public long Expired { get; private set; }

    /// <summary>
    /// The live value for <paramref name="key"/>, touched (moved to the back; its expiry set to <paramref name="renewTo"/>
    /// unless that is null); false when absent or expired.
    /// </summary>
    public bool TryGet(TKey key, DateTimeOffset now, DateTimeOffset? renewTo, out TValue value)
    {
        Sweep(now);
        if (_index.TryGetValue(key, out LinkedListNode<Entry>? node))
        {
            if (node.Value.ExpiresAt < now)
            {
                Drop(node, StateEvictionReason.Expired);
            }
            else
            {
                Touch(node, renewTo);
                value = node.Value.Value;
                return true;
            }
        }

        value = default!;
        return false;
    }

    /// <summary>The live value for <paramref name="key"/>, or a new one from <paramref name="create"/>; touched either way, expiry renewed.</summary>
    public TValue GetOrAdd(TKey key, DateTimeOffset now, DateTimeOffset expiresAt, Func<TValue> create)
    {
        ArgumentNullException.ThrowIfNull(create);
        if (TryGet(key, now, expiresAt, out TValue value))
        {
            return value;
        }

        value = create();
        Add(key, value, expiresAt);
        return value;
    }

    /// <summary>Adds a value for a key that is not in the table, making room first when it is full.</summary>
    public void Add(TKey key, TValue value, DateTimeOffset expiresAt)
    {
        while (_index.Count >= Capacity && _lru.First is { } oldest)
        {
            Drop(oldest, StateEvictionReason.Capacity);
        }

        _index.Add(key, _lru.AddLast(new Entry(key, value) { ExpiresAt = expiresAt }));
    }

    /// <summary>Removes <paramref name="key"/> (not counted as an eviction).</summary>
    public bool Remove(TKey key)
    {
        if (!_index.Remove(key, out LinkedListNode<Entry>? node))
        {
            return false;
        }

        _lru.Remove(node);
        return true;
    }

    /// <summary>Drops expired entries from the least recently used end; stops at the first live one.</summary>
    public void Sweep(DateTimeOffset now)
    {
        while (_lru.First is { } oldest && oldest.Value.ExpiresAt < now)
        {
            Drop(oldest, StateEvictionReason.Expired);
        }
    }

    private void Touch(LinkedListNode<Entry> node, DateTimeOffset? renewTo)
    {
        if (renewTo is { } expiresAt)
        {
            node.Value.ExpiresAt = expiresAt;
        }

        if (node != _lru.Last)
        {
            _lru.Remove(node);
            _lru.AddLast(node);
        }
    }

    private void Drop(LinkedListNode<Entry> node, StateEvictionReason reason)
    {
        _lru.Remove(node);
        _index.Remove(node.Value.Key);
        if (reason == StateEvictionReason.Capacity)
        {
            EvictedForCapacity++;
        }
        else
        {
            Expired++;
        }

        _evicted?.Invoke(reason);
    }

    private sealed class Entry(TKey key, TValue value)
    {
        public TKey Key { get; } = key;

        public TValue Value { get; } = value;

        public DateTimeOffset ExpiresAt { get; set; }
    }
}
