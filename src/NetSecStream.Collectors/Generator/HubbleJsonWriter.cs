using System.Buffers.Text;
using System.Text;
using NetSecStream.Core.Events;

namespace NetSecStream.Collectors.Generator;

/// <summary>
/// Renders a <see cref="FlowRecord"/> as one line of Hubble's exporter output (<c>{"flow":{...},"node_name":...,
/// "time":...}</c>): fields in Hubble's protobuf order, zero values omitted as protojson omits them, timestamps in
/// RFC 3339 with nanoseconds and trailing zeros trimmed. Endpoint objects are pre-rendered, so a line costs little
/// more than copying bytes into one reused buffer.
/// </summary>
internal sealed class HubbleJsonWriter
{
    private static readonly byte[][] FlagsJson = new byte[512][];
    private static readonly byte[][] FlagsSummary = new byte[512][];

    private byte[] _buffer = new byte[4096];
    private int _length;

    public byte[] Render(FlowRecord flow)
    {
        _length = 0;
        Span<byte> time = stackalloc byte[40];
        int timeLength = FormatTime(flow.TimeNs, time);
        time = time[..timeLength];

        Raw("{\"flow\":{\"time\":\""u8);
        Raw(time);
        Raw("\",\"verdict\":"u8);
        if (flow.Dropped)
        {
            Raw("\"DROPPED\",\"drop_reason\":133"u8);
        }
        else
        {
            Raw("\"FORWARDED\""u8);
        }

        Raw(",\"IP\":{\"source\":\""u8);
        Raw(flow.Source.IpUtf8);
        Raw("\",\"destination\":\""u8);
        Raw(flow.Destination.IpUtf8);
        Raw("\",\"ipVersion\":\"IPv4\"},\"l4\":{"u8);
        WriteL4(flow);
        Raw("},\"source\":"u8);
        Raw(flow.Source.JsonFor(flow.ObservedAt));
        Raw(",\"destination\":"u8);
        Raw(flow.Destination.JsonFor(flow.ObservedAt));
        Raw(flow.L7 == L7Kind.None ? ",\"Type\":\"L3_L4\",\"node_name\":"u8 : ",\"Type\":\"L7\",\"node_name\":"u8);
        Raw(flow.ObservedAt.NameUtf8);
        if (flow.Source.NamesJson is { } sourceNames)
        {
            Raw(",\"source_names\":"u8);
            Raw(sourceNames);
        }

        if (flow.Destination.NamesJson is { } destinationNames)
        {
            Raw(",\"destination_names\":"u8);
            Raw(destinationNames);
        }

        switch (flow.L7)
        {
            case L7Kind.DnsRequest or L7Kind.DnsResponse:
                WriteDns(flow.Dns!, flow.L7 == L7Kind.DnsResponse);
                break;
            case L7Kind.HttpRequest or L7Kind.HttpResponse:
                WriteHttp(flow.Http!, flow.L7 == L7Kind.HttpResponse);
                break;
        }

        if (flow.IsReply)
        {
            Raw(",\"reply\":true"u8);
        }

        if (flow.Dropped)
        {
            Raw(",\"event_type\":{\"type\":1,\"sub_type\":133}"u8);
        }
        else if (flow.L7 != L7Kind.None)
        {
            Raw(",\"event_type\":{\"type\":129}"u8);
        }
        else if (flow.Point == ObservationPoint.ToEndpoint)
        {
            Raw(",\"event_type\":{\"type\":4}"u8);
        }
        else
        {
            Raw(",\"event_type\":{\"type\":4,\"sub_type\":"u8);
            Number((int)flow.Point);
            Raw("}"u8);
        }

        if (flow.Service is { } service)
        {
            Raw(flow.IsReply ? ",\"source_service\":"u8 : ",\"destination_service\":"u8);
            Raw(service.ServiceJson);
        }

        Raw(flow.Ingress ? ",\"traffic_direction\":\"INGRESS\""u8 : ",\"traffic_direction\":\"EGRESS\""u8);
        if (flow.Dropped)
        {
            Raw(",\"drop_reason_desc\":\"POLICY_DENIED\""u8);
        }
        else if (flow.L7 == L7Kind.None)
        {
            Raw(",\"trace_observation_point\":"u8);
            Raw(flow.Point switch
            {
                ObservationPoint.ToEndpoint => "\"TO_ENDPOINT\""u8,
                ObservationPoint.ToProxy => "\"TO_PROXY\""u8,
                ObservationPoint.ToHost => "\"TO_HOST\""u8,
                ObservationPoint.ToStack => "\"TO_STACK\""u8,
                _ => "\"TO_OVERLAY\""u8,
            });
        }

        Raw(flow.IsReply ? ",\"is_reply\":true,\"Summary\":\""u8 : ",\"is_reply\":false,\"Summary\":\""u8);
        WriteSummary(flow);
        Raw("\"},\"node_name\":"u8);
        Raw(flow.ObservedAt.NameUtf8);
        Raw(",\"time\":\""u8);
        Raw(time);
        Raw("\"}"u8);
        return _buffer.AsSpan(0, _length).ToArray();
    }

