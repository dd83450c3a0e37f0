using System.Collections.Concurrent;
using Confluent.Kafka;
using NetSecStream.Core.Components;

namespace NetSecStream.Kafka;

/// <summary>
/// A buffer shared by many consecutive message payloads. Each batch of records holding payloads in it holds one
/// reference, the consume thread one more while it still writes into it; the last release returns it to the pool.
/// </summary>
internal sealed class PayloadSlab(int bytes)
{
    public byte[] Data { get; } = GC.AllocateUninitializedArray<byte>(bytes, pinned: false);

    public int Used;

    public int References;

    /// <summary>The batch (by sequence number) that last took a reference, so a batch takes one per slab.</summary>
    public long Batch = -1;
}

/// <summary>
/// Message payloads copied into pooled slabs instead of an array each: the payloads of records waiting in the
/// consumer's buffer then sit in a few long-lived buffers the garbage collector neither allocates nor copies
/// between generations (they were a third of the processor's allocation and most of what survived a gen0 collection).
/// A payload larger than a quarter slab gets an array of its own. Bounded: at most <c>maxPooled</c> free slabs are kept.
/// </summary>
internal sealed class PayloadSlabPool(int slabBytes, int maxPooled) : IDeserializer<ReadOnlyMemory<byte>>
{
    private readonly ConcurrentQueue<PayloadSlab> _free = new();
    private int _freeCount;
    private PayloadSlab? _current;
    private List<PayloadSlab> _pending = [];
    private long _batch;

    public int SlabBytes => slabBytes;

    /// <summary>Slabs allocated because none was free (for tests and tuning).</summary>
    public long Allocated;

    /// <summary>Called by librdkafka's consume on the consume thread: copies the payload into the current slab.</summary>
    public ReadOnlyMemory<byte> Deserialize(ReadOnlySpan<byte> data, bool isNull, SerializationContext context)
    {
        if (isNull || data.IsEmpty)
        {
            return ReadOnlyMemory<byte>.Empty;
        }

        if (data.Length > slabBytes / 4)
        {
            return data.ToArray();
        }

        var slab = _current;
        if (slab is null || slab.Used + data.Length > slabBytes)
        {
            if (slab is not null)
            {
                // The consume thread's own reference: the slab is full, only batches hold it now.
                Release(slab);
            }

            slab = Rent();
            _current = slab;
        }

        if (slab.Batch != _batch)
        {
            slab.Batch = _batch;
            Interlocked.Increment(ref slab.References);
            _pending.Add(slab);
        }

        int at = slab.Used;
        data.CopyTo(slab.Data.AsSpan(at));
        slab.Used = at + data.Length;
        return new ReadOnlyMemory<byte>(slab.Data, at, data.Length);
    }

    /// <summary>
    /// Gives <paramref name="batch"/> a reference to every slab holding a payload copied since the last sealed batch
    /// (consume thread; every message consumed in between went into this batch).
    /// </summary>
    public void Seal(SlabBatch batch)
    {
        batch.Hold(_pending);
        _pending = [];
        _batch++;
    }

    internal void Release(PayloadSlab slab)
    {
        if (Interlocked.Decrement(ref slab.References) != 0)
        {
            return;
        }

        if (Interlocked.Increment(ref _freeCount) <= maxPooled)
        {
            _free.Enqueue(slab);
        }
        else
        {
            Interlocked.Decrement(ref _freeCount);
        }
    }

    private PayloadSlab Rent()
    {
        if (_free.TryDequeue(out var slab))
        {
            Interlocked.Decrement(ref _freeCount);
        }
        else
        {
            slab = new PayloadSlab(slabBytes);
            Interlocked.Increment(ref Allocated);
        }

        slab.Used = 0;
        slab.Batch = -1;
        slab.References = 1;
        return slab;
    }
}

/// <summary>Records whose payloads live in pooled slabs; releasing it drops its references to them.</summary>
internal sealed class SlabBatch : List<RawRecord>, IPayloadBatch
{
    private readonly PayloadSlabPool _pool;
    private List<PayloadSlab>? _slabs;

    public SlabBatch(PayloadSlabPool pool, int capacity)
        : base(capacity)
    {
        _pool = pool;
    }

    internal void Hold(List<PayloadSlab> slabs) => _slabs = slabs;

    /// <summary>A batch of some of these records that takes over the slab references (this batch then holds none).</summary>
    public SlabBatch Filter(Predicate<RawRecord> keep)
    {
        var kept = new SlabBatch(_pool, Count);
        kept.Hold(Interlocked.Exchange(ref _slabs, null) ?? []);
        foreach (var record in this)
        {
            if (keep(record))
            {
                kept.Add(record);
            }
        }

        return kept;
    }

    public void ReleasePayloads()
    {
        var slabs = Interlocked.Exchange(ref _slabs, null);
        if (slabs is null)
        {
            return;
        }

        foreach (var slab in slabs)
        {
            _pool.Release(slab);
        }
    }
}
