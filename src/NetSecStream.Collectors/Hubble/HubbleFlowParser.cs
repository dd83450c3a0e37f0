using System.Buffers.Binary;
using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using NetSecStream.Core.Events;
using NetSecStream.Core.Text;
using static NetSecStream.Core.Text.JsonText;

namespace NetSecStream.Collectors.Hubble;

/// <summary>Why a record was rejected; the metric reason tag of <see cref="HubbleFlowDecoder"/>.</summary>
internal enum HubbleDecodeFailure
{
    None = 0,
    InvalidJson,
    Oversized,
    NotAFlow,
    MissingField,
    InvalidValue,
}

/// <summary>The Kubernetes facts of one flow endpoint, gathered while its JSON object is read.</summary>
internal struct EndpointFacts
{
    public uint? Identity;
    public string? Namespace;
    public string? Pod;
    public string? WorkloadFromPod;
    public string? Workload;
    public HubbleLabelSet? Labels;
    public IReadOnlyList<string>? DnsNames;
}

/// <summary>What a Cilium label list says, parsed once per distinct list and shared by the flows that carry it.</summary>
internal sealed class HubbleLabelSet(IReadOnlyDictionary<string, string>? labels, string? reservedEntity, string? podNamespace)
{
    /// <summary>The <c>k8s:</c> labels without their prefix; null when there are none.</summary>
    public IReadOnlyDictionary<string, string>? Labels { get; } = labels;

    /// <summary>The first <c>reserved:</c> label's name (<c>world</c>, <c>host</c>, <c>remote-node</c> ...).</summary>
    public string? ReservedEntity { get; } = reservedEntity;

    /// <summary>The <c>io.kubernetes.pod.namespace</c> label, for endpoints whose namespace field is absent.</summary>
    public string? PodNamespace { get; } = podNamespace;
}

/// <summary>The bounded tables one decoder shares between all the records it decodes.</summary>
internal sealed class HubbleDecoderCaches(int capacity)
{
    public Utf8StringInterner Strings { get; } = new(capacity);

    public Utf8ValueCache<IPAddress> Addresses { get; } = new(capacity, maxKeyLength: 64);

    // Key lengths are capped so the worst case stays a few MiB: typical label lists are 300-700 bytes.
    public Utf8ValueCache<HubbleLabelSet> LabelSets { get; } = new(capacity / 4, maxKeyLength: 4 * 1024);

    public Utf8ValueCache<IReadOnlyList<string>> Lists { get; } = new(capacity / 4, maxKeyLength: 1024);

    /// <summary>Community IDs by exact tuple: a connection yields many flow events, and each id costs a SHA-1.</summary>
    public Utf8ValueCache<string> CommunityIds { get; } = new(capacity, maxKeyLength: 40);
}

