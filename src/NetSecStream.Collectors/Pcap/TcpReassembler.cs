using System.Runtime.CompilerServices;

namespace NetSecStream.Collectors.Pcap;

/// <summary>Receives the in-order bytes of one direction of a TCP connection.</summary>
internal interface ITcpStreamReceiver
{
    void OnStreamData(bool toServer, ReadOnlySpan<byte> data, long ticks);

    /// <summary>Bytes were missing (lost or never captured) before what comes next.</summary>
    void OnStreamGap(bool toServer);
}

/// <summary>
/// Puts one direction of a TCP connection back in order, within bounds: retransmitted and overlapping bytes are
/// delivered once, segments that arrive early are held (at most <c>maxOutOfOrder</c> of them), and when that is not
/// enough, or the flow ends, the missing bytes are given up: the receiver is told of a gap and delivery goes on after
/// it. After <c>maxBytes</c> delivered bytes the direction is only counted, no longer reassembled.
/// Sequence numbers are compared modulo 2^32.
/// </summary>
internal sealed class TcpReassembler(bool toServer, int maxBytes, int maxOutOfOrder)
{
    private readonly bool _toServer = toServer;
    private readonly int _maxBytes = maxBytes;
    private readonly int _maxOutOfOrder = maxOutOfOrder;
    private List<(uint Sequence, byte[] Data)>? _early;
    private long _earlyBytes;
    private bool _started;
    private uint _next;
    private long _delivered;

    /// <summary>Gaps given up in this direction.</summary>
    public int Gaps { get; private set; }

    public bool Done => _delivered >= _maxBytes;

    public void OnSyn(uint sequence)
    {
        if (!_started)
        {
            _started = true;
            _next = sequence + 1;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void OnSegment(uint sequence, ReadOnlySpan<byte> data, ITcpStreamReceiver receiver, long ticks)
    {
        if (data.IsEmpty || Done)
        {
            return;
        }

        if (!_started)
        {
            // Picked up mid-connection: start at the first byte seen.
            _started = true;
            _next = sequence;
        }

        int offset = (int)(sequence - _next);
        if (offset <= 0)
        {
            if (-offset >= data.Length)
            {
                return;
            }

            Deliver(data[-offset..], receiver, ticks);
            DrainEarly(receiver, ticks);
            return;
        }

        if (_maxOutOfOrder == 0)
        {
            Skip(sequence, receiver);
            Deliver(data, receiver, ticks);
            return;
        }

        _early ??= [];
        int at = _early.Count;
        while (at > 0 && (int)(_early[at - 1].Sequence - sequence) > 0)
        {
            at--;
        }

        if (at > 0 && _early[at - 1].Sequence == sequence && _early[at - 1].Data.Length >= data.Length)
        {
            return;
        }

        int room = Math.Max(0, (int)Math.Min(data.Length, _maxBytes - _delivered));
        _early.Insert(at, (sequence, data[..room].ToArray()));
        _earlyBytes += room;
        while (_early is { Count: > 0 } && (_early.Count > _maxOutOfOrder || _earlyBytes > _maxBytes - _delivered))
        {
            // Waited long enough (or held as much as this direction may use) for the missing bytes: give them up.
            Skip(_early[0].Sequence, receiver);
            DrainEarly(receiver, ticks);
        }
    }

    /// <summary>The flow ends: whatever is held is delivered after the gaps before it.</summary>
    public void Flush(ITcpStreamReceiver receiver, long ticks)
    {
        while (_early is { Count: > 0 } && !Done)
        {
            Skip(_early[0].Sequence, receiver);
            DrainEarly(receiver, ticks);
        }

        _early = null;
        _earlyBytes = 0;
    }

    private void Skip(uint sequence, ITcpStreamReceiver receiver)
    {
        if ((int)(sequence - _next) > 0)
        {
            Gaps++;
            _next = sequence;
            receiver.OnStreamGap(_toServer);
        }
    }

    private void Deliver(ReadOnlySpan<byte> data, ITcpStreamReceiver receiver, long ticks)
    {
        _next += (uint)data.Length;
        long room = _maxBytes - _delivered;
        if (room <= 0)
        {
            return;
        }

        var used = data.Length > room ? data[..(int)room] : data;
        _delivered += used.Length;
        receiver.OnStreamData(_toServer, used, ticks);
        if (Done)
        {
            _early = null;
            _earlyBytes = 0;
        }
    }

    private void DrainEarly(ITcpStreamReceiver receiver, long ticks)
    {
        while (_early is { Count: > 0 } && !Done)
        {
            var (sequence, data) = _early[0];
            int offset = (int)(sequence - _next);
            if (offset > 0)
            {
                return;
            }

            _early.RemoveAt(0);
            _earlyBytes -= data.Length;
            if (-offset < data.Length)
            {
                Deliver(data.AsSpan(-offset), receiver, ticks);
            }
        }
    }
}
