using NetSecStream.Collectors.Pcap.L7;

namespace NetSecStream.Collectors.Pcap;

/// <summary>Why a flow (or a part of a long one) was reported.</summary>
internal enum FlowEndReason : byte
{
    Fin,
    Reset,
    IdleTimeout,
    ActiveTimeout,
    Evicted,
    EndOfInput,

    /// <summary>A new connection (a SYN with another sequence number) on the ports of one that never closed.</summary>
    PortReused,

    /// <summary>Transactions reported early because a flow held too many; the flow goes on.</summary>
    TransactionLimit,
}

/// <summary>One bidirectional flow in the table: counters, TCP state, reassembly, payload prefixes and L7 state.</summary>
internal sealed class Flow : ITcpStreamReceiver
{
    public Flow(FlowKey key) => Key = key;

    public FlowKey Key { get; }

    public UInt128 ClientAddress;
    public UInt128 ServerAddress;
    public ushort ClientPort;
    public ushort ServerPort;
    public byte Protocol;
    public bool IsIPv6;
    public bool ClientIsLow;

    /// <summary>The addresses as reported in events, built on first use (see FlowTable.Addresses).</summary>
    public System.Net.IPAddress? ClientIp;
    public System.Net.IPAddress? ServerIp;

    public long FirstTicks;
    public long LastTicks;

    /// <summary>The table's clock (the latest packet time seen) at this flow's last packet: what idle expiry goes by,
    /// so a capture whose time steps back (concatenated files) does not end its flows at once.</summary>
    public long ActivityTicks;
    public long Bytes;
    public long Packets;
    public ushort TcpFlags;
    public byte IcmpType;
    public byte IcmpCode;
    public long LastPosition;

    public bool ClientFin;
    public bool ServerFin;

    /// <summary>Sequence number of the client's SYN, to tell a retransmitted SYN from a new connection on the same ports.</summary>
    public uint ClientSynSequence;
    public bool ClientSynSeen;

    /// <summary>The server answered the client's SYN with SYN-ACK.</summary>
    public bool ServerSynAckSeen;

    /// <summary>TCP: the three-way handshake completed; other protocols: both sides have sent.</summary>
    public bool Established;
    public bool ClientSent;
    public bool ServerSent;

    /// <summary>Packet inspection: how much of each direction's stream prefix earlier packet events covered.</summary>
    public int ToServerStreamInspected;
    public int ToClientStreamInspected;

    /// <summary>Set once FIN from both sides or a RST was seen: the flow is on the closing list.</summary>
    public bool Closing;
    public long ClosingTicks;
    public bool ResetSeen;

    /// <summary>False once a part of the flow was reported: later parts carry no payload prefixes.</summary>
    public bool PayloadPending = true;

    public TcpReassembler? ToServerStream;
    public TcpReassembler? ToClientStream;
    public PayloadPrefix? ToServerPayload;
    public PayloadPrefix? ToClientPayload;
    public L7Session? L7;

    // Intrusive doubly linked list: the table's activity list or its closing list.
    public Flow? Previous;
    public Flow? Next;

    public int Gaps => (ToServerStream?.Gaps ?? 0) + (ToClientStream?.Gaps ?? 0);

    public void OnStreamData(bool toServer, ReadOnlySpan<byte> data, long ticks)
    {
        (toServer ? ToServerPayload : ToClientPayload)?.Append(data);
        L7?.OnStream(data, toServer, ticks);
    }

    public void OnStreamGap(bool toServer)
    {
        // The payload prefix must stay contiguous for content matching: it ends at the first gap.
        (toServer ? ToServerPayload : ToClientPayload)?.Seal();
        L7?.OnGap(toServer);
    }
}

/// <summary>The first bytes of one direction (reassembled for TCP, datagrams back to back for UDP), bounded.</summary>
internal sealed class PayloadPrefix(int capacity)
{
    private readonly int _capacity = capacity;
    private byte[]? _data;
    private int _length;
    private bool _sealed;

    public void Append(ReadOnlySpan<byte> bytes)
    {
        if (_sealed || _length >= _capacity || bytes.IsEmpty)
        {
            return;
        }

        int take = Math.Min(bytes.Length, _capacity - _length);
        if (_data is null || _data.Length < _length + take)
        {
            var grown = new byte[Math.Min(_capacity, Math.Max(_length + take, Math.Max(256, (_data?.Length ?? 0) * 2)))];
            _data?.AsSpan(0, _length).CopyTo(grown);
            _data = grown;
        }

        bytes[..take].CopyTo(_data.AsSpan(_length));
        _length += take;
    }

    public void Seal() => _sealed = true;

    public ReadOnlyMemory<byte> ToMemory() => _data is null ? ReadOnlyMemory<byte>.Empty : _data.AsMemory(0, _length);
}
