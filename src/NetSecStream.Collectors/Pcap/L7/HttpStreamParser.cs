using System.Buffers.Text;
using System.Text;
using NetSecStream.Core.Events;

namespace NetSecStream.Collectors.Pcap.L7;

/// <summary>
/// HTTP/1.x over one TCP connection (RFC 9112): request and response heads, bodies delimited by Content-Length, chunked
/// coding or connection close, pipelined requests paired with responses in order, 1xx interim responses skipped.
/// A bounded prefix of each body is kept (<see cref="L7Session.HttpBodyLimit"/>), chunked coding removed, and a response
/// body's gzip or deflate content coding decoded into at most that many bytes (<see cref="HttpBodyDecoder"/>).
/// Each request becomes one <see cref="L7Transaction"/> when its response ends (or when the flow ends).
/// After a gap in the stream a direction looks for the next line that starts a message.
/// </summary>
internal sealed class HttpStreamParser
{
    public const int MaxHeadBytes = 32 * 1024;
    private const int MaxHeaders = 32;
    private const int MaxHeaderValueChars = 1024;

    private static readonly string[] KnownMethods =
    [
        "GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "CONNECT", "TRACE", "PATCH",
        "PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "SEARCH", "REPORT",
    ];

    private readonly Direction _requests = new();
    private readonly Direction _responses = new();
    private readonly Queue<Exchange> _pending = new();
    private readonly L7Session _session;

    public HttpStreamParser(L7Session session) => _session = session;

    /// <summary>True when <paramref name="data"/> starts like an HTTP request (a known method and a space).</summary>
    public static bool LooksLikeRequest(ReadOnlySpan<byte> data)
    {
        int space = data[..Math.Min(data.Length, 12)].IndexOf((byte)' ');
        if (space <= 0)
        {
            return false;
        }

        var token = data[..space];
        foreach (string method in KnownMethods)
        {
            if (Ascii.Equals(token, method))
            {
                return true;
            }
        }

        return false;
    }

    public static bool LooksLikeResponse(ReadOnlySpan<byte> data) => data.StartsWith("HTTP/"u8);

    /// <summary>Consumes what it can of <paramref name="data"/>; returns bytes consumed, the rest is offered again with more.</summary>
    public int Parse(ReadOnlySpan<byte> data, bool toServer, long ticks)
    {
        var direction = toServer ? _requests : _responses;
        int consumed = 0;
        while (consumed < data.Length && direction.State != ParseState.Stopped)
        {
            var rest = data[consumed..];
            var before = direction.State;
            int used = direction.State switch
            {
                ParseState.Head => ParseHead(rest, toServer, direction, ticks),
                ParseState.Body => ReadBody(rest, direction),
                ParseState.BodyToClose => ReadBodyToClose(rest, direction),
                ParseState.ChunkSize => ParseChunkSize(rest, direction),
                ParseState.ChunkData => ReadChunkData(rest, direction),
                ParseState.Trailer => ParseTrailer(rest, direction),
                ParseState.Resync => Resync(rest, toServer, direction),
                _ => rest.Length,
            };
            if (direction.Current is not null && direction.State is ParseState.Head or ParseState.Resync or ParseState.Stopped)
            {
                EndMessage(direction);
            }

            if (used == 0 && direction.State != before)
            {
                continue;
            }

            if (used == 0)
            {
                // Needs more bytes; a head that never ends within the bound is given up.
                if (rest.Length >= MaxHeadBytes)
                {
                    direction.State = ParseState.Resync;
                    continue;
                }

                break;
            }

            consumed += used;
        }

        return direction.State == ParseState.Stopped ? data.Length : consumed;
    }

    /// <summary>
    /// One datagram of HTTP over UDP (SSDP): a whole request or response head of its own. A datagram that starts with
    /// <c>HTTP/</c> is a response, anything else a request.
    /// </summary>
    public void ParseDatagram(ReadOnlySpan<byte> datagram, long ticks)
    {
        bool response = LooksLikeResponse(datagram);
        var direction = response ? _responses : _requests;
        direction.State = ParseState.Head;
        Parse(datagram, !response, ticks);
        direction.State = ParseState.Head;
    }