    /// <summary>RFC 3339 with up to nine fractional digits, trailing zeros dropped (Go's RFC3339Nano).</summary>
    internal static int FormatTime(long unixNanos, Span<byte> destination)
    {
        long seconds = Math.DivRem(unixNanos, 1_000_000_000L, out long nanos);
        var dt = DateTime.UnixEpoch.AddSeconds(seconds);
        int n = 0;
        Digits(dt.Year, 4, destination, ref n);
        destination[n++] = (byte)'-';
        Digits(dt.Month, 2, destination, ref n);
        destination[n++] = (byte)'-';
        Digits(dt.Day, 2, destination, ref n);
        destination[n++] = (byte)'T';
        Digits(dt.Hour, 2, destination, ref n);
        destination[n++] = (byte)':';
        Digits(dt.Minute, 2, destination, ref n);
        destination[n++] = (byte)':';
        Digits(dt.Second, 2, destination, ref n);
        if (nanos != 0)
        {
            destination[n++] = (byte)'.';
            Digits((int)nanos, 9, destination, ref n);
            while (destination[n - 1] == (byte)'0')
            {
                n--;
            }
        }

        destination[n++] = (byte)'Z';
        return n;
    }

    private static void Digits(int value, int width, Span<byte> destination, ref int n)
    {
        for (int i = width - 1; i >= 0; i--)
        {
            destination[n + i] = (byte)('0' + (value % 10));
            value /= 10;
        }

        n += width;
    }

    private void WriteL4(FlowRecord flow)
    {
        switch (flow.Protocol)
        {
            case 6:
                Raw("\"TCP\":{\"source_port\":"u8);
                Number(flow.SourcePort);
                Raw(",\"destination_port\":"u8);
                Number(flow.DestinationPort);
                if (flow.Flags != TcpFlags.None)
                {
                    Raw(",\"flags\":"u8);
                    Raw(FlagsJsonFor(flow.Flags));
                }

                Raw("}"u8);
                break;
            case 17:
                Raw("\"UDP\":{\"source_port\":"u8);
                Number(flow.SourcePort);
                Raw(",\"destination_port\":"u8);
                Number(flow.DestinationPort);
                Raw("}"u8);
                break;
            default:
                Raw("\"ICMPv4\":{"u8);
                if (flow.IcmpType != 0)
                {
                    Raw("\"type\":"u8);
                    Number(flow.IcmpType);
                }

                if (flow.IcmpCode != 0)
                {
                    Raw(flow.IcmpType != 0 ? ",\"code\":"u8 : "\"code\":"u8);
                    Number(flow.IcmpCode);
                }

                Raw("}"u8);
                break;
        }
    }

