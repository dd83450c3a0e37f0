using System.Buffers.Binary;
using System.Net;
using NetSecStream.Core.Components;
using NetSecStream.Core.Ecs;
using NetSecStream.Core.Events;
using NetSecStream.Core.Text;

namespace NetSecStream.Core.Wire;

/// <summary>
/// Reads one <see cref="FlowBinary"/> message. Every length and count is checked against what is left of the message
/// before it is used, so a truncated or hostile message is rejected with the field it broke at, never read past its
/// end or allowed to allocate more than its own size. Repeated strings, addresses and whole endpoint blocks (a pod's
/// namespace, labels, workload ...) are shared through the bounded <see cref="FlowBinaryCaches"/>.
/// </summary>
internal ref struct FlowBinaryReader
{
    private readonly ReadOnlySpan<byte> _data;
    private readonly FlowBinaryCaches _caches;
    private int _at;
    private string? _error;

    private FlowBinaryReader(ReadOnlySpan<byte> data, FlowBinaryCaches caches)
    {
        _data = data;
        _caches = caches;
    }

    public static DecodeResult Read(ReadOnlySpan<byte> data, FlowBinaryCaches caches)
    {
        var reader = new FlowBinaryReader(data, caches);
        var flow = reader.ReadFlow();
        return flow is not null && reader._error is null
            ? DecodeResult.Ok(flow)
            : DecodeResult.Fail("invalid netsec binary flow: " + (reader._error ?? "unreadable"));
    }

    private FlowEvent? ReadFlow()
    {
        if (Byte("marker") != FlowBinary.Marker)
        {
            return Fail<FlowEvent>("marker: not a binary flow message");
        }

        byte version = Byte("version");
        if (_error is null && (version < FlowBinary.MinReadVersion || version > FlowBinary.Version))
        {
            return Fail<FlowEvent>($"version: unsupported version {version} (this build reads {FlowBinary.MinReadVersion} to {FlowBinary.Version})");
        }

        ulong fields = VarUInt("fields");
        if (fields >> (version == 1 ? FlowBinary.Version1FieldCount : FlowBinary.FieldCount) != 0)
        {
            return Fail<FlowEvent>("fields: unknown field bits");
        }

        long ticks = Int64("timestamp");
        if (_error is null && (ticks < DateTimeOffset.MinValue.UtcTicks || ticks > DateTimeOffset.MaxValue.UtcTicks))
        {
            return Fail<FlowEvent>("timestamp: out of range");
        }

        byte protocol = Byte("ip_protocol");
        byte direction = Byte("direction");
        byte verdict = Byte("verdict");
        ulong tcpFlags = VarUInt("tcp_flags");
        if (_error is null && (direction > (byte)TrafficDirection.Egress || verdict > (byte)DataplaneVerdict.Translated || tcpFlags > 0x1FF))
        {
            return Fail<FlowEvent>("direction, verdict or tcp_flags: out of range");
        }

        var source = ReadEndpoint("source");
        var destination = ReadEndpoint("destination");
        string collector = String("collector_id") ?? "";
        bool? isReply = null;
        if (Has(fields, FlowBinary.Field.IsReply))
        {
            byte value = Byte("is_reply");
            if (value > 1)
            {
                Fail<object>("is_reply: not 0 or 1");
            }

            isReply = value == 1;
        }

        long? bytes = Has(fields, FlowBinary.Field.Bytes) ? VarInt("bytes") : null;
        long? packets = Has(fields, FlowBinary.Field.Packets) ? VarInt("packets") : null;
        byte? icmpType = Has(fields, FlowBinary.Field.IcmpType) ? Byte("icmp_type") : null;
        byte? icmpCode = Has(fields, FlowBinary.Field.IcmpCode) ? Byte("icmp_code") : null;
        var dns = Has(fields, FlowBinary.Field.Dns) ? ReadDns() : null;
        var http = Has(fields, FlowBinary.Field.Http) ? ReadHttp() : null;
        var tls = Has(fields, FlowBinary.Field.Tls) ? ReadTls() : null;
        PayloadBuffers? payload = null;
        if (Has(fields, FlowBinary.Field.Payload))
        {
            var toServer = BytesField("payload.to_server");
            var toClient = BytesField("payload.to_client");
            payload = new PayloadBuffers { ToServer = toServer.ToArray(), ToClient = toClient.ToArray() };
        }

        string? node = Has(fields, FlowBinary.Field.NodeName) ? String("node_name") : null;
        string? cluster = Has(fields, FlowBinary.Field.Cluster) ? String("cluster") : null;
        string? communityId = Has(fields, FlowBinary.Field.CommunityId) ? String("community_id", _caches.CommunityIds) : null;
        string? summary = Has(fields, FlowBinary.Field.Summary) ? String("summary") : null;
        byte kind = Has(fields, FlowBinary.Field.Kind) ? Byte("kind") : (byte)0;
        if (_error is null && (kind == 0 || kind > (byte)FlowEventKind.Summary) && Has(fields, FlowBinary.Field.Kind))
        {
            return Fail<FlowEvent>("kind: out of range");
        }

        long? packetNumber = Has(fields, FlowBinary.Field.PacketNumber) ? VarInt("packet_number") : null;
        bool? established = null;
        if (Has(fields, FlowBinary.Field.Established))
        {
            byte value = Byte("established");
            if (value > 1)
            {
                Fail<object>("established: not 0 or 1");
            }

            established = value == 1;
        }

        string? appProtocol = Has(fields, FlowBinary.Field.AppProtocol) ? String("app_protocol", _caches.Strings) : null;
        var ssh = Has(fields, FlowBinary.Field.Ssh) ? ReadSsh() : null;
        if (_error is not null || source is null || destination is null)
        {
            return null;
        }

        if (_at != _data.Length)
        {
            return Fail<FlowEvent>($"{_data.Length - _at} bytes after the end of the flow");
        }

        return new FlowEvent
        {
            Timestamp = new DateTimeOffset(ticks, TimeSpan.Zero),
            Source = source,
            Destination = destination,
            IpProtocol = protocol,
            Direction = (TrafficDirection)direction,
            Verdict = (DataplaneVerdict)verdict,
            IsReply = isReply,
            Bytes = bytes,
            Packets = packets,
            TcpFlags = (TcpFlags)tcpFlags,
            IcmpType = icmpType,
            IcmpCode = icmpCode,
            Dns = dns,
            Http = http,
            Tls = tls,
            Ssh = ssh,
            Payload = payload,
            CollectorId = collector,
            NodeName = node,
            Cluster = cluster,
            CommunityId = communityId,
            Summary = summary,
            Kind = (FlowEventKind)kind,
            PacketNumber = packetNumber,
            Established = established,
            AppProtocol = appProtocol,
        };
    }

    private FlowEndpoint? ReadEndpoint(string side)
    {
        int length = Byte(side + ".ip");
        if (_error is not null)
        {
            return null;
        }

        if (length is not (4 or 16) || _data.Length - _at < length)
        {
            return Fail<FlowEndpoint>(side + ".ip: not a 4- or 16-byte address");
        }

        var addressBytes = _data.Slice(_at, length);
        _at += length;
        var address = _caches.Addresses.Get(addressBytes, out int hash);
        if (address is null)
        {
            address = new IPAddress(addressBytes);
            _caches.Addresses.Add(addressBytes, hash, address);
        }

        ulong port = VarUInt(side + ".port");
        if (port > ushort.MaxValue)
        {
            return Fail<FlowEndpoint>(side + ".port: out of range");
        }

        var block = BytesField(side + ".facts");
        if (_error is not null)
        {
            return null;
        }

        var facts = NetSecEndpointFacts.None;
        if (!block.IsEmpty)
        {
            facts = _caches.Endpoints.Get(block, out int blockHash)!;
            if (facts is null)
            {
                var inner = new FlowBinaryReader(block, _caches);
                facts = inner.ReadFacts(side);
                if (inner._error is not null || facts is null)
                {
                    return Fail<FlowEndpoint>(inner._error ?? side + ".facts: unreadable");
                }

                _caches.Endpoints.Add(block, blockHash, facts);
            }
        }

        return new FlowEndpoint
        {
            Ip = address,
            Port = (ushort)port,
            Namespace = facts.Namespace,
            Pod = facts.Pod,
            Workload = facts.Workload,
            Labels = facts.Labels,
            Identity = facts.Identity,
            ReservedEntity = facts.ReservedEntity,
            DnsNames = facts.DnsNames,
        };
    }

    private NetSecEndpointFacts? ReadFacts(string side)
    {
        ulong bits = VarUInt(side + ".facts");
        if (bits >> 7 != 0)
        {
            return Fail<NetSecEndpointFacts>(side + ".facts: unknown field bits");
        }

        string? ns = Has(bits, 0) ? String(side + ".namespace") : null;
        string? pod = Has(bits, 1) ? String(side + ".pod") : null;
        string? workload = Has(bits, 2) ? String(side + ".workload") : null;
        Dictionary<string, string>? labels = null;
        if (Has(bits, 3))
        {
            int count = Count(side + ".labels", minEntryBytes: 2);
            labels = new Dictionary<string, string>(count, StringComparer.Ordinal);
            for (int i = 0; i < count && _error is null; i++)
            {
                string? key = String(side + ".labels");
                string? value = String(side + ".labels");
                if (key is not null && value is not null)
                {
                    labels[key] = value;
                }
            }
        }

        uint? identity = null;
        if (Has(bits, 4))
        {
            ulong value = VarUInt(side + ".identity");
            if (value > uint.MaxValue)
            {
                Fail<object>(side + ".identity: out of range");
            }

            identity = (uint)value;
        }

        string? reserved = Has(bits, 5) ? String(side + ".reserved_entity") : null;
        var names = Has(bits, 6) ? StringList(side + ".dns_names") : null;
        if (_at != _data.Length && _error is null)
        {
            return Fail<NetSecEndpointFacts>(side + ".facts: trailing bytes");
        }

        return _error is not null ? null : new NetSecEndpointFacts
        {
            Namespace = ns,
            Pod = pod,
            Workload = workload,
            Labels = labels,
            Identity = identity,
            ReservedEntity = reserved,
            DnsNames = names,
        };
    }

    private DnsFacts? ReadDns()
    {
        ulong bits = VarUInt("dns");
        if (bits >> 6 != 0)
        {
            return Fail<DnsFacts>("dns: unknown field bits");
        }

        string? query = Has(bits, 0) ? String("dns.query") : null;
        var types = Has(bits, 1) ? StringList("dns.query_types") : null;
        int? rcode = Has(bits, 2) ? Int32("dns.rcode") : null;
        var answers = Has(bits, 3) ? StringList("dns.answers") : null;
        int? opcode = Has(bits, 5) ? Int32("dns.opcode") : null;
        if (opcode is < 0 or > 15)
        {
            return Fail<DnsFacts>("dns.opcode: out of range");
        }

        return new DnsFacts { Query = query, QueryTypes = types, Rcode = rcode, Answers = answers, IsResponse = Has(bits, 4), Opcode = opcode };
    }

    private HttpFacts? ReadHttp()
    {
        ulong bits = VarUInt("http");
        if (bits >> 16 != 0)
        {
            return Fail<HttpFacts>("http: unknown field bits");
        }

        string? method = Has(bits, 0) ? String("http.method") : null;
        string? host = Has(bits, 1) ? String("http.host") : null;
        string? uri = Has(bits, 2) ? String("http.uri") : null;
        string? url = Has(bits, 3) ? String("http.url") : null;
        string? agent = Has(bits, 4) ? String("http.user_agent") : null;
        int? status = Has(bits, 5) ? Int32("http.status_code") : null;
        string? protocol = Has(bits, 6) ? String("http.protocol") : null;
        var headers = Has(bits, 7) ? Headers("http.headers") : null;
        string? requestLine = Has(bits, 9) ? String("http.request_line") : null;
        string? responseLine = Has(bits, 10) ? String("http.response_line") : null;
        string? statusMessage = Has(bits, 11) ? String("http.status_message") : null;
        string? responseProtocol = Has(bits, 12) ? String("http.response_protocol") : null;
        var responseHeaders = Has(bits, 13) ? Headers("http.response_headers") : null;
        ReadOnlyMemory<byte>? requestBody = Has(bits, 14) ? (ReadOnlyMemory<byte>?)BytesField("http.request_body").ToArray() : null;
        ReadOnlyMemory<byte>? responseBody = Has(bits, 15) ? (ReadOnlyMemory<byte>?)BytesField("http.response_body").ToArray() : null;

        return new HttpFacts
        {
            Method = method,
            Host = host,
            Uri = uri,
            Url = url,
            UserAgent = agent,
            StatusCode = status,
            Protocol = protocol,
            Headers = headers,
            IsResponse = Has(bits, 8),
            RequestLine = requestLine,
            ResponseLine = responseLine,
            StatusMessage = statusMessage,
            ResponseProtocol = responseProtocol,
            ResponseHeaders = responseHeaders,
            RequestBody = requestBody,
            ResponseBody = responseBody,
        };
    }

    private KeyValuePair<string, string>[]? Headers(string field)
    {
        // A client sends the same header block on every request: look the block's bytes up before decoding it.
        int start = _at;
        int end = SkipStringPairs(start);
        if (end > start)
        {
            var block = _data[start..end];
            var cached = _caches.HeaderLists.Get(block, out int hash);
            if (cached is not null)
            {
                _at = end;
                return cached;
            }

            var decoded = DecodeHeaders(field);
            if (decoded is not null && _error is null && _at == end)
            {
                _caches.HeaderLists.Add(block, hash, decoded);
            }

            return decoded;
        }

        return DecodeHeaders(field);
    }

    /// <summary>Where a count-prefixed list of name/value strings starting at <paramref name="at"/> ends; -1 when it is malformed.</summary>
    private readonly int SkipStringPairs(int at)
    {
        if (!TryVarUInt(ref at, out ulong count) || count > FlowBinary.MaxListEntries)
        {
            return -1;
        }

        for (ulong i = 0; i < count * 2; i++)
        {
            if (!TryVarUInt(ref at, out ulong length) || length > (ulong)(_data.Length - at))
            {
                return -1;
            }

            at += (int)length;
        }

        return at;
    }

    private readonly bool TryVarUInt(ref int at, out ulong value)
    {
        value = 0;
        for (int shift = 0; shift < 64 && at < _data.Length; shift += 7)
        {
            byte b = _data[at++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return true;
            }
        }

        return false;
    }

    private KeyValuePair<string, string>[]? DecodeHeaders(string field)
    {
        int count = Count(field, minEntryBytes: 2);
        var headers = new KeyValuePair<string, string>[count];
        for (int i = 0; i < count && _error is null; i++)
        {
            string? name = String(field);
            string? value = String(field);
            if (name is not null && value is not null)
            {
                headers[i] = new(name, value);
            }
        }

        return _error is null ? headers : null;
    }

    private SshFacts? ReadSsh()
    {
        ulong bits = VarUInt("ssh");
        if (bits >> 4 != 0)
        {
            return Fail<SshFacts>("ssh: unknown field bits");
        }

        return new SshFacts
        {
            ClientProto = Has(bits, 0) ? String("ssh.client_proto") : null,
            ClientSoftware = Has(bits, 1) ? String("ssh.client_software") : null,
            ServerProto = Has(bits, 2) ? String("ssh.server_proto") : null,
            ServerSoftware = Has(bits, 3) ? String("ssh.server_software") : null,
        };
    }

    private List<TlsCertificate>? ReadCertificates()
    {
        // Each certificate takes at least its bits and an empty DER length.
        int count = Count("tls.certificates", minEntryBytes: 2);
        var certificates = new List<TlsCertificate>(count);
        for (int i = 0; i < count && _error is null; i++)
        {
            ulong bits = VarUInt("tls.certificates");
            if (bits >> 7 != 0)
            {
                return Fail<List<TlsCertificate>>("tls.certificates: unknown field bits");
            }

            byte[] der = BytesField("tls.certificates.der").ToArray();
            string? subject = Has(bits, 0) ? String("tls.certificates.subject") : null;
            string? issuer = Has(bits, 1) ? String("tls.certificates.issuer") : null;
            string? serial = Has(bits, 2) ? String("tls.certificates.serial") : null;
            string? sha1 = Has(bits, 3) ? String("tls.certificates.sha1") : null;
            var names = Has(bits, 4) ? StringList("tls.certificates.subject_alt_names") : null;
            DateTimeOffset? notBefore = Has(bits, 5) ? Time("tls.certificates.not_before") : null;
            DateTimeOffset? notAfter = Has(bits, 6) ? Time("tls.certificates.not_after") : null;
            certificates.Add(new TlsCertificate
            {
                Der = der,
                Subject = subject,
                Issuer = issuer,
                Serial = serial,
                Sha1Fingerprint = sha1,
                SubjectAltNames = names,
                NotBefore = notBefore,
                NotAfter = notAfter,
            });
        }

        return _error is null ? certificates : null;
    }

    private DateTimeOffset? Time(string field)
    {
        long ticks = Int64(field);
        if (ticks < DateTimeOffset.MinValue.UtcTicks || ticks > DateTimeOffset.MaxValue.UtcTicks)
        {
            Fail<object>(field + ": out of range");
            return null;
        }

        return new DateTimeOffset(ticks, TimeSpan.Zero);
    }

    private TlsFacts? ReadTls()
    {
        ulong bits = VarUInt("tls");
        if (bits >> 6 != 0)
        {
            return Fail<TlsFacts>("tls: unknown field bits");
        }

        return new TlsFacts
        {
            Sni = Has(bits, 0) ? String("tls.sni") : null,
            Version = Has(bits, 1) ? String("tls.version") : null,
            Ja3 = Has(bits, 2) ? String("tls.ja3") : null,
            ClientAlpn = Has(bits, 3) ? StringList("tls.client_alpn") : null,
            ServerAlpn = Has(bits, 4) ? StringList("tls.server_alpn") : null,
            Certificates = Has(bits, 5) ? ReadCertificates() : null,
        };
    }

    private static bool Has(ulong bits, FlowBinary.Field field) => (bits & (1UL << (int)field)) != 0;

    private static bool Has(ulong bits, int bit) => (bits & (1UL << bit)) != 0;

    private byte Byte(string field)
    {
        if (_error is not null)
        {
            return 0;
        }

        if (_at >= _data.Length)
        {
            Fail<object>(field + ": message ends early");
            return 0;
        }

        return _data[_at++];
    }

    private long Int64(string field)
    {
        if (_error is not null)
        {
            return 0;
        }

        if (_data.Length - _at < 8)
        {
            Fail<object>(field + ": message ends early");
            return 0;
        }

        long value = BinaryPrimitives.ReadInt64LittleEndian(_data[_at..]);
        _at += 8;
        return value;
    }

    private ulong VarUInt(string field)
    {
        if (_error is not null)
        {
            return 0;
        }

        ulong value = 0;
        for (int shift = 0; shift < 70; shift += 7)
        {
            if (_at >= _data.Length)
            {
                Fail<object>(field + ": message ends early");
                return 0;
            }

            byte b = _data[_at++];
            if (shift == 63 && b > 1)
            {
                break;
            }

            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }

        Fail<object>(field + ": varint too long");
        return 0;
    }

    private long VarInt(string field)
    {
        ulong raw = VarUInt(field);
        return (long)(raw >> 1) ^ -(long)(raw & 1);
    }

    private int Int32(string field)
    {
        long value = VarInt(field);
        if (value is < int.MinValue or > int.MaxValue)
        {
            Fail<object>(field + ": out of range");
            return 0;
        }

        return (int)value;
    }

    /// <summary>A list's entry count, rejected when the rest of the message could not hold that many entries.</summary>
    private int Count(string field, int minEntryBytes)
    {
        ulong count = VarUInt(field);
        if (_error is null && (count > FlowBinary.MaxListEntries || count * (ulong)minEntryBytes > (ulong)(_data.Length - _at)))
        {
            Fail<object>(field + ": entry count exceeds the message");
            return 0;
        }

        return (int)count;
    }

    private ReadOnlySpan<byte> BytesField(string field)
    {
        ulong length = VarUInt(field);
        if (_error is not null)
        {
            return default;
        }

        if (length > (ulong)(_data.Length - _at))
        {
            Fail<object>(field + ": length exceeds the message");
            return default;
        }

        var bytes = _data.Slice(_at, (int)length);
        _at += (int)length;
        return bytes;
    }

    private string? String(string field) => String(field, _caches.Strings);

    private string? String(string field, Utf8StringTable table)
    {
        var bytes = BytesField(field);
        if (_error is not null)
        {
            return null;
        }

        if (!table.TryGet(bytes, out string? value))
        {
            return Fail<string>(field + ": not valid UTF-8");
        }

        return value;
    }

    private List<string>? StringList(string field)
    {
        int count = Count(field, minEntryBytes: 1);
        var list = new List<string>(count);
        for (int i = 0; i < count && _error is null; i++)
        {
            if (String(field) is { } value)
            {
                list.Add(value);
            }
        }

        return _error is null ? list : null;
    }

    private T? Fail<T>(string error)
        where T : class
    {
        _error ??= error;
        return null;
    }
}

/// <summary>The bounded tables one binary reader shares between the messages it reads.</summary>
internal sealed class FlowBinaryCaches(int capacity)
{
    public Utf8StringTable Strings { get; } = new(capacity);

    public Utf8StringTable CommunityIds { get; } = new(capacity, maxLength: 64);

    public Utf8ValueCache<IPAddress> Addresses { get; } = new(capacity, maxKeyLength: 16);

    /// <summary>Endpoint fact blocks (namespace, pod, labels ...) by their bytes; at most capacity / 8 keys of 4 KiB.</summary>
    public Utf8ValueCache<NetSecEndpointFacts> Endpoints { get; } = new(capacity / 8, maxKeyLength: 4096);

    /// <summary>HTTP header lists by their encoded bytes; shared read-only between the flows that carry them.</summary>
    public Utf8ValueCache<KeyValuePair<string, string>[]> HeaderLists { get; } = new(capacity / 8, maxKeyLength: 2048);
}