/// <summary>
/// Reads one Hubble flow record with <see cref="Utf8JsonReader"/> in a single forward pass, accepting the
/// <c>GetFlowsResponse</c> form (<c>{"flow":{...},"node_name":...,"time":...}</c>) and the bare flow object.
/// Field names follow Cilium's <c>flow.proto</c>; protobuf JSON's lowerCamelCase spellings are accepted too.
/// Semantic errors are reported through <see cref="Error"/>; malformed JSON surfaces as <see cref="JsonException"/>.
/// </summary>
internal ref struct HubbleFlowParser
{
    public const int NameScratchBytes = 128;
    public const int ValueScratchBytes = 1024;
    public const int LowerScratchBytes = 256;
    public const int ScratchBytes = NameScratchBytes + ValueScratchBytes + LowerScratchBytes;

    private const int L7Response = 2;

    private readonly ReadOnlySpan<byte> _input;
    private readonly Span<byte> _nameScratch;
    private readonly Span<byte> _valueScratch;
    private readonly Span<byte> _lowerScratch;
    private readonly HubbleDecoderCaches _caches;
    private Utf8JsonReader _reader;

    private bool _sawFlowObject;
    private bool _sawFlowField;
    private string? _nonFlowEvent;
    private DateTimeOffset? _time;
    private DateTimeOffset? _outerTime;
    private string? _nodeName;
    private string? _outerNodeName;
    private DataplaneVerdict _verdict;
    private TrafficDirection _direction;
    private bool? _isReply;
    private bool? _reply;
    private string? _summary;

    private bool _sawIp;
    private IPAddress? _sourceIp;
    private IPAddress? _destinationIp;
    private byte _protocol;
    private ushort _sourcePort;
    private ushort _destinationPort;
    private TcpFlags _tcpFlags;
    private byte? _icmpType;
    private byte? _icmpCode;
    private EndpointFacts _source;
    private EndpointFacts _destination;

    private int _l7Type;
    private bool _hasDns;
    private string? _dnsQuery;
    private IReadOnlyList<string>? _dnsQueryTypes;
    private IReadOnlyList<string>? _dnsAnswers;
    private uint? _dnsRcode;
    private bool _hasHttp;
    private uint _httpCode;
    private string? _httpMethod;
    private string? _httpUrl;
    private string? _httpUrlHost;
    private string? _httpUri;
    private string? _httpProtocol;
    private string? _httpHostHeader;
    private string? _httpUserAgent;
    private List<KeyValuePair<string, string>>? _httpHeaders;

    public HubbleFlowParser(ReadOnlySpan<byte> input, Span<byte> scratch, HubbleDecoderCaches caches)
    {
        _input = input;
        _nameScratch = scratch[..NameScratchBytes];
        _valueScratch = scratch.Slice(NameScratchBytes, ValueScratchBytes);
        _lowerScratch = scratch.Slice(NameScratchBytes + ValueScratchBytes, LowerScratchBytes);
        _caches = caches;
        _reader = new Utf8JsonReader(input, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
    }

    public string? Error { get; private set; }

    public HubbleDecodeFailure Failure { get; private set; }

    /// <summary>Parses the record; null with <see cref="Error"/> set when it is not a usable flow.</summary>
    public FlowEvent? Parse(string collectorId, string? cluster)
    {
        Read();
        if (_reader.TokenType != JsonTokenType.StartObject)
        {
            Fail(HubbleDecodeFailure.NotAFlow, $"expected a JSON object, got {Describe(_reader.TokenType)}");
            return null;
        }

        while (true)
        {
            Read();
            if (_reader.TokenType == JsonTokenType.EndObject)
            {
                break;
            }

            var name = PropertyName();
            Read();
            if (Is(name, "flow"u8))
            {
                if (!ParseFlowObject())
                {
                    return null;
                }
            }
            else if (IsNonFlowEvent(name))
            {
                _nonFlowEvent ??= Encoding.UTF8.GetString(name);
                _reader.Skip();
            }
            else if (!ParseFlowField(name, topLevel: true))
            {
                return null;
            }
        }

        // Anything but whitespace after the object makes Read throw ("invalid after a single JSON value").
        if (_reader.Read())
        {
            throw new JsonException($"unexpected data after the flow object at byte {_reader.TokenStartIndex}");
        }

        return Build(collectorId, cluster);
    }

    private bool ParseFlowObject()
    {
        if (_reader.TokenType == JsonTokenType.Null)
        {
            return true;
        }

        if (_reader.TokenType != JsonTokenType.StartObject)
        {
            return WrongType("", "flow", "an object");
        }

        _sawFlowObject = true;
        while (true)
        {
            Read();
            if (_reader.TokenType == JsonTokenType.EndObject)
            {
                return true;
            }

            var name = PropertyName();
            Read();
            if (!ParseFlowField(name, topLevel: false))
            {
                return false;
            }
        }
    }

    /// <summary>One field of a flow; at the top level of a GetFlowsResponse, time and node_name are the envelope's.</summary>
    private bool ParseFlowField(ReadOnlySpan<byte> name, bool topLevel)
    {
        if (Is(name, "time"u8))
        {
            if (!ReadTime(topLevel ? "" : "flow", "time", out var time))
            {
                return false;
            }

            if (topLevel)
            {
                _outerTime = time;
            }
            else
            {
                _time = time;
            }

            return true;
        }

        if (Is(name, "node_name"u8) || Is(name, "nodeName"u8))
        {
            if (!ReadString(topLevel ? "" : "flow", "node_name", out string? node))
            {
                return false;
            }

            if (topLevel)
            {
                _outerNodeName = node;
            }
            else
            {
                _nodeName = node;
            }

            return true;
        }

        bool sawFlowFieldBefore = _sawFlowField;
        _sawFlowField = true;
        if (Is(name, "IP"u8))
        {
            return ParseIp();
        }

        if (Is(name, "l4"u8))
        {
            return ParseL4();
        }

        if (Is(name, "source"u8))
        {
            return ParseEndpoint(ref _source, "flow.source", "source");
        }

        if (Is(name, "destination"u8))
        {
            return ParseEndpoint(ref _destination, "flow.destination", "destination");
        }

        if (Is(name, "verdict"u8))
        {
            return ReadVerdict();
        }

        if (Is(name, "traffic_direction"u8) || Is(name, "trafficDirection"u8))
        {
            return ReadDirection();
        }

        if (Is(name, "is_reply"u8) || Is(name, "isReply"u8))
        {
            return ReadBool("flow", "is_reply", out _isReply);
        }

        if (Is(name, "reply"u8))
        {
            return ReadBool("flow", "reply", out _reply);
        }

        if (Is(name, "Summary"u8) || Is(name, "summary"u8))
        {
            return ReadString("flow", "Summary", out _summary);
        }

        if (Is(name, "l7"u8))
        {
            return ParseL7();
        }

        if (Is(name, "source_names"u8) || Is(name, "sourceNames"u8))
        {
            return ReadStringList("flow", "source_names", out _source.DnsNames);
        }

        if (Is(name, "destination_names"u8) || Is(name, "destinationNames"u8))
        {
            return ReadStringList("flow", "destination_names", out _destination.DnsNames);
        }

        _sawFlowField = sawFlowFieldBefore;
        _reader.Skip();
        return true;
    }

    private bool ParseIp()
    {
        if (!ExpectObject("flow", "IP", out bool present))
        {
            return false;
        }

        if (!present)
        {
            return true;
        }

        _sawIp = true;
        while (true)
        {
            Read();
            if (_reader.TokenType == JsonTokenType.EndObject)
            {
                return true;
            }

            var name = PropertyName();
            Read();
            if (Is(name, "source"u8))
            {
                if (!ReadAddress("source", out _sourceIp))
                {
                    return false;
                }
            }
            else if (Is(name, "destination"u8))
            {
                if (!ReadAddress("destination", out _destinationIp))
                {
                    return false;
                }
            }
            else
            {
                _reader.Skip();
            }
        }
    }

    private bool ReadAddress(string field, out IPAddress? address)
    {
        address = null;
        if (_reader.TokenType == JsonTokenType.Null)
        {
            return true;
        }

        if (_reader.TokenType != JsonTokenType.String)
        {
            return WrongType("flow.IP", field, "a string");
        }

        var text = StringBytes();
        address = _caches.Addresses.Get(text, out int hash);
        if (address is not null)
        {
            return true;
        }

        if (!TryParseAddress(text, out address))
        {
            return Fail(HubbleDecodeFailure.InvalidValue, $"flow.IP.{field} '{Quote(text)}' is not an IP address");
        }

        _caches.Addresses.Add(text, hash, address);
        return true;
    }

    private bool ParseL4()
    {
        if (!ExpectObject("flow", "l4", out bool present))
        {
            return false;
        }

        while (present)
        {
            Read();
            if (_reader.TokenType == JsonTokenType.EndObject)
            {
                break;
            }

            var name = PropertyName();
            Read();
            bool ok = true;
            if (Is(name, "TCP"u8))
            {
                ok = ParsePorts("flow.l4.TCP", "TCP", 6, withFlags: true);
            }
            else if (Is(name, "UDP"u8))
            {
                ok = ParsePorts("flow.l4.UDP", "UDP", 17, withFlags: false);
            }
            else if (Is(name, "ICMPv4"u8))
            {
                ok = ParseIcmp("flow.l4.ICMPv4", "ICMPv4", 1);
            }
            else if (Is(name, "ICMPv6"u8))
            {
                ok = ParseIcmp("flow.l4.ICMPv6", "ICMPv6", 58);
            }
            else if (Is(name, "SCTP"u8))
            {
                ok = ParsePorts("flow.l4.SCTP", "SCTP", 132, withFlags: false);
            }
            else
            {
                _reader.Skip();
            }

            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    private bool ParsePorts(string prefix, string field, byte protocol, bool withFlags)
    {
        if (!ExpectObject("flow.l4", field, out bool present))
        {
            return false;
        }

        if (!present)
        {
            return true;
        }

        _protocol = protocol;
        while (true)
        {
            Read();
            if (_reader.TokenType == JsonTokenType.EndObject)
            {
                return true;
            }

            var name = PropertyName();
            Read();
            bool ok = true;
            if (Is(name, "source_port"u8) || Is(name, "sourcePort"u8))
            {
                ok = ReadPort(prefix, "source_port", out _sourcePort);
            }
            else if (Is(name, "destination_port"u8) || Is(name, "destinationPort"u8))
            {
                ok = ReadPort(prefix, "destination_port", out _destinationPort);
            }
            else if (withFlags && Is(name, "flags"u8))
            {
                ok = ParseTcpFlags(prefix);
            }
            else
            {
                _reader.Skip();
            }

            if (!ok)
            {
                return false;
            }
        }
    }

    private bool ReadPort(string prefix, string field, out ushort port)
    {
        port = 0;
        if (!ReadUInt32(prefix, field, out uint value))
        {
            return false;
        }

        if (value > ushort.MaxValue)
        {
            return Fail(HubbleDecodeFailure.InvalidValue, $"{prefix}.{field} {value} is out of range (0-65535)");
        }

        port = (ushort)value;
        return true;
    }

    private bool ParseTcpFlags(string prefix)
    {
        if (!ExpectObject(prefix, "flags", out bool present))
        {
            return false;
        }

        while (present)
        {
            Read();
            if (_reader.TokenType == JsonTokenType.EndObject)
            {
                break;
            }

            var flag = TcpFlagFromName(PropertyName());
            Read();
            if (flag == TcpFlags.None)
            {
                _reader.Skip();
                continue;
            }

            if (_reader.TokenType == JsonTokenType.True)
            {
                _tcpFlags |= flag;
            }
            else if (_reader.TokenType is not (JsonTokenType.False or JsonTokenType.Null))
            {
                return WrongType(prefix + ".flags", flag.ToString().ToUpperInvariant(), "true or false");
            }
        }

        return true;
    }

    private bool ParseIcmp(string prefix, string field, byte protocol)
    {
        if (!ExpectObject("flow.l4", field, out bool present))
        {
            return false;
        }

        if (!present)
        {
            return true;
        }

        // Protobuf JSON leaves out zero values, so {} is type 0 code 0 (an echo reply).
        _protocol = protocol;
        _icmpType = 0;
        _icmpCode = 0;
        while (true)
        {
            Read();
            if (_reader.TokenType == JsonTokenType.EndObject)
            {
                return true;
            }

            var name = PropertyName();
            Read();
            bool isType = Is(name, "type"u8);
            if (!isType && !Is(name, "code"u8))
            {
                _reader.Skip();
                continue;
            }

            string part = isType ? "type" : "code";
            if (!ReadUInt32(prefix, part, out uint value))
            {
                return false;
            }

            if (value > byte.MaxValue)
            {
                return Fail(HubbleDecodeFailure.InvalidValue, $"{prefix}.{part} {value} is out of range (0-255)");
            }

            if (isType)
            {
                _icmpType = (byte)value;
            }
            else
            {
                _icmpCode = (byte)value;
            }
        }
    }

    private bool ParseEndpoint(ref EndpointFacts facts, string prefix, string field)
    {
        if (!ExpectObject("flow", field, out bool present))
        {
            return false;
        }

        while (present)
        {
            Read();
            if (_reader.TokenType == JsonTokenType.EndObject)
            {
                break;
            }

            var name = PropertyName();
            Read();
            bool ok = true;
            if (Is(name, "labels"u8))
            {
                ok = ReadLabels(prefix, out facts.Labels);
            }
            else if (Is(name, "namespace"u8))
            {
                ok = ReadString(prefix, "namespace", out facts.Namespace);
            }
            else if (Is(name, "pod_name"u8) || Is(name, "podName"u8))
            {
                ok = ReadPodName(prefix, ref facts);
            }
            else if (Is(name, "identity"u8))
            {
                if (_reader.TokenType != JsonTokenType.Null)
                {
                    ok = ReadUInt32(prefix, "identity", out uint identity);
                    facts.Identity = identity;
                }
            }
            else if (Is(name, "workloads"u8))
            {
                ok = ReadWorkloads(prefix, ref facts);
            }
            else
            {
                _reader.Skip();
            }

            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    private bool ReadPodName(string prefix, ref EndpointFacts facts)
    {
        if (_reader.TokenType == JsonTokenType.Null)
        {
            return true;
        }

        if (_reader.TokenType != JsonTokenType.String)
        {
            return WrongType(prefix, "pod_name", "a string");
        }

        var text = StringBytes();
        if (text.IsEmpty)
        {
            return true;
        }

        facts.Pod = _caches.Strings.Intern(text);
        int workloadLength = KubernetesNames.WorkloadNameLength(text);
        facts.WorkloadFromPod = workloadLength == text.Length ? facts.Pod : _caches.Strings.Intern(text[..workloadLength]);
        return true;
    }

    private bool ReadWorkloads(string prefix, ref EndpointFacts facts)
    {
        if (_reader.TokenType == JsonTokenType.Null)
        {
            return true;
        }

        if (_reader.TokenType != JsonTokenType.StartArray)
        {
            return WrongType(prefix, "workloads", "an array");
        }

        for (int index = 0; ; index++)
        {
            Read();
            if (_reader.TokenType == JsonTokenType.EndArray)
            {
                return true;
            }

            if (_reader.TokenType == JsonTokenType.Null)
            {
                continue;
            }

            if (_reader.TokenType != JsonTokenType.StartObject)
            {
                return WrongType(prefix, $"workloads[{index}]", "an object");
            }

            while (true)
            {
                Read();
                if (_reader.TokenType == JsonTokenType.EndObject)
                {
                    break;
                }

                bool isName = Is(PropertyName(), "name"u8);
                Read();
                if (!isName)
                {
                    _reader.Skip();
                }
                else if (_reader.TokenType == JsonTokenType.String)
                {
                    var text = StringBytes();
                    if (facts.Workload is null && !text.IsEmpty)
                    {
                        facts.Workload = _caches.Strings.Intern(text);
                    }
                }
                else if (_reader.TokenType != JsonTokenType.Null)
                {
                    return WrongType(prefix, $"workloads[{index}].name", "a string");
                }
            }
        }
    }

    private bool ReadLabels(string prefix, out HubbleLabelSet? labels)
    {
        labels = null;
        if (_reader.TokenType == JsonTokenType.Null)
        {
            return true;
        }

        if (_reader.TokenType != JsonTokenType.StartArray)
        {
            return WrongType(prefix, "labels", "an array of strings");
        }

        // The same label list comes with every flow of a pod: key the parsed set by the list's raw JSON.
        var raw = RawArray();
        labels = _caches.LabelSets.Get(raw, out int hash);
        if (labels is not null)
        {
            return true;
        }

        if (!TryBuildLabelSet(raw, prefix, out labels))
        {
            return false;
        }

        _caches.LabelSets.Add(raw, hash, labels);
        return true;
    }

    private bool TryBuildLabelSet(ReadOnlySpan<byte> rawArray, string prefix, [NotNullWhen(true)] out HubbleLabelSet? labels)
    {
        labels = null;
        var reader = new Utf8JsonReader(rawArray);
        reader.Read();
        Dictionary<string, string>? k8s = null;
        string? reserved = null;
        for (int index = 0; reader.Read() && reader.TokenType != JsonTokenType.EndArray; index++)
        {
            if (reader.TokenType != JsonTokenType.String)
            {
                return Fail(HubbleDecodeFailure.InvalidValue, $"{prefix}.labels[{index}]: expected a string, got {Describe(reader.TokenType)}");
            }

            string label = reader.GetString()!;
            if (label.StartsWith("k8s:", StringComparison.Ordinal))
            {
                int equals = label.IndexOf('=', 4);
                string key = equals < 0 ? label[4..] : label[4..equals];
                k8s ??= new Dictionary<string, string>(StringComparer.Ordinal);
                k8s[key] = equals < 0 ? "" : label[(equals + 1)..];
            }
            else if (label.StartsWith("reserved:", StringComparison.Ordinal) && label.Length > 9)
            {
                int equals = label.IndexOf('=', 9);
                reserved ??= equals < 0 ? label[9..] : label[9..equals];
            }
        }

        string? podNamespace = null;
        k8s?.TryGetValue("io.kubernetes.pod.namespace", out podNamespace);
        labels = new HubbleLabelSet(k8s?.AsReadOnly(), reserved, podNamespace);
        return true;
    }

    private bool ReadStringList(string prefix, string field, out IReadOnlyList<string>? list)
    {
        list = null;
        if (_reader.TokenType == JsonTokenType.Null)
        {
            return true;
        }

        if (_reader.TokenType != JsonTokenType.StartArray)
        {
            return WrongType(prefix, field, "an array of strings");
        }

        var raw = RawArray();
        var cached = _caches.Lists.Get(raw, out int hash);
        if (cached is null)
        {
            var items = new List<string>();
            var reader = new Utf8JsonReader(raw);
            reader.Read();
            for (int index = 0; reader.Read() && reader.TokenType != JsonTokenType.EndArray; index++)
            {
                if (reader.TokenType != JsonTokenType.String)
                {
                    return Fail(HubbleDecodeFailure.InvalidValue, $"{prefix}.{field}[{index}]: expected a string, got {Describe(reader.TokenType)}");
                }

                items.Add(reader.ValueIsEscaped ? reader.GetString()! : _caches.Strings.Intern(reader.ValueSpan));
            }

            cached = items.AsReadOnly();
            _caches.Lists.Add(raw, hash, cached);
        }

        list = cached.Count == 0 ? null : cached;
        return true;
    }

    private bool ParseL7()
    {
        if (!ExpectObject("flow", "l7", out bool present))
        {
            return false;
        }

        while (present)
        {
            Read();
            if (_reader.TokenType == JsonTokenType.EndObject)
            {
                break;
            }

            var name = PropertyName();
            Read();
            bool ok = true;
            if (Is(name, "type"u8))
            {
                ok = ReadL7Type();
            }
            else if (Is(name, "dns"u8))
            {
                ok = ParseDns();
            }
            else if (Is(name, "http"u8))
            {
                ok = ParseHttp();
            }
            else
            {
                _reader.Skip();
            }

            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    private bool ReadL7Type()
    {
        switch (_reader.TokenType)
        {
            case JsonTokenType.String:
                var text = StringBytes();
                _l7Type = Is(text, "REQUEST"u8) ? 1 : Is(text, "RESPONSE"u8) ? 2 : Is(text, "SAMPLE"u8) ? 3 : 0;
                return true;
            case JsonTokenType.Number:
                _l7Type = _reader.TryGetInt32(out int number) ? number : 0;
                return true;
            case JsonTokenType.Null:
                return true;
            default:
                return WrongType("flow.l7", "type", "a string");
        }
    }

    private bool ParseDns()
    {
        if (!ExpectObject("flow.l7", "dns", out bool present))
        {
            return false;
        }

        _hasDns |= present;
        while (present)
        {
            Read();
            if (_reader.TokenType == JsonTokenType.EndObject)
            {
                break;
            }

            var name = PropertyName();
            Read();
            bool ok = true;
            if (Is(name, "query"u8))
            {
                ok = ReadDnsQuery();
            }
            else if (Is(name, "qtypes"u8))
            {
                ok = ReadStringList("flow.l7.dns", "qtypes", out _dnsQueryTypes);
            }
            else if (Is(name, "ips"u8))
            {
                ok = ReadStringList("flow.l7.dns", "ips", out _dnsAnswers);
            }
            else if (Is(name, "rcode"u8))
            {
                if (_reader.TokenType != JsonTokenType.Null)
                {
                    ok = ReadUInt32("flow.l7.dns", "rcode", out uint rcode);
                    _dnsRcode = rcode;
                }
            }
            else
            {
                _reader.Skip();
            }

            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    private bool ReadDnsQuery()
    {
        if (_reader.TokenType == JsonTokenType.Null)
        {
            return true;
        }

        if (_reader.TokenType != JsonTokenType.String)
        {
            return WrongType("flow.l7.dns", "query", "a string");
        }

        var text = StringBytes();
        if (text.Length > 1 && text[^1] == '.')
        {
            text = text[..^1];
        }

        if (text.Length <= _lowerScratch.Length
            && Ascii.ToLower(text, _lowerScratch, out int written) == System.Buffers.OperationStatus.Done)
        {
            _dnsQuery = _caches.Strings.Intern(_lowerScratch[..written]);
        }
        else
        {
            _dnsQuery = Encoding.UTF8.GetString(text).ToLowerInvariant();
        }

        return true;
    }

    private bool ParseHttp()
    {
        if (!ExpectObject("flow.l7", "http", out bool present))
        {
            return false;
        }

        _hasHttp |= present;
        while (present)
        {
            Read();
            if (_reader.TokenType == JsonTokenType.EndObject)
            {
                break;
            }

            var name = PropertyName();
            Read();
            bool ok = true;
            if (Is(name, "method"u8))
            {
                ok = ReadString("flow.l7.http", "method", out _httpMethod);
            }
            else if (Is(name, "url"u8))
            {
                ok = ReadUrl();
            }
            else if (Is(name, "code"u8))
            {
                ok = ReadUInt32("flow.l7.http", "code", out _httpCode);
            }
            else if (Is(name, "protocol"u8))
            {
                ok = ReadString("flow.l7.http", "protocol", out _httpProtocol);
            }
            else if (Is(name, "headers"u8))
            {
                ok = ReadHeaders();
            }
            else
            {
                _reader.Skip();
            }

            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    private bool ReadUrl()
    {
        if (_reader.TokenType == JsonTokenType.Null)
        {
            return true;
        }

        if (_reader.TokenType != JsonTokenType.String)
        {
            return WrongType("flow.l7.http", "url", "a string");
        }

        var text = StringBytes();
        if (text.IsEmpty)
        {
            return true;
        }

        _httpUrl = _caches.Strings.Intern(text);
        HttpUrlParts.Split(text, out var authority, out var pathAndQuery);
        var host = text[authority];
        var path = text[pathAndQuery];
        _httpUrlHost = host.IsEmpty ? null : _caches.Strings.Intern(host);
        if (path.IsEmpty)
        {
            _httpUri = host.IsEmpty ? null : "/";
        }
        else
        {
            string uri = _caches.Strings.Intern(path);
            _httpUri = path[0] == '?' ? "/" + uri : uri;
        }

        return true;
    }

    private bool ReadHeaders()
    {
        if (_reader.TokenType == JsonTokenType.Null)
        {
            return true;
        }

        if (_reader.TokenType != JsonTokenType.StartArray)
        {
            return WrongType("flow.l7.http", "headers", "an array");
        }

        for (int index = 0; ; index++)
        {
            Read();
            if (_reader.TokenType == JsonTokenType.EndArray)
            {
                return true;
            }

            if (_reader.TokenType != JsonTokenType.StartObject)
            {
                return WrongType("flow.l7.http", $"headers[{index}]", "an object");
            }

            string? key = null;
            string? value = null;
            while (true)
            {
                Read();
                if (_reader.TokenType == JsonTokenType.EndObject)
                {
                    break;
                }

                var name = PropertyName();
                Read();
                bool isKey = Is(name, "key"u8);
                if (!isKey && !Is(name, "value"u8))
                {
                    _reader.Skip();
                }
                else if (_reader.TokenType == JsonTokenType.String)
                {
                    string text = _caches.Strings.Intern(StringBytes());
                    if (isKey)
                    {
                        key = text;
                    }
                    else
                    {
                        value = text;
                    }
                }
                else if (_reader.TokenType != JsonTokenType.Null)
                {
                    return WrongType("flow.l7.http", $"headers[{index}].{(isKey ? "key" : "value")}", "a string");
                }
            }

            if (string.IsNullOrEmpty(key))
            {
                continue;
            }

            value ??= "";
            (_httpHeaders ??= new List<KeyValuePair<string, string>>(8)).Add(new KeyValuePair<string, string>(key, value));
            if (_httpUserAgent is null && key.Equals("User-Agent", StringComparison.OrdinalIgnoreCase))
            {
                _httpUserAgent = value;
            }
            else if (key.Equals("Host", StringComparison.OrdinalIgnoreCase) || key.Equals(":authority", StringComparison.Ordinal))
            {
                _httpHostHeader ??= value;
            }
        }
    }

    private bool ReadVerdict()
    {
        switch (_reader.TokenType)
        {
            case JsonTokenType.String:
                _verdict = VerdictFromName(StringBytes());
                return true;
            case JsonTokenType.Number:
                // Enum numbers of flow.proto's Verdict.
                _verdict = _reader.TryGetInt32(out int number) ? number switch
                {
                    1 => DataplaneVerdict.Forwarded,
                    2 => DataplaneVerdict.Dropped,
                    3 => DataplaneVerdict.Error,
                    4 => DataplaneVerdict.Audit,
                    5 => DataplaneVerdict.Redirected,
                    6 => DataplaneVerdict.Traced,
                    7 => DataplaneVerdict.Translated,
                    _ => DataplaneVerdict.Unknown,
                }
                : DataplaneVerdict.Unknown;
                return true;
            case JsonTokenType.Null:
                return true;
            default:
                return WrongType("flow", "verdict", "a string");
        }
    }

    private bool ReadDirection()
    {
        switch (_reader.TokenType)
        {
            case JsonTokenType.String:
                var text = StringBytes();
                _direction = Is(text, "INGRESS"u8) ? TrafficDirection.Ingress : Is(text, "EGRESS"u8) ? TrafficDirection.Egress : TrafficDirection.Unknown;
                return true;
            case JsonTokenType.Number:
                _direction = _reader.TryGetInt32(out int number) ? number switch
                {
                    1 => TrafficDirection.Ingress,
                    2 => TrafficDirection.Egress,
                    _ => TrafficDirection.Unknown,
                }
                : TrafficDirection.Unknown;
                return true;
            case JsonTokenType.Null:
                return true;
            default:
                return WrongType("flow", "traffic_direction", "a string");
        }
    }

    private FlowEvent? Build(string collectorId, string? cluster)
    {
        if (!_sawFlowObject && !_sawFlowField)
        {
            Fail(
                HubbleDecodeFailure.NotAFlow,
                _nonFlowEvent is null
                    ? "not a Hubble flow: neither a 'flow' object nor flow fields"
                    : $"not a flow: the record is a Hubble {_nonFlowEvent} event");
            return null;
        }

        if (!_sawIp)
        {
            Fail(HubbleDecodeFailure.MissingField, "flow.IP missing");
            return null;
        }

        if (_sourceIp is null || _destinationIp is null)
        {
            Fail(HubbleDecodeFailure.MissingField, _sourceIp is null ? "flow.IP.source missing" : "flow.IP.destination missing");
            return null;
        }

        if (_sourceIp.AddressFamily != _destinationIp.AddressFamily)
        {
            Fail(HubbleDecodeFailure.InvalidValue, $"flow.IP.source {_sourceIp} and flow.IP.destination {_destinationIp} are of different address families");
            return null;
        }

        var time = _time ?? _outerTime;
        if (time is null)
        {
            Fail(HubbleDecodeFailure.MissingField, "flow.time missing");
            return null;
        }

        bool isResponse = _l7Type == L7Response;
        var flow = new FlowEvent
        {
            Timestamp = time.Value,
            Source = BuildEndpoint(_sourceIp, _sourcePort, in _source),
            Destination = BuildEndpoint(_destinationIp, _destinationPort, in _destination),
            IpProtocol = _protocol,
            Direction = _direction,
            Verdict = _verdict,
            IsReply = _isReply ?? _reply,
            TcpFlags = _tcpFlags,
            IcmpType = _icmpType,
            IcmpCode = _icmpCode,
            Dns = _hasDns
                ? new DnsFacts
                {
                    Query = _dnsQuery,
                    QueryTypes = _dnsQueryTypes,
                    // Protobuf JSON leaves out rcode 0, so a response without one is NOERROR.
                    Rcode = _dnsRcode is uint rcode ? (int)rcode : isResponse ? (int?)0 : null,
                    Answers = _dnsAnswers,
                    IsResponse = isResponse,
                }
                : null,
            Http = _hasHttp
                ? new HttpFacts
                {
                    Method = _httpMethod,
                    Host = _httpUrlHost ?? _httpHostHeader,
                    Uri = _httpUri,
                    Url = _httpUrl,
                    UserAgent = _httpUserAgent,
                    StatusCode = _httpCode == 0 ? null : (int)_httpCode,
                    Protocol = _httpProtocol,
                    Headers = _httpHeaders,
                    IsResponse = isResponse,
                }
                : null,
            CollectorId = collectorId,
            NodeName = _nodeName ?? _outerNodeName,
            Cluster = cluster,
            Summary = _summary,
        };

        // Without an l4 section the transport is unknown; a Community ID of protocol 0 would be wrong, not absent.
        if (_protocol != 0)
        {
            flow.CommunityId = CachedCommunityId(flow);
        }

        return flow;
    }

    private readonly string CachedCommunityId(FlowEvent flow)
    {
        // Key: protocol, the two ports (or ICMP type and code), then both addresses, in the flow's own direction.
        Span<byte> key = stackalloc byte[5 + 16 + 16];
        key[0] = flow.IpProtocol;
        bool icmp = flow.IpProtocol is 1 or 58;
        BinaryPrimitives.WriteUInt16BigEndian(key[1..], icmp ? (ushort)((flow.IcmpType ?? 0) << 8 | (flow.IcmpCode ?? 0)) : flow.Source.Port);
        BinaryPrimitives.WriteUInt16BigEndian(key[3..], icmp ? (ushort)0 : flow.Destination.Port);
        if (!flow.Source.Ip.TryWriteBytes(key[5..], out int sourceLength)
            || !flow.Destination.Ip.TryWriteBytes(key[(5 + sourceLength)..], out int destinationLength))
        {
            return CommunityId.Compute(flow);
        }

        key = key[..(5 + sourceLength + destinationLength)];
        string? id = _caches.CommunityIds.Get(key, out int hash);
        if (id is null)
        {
            id = CommunityId.Compute(flow);
            _caches.CommunityIds.Add(key, hash, id);
        }

        return id;
    }

    private static FlowEndpoint BuildEndpoint(IPAddress ip, ushort port, in EndpointFacts facts) => new()
    {
        Ip = ip,
        Port = port,
        Namespace = facts.Namespace ?? facts.Labels?.PodNamespace,
        Pod = facts.Pod,
        Workload = facts.Workload ?? facts.WorkloadFromPod,
        Labels = facts.Labels?.Labels,
        Identity = facts.Identity,
        ReservedEntity = facts.Labels?.ReservedEntity,
        DnsNames = facts.DnsNames,
    };

    private void Read()
    {
        if (!_reader.Read())
        {
            throw new JsonException($"unexpected end of data at byte {_reader.BytesConsumed}");
        }
    }

    /// <summary>The current property name as UTF-8, unescaped when it had escapes.</summary>
    private ReadOnlySpan<byte> PropertyName()
    {
        if (!_reader.ValueIsEscaped)
        {
            return _reader.ValueSpan;
        }

        // Unescaping never lengthens; names longer than the scratch match no known field anyway.
        return _reader.ValueSpan.Length <= _nameScratch.Length ? _nameScratch[.._reader.CopyString(_nameScratch)] : [];
    }

    /// <summary>The current string value as UTF-8, unescaped when it had escapes. Valid until the next call.</summary>
    private ReadOnlySpan<byte> StringBytes()
    {
        if (!_reader.ValueIsEscaped)
        {
            return _reader.ValueSpan;
        }

        return _reader.ValueSpan.Length <= _valueScratch.Length
            ? _valueScratch[.._reader.CopyString(_valueScratch)]
            : Encoding.UTF8.GetBytes(_reader.GetString()!);
    }

    /// <summary>Skips the array the reader is on and returns its raw JSON, the key of the shared-value caches.</summary>
    private ReadOnlySpan<byte> RawArray()
    {
        int start = (int)_reader.TokenStartIndex;
        _reader.Skip();
        return _input[start..(int)_reader.BytesConsumed];
    }

    private bool ReadString(string prefix, string field, out string? value)
    {
        value = null;
        switch (_reader.TokenType)
        {
            case JsonTokenType.String:
                var text = StringBytes();
                value = text.IsEmpty ? null : _caches.Strings.Intern(text);
                return true;
            case JsonTokenType.Null:
                return true;
            default:
                return WrongType(prefix, field, "a string");
        }
    }

    private bool ReadUInt32(string prefix, string field, out uint value)
    {
        value = 0;
        switch (_reader.TokenType)
        {
            case JsonTokenType.Number:
                return _reader.TryGetUInt32(out value)
                    || Fail(HubbleDecodeFailure.InvalidValue, $"{Join(prefix, field)}: {Quote(_reader.ValueSpan)} is not an unsigned 32-bit integer");
            case JsonTokenType.String:
                // Protobuf JSON allows integers as strings.
                var text = StringBytes();
                return (Utf8Parser.TryParse(text, out value, out int consumed) && consumed == text.Length)
                    || Fail(HubbleDecodeFailure.InvalidValue, $"{Join(prefix, field)}: '{Quote(text)}' is not an unsigned 32-bit integer");
            case JsonTokenType.Null:
                return true;
            default:
                return WrongType(prefix, field, "an unsigned integer");
        }
    }

    private bool ReadBool(string prefix, string field, out bool? value)
    {
        value = null;
        switch (_reader.TokenType)
        {
            case JsonTokenType.True:
                value = true;
                return true;
            case JsonTokenType.False:
                value = false;
                return true;
            case JsonTokenType.Null:
                return true;
            default:
                return WrongType(prefix, field, "true or false");
        }
    }

    private bool ReadTime(string prefix, string field, out DateTimeOffset? value)
    {
        value = null;
        switch (_reader.TokenType)
        {
            case JsonTokenType.String:
                var text = StringBytes();
                if (!Rfc3339.TryParse(text, out var time))
                {
                    return Fail(HubbleDecodeFailure.InvalidValue, $"{Join(prefix, field)} '{Quote(text)}' is not an RFC 3339 timestamp");
                }

                value = time;
                return true;
            case JsonTokenType.Null:
                return true;
            default:
                return WrongType(prefix, field, "an RFC 3339 timestamp string");
        }
    }

    private bool ExpectObject(string prefix, string field, out bool present)
    {
        present = _reader.TokenType == JsonTokenType.StartObject;
        return present || _reader.TokenType == JsonTokenType.Null || WrongType(prefix, field, "an object");
    }

    private bool WrongType(string prefix, string field, string expected) =>
        Fail(HubbleDecodeFailure.InvalidValue, $"{Join(prefix, field)}: expected {expected}, got {Describe(_reader.TokenType)}");

    private bool Fail(HubbleDecodeFailure failure, string message)
    {
        Failure = failure;
        Error = message;
        return false;
    }

    private static bool Is(ReadOnlySpan<byte> name, ReadOnlySpan<byte> literal) => name.SequenceEqual(literal);

    private static bool IsNonFlowEvent(ReadOnlySpan<byte> name) =>
        Is(name, "lost_events"u8) || Is(name, "lostEvents"u8) || Is(name, "node_status"u8) || Is(name, "nodeStatus"u8)
        || Is(name, "agent_event"u8) || Is(name, "agentEvent"u8) || Is(name, "debug_event"u8) || Is(name, "debugEvent"u8);

    private static string Join(string prefix, string field) => prefix.Length == 0 ? field : prefix + "." + field;

    private static DataplaneVerdict VerdictFromName(ReadOnlySpan<byte> name) =>
        Is(name, "FORWARDED"u8) ? DataplaneVerdict.Forwarded
        : Is(name, "DROPPED"u8) ? DataplaneVerdict.Dropped
        : Is(name, "REDIRECTED"u8) ? DataplaneVerdict.Redirected
        : Is(name, "AUDIT"u8) ? DataplaneVerdict.Audit
        : Is(name, "ERROR"u8) ? DataplaneVerdict.Error
        : Is(name, "TRACED"u8) ? DataplaneVerdict.Traced
        : Is(name, "TRANSLATED"u8) ? DataplaneVerdict.Translated
        : DataplaneVerdict.Unknown;

    private static TcpFlags TcpFlagFromName(ReadOnlySpan<byte> name) =>
        Is(name, "ACK"u8) ? TcpFlags.Ack
        : Is(name, "SYN"u8) ? TcpFlags.Syn
        : Is(name, "FIN"u8) ? TcpFlags.Fin
        : Is(name, "PSH"u8) ? TcpFlags.Psh
        : Is(name, "RST"u8) ? TcpFlags.Rst
        : Is(name, "URG"u8) ? TcpFlags.Urg
        : Is(name, "ECE"u8) ? TcpFlags.Ece
        : Is(name, "CWR"u8) ? TcpFlags.Cwr
        : Is(name, "NS"u8) ? TcpFlags.Ns
        : TcpFlags.None;

    /// <summary>Dotted-quad IPv4 or IPv6 text only: IPAddress.TryParse alone also takes "10" and "0x7f.1".</summary>
    private static bool TryParseAddress(ReadOnlySpan<byte> text, out IPAddress address)
    {
        address = IPAddress.None;
        if (text.IndexOf((byte)':') >= 0)
        {
            if (IPAddress.TryParse(text, out var v6) && v6.AddressFamily == AddressFamily.InterNetworkV6)
            {
                address = v6;
                return true;
            }

            return false;
        }

        int dots = 0;
        int digits = 0;
        foreach (byte b in text)
        {
            if (b == '.')
            {
                if (digits == 0)
                {
                    return false;
                }

                dots++;
                digits = 0;
            }
            else if ((uint)(b - '0') > 9 || ++digits > 3)
            {
                return false;
            }
        }

        if (dots != 3 || digits == 0 || !IPAddress.TryParse(text, out var v4))
        {
            return false;
        }

        address = v4;
        return true;
    }
}