    /// <summary>
    /// The connection closed with <paramref name="rest"/> not yet parsed in this direction: a message head without its
    /// blank line is ended there and parsed (a server may close right after its header lines).
    /// </summary>
    public void ParseAtClose(ReadOnlySpan<byte> rest, bool toServer)
    {
        var direction = toServer ? _requests : _responses;
        if (rest.IsEmpty || rest.Length > MaxHeadBytes || direction.State != ParseState.Head)
        {
            return;
        }

        byte[] closed = new byte[rest.Length + 4];
        rest.CopyTo(closed);
        "\r\n\r\n"u8.CopyTo(closed.AsSpan(rest.Length));
        Parse(closed, toServer, 0);
    }

    /// <summary>Bytes were lost in this direction: drop the message in progress and look for the next one.</summary>
    public void OnGap(bool toServer)
    {
        var direction = toServer ? _requests : _responses;
        if (direction.State != ParseState.Stopped)
        {
            direction.State = ParseState.Resync;
        }

        EndMessage(direction);
    }

    /// <summary>The flow ends: a response body read to the connection's end is done; requests still waiting are reported without a response.</summary>
    public void Finish()
    {
        EndMessage(_requests);
        EndMessage(_responses);
        while (_pending.Count > 0)
        {
            Complete(_pending.Dequeue());
        }
    }

    private static int Resync(ReadOnlySpan<byte> data, bool toServer, Direction direction)
    {
        // Look for a line start that begins a message; keep the last partial line in case it does.
        int position = 0;
        while (position < data.Length)
        {
            var line = data[position..];
            if (toServer ? LooksLikeRequest(line) : LooksLikeResponse(line))
            {
                direction.State = ParseState.Head;
                return position;
            }

            int newline = line.IndexOf((byte)'\n');
            if (newline < 0)
            {
                // Not enough to decide: keep a short tail, drop the rest.
                return line.Length > 16 ? position + line.Length - 16 : position;
            }

            position += newline + 1;
        }

        return position;
    }

    private int ParseHead(ReadOnlySpan<byte> data, bool toServer, Direction direction, long ticks)
    {
        // Blank lines between messages are allowed (RFC 9112 2.2).
        int skip = 0;
        while (skip < data.Length && (data[skip] == '\r' || data[skip] == '\n'))
        {
            skip++;
        }

        var head = data[skip..];
        if (head.IsEmpty)
        {
            return skip;
        }

        if (toServer ? !StartsWithToken(head) : !LooksLikeResponse(head[..Math.Min(head.Length, 5)]) && head.Length >= 5)
        {
            direction.State = ParseState.Resync;
            return skip;
        }

        int end = head.IndexOf("\r\n\r\n"u8);
        int terminator = 4;
        int bareEnd = head.IndexOf("\n\n"u8);
        if (bareEnd >= 0 && (end < 0 || bareEnd < end))
        {
            end = bareEnd;
            terminator = 2;
        }

        if (end < 0)
        {
            return 0;
        }

        var block = head[..end];
        int firstLineEnd = block.IndexOf((byte)'\n');
        var startLine = TrimCr(firstLineEnd < 0 ? block : block[..firstLineEnd]);
        var headerBlock = firstLineEnd < 0 ? [] : block[(firstLineEnd + 1)..];
        int total = skip + end + terminator;
        if (toServer)
        {
            if (!ParseRequest(startLine, headerBlock, direction, ticks))
            {
                direction.State = ParseState.Resync;
            }
        }
        else if (!ParseResponse(startLine, headerBlock, direction))
        {
            direction.State = ParseState.Resync;
        }

        return total;
    }

