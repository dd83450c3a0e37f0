using System.Buffers.Binary;
using NetSecStream.Core.Events;
using System.Runtime.CompilerServices;

namespace NetSecStream.Collectors.Pcap.L7;

/// <summary>Which application protocol a flow carries, as far as the L7 parsers are concerned.</summary>
internal enum L7Protocol : byte
{
    Undecided,
    None,
    Dns,
    Http,
    Tls,
    Ssh,
}

/// <summary>
/// The application-layer state of one flow: picks the parser (DNS by port 53/5353/5355; HTTP and TLS by the first
/// bytes the client sends, SSH by either side's <c>SSH-</c> identification string, on any port), buffers what a parser could not use yet (bounded), and collects finished
/// <see cref="L7Transaction"/>s for the flow table to report.
/// </summary>
internal sealed class L7Session
{
    private const int MaxBufferedBytes = 80 * 1024;

    private readonly StreamBuffer _toServer = new();
    private readonly StreamBuffer _toClient = new();
    private readonly List<L7Transaction> _transactions = [];
    private readonly List<(ushort Id, L7Transaction Transaction, DnsMessage Query)> _dnsPending = [];
    private HttpStreamParser? _http;
    private TlsHelloParser? _tls;
    private SshBannerParser? _ssh;

    public L7Session(int maxPendingTransactions, bool dnsPort, bool ssdpPort = false, int httpBodyLimit = DefaultHttpBodyLimit)
    {
        MaxPendingTransactions = maxPendingTransactions;
        HttpBodyLimit = httpBodyLimit;
        Protocol = dnsPort ? L7Protocol.Dns : ssdpPort ? L7Protocol.Http : L7Protocol.Undecided;
        _dnsByPort = dnsPort;
        if (ssdpPort)
        {
            _http = new HttpStreamParser(this);
        }
    }

    public L7Protocol Protocol { get; private set; }

    private bool _dnsByPort;

    /// <summary>
    /// Packet inspection: a DNS query is a finished transaction at once (its facts are the query's), so rules on the
    /// query alert on the query's packet as in Suricata; the answer still ends the pending entry but adds no event.
    /// </summary>
    public bool EarlyQueries { get; init; }

    public const int DefaultHttpBodyLimit = 64 * 1024;

    public int MaxPendingTransactions { get; }

    /// <summary>Bytes kept of each HTTP body, after decoding; 0: bodies are skipped.</summary>
    public int HttpBodyLimit { get; }

    /// <summary>HTTP bodies cut at <see cref="HttpBodyLimit"/> (sent or inflated past it); the flow table adds them up.</summary>
    public int HttpBodiesTruncated { get; set; }

    /// <summary>Finished transactions not yet reported.</summary>
    public List<L7Transaction> Transactions => _transactions;

    public static bool IsDnsPort(ushort port) => port is 53 or 5353 or 5355;

    /// <summary>SSDP: HTTP heads in UDP datagrams.</summary>
    public static bool IsSsdpPort(ushort port) => port == 1900;

    public void AddTransaction(L7Transaction transaction) => _transactions.Add(transaction);

    /// <summary>One UDP datagram's payload.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void OnDatagram(ReadOnlySpan<byte> payload, long ticks)
    {
        if (Protocol == L7Protocol.Dns)
        {
            OnDnsMessage(payload, ticks);
        }
        else if (Protocol == L7Protocol.Http && !payload.IsEmpty)
        {
            _http!.ParseDatagram(payload, ticks);
        }
    }