    private void WriteDns(DnsExchange dns, bool response)
    {
        Raw(response ? ",\"l7\":{\"type\":\"RESPONSE\",\"dns\":{\"query\":"u8 : ",\"l7\":{\"type\":\"REQUEST\",\"dns\":{\"query\":"u8);
        String(dns.Query);
        if (response)
        {
            if (dns.Ips.Count > 0)
            {
                Raw(",\"ips\":["u8);
                for (int i = 0; i < dns.Ips.Count; i++)
                {
                    if (i > 0)
                    {
                        Raw(","u8);
                    }

                    String(dns.Ips[i]);
                }

                Raw("]"u8);
            }

            if (dns.Ttl != 0)
            {
                Raw(",\"ttl\":"u8);
                Number(dns.Ttl);
            }
        }

        Raw(",\"observation_source\":\"proxy\""u8);
        if (response && dns.Rcode != 0)
        {
            Raw(",\"rcode\":"u8);
            Number(dns.Rcode);
        }

        Raw(",\"qtypes\":["u8);
        String(dns.QueryType);
        Raw("]"u8);
        if (response && dns.AnswerTypes.Count > 0)
        {
            Raw(",\"rrtypes\":["u8);
            for (int i = 0; i < dns.AnswerTypes.Count; i++)
            {
                if (i > 0)
                {
                    Raw(","u8);
                }

                String(dns.AnswerTypes[i]);
            }

            Raw("]"u8);
        }

        Raw("}}"u8);
    }

    private void WriteHttp(HttpExchange http, bool response)
    {
        if (response)
        {
            Raw(",\"l7\":{\"type\":\"RESPONSE\",\"latency_ns\":\""u8);
            Number(http.LatencyNs);
            Raw("\",\"http\":{\"code\":"u8);
            Number(http.Code);
            Raw(",\"method\":"u8);
        }
        else
        {
            Raw(",\"l7\":{\"type\":\"REQUEST\",\"http\":{\"method\":"u8);
        }

        String(http.Method);
        Raw(",\"url\":"u8);
        String(http.Url);
        Raw(",\"protocol\":"u8);
        String(http.Protocol);
        if (http.Headers.Count > 0)
        {
            Raw(",\"headers\":["u8);
            for (int i = 0; i < http.Headers.Count; i++)
            {
                Raw(i == 0 ? "{\"key\":"u8 : ",{\"key\":"u8);
                String(http.Headers[i].Key);
                Raw(",\"value\":"u8);
                String(http.Headers[i].Value);
                Raw("}"u8);
            }

            Raw("]"u8);
        }

        Raw("}}"u8);
    }

    private void WriteSummary(FlowRecord flow)
    {
        switch (flow.L7)
        {
            case L7Kind.DnsRequest:
                Raw("DNS Query "u8);
                Escaped(flow.Dns!.Query);
                Raw(" "u8);
                Escaped(flow.Dns.QueryType);
                return;
            case L7Kind.DnsResponse:
                var dns = flow.Dns!;
                Raw("DNS Answer "u8);
                if (dns.Rcode != 0)
                {
                    Raw("RCode: "u8);
                    Raw(dns.Rcode switch
                    {
                        1 => "Format Error"u8,
                        2 => "Server Failure"u8,
                        3 => "Non-Existent Domain"u8,
                        5 => "Refused"u8,
                        _ => "Not Implemented"u8,
                    });
                }
                else if (dns.Ips.Count > 0)
                {
                    Raw("\\\""u8);
                    for (int i = 0; i < dns.Ips.Count; i++)
                    {
                        if (i > 0)
                        {
                            Raw(","u8);
                        }

                        Escaped(dns.Ips[i]);
                    }

                    Raw("\\\""u8);
                }

                Raw(" TTL: "u8);
                Number(dns.Ttl);
                Raw(" (Proxy "u8);
                Escaped(dns.Query);
                Raw(" "u8);
                Escaped(dns.QueryType);
                Raw(")"u8);
                return;
            case L7Kind.HttpRequest:
                Escaped(flow.Http!.Protocol);
                Raw(" "u8);
                Escaped(flow.Http.Method);
                Raw(" "u8);
                Escaped(flow.Http.Url);
                return;
            case L7Kind.HttpResponse:
                var http = flow.Http!;
                Escaped(http.Protocol);
                Raw(" "u8);
                Number(http.Code);
                Raw(" "u8);
                Number(http.LatencyNs / 1_000_000);
                Raw("ms ("u8);
                Escaped(http.Method);
                Raw(" "u8);
                Escaped(http.Url);
                Raw(")"u8);
                return;
        }

        switch (flow.Protocol)
        {
            case 6:
                Raw(FlagsSummaryFor(flow.Flags));
                break;
            case 17:
                Raw("UDP"u8);
                break;
            default:
                Raw(flow.IcmpType switch
                {
                    8 => "ICMPv4 EchoRequest"u8,
                    0 => "ICMPv4 EchoReply"u8,
                    3 => "ICMPv4 DestinationUnreachable"u8,
                    11 => "ICMPv4 TimeExceeded"u8,
                    _ => "ICMPv4"u8,
                });
                break;
        }
    }

