using System.Numerics;
using System.Text;
using System.Text.Unicode;
using NetSecStream.Core.Text;

namespace NetSecStream.Core.Ecs;

/// <summary>
/// A bounded, lock-free table of strings looked up by their UTF-8 bytes, so a value that repeats from document to
/// document (a namespace, a pod, a label) is decoded once and then shared without allocating. Direct-mapped: a
/// colliding value replaces the previous one, so memory stays bounded however many distinct values arrive.
/// Safe for concurrent use: slots hold immutable strings published with volatile writes.
/// </summary>
internal sealed class Utf8StringTable
{
    private readonly string?[] _slots;
    private readonly int _mask;
    private readonly int _maxLength;

    public Utf8StringTable(int capacity, int maxLength = 128)
    {
        int size = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Clamp(capacity, 16, 1 << 24));
        _slots = new string?[size];
        _mask = size - 1;
        _maxLength = maxLength;
    }

    /// <summary>The string of <paramref name="utf8"/>; false (and null) when the bytes are not valid UTF-8.</summary>
    public bool TryGet(ReadOnlySpan<byte> utf8, out string? value)
    {
        if (utf8.IsEmpty)
        {
            value = "";
            return true;
        }

        if (utf8.Length > _maxLength)
        {
            return TryDecode(utf8, out value);
        }

        ref string? slot = ref _slots[Utf8Hash.Of(utf8) & _mask];
        string? cached = Volatile.Read(ref slot);
        // Ascii.Equals is false for non-ASCII text: such values are decoded every time, only a missed saving.
        if (cached is not null && cached.Length == utf8.Length && Ascii.Equals(utf8, cached))
        {
            value = cached;
            return true;
        }

        if (!TryDecode(utf8, out value))
        {
            return false;
        }

        Volatile.Write(ref slot, value);
        return true;
    }

    /// <summary>Decodes without sharing; false when the bytes are not valid UTF-8.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> utf8, out string? value)
    {
        if (!Utf8.IsValid(utf8))
        {
            value = null;
            return false;
        }

        value = Encoding.UTF8.GetString(utf8);
        return true;
    }
}

/// <summary>
/// Decides whether a cache is worth consulting: a lookup that misses costs a second pass over the value, so when
/// most recent lookups missed (every endpoint object distinct, say) lookups pause for a while and values are read
/// directly, then a new sample of lookups decides again. The counters are shared by threads without
/// synchronisation: a lost update only shifts the sample a little.
/// </summary>
internal sealed class CacheLookupPolicy
{
    private const int SampleSize = 512;
    private const int PauseLength = 16 * 1024;

    private int _lookups;
    private int _hits;
    private int _pauseLeft;

    public bool ShouldLookUp()
    {
        if (_pauseLeft <= 0)
        {
            return true;
        }

        _pauseLeft--;
        return false;
    }

    public void Record(bool hit)
    {
        int lookups = ++_lookups;
        int hits = hit ? ++_hits : _hits;
        if (lookups < SampleSize)
        {
            return;
        }

        // Fewer than a quarter of the lookups hit: pause them.
        _pauseLeft = hits * 4 < lookups ? PauseLength : 0;
        _lookups = 0;
        _hits = 0;
    }
}

/// <summary>The bounded tables one ECS reader shares between all the documents it reads.</summary>
internal sealed class EcsReadCaches
{
    public const int DefaultCapacity = 8192;

    public EcsReadCaches(int capacity = DefaultCapacity)
    {
        Strings = new Utf8StringTable(capacity);
        CommunityIds = new Utf8StringTable(capacity, maxLength: 64);
        Addresses = new Utf8ValueCache<System.Net.IPAddress>(capacity, maxKeyLength: 64);
        // Label objects are a few hundred bytes; the cap keeps the worst case at a few MiB.
        Labels = new Utf8ValueCache<IReadOnlyDictionary<string, string>>(capacity / 4, maxKeyLength: 2048);
        Lists = new Utf8ValueCache<IReadOnlyList<string>>(capacity / 4, maxKeyLength: 1024);
        // netsec.source / netsec.destination objects, labels included: at most capacity / 8 keys of 4 KiB.
        Endpoints = new Utf8ValueCache<NetSecEndpointFacts>(capacity / 8, maxKeyLength: 4096);
    }

    /// <summary>The tables <see cref="EcsJson.ReadFlow"/> uses.</summary>
    public static EcsReadCaches Shared { get; } = new();

    /// <summary>Low-cardinality text: namespaces, pods, workloads, nodes, label keys and values, keywords.</summary>
    public Utf8StringTable Strings { get; }

    /// <summary>A connection's flow updates repeat its community id; kept apart so they do not evict the vocabulary.</summary>
    public Utf8StringTable CommunityIds { get; }

    public Utf8ValueCache<System.Net.IPAddress> Addresses { get; }

    /// <summary>Label objects by their raw JSON; a pod's labels are the same object in every flow it takes part in.</summary>
    public Utf8ValueCache<IReadOnlyDictionary<string, string>> Labels { get; }

    /// <summary>String arrays (DNS names, query types) by their raw JSON.</summary>
    public Utf8ValueCache<IReadOnlyList<string>> Lists { get; }

    /// <summary>The Kubernetes facts of a flow's side by their raw JSON: one lookup instead of one per field.</summary>
    public Utf8ValueCache<NetSecEndpointFacts> Endpoints { get; }

    public CacheLookupPolicy EndpointLookups { get; } = new();

    public CacheLookupPolicy AddressLookups { get; } = new();
}
