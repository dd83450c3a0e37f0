namespace NetSecStream.Collectors.NetFlow;

/// <summary>
/// Puts IP fragments of UDP datagrams back together (pcap input only: the kernel reassembles for the UDP socket).
/// Bounded: at most <see cref="MaxPending"/> datagrams in progress (the oldest is dropped for a new one), each at most
/// 65,535 bytes, and a datagram still incomplete <see cref="TimeoutMs"/> after its first fragment is dropped.
/// Overlapping and repeated fragments are tolerated; the data that arrived first wins.
/// </summary>
internal sealed class IpFragmentReassembler
{
    public const int MaxPending = 64;
    public const long TimeoutMs = 30_000;
    private const int MaxDatagram = 65_535;

    private readonly Dictionary<(NetFlowAddress, NetFlowAddress, uint), Pending> _pending = [];

    /// <summary>Datagrams dropped incomplete (timed out, evicted, or too long).</summary>
    public long Dropped { get; private set; }

    public int InProgress => _pending.Count;

    /// <summary>Adds a fragment; true with the whole IP payload (UDP header first) when it completes a datagram.</summary>
    public bool TryAdd(in IpFragment fragment, ReadOnlySpan<byte> data, long nowMs, out byte[] datagram, out int length)
    {
        datagram = [];
        length = 0;
        Expire(nowMs);
        var key = fragment.Key;
        if (!_pending.TryGetValue(key, out var pending))
        {
            if (_pending.Count >= MaxPending)
            {
                EvictOldest();
            }

            pending = new Pending(nowMs);
            _pending[key] = pending;
        }

        int end = fragment.Offset + data.Length;
        if (end > MaxDatagram || (!fragment.More && pending.Total >= 0 && pending.Total != end) || (pending.Total >= 0 && end > pending.Total))
        {
            _pending.Remove(key);
            Dropped++;
            return false;
        }

        if (!fragment.More)
        {
            pending.Total = end;
        }

        pending.Add(fragment.Offset, data);
        if (pending.Total < 0 || !pending.Complete)
        {
            return false;
        }

        _pending.Remove(key);
        datagram = pending.Buffer;
        length = pending.Total;
        return true;
    }

    private void Expire(long nowMs)
    {
        if (_pending.Count == 0)
        {
            return;
        }

        foreach (var (key, pending) in _pending)
        {
            if (nowMs - pending.FirstMs > TimeoutMs || pending.FirstMs - nowMs > TimeoutMs)
            {
                _pending.Remove(key);
                Dropped++;
            }
        }
    }

    private void EvictOldest()
    {
        (NetFlowAddress, NetFlowAddress, uint)? oldest = null;
        long oldestMs = long.MaxValue;
        foreach (var (key, pending) in _pending)
        {
            if (pending.FirstMs < oldestMs)
            {
                oldest = key;
                oldestMs = pending.FirstMs;
            }
        }

        if (oldest is { } evict)
        {
            _pending.Remove(evict);
            Dropped++;
        }
    }

    private sealed class Pending(long firstMs)
    {
        private const int BlockBytes = 8;
        private readonly ulong[] _blocks = new ulong[(MaxDatagram / BlockBytes / 64) + 1];
        private int _blocksSeen;

        public long FirstMs { get; } = firstMs;

        public int Total { get; set; } = -1;

        public byte[] Buffer { get; private set; } = new byte[2048];

        public bool Complete => _blocksSeen == (Total + BlockBytes - 1) / BlockBytes;

        public void Add(int offset, ReadOnlySpan<byte> data)
        {
            int end = offset + data.Length;
            if (Buffer.Length < end)
            {
                var larger = new byte[Math.Min(MaxDatagram, Math.Max(end, Buffer.Length * 2))];
                Buffer.AsSpan().CopyTo(larger);
                Buffer = larger;
            }

            for (int block = offset / BlockBytes; block * BlockBytes < end; block++)
            {
                ulong bit = 1UL << (block & 63);
                if ((_blocks[block >> 6] & bit) != 0)
                {
                    continue; // first arrival wins
                }

                _blocks[block >> 6] |= bit;
                _blocksSeen++;
                int from = block * BlockBytes;
                int to = Math.Min(from + BlockBytes, end);
                data.Slice(from - offset, to - from).CopyTo(Buffer.AsSpan(from));
            }
        }
    }
}