    private bool ParseRequest(ReadOnlySpan<byte> startLine, ReadOnlySpan<byte> headerBlock, Direction direction, long ticks)
    {
        int firstSpace = startLine.IndexOf((byte)' ');
        int lastSpace = startLine.LastIndexOf((byte)' ');
        if (firstSpace <= 0)
        {
            return false;
        }

        var exchange = new Exchange { Ticks = ticks };
        exchange.Method = MethodName(startLine[..firstSpace]);
        exchange.RequestLine = Text(startLine);
        if (lastSpace > firstSpace && startLine[(lastSpace + 1)..].StartsWith("HTTP/"u8))
        {
            // Spaces around the target are tolerated (as Suricata and most servers do); spaces inside it are kept.
            exchange.Uri = Text(startLine[(firstSpace + 1)..lastSpace].Trim((byte)' '));
            exchange.Protocol = Text(startLine[(lastSpace + 1)..]);
        }
        else
        {
            // HTTP/0.9 style "GET /path".
            exchange.Uri = Text(startLine[(firstSpace + 1)..]);
        }

        var headers = ReadHeaders(headerBlock, out long contentLength, out bool chunked, out _);
        exchange.Headers = headers;
        foreach (var (name, value) in headers)
        {
            if (exchange.Host is null && name.Equals("Host", StringComparison.OrdinalIgnoreCase))
            {
                exchange.Host = value;
            }
            else if (exchange.UserAgent is null && name.Equals("User-Agent", StringComparison.OrdinalIgnoreCase))
            {
                exchange.UserAgent = value;
            }
        }

        _pending.Enqueue(exchange);
        if (_pending.Count > _session.MaxPendingTransactions)
        {
            Complete(_pending.Dequeue());
        }

        if (chunked)
        {
            direction.State = ParseState.ChunkSize;
        }
        else if (contentLength > 0)
        {
            direction.Remaining = contentLength;
            direction.State = ParseState.Body;
        }
        else
        {
            direction.State = ParseState.Head;
        }

        if (direction.State != ParseState.Head && _session.HttpBodyLimit > 0)
        {
            exchange.RequestBody = new BodyBuffer(_session.HttpBodyLimit);
            direction.Current = exchange;
            direction.Body = exchange.RequestBody;
        }

        if (exchange.Method == "CONNECT")
        {
            // What follows a CONNECT is another protocol (often TLS): stop reading this direction.
            direction.State = ParseState.Stopped;
        }

        return true;
    }

    private bool ParseResponse(ReadOnlySpan<byte> startLine, ReadOnlySpan<byte> headerBlock, Direction direction)
    {
        int firstSpace = startLine.IndexOf((byte)' ');
        if (firstSpace <= 0 || startLine.Length < firstSpace + 4)
        {
            return false;
        }

        if (!Utf8Parser.TryParse(startLine.Slice(firstSpace + 1, 3), out int status, out int used) || used != 3)
        {
            return false;
        }

        var headers = ReadHeaders(headerBlock, out long contentLength, out bool chunked, out bool hasLength);
        bool interim = status is >= 100 and < 200 && status != 101;
        Exchange? request = null;
        Exchange? exchange = null;
        if (!interim)
        {
            request = _pending.Count > 0 ? _pending.Dequeue() : null;
            exchange = request ?? new Exchange { Ticks = 0 };
            exchange.Response = new ResponseHead
            {
                Status = status,
                Protocol = Text(startLine[..firstSpace]),
                Line = Text(startLine),
                Message = startLine.Length > firstSpace + 4 ? Text(startLine[(firstSpace + 5)..]) : "",
                Headers = headers,
            };
        }

        if (status == 101 || (request?.Method == "CONNECT" && status is >= 200 and < 300))
        {
            direction.State = ParseState.Stopped;
            _requests.State = ParseState.Stopped;
        }
        else if (interim || status is 204 or 304 || request?.Method == "HEAD")
        {
            direction.State = ParseState.Head;
        }
        else if (chunked)
        {
            direction.State = ParseState.ChunkSize;
        }
        else if (hasLength)
        {
            direction.Remaining = contentLength;
            direction.State = contentLength > 0 ? ParseState.Body : ParseState.Head;
        }
        else
        {
            // The body runs to the end of the connection.
            direction.State = ParseState.BodyToClose;
        }

        if (exchange is not null)
        {
            if (direction.State is ParseState.Body or ParseState.BodyToClose or ParseState.ChunkSize && _session.HttpBodyLimit > 0)
            {
                exchange.ResponseBody = new BodyBuffer(_session.HttpBodyLimit);
                direction.Current = exchange;
                direction.Body = exchange.ResponseBody;
            }
            else
            {
                Complete(exchange);
            }
        }

        return true;
    }

    /// <summary>The message whose body this direction was reading ends (fully, cut by a gap, or with the flow).</summary>
    private void EndMessage(Direction direction)
    {
        var exchange = direction.Current;
        direction.Current = null;
        direction.Body = null;
        if (exchange is not null && direction == _responses)
        {
            Complete(exchange);
        }
    }

