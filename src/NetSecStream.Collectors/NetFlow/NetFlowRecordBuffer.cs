namespace NetSecStream.Collectors.NetFlow;

/// <summary>A reusable, growable list of <see cref="NetFlowRecord"/>s the decoder writes into without allocating per record.</summary>
public sealed class NetFlowRecordBuffer
{
    private NetFlowRecord[] _items;

    public NetFlowRecordBuffer(int capacity = 64) => _items = new NetFlowRecord[Math.Max(capacity, 1)];

    public int Count { get; private set; }

    public ref NetFlowRecord this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)Count, nameof(index));
            return ref _items[index];
        }
    }

    public ReadOnlySpan<NetFlowRecord> AsSpan() => _items.AsSpan(0, Count);

    public void Clear() => Count = 0;

    internal ref NetFlowRecord Add()
    {
        if (Count == _items.Length)
        {
            Array.Resize(ref _items, _items.Length * 2);
        }

        return ref _items[Count++];
    }

    internal void RemoveLast() => Count--;
}