    /// <summary>In-order bytes of one direction of a TCP connection.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void OnStream(ReadOnlySpan<byte> data, bool toServer, long ticks)
    {
        if (data.IsEmpty)
        {
            return;
        }

        if (_dnsByPort)
        {
            // On TCP a DNS port is a hint: content that is plainly HTTP, TLS or SSH wins, as Suricata's probing does.
            _dnsByPort = false;
            if (Protocol == L7Protocol.Dns && (TlsHelloParser.LooksLikeHandshake(data) || SshBannerParser.LooksLikeBanner(data)
                || (toServer ? HttpStreamParser.LooksLikeRequest(data) : HttpStreamParser.LooksLikeResponse(data))))
            {
                Protocol = L7Protocol.Undecided;
            }
        }

        if (Protocol == L7Protocol.None)
        {
            // STARTTLS and its kin (SMTP, IMAP, FTP AUTH TLS ...): a plain-text protocol turns into TLS.
            if (!toServer || !TlsHelloParser.LooksLikeHandshake(data) || data.Length < 6 || data[5] != 1)
            {
                return;
            }

            Protocol = L7Protocol.Tls;
            _tls = new TlsHelloParser(this);
            _toServer.Clear();
            _toClient.Clear();
            _toServer.Failed = false;
            _toClient.Failed = false;
        }

        var buffer = toServer ? _toServer : _toClient;
        if (buffer.Failed)
        {
            return;
        }

        if (Protocol == L7Protocol.Undecided)
        {
            if (!Decide(buffer, data, toServer, ticks))
            {
                return;
            }
        }

        if (buffer.Length == 0)
        {
            int used = Parse(data, toServer, ticks);
            if (used < data.Length && !buffer.TryAppend(data[used..], MaxBufferedBytes))
            {
                buffer.Failed = true;
            }

            return;
        }

        if (!buffer.TryAppend(data, MaxBufferedBytes))
        {
            buffer.Failed = true;
            buffer.Clear();
            return;
        }

        int consumed = Parse(buffer.Span, toServer, ticks);
        buffer.Consume(consumed);
    }

    /// <summary>Bytes of this direction were lost: what was buffered is dropped and the parser told.</summary>
    public void OnGap(bool toServer)
    {
        var buffer = toServer ? _toServer : _toClient;
        buffer.Clear();
        switch (Protocol)
        {
            case L7Protocol.Http:
                _http!.OnGap(toServer);
                break;
            case L7Protocol.Tls:
                _tls!.OnGap(toServer);
                break;
            case L7Protocol.Ssh:
                _ssh!.OnGap(toServer);
                break;
            case L7Protocol.Dns:
                // Length-prefixed DNS cannot find its framing again.
                buffer.Failed = true;
                break;
            case L7Protocol.Undecided:
                if (toServer)
                {
                    Protocol = L7Protocol.None;
                }

                break;
        }
    }

    /// <summary>The flow ends: transactions still waiting for an answer are finished without one.</summary>
    public void Finish()
    {
        if (_http is not null)
        {
            // A head the connection's close cut short is read as far as it goes (as libhtp does).
            _http.ParseAtClose(_toServer.Span, toServer: true);
            _http.ParseAtClose(_toClient.Span, toServer: false);
            _toServer.Clear();
            _toClient.Clear();
        }

        _http?.Finish();
        _tls?.Finish();
        foreach (var (_, transaction, query) in _dnsPending)
        {
            transaction.Dns = QueryFacts(query);
        }

        _dnsPending.Clear();
    }

    private bool Decide(StreamBuffer buffer, ReadOnlySpan<byte> data, bool toServer, long ticks)
    {
        ReadOnlySpan<byte> start = data;
        if (buffer.Length > 0 || data.Length < 6)
        {
            if (!buffer.TryAppend(data, 64))
            {
                Protocol = toServer ? L7Protocol.None : Protocol;
                buffer.Clear();
                return false;
            }

            start = buffer.Span;
        }

        L7Protocol found = L7Protocol.Undecided;
        if (TlsHelloParser.LooksLikeHandshake(start))
        {
            found = L7Protocol.Tls;
        }
        else if (SshBannerParser.LooksLikeBanner(start))
        {
            // SSH is told by either side's identification string; the server usually speaks first.
            found = L7Protocol.Ssh;
        }
        else if (toServer ? HttpStreamParser.LooksLikeRequest(start) : HttpStreamParser.LooksLikeResponse(start))
        {
            found = L7Protocol.Http;
        }
        else if (start.Length < 6)
        {
            return false;
        }

        if (found == L7Protocol.Undecided)
        {
            // What a server says first (a banner) decides nothing; what the client says first does.
            buffer.Clear();
            if (toServer)
            {
                Protocol = L7Protocol.None;
                _toClient.Clear();
            }

            return false;
        }

        Protocol = found;
        if (found == L7Protocol.Http)
        {
            _http = new HttpStreamParser(this);
        }
        else if (found == L7Protocol.Ssh)
        {
            _ssh = new SshBannerParser(this);
        }
        else
        {
            _tls = new TlsHelloParser(this);
        }

        if (buffer.Length > 0)
        {
            // What was held back while deciding is parsed now; the caller then sees an empty span.
            int used = Parse(buffer.Span, toServer, ticks);
            buffer.Consume(used);
            return false;
        }

        return true;
    }