    private void Complete(Exchange exchange)
    {
        bool hasRequest = exchange.Method is not null;
        var response = exchange.Response;
        ReadOnlyMemory<byte>? responseBody = null;
        if (exchange.ResponseBody is { } raw)
        {
            var (decoded, limited) = HttpBodyDecoder.Decode(raw.Written, ContentEncoding(response?.Headers), _session.HttpBodyLimit);
            responseBody = decoded;
            if (limited || raw.Truncated)
            {
                _session.HttpBodiesTruncated++;
            }
        }

        if (exchange.RequestBody is { Truncated: true })
        {
            _session.HttpBodiesTruncated++;
        }

        _session.AddTransaction(new L7Transaction
        {
            Ticks = exchange.Ticks,
            Http = new HttpFacts
            {
                Method = exchange.Method,
                Host = exchange.Host,
                Uri = exchange.Uri,
                UserAgent = exchange.UserAgent,
                Protocol = exchange.Protocol ?? response?.Protocol,
                StatusCode = response?.Status,
                Headers = hasRequest ? exchange.Headers : response?.Headers,
                IsResponse = !hasRequest,
                RequestLine = exchange.RequestLine,
                ResponseLine = response?.Line,
                StatusMessage = response?.Message,
                ResponseProtocol = response?.Protocol,
                ResponseHeaders = response?.Headers,
                RequestBody = exchange.RequestBody is { Length: > 0 } requestBody ? (ReadOnlyMemory<byte>?)requestBody.Written.ToArray() : null,
                ResponseBody = responseBody is { Length: > 0 } ? responseBody : null,
            },
        });
    }

