using System.Buffers.Binary;
using System.Numerics;

namespace NetSecStream.Core.Text;

/// <summary>
/// A bounded, lock-free, direct-mapped cache from UTF-8 bytes (an address's text, the raw JSON of a label object)
/// to an immutable value derived from them, so values that repeat are parsed once. Only keys up to a length are kept.
/// </summary>
public sealed class Utf8ValueCache<T>
    where T : class
{
    private readonly Entry?[] _slots;
    private readonly int _mask;
    private readonly int _maxKeyLength;

    public Utf8ValueCache(int capacity, int maxKeyLength)
    {
        int size = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Clamp(capacity, 16, 1 << 24));
        _slots = new Entry?[size];
        _mask = size - 1;
        _maxKeyLength = maxKeyLength;
    }

    public T? Get(ReadOnlySpan<byte> key, out int hash)
    {
        hash = Utf8Hash.Of(key);
        var entry = Volatile.Read(ref _slots[hash & _mask]);
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
/// A fast 8-bytes-a-step hash for the tables' slots. Seeded per process: input crafted to collide can only evict
/// entries of the direct-mapped tables (costing a re-parse), never grow them.
/// </summary>
public static class Utf8Hash
{
    private const ulong Multiplier = 0x9E3779B97F4A7C15;
    private static readonly ulong Seed = (ulong)Random.Shared.NextInt64();

    public static int Of(ReadOnlySpan<byte> bytes)
    {
        ulong hash = Seed ^ ((ulong)bytes.Length * Multiplier);
        if (bytes.Length >= 32)
        {
            // Four independent lanes for long keys (endpoint fact blocks, header lists): one multiply chain is
            // latency-bound at about 5 cycles per 8 bytes; four chains overlap in the pipeline.
            ulong a = hash, b = hash ^ Multiplier, c = hash + Multiplier, d = ~hash;
            do
            {
                a = BitOperations.RotateLeft((a ^ BinaryPrimitives.ReadUInt64LittleEndian(bytes)) * Multiplier, 29);
                b = BitOperations.RotateLeft((b ^ BinaryPrimitives.ReadUInt64LittleEndian(bytes[8..])) * Multiplier, 29);
                c = BitOperations.RotateLeft((c ^ BinaryPrimitives.ReadUInt64LittleEndian(bytes[16..])) * Multiplier, 29);
                d = BitOperations.RotateLeft((d ^ BinaryPrimitives.ReadUInt64LittleEndian(bytes[24..])) * Multiplier, 29);
                bytes = bytes[32..];
            }
            while (bytes.Length >= 32);
            hash = a ^ BitOperations.RotateLeft(b, 16) ^ BitOperations.RotateLeft(c, 32) ^ BitOperations.RotateLeft(d, 48);
        }

        while (bytes.Length >= 8)
        {
            hash = BitOperations.RotateLeft((hash ^ BinaryPrimitives.ReadUInt64LittleEndian(bytes)) * Multiplier, 29);
            bytes = bytes[8..];
        }

        if (bytes.Length >= 4)
        {
            ulong tail = BinaryPrimitives.ReadUInt32LittleEndian(bytes) | ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(bytes[^4..]) << 32);
            hash = BitOperations.RotateLeft((hash ^ tail) * Multiplier, 29);
        }
        else if (!bytes.IsEmpty)
        {
            ulong tail = bytes[0] | ((ulong)bytes[bytes.Length >> 1] << 8) | ((ulong)bytes[^1] << 16);
            hash = BitOperations.RotateLeft((hash ^ tail) * Multiplier, 29);
        }

        hash ^= hash >> 32;
        hash *= Multiplier;
        return (int)(hash >> 32);
    }
}