    private int Parse(ReadOnlySpan<byte> data, bool toServer, long ticks) => Protocol switch
    {
        L7Protocol.Http => _http!.Parse(data, toServer, ticks),
        L7Protocol.Tls => _tls!.Parse(data, toServer, ticks),
        L7Protocol.Ssh => _ssh!.Parse(data, toServer, ticks),
        L7Protocol.Dns => ParseDnsStream(data, ticks),
        _ => data.Length,
    };

    private int ParseDnsStream(ReadOnlySpan<byte> data, long ticks)
    {
        int consumed = 0;
        while (data.Length - consumed >= 2)
        {
            int length = BinaryPrimitives.ReadUInt16BigEndian(data[consumed..]);
            if (data.Length - consumed - 2 < length)
            {
                break;
            }

            OnDnsMessage(data.Slice(consumed + 2, length), ticks);
            consumed += 2 + length;
        }

        return consumed;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void OnDnsMessage(ReadOnlySpan<byte> payload, long ticks)
    {
        var message = DnsMessageParser.TryParse(payload);
        if (message is null)
        {
            return;
        }

        if (!message.IsResponse)
        {
            // A retransmitted query with the same id finishes the earlier one unanswered, as tshark counts both.
            int existing = FindPending(message.Id);
            if (existing >= 0)
            {
                FinishPending(existing, null);
            }

            var transaction = new L7Transaction { Ticks = ticks, Dns = EarlyQueries ? QueryFacts(message) : null };
            _dnsPending.Add((message.Id, transaction, message));
            _transactions.Add(transaction);
            if (_dnsPending.Count > MaxPendingTransactions)
            {
                FinishPending(0, null);
            }

            return;
        }

        int index = FindPending(message.Id);
        if (index >= 0)
        {
            FinishPending(index, message);
            return;
        }

        _transactions.Add(new L7Transaction { Ticks = ticks, Dns = ResponseFacts(message, null) });
    }

    private int FindPending(ushort id)
    {
        for (int i = 0; i < _dnsPending.Count; i++)
        {
            if (_dnsPending[i].Id == id)
            {
                return i;
            }
        }

        return -1;
    }

    private void FinishPending(int index, DnsMessage? response)
    {
        var (_, transaction, query) = _dnsPending[index];
        _dnsPending.RemoveAt(index);
        transaction.Dns = response is null ? QueryFacts(query) : ResponseFacts(response, query);
    }

    /// <summary>True while a transaction in <see cref="Transactions"/> still waits for its answer.</summary>
    public static bool IsPending(L7Transaction transaction) => transaction.Dns is null && transaction.Http is null && transaction.Tls is null && transaction.Ssh is null;

    private static DnsFacts QueryFacts(DnsMessage query) => new()
    {
        Query = query.Query,
        QueryTypes = query.QueryTypes,
        IsResponse = false,
        Opcode = query.Opcode,
    };

    private static DnsFacts ResponseFacts(DnsMessage response, DnsMessage? query) => new()
    {
        Query = query?.Query ?? response.Query,
        QueryTypes = query?.QueryTypes ?? response.QueryTypes,
        Rcode = response.Rcode,
        Answers = response.Answers,
        IsResponse = true,
        Opcode = query?.Opcode ?? response.Opcode,
    };
}

/// <summary>A growable byte buffer with a hard bound, for bytes a parser needs more of.</summary>
internal sealed class StreamBuffer
{
    private byte[] _data = [];
    private int _start;
    private int _length;

    public int Length => _length;

    public ReadOnlySpan<byte> Span => _data.AsSpan(_start, _length);

    public bool Failed { get; set; }

    public bool TryAppend(ReadOnlySpan<byte> bytes, int maxBytes)
    {
        if (_length + bytes.Length > maxBytes)
        {
            return false;
        }

        if (_start + _length + bytes.Length > _data.Length)
        {
            if (_length + bytes.Length <= _data.Length)
            {
                Buffer.BlockCopy(_data, _start, _data, 0, _length);
            }
            else
            {
                var grown = new byte[Math.Min(maxBytes, Math.Max(_length + bytes.Length, Math.Max(256, _data.Length * 2)))];
                Buffer.BlockCopy(_data, _start, grown, 0, _length);
                _data = grown;
            }

            _start = 0;
        }

        bytes.CopyTo(_data.AsSpan(_start + _length));
        _length += bytes.Length;
        return true;
    }

    public void Consume(int count)
    {
        count = Math.Min(count, _length);
        _start += count;
        _length -= count;
        if (_length == 0)
        {
            _start = 0;
        }
    }

    public void Clear()
    {
        _start = 0;
        _length = 0;
    }
}
