using System.Numerics;
using System.Text;
using NetSecStream.Core.Text;

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