    private static string? ContentEncoding(List<KeyValuePair<string, string>>? headers)
    {
        if (headers is null)
        {
            return null;
        }

        foreach (var (name, value) in headers)
        {
            if (name.Equals("Content-Encoding", StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }

        return null;
    }

    private static int ReadBody(ReadOnlySpan<byte> data, Direction direction)
    {
        int take = (int)Math.Min(direction.Remaining, data.Length);
        direction.Body?.Append(data[..take]);
        direction.Remaining -= take;
        if (direction.Remaining == 0)
        {
            direction.State = ParseState.Head;
        }

        return take;
    }

    private static int ReadBodyToClose(ReadOnlySpan<byte> data, Direction direction)
    {
        direction.Body?.Append(data);
        return data.Length;
    }

    private static int ParseChunkSize(ReadOnlySpan<byte> data, Direction direction)
    {
        int newline = data.IndexOf((byte)'\n');
        if (newline < 0)
        {
            return data.Length > 1024 ? Fail(direction, data.Length) : 0;
        }

        var line = TrimCr(data[..newline]);
        int extension = line.IndexOf((byte)';');
        if (extension >= 0)
        {
            line = line[..extension];
        }

        line = line.Trim((byte)' ');
        if (line.IsEmpty || line.Length > 15 || !Utf8Parser.TryParse(line, out long size, out int used, 'X') || used != line.Length)
        {
            return Fail(direction, newline + 1);
        }

        if (size == 0)
        {
            direction.State = ParseState.Trailer;
        }
        else
        {
            direction.Remaining = size + 2;
            direction.State = ParseState.ChunkData;
        }

        return newline + 1;
    }

    private static int ReadChunkData(ReadOnlySpan<byte> data, Direction direction)
    {
        int take = (int)Math.Min(direction.Remaining, data.Length);

        // Remaining counts the chunk's closing CRLF too; that is not body.
        int body = (int)Math.Clamp(direction.Remaining - 2, 0, take);
        direction.Body?.Append(data[..body]);
        direction.Remaining -= take;
        if (direction.Remaining == 0)
        {
            direction.State = ParseState.ChunkSize;
        }

        return take;
    }

    private static int ParseTrailer(ReadOnlySpan<byte> data, Direction direction)
    {
        int newline = data.IndexOf((byte)'\n');
        if (newline < 0)
        {
            return data.Length > MaxHeadBytes ? Fail(direction, data.Length) : 0;
        }

        if (TrimCr(data[..newline]).IsEmpty)
        {
            direction.State = ParseState.Head;
        }

        return newline + 1;
    }

    private static int Fail(Direction direction, int consumed)
    {
        direction.State = ParseState.Resync;
        return consumed;
    }

    private static List<KeyValuePair<string, string>> ReadHeaders(ReadOnlySpan<byte> block, out long contentLength, out bool chunked, out bool hasLength)
    {
        contentLength = 0;
        chunked = false;
        hasLength = false;
        var headers = new List<KeyValuePair<string, string>>();
        while (!block.IsEmpty)
        {
            int newline = block.IndexOf((byte)'\n');
            var line = TrimCr(newline < 0 ? block : block[..newline]);
            block = newline < 0 ? [] : block[(newline + 1)..];
            int colon = line.IndexOf((byte)':');
            if (colon <= 0)
            {
                continue;
            }

            var name = line[..colon].Trim((byte)' ');
            var value = line[(colon + 1)..].Trim(" \t"u8);
            if (Ascii.EqualsIgnoreCase(name, "Content-Length"u8))
            {
                hasLength = Utf8Parser.TryParse(value, out contentLength, out _) && contentLength >= 0;
                contentLength = Math.Max(0, contentLength);
            }
            else if (Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8) && value.IndexOf("chunked"u8) >= 0)
            {
                chunked = true;
            }

            if (headers.Count < MaxHeaders)
            {
                headers.Add(new(Text(name), Text(value[..Math.Min(value.Length, MaxHeaderValueChars)])));
            }
        }

        return headers;
    }

    private static bool StartsWithToken(ReadOnlySpan<byte> data)
    {
        int limit = Math.Min(data.Length, 17);
        for (int i = 0; i < limit; i++)
        {
            byte b = data[i];
            if (b == ' ')
            {
                return i > 0;
            }

            if (b is < (byte)'!' or > (byte)'~')
            {
                return false;
            }
        }

        return data.Length < 17;
    }

    private static string MethodName(ReadOnlySpan<byte> token)
    {
        foreach (string method in KnownMethods)
        {
            if (Ascii.Equals(token, method))
            {
                return method;
            }
        }

        return Text(token);
    }

    private static ReadOnlySpan<byte> TrimCr(ReadOnlySpan<byte> line) => line.Length > 0 && line[^1] == '\r' ? line[..^1] : line;

    private static string Text(ReadOnlySpan<byte> bytes) => Encoding.UTF8.GetString(bytes);

    private enum ParseState
    {
        Head,
        Body,
        ChunkSize,
        ChunkData,
        Trailer,
        Resync,
        Stopped,

        /// <summary>A response without length or chunking: its body runs to the end of the connection.</summary>
        BodyToClose,
    }

    private sealed class Direction
    {
        public ParseState State { get; set; }

        public long Remaining { get; set; }

        /// <summary>The exchange whose body this direction is reading, if its body is kept.</summary>
        public Exchange? Current { get; set; }

        public BodyBuffer? Body { get; set; }
    }

    private sealed class ResponseHead
    {
        public int Status { get; init; }

        public required string Protocol { get; init; }

        public required string Line { get; init; }

        public required string Message { get; init; }

        public required List<KeyValuePair<string, string>> Headers { get; init; }
    }

    private sealed class Exchange
    {
        public long Ticks { get; init; }

        public string? Method { get; set; }

        public string? Uri { get; set; }

        public string? Protocol { get; set; }

        public string? Host { get; set; }

        public string? UserAgent { get; set; }

        public List<KeyValuePair<string, string>>? Headers { get; set; }

        public string? RequestLine { get; set; }

        public BodyBuffer? RequestBody { get; set; }

        public ResponseHead? Response { get; set; }

        public BodyBuffer? ResponseBody { get; set; }
    }
}

/// <summary>The first bytes of a message body, up to a limit; what does not fit is only noted.</summary>
internal sealed class BodyBuffer(int limit)
{
    private byte[] _data = [];

    public int Length { get; private set; }

    /// <summary>True when the body had more bytes than the limit.</summary>
    public bool Truncated { get; private set; }

    public ReadOnlySpan<byte> Written => _data.AsSpan(0, Length);

    public void Append(ReadOnlySpan<byte> bytes)
    {
        int room = limit - Length;
        if (bytes.Length > room)
        {
            Truncated = true;
            bytes = bytes[..room];
        }

        if (bytes.IsEmpty)
        {
            return;
        }

        if (Length + bytes.Length > _data.Length)
        {
            Array.Resize(ref _data, Math.Min(limit, Math.Max(Length + bytes.Length, Math.Max(1024, _data.Length * 2))));
        }

        bytes.CopyTo(_data.AsSpan(Length));
        Length += bytes.Length;
    }
}
