using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace NetSecStream.Collectors.Hubble;

/// <summary>
/// A bounded, lock-free intern table for short strings, looked up by their UTF-8 bytes so a hit allocates nothing.
/// It is direct-mapped: a colliding string replaces the previous one, so memory stays bounded however many
/// distinct values the input carries, and repeated values (namespaces, node names, labels) are shared.
/// Safe for concurrent use: slots hold immutable strings, published with volatile writes.
/// </summary>
internal sealed class Utf8StringInterner
{
    private readonly string?[] _slots;
    private readonly int _mask;
    private readonly int _maxLength;

    public Utf8StringInterner(int capacity, int maxLength = 256)
    {
        int size = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Clamp(capacity, 16, 1 << 24));
        _slots = new string?[size];
        _mask = size - 1;
        _maxLength = maxLength;
    }

    public string Intern(ReadOnlySpan<byte> utf8)
    {
        if (utf8.IsEmpty)
        {
            return "";
        }

        if (utf8.Length > _maxLength)
        {
            return Encoding.UTF8.GetString(utf8);
        }

        ref string? slot = ref _slots[Utf8Hash.Of(utf8) & _mask];
        string? cached = Volatile.Read(ref slot);
        // Ascii.Equals is false for non-ASCII input: such strings are simply not shared, which is only a missed saving.
        if (cached is not null && cached.Length == utf8.Length && Ascii.Equals(utf8, cached))
        {
            return cached;
        }

        string created = Encoding.UTF8.GetString(utf8);
        Volatile.Write(ref slot, created);
        return created;
    }
}

/// <summary>
/// A bounded, lock-free, direct-mapped cache from a UTF-8 byte key (an IP address text, the raw JSON of a label
/// array) to a derived immutable value, so values that repeat from flow to flow are parsed once.
/// </summary>
internal sealed class Utf8KeyedCache<T>
    where T : class
{
    private readonly Entry?[] _slots;
    private readonly int _mask;
    private readonly int _maxKeyLength;

    public Utf8KeyedCache(int capacity, int maxKeyLength)
    {
        int size = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Clamp(capacity, 16, 1 << 24));
        _slots = new Entry?[size];
        _mask = size - 1;
        _maxKeyLength = maxKeyLength;
    }

    public T? Get(ReadOnlySpan<byte> key, out int hash)
    {
        hash = Utf8Hash.Of(key);
        Entry? entry = Volatile.Read(ref _slots[hash & _mask]);
        return entry is not null && entry.Hash == hash && key.SequenceEqual(entry.Key) ? entry.Value : null;
    }

    public void Add(ReadOnlySpan<byte> key, int hash, T value)
    {
        if (key.Length <= _maxKeyLength)
        {
            Volatile.Write(ref _slots[hash & _mask], new Entry(hash, key.ToArray(), value));
        }
    }

    private sealed class Entry(int hash, byte[] key, T value)
    {
        public int Hash { get; } = hash;

        public byte[] Key { get; } = key;

        public T Value { get; } = value;
    }
}

/// <summary>
/// A fast 8-bytes-a-step hash for cache slots. Seeded per process: input crafted to collide can only evict
/// entries of the direct-mapped caches (costing a re-parse), never grow them.
/// </summary>
internal static class Utf8Hash
{
    private const ulong Multiplier = 0x9E3779B97F4A7C15;
    private static readonly ulong Seed = (ulong)Random.Shared.NextInt64();

    public static int Of(ReadOnlySpan<byte> bytes)
    {
        ulong hash = Seed ^ ((ulong)bytes.Length * Multiplier);
        while (bytes.Length >= 8)
        {
            hash = BitOperations.RotateLeft((hash ^ BinaryPrimitives.ReadUInt64LittleEndian(bytes)) * Multiplier, 29);
            bytes = bytes[8..];
        }

        if (!bytes.IsEmpty)
        {
            ulong tail = 0;
            for (int i = 0; i < bytes.Length; i++)
            {
                tail |= (ulong)bytes[i] << (8 * i);
            }

            hash = BitOperations.RotateLeft((hash ^ tail) * Multiplier, 29);
        }

        hash ^= hash >> 32;
        hash *= Multiplier;
        return (int)(hash >> 32);
    }
}