    private static byte[] FlagsJsonFor(TcpFlags flags)
    {
        int key = (int)flags & 0x1FF;
        if (FlagsJson[key] is { } cached)
        {
            return cached;
        }

        // Protobuf field order of flow.TCPFlags.
        (TcpFlags Flag, string Name)[] order =
        [
            (TcpFlags.Fin, "FIN"), (TcpFlags.Syn, "SYN"), (TcpFlags.Rst, "RST"), (TcpFlags.Psh, "PSH"), (TcpFlags.Ack, "ACK"),
            (TcpFlags.Urg, "URG"), (TcpFlags.Ece, "ECE"), (TcpFlags.Cwr, "CWR"), (TcpFlags.Ns, "NS"),
        ];
        string json = "{" + string.Join(",", order.Where(o => flags.HasFlag(o.Flag)).Select(o => "\"" + o.Name + "\":true")) + "}";
        return FlagsJson[key] = Encoding.ASCII.GetBytes(json);
    }

    private static byte[] FlagsSummaryFor(TcpFlags flags)
    {
        int key = (int)flags & 0x1FF;
        if (FlagsSummary[key] is { } cached)
        {
            return cached;
        }

        // The order Hubble lists flags in its summaries ("TCP Flags: SYN, ACK", "TCP Flags: ACK, FIN").
        (TcpFlags Flag, string Name)[] order =
        [
            (TcpFlags.Syn, "SYN"), (TcpFlags.Ack, "ACK"), (TcpFlags.Rst, "RST"), (TcpFlags.Fin, "FIN"), (TcpFlags.Psh, "PSH"),
            (TcpFlags.Urg, "URG"), (TcpFlags.Ece, "ECE"), (TcpFlags.Cwr, "CWR"), (TcpFlags.Ns, "NS"),
        ];
        string summary = "TCP Flags: " + string.Join(", ", order.Where(o => flags.HasFlag(o.Flag)).Select(o => o.Name));
        return FlagsSummary[key] = Encoding.ASCII.GetBytes(summary);
    }

    private void Raw(scoped ReadOnlySpan<byte> bytes)
    {
        Ensure(bytes.Length);
        bytes.CopyTo(_buffer.AsSpan(_length));
        _length += bytes.Length;
    }

    private void Number(long value)
    {
        Ensure(20);
        Utf8Formatter.TryFormat(value, _buffer.AsSpan(_length), out int written);
        _length += written;
    }

    private void String(string value)
    {
        Raw("\""u8);
        Escaped(value);
        Raw("\""u8);
    }

    /// <summary>Writes a string's content with JSON escaping (quotes, backslashes and control characters).</summary>
    private void Escaped(string value)
    {
        Ensure(Encoding.UTF8.GetMaxByteCount(value.Length));
        int start = 0;
        for (int i = 0; i < value.Length; i++)
        {
            char c = value[i];
            if (c is '"' or '\\' or < ' ')
            {
                _length += Encoding.UTF8.GetBytes(value.AsSpan(start, i - start), _buffer.AsSpan(_length));
                Ensure(6);
                _buffer[_length++] = (byte)'\\';
                switch (c)
                {
                    case '"' or '\\':
                        _buffer[_length++] = (byte)c;
                        break;
                    case '\n':
                        _buffer[_length++] = (byte)'n';
                        break;
                    default:
                        _buffer[_length++] = (byte)'u';
                        _buffer[_length++] = (byte)'0';
                        _buffer[_length++] = (byte)'0';
                        _buffer[_length++] = (byte)"0123456789abcdef"[c >> 4];
                        _buffer[_length++] = (byte)"0123456789abcdef"[c & 0xF];
                        break;
                }

                start = i + 1;
                Ensure(Encoding.UTF8.GetMaxByteCount(value.Length - start));
            }
        }

        _length += Encoding.UTF8.GetBytes(value.AsSpan(start), _buffer.AsSpan(_length));
    }

    private void Ensure(int extra)
    {
        if (_length + extra > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + extra));
        }
    }
}
