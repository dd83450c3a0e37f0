using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using NetSecStream.Core.Events;
using static NetSecStream.Core.Text.JsonText;

namespace NetSecStream.Core.Ecs;

/// <summary>Why a document was rejected; the metric reason tag of <see cref="EcsFlowDecoder"/>.</summary>
internal enum EcsReadFailure
{
    None = 0,
    InvalidJson,
    UnsupportedSchema,
    MissingField,
    InvalidValue,
    NotAnAlert,
    Oversized,
}

/// <summary>
/// The Kubernetes and Cilium facts of one side of the flow, from <c>netsec.source</c> / <c>netsec.destination</c>.
/// Immutable: a pod's facts are the same bytes in every flow it takes part in, so one instance serves them all.
/// </summary>
internal sealed class NetSecEndpointFacts
{
    public static readonly NetSecEndpointFacts None = new();

    public string? Namespace { get; init; }

    public string? Pod { get; init; }

    public string? Workload { get; init; }

    public IReadOnlyDictionary<string, string>? Labels { get; init; }

    public uint? Identity { get; init; }

    public string? ReservedEntity { get; init; }

    public IReadOnlyList<string>? DnsNames { get; init; }
}

/// <summary>
/// Reads one ECS flow or alert document (as <see cref="EcsJson"/> writes it) with <see cref="Utf8JsonReader"/> in one
/// forward pass, straight into the event model: no intermediate documents; repeated strings, addresses, label objects
/// and whole endpoint objects shared through <see cref="EcsReadCaches"/> (an endpoint object seen for the first time is
/// read a second time, on its own). Fields may come in any order; unknown fields are skipped; the
/// fields it knows are type-checked even where the event has no slot for them, as the serializer-based reader did.
/// Type and value errors set <see cref="Error"/> (naming the JSON path); malformed JSON surfaces as
/// <see cref="JsonException"/> (or <see cref="InvalidOperationException"/> for undecodable strings).
/// </summary>
internal ref struct EcsDocumentReader
{
    public const int NameScratchBytes = 128;
    public const int ValueScratchBytes = 1024;
    public const int ScratchBytes = NameScratchBytes + ValueScratchBytes;

    private const string InvalidJson = "invalid ECS JSON: ";

    private readonly Span<byte> _nameScratch;
    private readonly Span<byte> _valueScratch;
    private readonly EcsReadCaches _caches;
    // The bytes _reader reads: the document, or one object of it while that object is parsed on its own.
    private ReadOnlySpan<byte> _input;
    private Utf8JsonReader _reader;

    private DateTimeOffset? _timestamp;
    private string? _eventKind;
    private string? _eventAction;
    private string? _eventId;
    private int? _severity;
    private double? _riskScore;
    private DateTimeOffset? _eventStart;

    private string? _ruleId;
    private string? _ruleName;
    private string? _ruleCategory;
    private string? _ruleset;
    private string? _ruleVersion;

    private IPAddress? _sourceIp;
    private int? _sourcePort;
    private IPAddress? _destinationIp;
    private int? _destinationPort;

    private string? _transport;
    private string? _ianaNumber;
    private string? _direction;
    private string? _communityId;
    private long? _bytes;
    private long? _packets;

    private bool _hasDns;
    private string? _dnsType;
    private string? _dnsQuestionName;
    private string? _dnsQuestionType;
    private string? _dnsResponseCode;
    private string[]? _dnsAnswers;
    private IReadOnlyList<string>? _dnsResolvedIps;

    private bool _hasHttp;
    private string? _httpVersion;
    private string? _httpMethod;
    private int? _httpStatusCode;
    private string? _urlDomain;
    private string? _urlPath;
    private string? _urlQuery;
    private string? _urlFull;
    private string? _userAgent;

    private bool _hasTls;
    private string? _tlsVersion;
    private string? _tlsServerName;
    private string? _tlsJa3;

    private string? _cluster;
    private string? _observerHostname;

    private string? _schemaVersion;
    private string? _collector;
    private string? _verdict;
    private bool? _isReply;
    private IReadOnlyList<string>? _tcpFlags;
    private int? _icmpType;
    private int? _icmpCode;
    private string? _summary;
    private string? _flowKind;
    private long? _packetNumber;
    private bool? _established;
    private string? _appProtocol;
    private string? _detector;
    private string? _mode;
    private string? _explanation;
    private string? _dedupeKey;
    private long? _dedupeCount;
    private DateTimeOffset? _firstSeen;
    private DateTimeOffset? _lastSeen;
    private NetSecEndpointFacts? _netsecSource;
    private NetSecEndpointFacts? _netsecDestination;
    private IReadOnlyList<string>? _dnsQuestionTypes;
    private bool? _httpIsResponse;
    private string? _dnsOpCode;
    private string? _httpRequestBodyText;
    private string? _httpResponseBodyText;
    private string? _httpRequestLine;
    private string? _httpResponseLine;
    private string? _httpStatusMessage;
    private string? _httpResponseProtocol;
    private List<NetSecHeader>? _httpRequestHeaders;
    private List<NetSecHeader>? _httpResponseHeaders;
    private byte[]? _httpRequestBody;
    private byte[]? _httpResponseBody;
    private IReadOnlyList<string>? _tlsClientAlpn;
    private IReadOnlyList<string>? _tlsServerAlpn;
    private List<NetSecCertificate>? _tlsCertificates;
    private bool _hasSsh;
    private string? _sshClientProto;
    private string? _sshClientSoftware;
    private string? _sshServerProto;
    private string? _sshServerSoftware;
    private bool _hasPayload;
    private byte[]? _payloadToServer;
    private byte[]? _payloadToClient;

    public EcsDocumentReader(ReadOnlySpan<byte> json, Span<byte> scratch, EcsReadCaches caches)
    {
        _input = json.StartsWith("\uFEFF"u8) ? json[3..] : json;
        _nameScratch = scratch[..NameScratchBytes];
        _valueScratch = scratch.Slice(NameScratchBytes, ValueScratchBytes);
        _caches = caches;
        _reader = new Utf8JsonReader(_input, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 64 });
    }

    /// <summary>Why <see cref="ReadDocument"/>, <see cref="BuildFlow"/> or <see cref="BuildAlert"/> failed.</summary>
    public string? Error { get; private set; }

    public EcsReadFailure Failure { get; private set; }

    /// <summary>Reads the whole document; false with <see cref="Error"/> set when a known field has the wrong type or form.</summary>
    public bool ReadDocument()
    {
        Read();
        if (_reader.TokenType != JsonTokenType.StartObject)
        {
            return Fail(EcsReadFailure.InvalidJson, _reader.TokenType == JsonTokenType.Null
                ? InvalidJson + "the document is null"
                : $"{InvalidJson}expected an object at the top level, got {Describe(_reader.TokenType)}");
        }

        while (NextProperty(out var name))
        {
            bool ok = name.Length switch
            {
                10 when Is(name, "@timestamp"u8) => ReadTimestamp("", "@timestamp", out _timestamp),
                6 when Is(name, "source"u8) => ReadEndpoint("source", out _sourceIp, out _sourcePort),
                11 when Is(name, "destination"u8) => ReadEndpoint("destination", out _destinationIp, out _destinationPort),
                7 when Is(name, "network"u8) => ReadNetwork(),
                6 when Is(name, "netsec"u8) => ReadNetSec(),
                5 when Is(name, "event"u8) => ReadEvent(),
                12 when Is(name, "orchestrator"u8) => ReadOrchestrator(),
                10 when Is(name, "kubernetes"u8) => ReadKubernetes(),
                8 when Is(name, "observer"u8) => ReadObserver(),
                3 when Is(name, "ecs"u8) => ReadEcs(),
                3 when Is(name, "dns"u8) => ReadDns(),
                4 when Is(name, "http"u8) => ReadHttp(),
                3 when Is(name, "url"u8) => ReadUrl(),
                10 when Is(name, "user_agent"u8) => ReadUserAgent(),
                3 when Is(name, "tls"u8) => ReadTls(),
                4 when Is(name, "rule"u8) => ReadRule(),
                _ => Skip(),
            };
            if (!ok)
            {
                return false;
            }
        }

        // Anything but whitespace after the object makes Read throw ("... is invalid after a single JSON value").
        return !_reader.Read() || Fail(EcsReadFailure.InvalidJson, $"{InvalidJson}unexpected data after the document at byte {_reader.TokenStartIndex}");
    }

    /// <summary>The flow the document describes (an alert's flow at the flow's own time); null with <see cref="Error"/> set.</summary>
    public FlowEvent? BuildFlow()
    {
        // The checks run in the order the serializer-based reader ran them, so a document with several faults
        // is reported the same way.
        if (_schemaVersion is null)
        {
            return FailFlow(EcsReadFailure.MissingField, "netsec.schema_version is missing");
        }

        if (_schemaVersion != SchemaVersion.Current)
        {
            return FailFlow(EcsReadFailure.UnsupportedSchema,
                $"netsec.schema_version '{_schemaVersion}' is not supported (this build reads '{SchemaVersion.Current}')");
        }

        // An alert's @timestamp is when it was raised; the flow's own time is event.start.
        var timestamp = _eventKind == EcsValues.KindAlert && _eventStart is { } start ? start : _timestamp;
        if (timestamp is null)
        {
            return FailFlow(EcsReadFailure.MissingField, "@timestamp is missing");
        }

        if (_sourceIp is null)
        {
            return FailFlow(EcsReadFailure.MissingField, "source.ip is missing");
        }

        if (_destinationIp is null)
        {
            return FailFlow(EcsReadFailure.MissingField, "destination.ip is missing");
        }

        if (!TryProtocol(out byte protocol)
            || !TryRange(_sourcePort, ushort.MaxValue, "source.port", out int sourcePort)
            || !TryRange(_destinationPort, ushort.MaxValue, "destination.port", out int destinationPort)
            || !TryRange(_icmpType, byte.MaxValue, "netsec.icmp.type", out int icmpType)
            || !TryRange(_icmpCode, byte.MaxValue, "netsec.icmp.code", out int icmpCode))
        {
            return null;
        }

        if (!EcsValues.TryParseDirection(_direction, out var direction))
        {
            return FailFlow(EcsReadFailure.InvalidValue, $"network.direction '{_direction}' is not one of ingress, egress, unknown");
        }

        if (!EcsValues.TryParseVerdict(_verdict, out var verdict))
        {
            return FailFlow(EcsReadFailure.InvalidValue, $"netsec.verdict '{_verdict}' is not a known verdict");
        }

        if (!EcsValues.TryParseTcpFlags(_tcpFlags, out var tcpFlags, out string? unknownFlag))
        {
            return FailFlow(EcsReadFailure.InvalidValue, $"netsec.tcp_flags: unknown flag '{unknownFlag}'");
        }

        if (!TryDns(out var dns))
        {
            return null;
        }

        if (!EcsValues.TryParseEventKind(_flowKind, out var kind))
        {
            return FailFlow(EcsReadFailure.InvalidValue, $"netsec.event_kind '{_flowKind}' is not one of packet, transaction, summary");
        }

        return new FlowEvent
        {
            Timestamp = timestamp.Value,
            Source = Endpoint(_sourceIp, (ushort)sourcePort, _netsecSource ?? NetSecEndpointFacts.None),
            Destination = Endpoint(_destinationIp, (ushort)destinationPort, _netsecDestination ?? NetSecEndpointFacts.None),
            IpProtocol = protocol,
            Direction = direction,
            Verdict = verdict,
            IsReply = _isReply,
            Bytes = _bytes,
            Packets = _packets,
            TcpFlags = tcpFlags,
            IcmpType = _icmpType is null ? null : (byte)icmpType,
            IcmpCode = _icmpCode is null ? null : (byte)icmpCode,
            Dns = dns,
            Http = _hasHttp ? Http() : null,
            Tls = _hasTls ? Tls() : null,
            Ssh = _hasSsh
                ? new SshFacts { ClientProto = _sshClientProto, ClientSoftware = _sshClientSoftware, ServerProto = _sshServerProto, ServerSoftware = _sshServerSoftware }
                : null,
            Payload = _hasPayload ? new PayloadBuffers { ToServer = _payloadToServer, ToClient = _payloadToClient } : null,
            CollectorId = _collector ?? "",
            NodeName = _observerHostname,
            Cluster = _cluster,
            CommunityId = _communityId,
            Summary = _summary,
            Kind = kind,
            PacketNumber = _packetNumber,
            Established = _established,
            AppProtocol = _appProtocol,
        };
    }

    /// <summary>The alert the document describes; null with <see cref="Error"/> set.</summary>
    public Alert? BuildAlert()
    {
        if (_eventKind != EcsValues.KindAlert)
        {
            Fail(EcsReadFailure.NotAnAlert, $"event.kind is '{_eventKind}', not 'alert'");
            return null;
        }

        var flow = BuildFlow();
        if (flow is null)
        {
            return null;
        }

        string? missing = _eventId is null ? "event.id"
            : _ruleId is null ? "rule.id"
            : _ruleName is null ? "rule.name"
            : _severity is null ? "event.severity"
            : _riskScore is null ? "event.risk_score"
            : _detector is null ? "netsec.detector"
            : _dedupeKey is null ? "netsec.dedupe_key"
            : _timestamp is null ? "@timestamp"
            : null;
        if (missing is not null)
        {
            Fail(EcsReadFailure.MissingField, missing + " is missing");
            return null;
        }

        if (!EcsValues.TryParseMode(_mode ?? _eventAction, out var mode))
        {
            Fail(EcsReadFailure.InvalidValue, $"netsec.mode '{_mode}' is not one of log, alert, block");
            return null;
        }

        return new Alert
        {
            Id = _eventId!,
            Timestamp = _timestamp!.Value,
            Detector = _detector!,
            RuleId = _ruleId!,
            RuleName = _ruleName!,
            RuleCategory = _ruleCategory,
            Ruleset = _ruleset,
            RuleVersion = _ruleVersion,
            Severity = _severity!.Value,
            RiskScore = _riskScore!.Value,
            Mode = mode,
            Explanation = _explanation ?? "",
            DedupeKey = _dedupeKey!,
            DedupeCount = _dedupeCount ?? 1,
            FirstSeen = _firstSeen,
            LastSeen = _lastSeen,
            Flow = flow,
        };
    }

    private bool ReadEvent()
    {
        if (!EnterObject("", "event", out bool valid))
        {
            return valid;
        }

        while (NextProperty(out var name))
        {
            bool ok = name.Length switch
            {
                4 when Is(name, "kind"u8) => ReadString("event", "kind", _caches.Strings, out _eventKind),
                8 when Is(name, "category"u8) => CheckStringArray("event", "category"),
                4 when Is(name, "type"u8) => CheckStringArray("event", "type"),
                6 when Is(name, "action"u8) => ReadString("event", "action", _caches.Strings, out _eventAction),
                7 when Is(name, "dataset"u8) => CheckString("event", "dataset"),
                6 when Is(name, "module"u8) => CheckString("event", "module"),
                2 when Is(name, "id"u8) => ReadString("event", "id", null, out _eventId),
                8 when Is(name, "severity"u8) => ReadInt32("event", "severity", out _severity),
                10 when Is(name, "risk_score"u8) => ReadDouble("event", "risk_score", out _riskScore),
                5 when Is(name, "start"u8) => ReadTimestamp("event", "start", out _eventStart),
                _ => Skip(),
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    private bool ReadRule()
    {
        if (!EnterObject("", "rule", out bool valid))
        {
            return valid;
        }

        while (NextProperty(out var name))
        {
            bool ok = name.Length switch
            {
                2 when Is(name, "id"u8) => ReadString("rule", "id", _caches.Strings, out _ruleId),
                4 when Is(name, "name"u8) => ReadString("rule", "name", _caches.Strings, out _ruleName),
                8 when Is(name, "category"u8) => ReadString("rule", "category", _caches.Strings, out _ruleCategory),
                7 when Is(name, "ruleset"u8) => ReadString("rule", "ruleset", _caches.Strings, out _ruleset),
                7 when Is(name, "version"u8) => ReadString("rule", "version", _caches.Strings, out _ruleVersion),
                _ => Skip(),
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    private bool ReadEndpoint(string field, out IPAddress? ip, out int? port)
    {
        ip = null;
        port = null;
        if (!EnterObject("", field, out bool valid))
        {
            return valid;
        }

        while (NextProperty(out var name))
        {
            bool ok = name.Length switch
            {
                2 when Is(name, "ip"u8) => ReadIp(field, "ip", out ip),
                4 when Is(name, "port"u8) => ReadInt32(field, "port", out port),
                6 when Is(name, "domain"u8) => CheckString(field, "domain"),
                _ => Skip(),
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    private bool ReadNetwork()
    {
        if (!EnterObject("", "network", out bool valid))
        {
            return valid;
        }

        while (NextProperty(out var name))
        {
            bool ok = name.Length switch
            {
                9 when Is(name, "transport"u8) => ReadString("network", "transport", _caches.Strings, out _transport),
                11 when Is(name, "iana_number"u8) => ReadString("network", "iana_number", _caches.Strings, out _ianaNumber),
                4 when Is(name, "type"u8) => CheckString("network", "type"),
                8 when Is(name, "protocol"u8) => CheckString("network", "protocol"),
                9 when Is(name, "direction"u8) => ReadString("network", "direction", _caches.Strings, out _direction),
                12 when Is(name, "community_id"u8) => ReadString("network", "community_id", _caches.CommunityIds, out _communityId),
                5 when Is(name, "bytes"u8) => ReadInt64("network", "bytes", out _bytes),
                7 when Is(name, "packets"u8) => ReadInt64("network", "packets", out _packets),
                _ => Skip(),
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    private bool ReadDns()
    {
        _hasDns = EnterObject("", "dns", out bool valid);
        if (!_hasDns)
        {
            return valid;
        }

        while (NextProperty(out var name))
        {
            bool ok = name.Length switch
            {
                4 when Is(name, "type"u8) => ReadString("dns", "type", _caches.Strings, out _dnsType),
                8 when Is(name, "question"u8) => ReadDnsQuestion(),
                13 when Is(name, "response_code"u8) => ReadString("dns", "response_code", _caches.Strings, out _dnsResponseCode),
                7 when Is(name, "answers"u8) => ReadDnsAnswers(),
                11 when Is(name, "resolved_ip"u8) => ReadStringList("dns", "resolved_ip", cache: false, out _dnsResolvedIps),
                7 when Is(name, "op_code"u8) => ReadString("dns", "op_code", _caches.Strings, out _dnsOpCode),
                _ => Skip(),
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    private bool ReadDnsQuestion()
    {
        _dnsQuestionName = null;
        _dnsQuestionType = null;
        if (!EnterObject("dns", "question", out bool valid))
        {
            return valid;
        }

        while (NextProperty(out var name))
        {
            bool ok = name.Length switch
            {
                4 when Is(name, "name"u8) => ReadString("dns.question", "name", _caches.Strings, out _dnsQuestionName),
                4 when Is(name, "type"u8) => ReadString("dns.question", "type", _caches.Strings, out _dnsQuestionType),
                _ => Skip(),
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    private bool ReadDnsAnswers()
    {
        _dnsAnswers = null;
        if (_reader.TokenType == JsonTokenType.Null)
        {
            return true;
        }

        if (_reader.TokenType != JsonTokenType.StartArray)
        {
            return WrongType("dns", "answers", "an array");
        }

        var answers = new List<string>(4);
        while (true)
        {
            Read();
            if (_reader.TokenType == JsonTokenType.EndArray)
            {
                break;
            }

            if (_reader.TokenType != JsonTokenType.StartObject)
            {
                return WrongType("dns", $"answers[{answers.Count}]", "an object");
            }

            string? data = null;
            while (NextProperty(out var name))
            {
                if (!Is(name, "data"u8))
                {
                    Skip();
                }
                else if (_reader.TokenType == JsonTokenType.Null)
                {
                    data = null;
                }
                else if (_reader.TokenType != JsonTokenType.String)
                {
                    return WrongType("dns", $"answers[{answers.Count}].data", "a string");
                }
                else if (!TryText(ref _reader, _valueScratch, null, out data))
                {
                    return InvalidUtf8("dns", $"answers[{answers.Count}].data");
                }
            }

            answers.Add(data ?? "");
        }

        _dnsAnswers = [.. answers];
        return true;
    }

    private bool ReadHttp()
    {
        if (!EnterObject("", "http", out bool valid))
        {
            return valid;
        }

        _hasHttp = true;
        while (NextProperty(out var name))
        {
            bool ok = Is(name, "version"u8) ? ReadString("http", "version", _caches.Strings, out _httpVersion)
                : Is(name, "request"u8) ? ReadHttpRequest()
                : Is(name, "response"u8) ? ReadHttpResponse()
                : Skip();
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    private bool ReadHttpResponse()
    {
        _httpStatusCode = null;
        if (!EnterObject("http", "response", out bool valid))
        {
            return valid;
        }

        while (NextProperty(out var name))
        {
            bool ok = Is(name, "status_code"u8) ? ReadInt32("http.response", "status_code", out _httpStatusCode)
                : Is(name, "body"u8) ? ReadSingleField("http.response", "body", "http.response.body", "content", out _httpResponseBodyText, cache: false)
                : Skip();
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    private bool ReadHttpRequest()
    {
        _httpMethod = null;
        if (!EnterObject("http", "request", out bool valid))
        {
            return valid;
        }

        while (NextProperty(out var name))
        {
            bool ok = Is(name, "method"u8) ? ReadString("http.request", "method", _caches.Strings, out _httpMethod)
                : Is(name, "body"u8) ? ReadSingleField("http.request", "body", "http.request.body", "content", out _httpRequestBodyText, cache: false)
                : Skip();
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    private bool ReadUrl()
    {
        if (!EnterObject("", "url", out bool valid))
        {
            return valid;
        }

        _hasHttp = true;
        while (NextProperty(out var name))
        {
            bool ok = name.Length switch
            {
                6 when Is(name, "domain"u8) => ReadString("url", "domain", _caches.Strings, out _urlDomain),
                4 when Is(name, "path"u8) => ReadString("url", "path", _caches.Strings, out _urlPath),
                5 when Is(name, "query"u8) => ReadString("url", "query", null, out _urlQuery),
                8 when Is(name, "original"u8) => CheckString("url", "original"),
                4 when Is(name, "full"u8) => ReadString("url", "full", null, out _urlFull),
                _ => Skip(),
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    private bool ReadUserAgent()
    {
        if (_reader.TokenType == JsonTokenType.StartObject)
        {
            _hasHttp = true;
        }

        return ReadSingleField("", "user_agent", "user_agent", "original", out _userAgent);
    }

    private bool ReadTls()
    {
        _hasTls = EnterObject("", "tls", out bool valid);
        if (!_hasTls)
        {
            return valid;
        }

        while (NextProperty(out var name))
        {
            bool ok = Is(name, "version"u8) ? ReadString("tls", "version", _caches.Strings, out _tlsVersion)
                : Is(name, "version_protocol"u8) ? CheckString("tls", "version_protocol")
                : Is(name, "client"u8) ? ReadTlsClient()
                : Skip();
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    private bool ReadTlsClient()
    {
        _tlsServerName = null;
        _tlsJa3 = null;
        if (!EnterObject("tls", "client", out bool valid))
        {
            return valid;
        }

        while (NextProperty(out var name))
        {
            bool ok = Is(name, "server_name"u8) ? ReadString("tls.client", "server_name", _caches.Strings, out _tlsServerName)
                : Is(name, "ja3"u8) ? ReadString("tls.client", "ja3", _caches.Strings, out _tlsJa3)
                : Skip();
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    private bool ReadOrchestrator()
    {
        if (!EnterObject("", "orchestrator", out bool valid))
        {
            return valid;
        }

        while (NextProperty(out var name))
        {
            bool ok = Is(name, "type"u8) ? CheckString("orchestrator", "type")
                : Is(name, "namespace"u8) ? CheckString("orchestrator", "namespace")
                : Is(name, "resource"u8) ? ReadIgnoredObject("orchestrator", "resource", "orchestrator.resource", "type", "name")
                : Is(name, "cluster"u8) ? ReadSingleField("orchestrator", "cluster", "orchestrator.cluster", "name", out _cluster)
                : Skip();
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    private bool ReadKubernetes()
    {
        if (!EnterObject("", "kubernetes", out bool valid))
        {
            return valid;
        }

        while (NextProperty(out var name))
        {
            bool ok = Is(name, "namespace"u8) ? CheckString("kubernetes", "namespace")
                : Is(name, "pod"u8) ? ReadIgnoredObject("kubernetes", "pod", "kubernetes.pod", "name", null)
                : Is(name, "labels"u8) ? CheckStringObject("kubernetes", "labels")
                : Skip();
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    private bool ReadObserver()
    {
        if (!EnterObject("", "observer", out bool valid))
        {
            return valid;
        }

        while (NextProperty(out var name))
        {
            bool ok = Is(name, "hostname"u8) ? ReadString("observer", "hostname", _caches.Strings, out _observerHostname)
                : Is(name, "type"u8) ? CheckString("observer", "type")
                : Skip();
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    private bool ReadEcs() => ReadIgnoredObject("", "ecs", "ecs", "version", null);

    private bool ReadNetSec()
    {
        if (!EnterObject("", "netsec", out bool valid))
        {
            return valid;
        }

        while (NextProperty(out var name))
        {
            bool ok = name.Length switch
            {
                14 when Is(name, "schema_version"u8) => ReadString("netsec", "schema_version", _caches.Strings, out _schemaVersion),
                9 when Is(name, "collector"u8) => ReadString("netsec", "collector", _caches.Strings, out _collector),
                7 when Is(name, "verdict"u8) => ReadString("netsec", "verdict", _caches.Strings, out _verdict),
                8 when Is(name, "is_reply"u8) => ReadBool("netsec", "is_reply", out _isReply),
                9 when Is(name, "tcp_flags"u8) => ReadStringList("netsec", "tcp_flags", cache: true, out _tcpFlags),
                4 when Is(name, "icmp"u8) => ReadIcmp(),
                7 when Is(name, "summary"u8) => ReadString("netsec", "summary", _caches.Strings, out _summary),
                10 when Is(name, "event_kind"u8) => ReadString("netsec", "event_kind", _caches.Strings, out _flowKind),
                13 when Is(name, "packet_number"u8) => ReadInt64("netsec", "packet_number", out _packetNumber),
                11 when Is(name, "established"u8) => ReadBool("netsec", "established", out _established),
                12 when Is(name, "app_protocol"u8) => ReadString("netsec", "app_protocol", _caches.Strings, out _appProtocol),
                6 when Is(name, "source"u8) => ReadNetSecEndpoint("netsec.source", out _netsecSource),
                11 when Is(name, "destination"u8) => ReadNetSecEndpoint("netsec.destination", out _netsecDestination),
                3 when Is(name, "dns"u8) => ReadNetSecDns(),
                4 when Is(name, "http"u8) => ReadNetSecHttp(),
                3 when Is(name, "tls"u8) => ReadNetSecTls(),
                3 when Is(name, "ssh"u8) => ReadNetSecSsh(),
                7 when Is(name, "payload"u8) => ReadPayload(),
                8 when Is(name, "detector"u8) => ReadString("netsec", "detector", _caches.Strings, out _detector),
                4 when Is(name, "mode"u8) => ReadString("netsec", "mode", _caches.Strings, out _mode),
                11 when Is(name, "explanation"u8) => ReadString("netsec", "explanation", null, out _explanation),
                10 when Is(name, "dedupe_key"u8) => ReadString("netsec", "dedupe_key", _caches.Strings, out _dedupeKey),
                12 when Is(name, "dedupe_count"u8) => ReadInt64("netsec", "dedupe_count", out _dedupeCount),
                10 when Is(name, "first_seen"u8) => ReadTimestamp("netsec", "first_seen", out _firstSeen),
                9 when Is(name, "last_seen"u8) => ReadTimestamp("netsec", "last_seen", out _lastSeen),
                _ => Skip(),
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    private bool ReadIcmp()
    {
        _icmpType = null;
        _icmpCode = null;
        if (!EnterObject("netsec", "icmp", out bool valid))
        {
            return valid;
        }

        while (NextProperty(out var name))
        {
            bool ok = Is(name, "type"u8) ? ReadInt32("netsec.icmp", "type", out _icmpType)
                : Is(name, "code"u8) ? ReadInt32("netsec.icmp", "code", out _icmpCode)
                : Skip();
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    private bool ReadNetSecEndpoint(string path, out NetSecEndpointFacts? facts)
    {
        facts = null;
        if (!EnterObject("", path, out bool valid))
        {
            return valid;
        }

        if (!_caches.EndpointLookups.ShouldLookUp())
        {
            return ReadNetSecEndpointFields(path, out facts);
        }

        var raw = RawValue();
        facts = _caches.Endpoints.Get(raw, out int hash);
        _caches.EndpointLookups.Record(hit: facts is not null);
        if (facts is not null)
        {
            return true;
        }

        // Read the object's own bytes (well-formed, the skip checked) with the field readers, then resume after it.
        var outer = _reader;
        var outerInput = _input;
        _reader = new Utf8JsonReader(raw);
        _input = raw;
        Read();
        if (!ReadNetSecEndpointFields(path, out facts))
        {
            return false;
        }

        _reader = outer;
        _input = outerInput;
        _caches.Endpoints.Add(raw, hash, facts!);
        return true;
    }

    private bool ReadNetSecEndpointFields(string path, out NetSecEndpointFacts? facts)
    {
        facts = null;
        string? ns = null, pod = null, workload = null, reserved = null;
        IReadOnlyDictionary<string, string>? labels = null;
        uint? identity = null;
        IReadOnlyList<string>? dnsNames = null;
        while (NextProperty(out var name))
        {
            bool ok = name.Length switch
            {
                9 when Is(name, "namespace"u8) => ReadString(path, "namespace", _caches.Strings, out ns),
                3 when Is(name, "pod"u8) => ReadString(path, "pod", _caches.Strings, out pod),
                8 when Is(name, "workload"u8) => ReadString(path, "workload", _caches.Strings, out workload),
                6 when Is(name, "labels"u8) => ReadLabels(path, "labels", out labels),
                8 when Is(name, "identity"u8) => ReadUInt32(path, "identity", out identity),
                15 when Is(name, "reserved_entity"u8) => ReadString(path, "reserved_entity", _caches.Strings, out reserved),
                9 when Is(name, "dns_names"u8) => ReadStringList(path, "dns_names", cache: true, out dnsNames),
                _ => Skip(),
            };
            if (!ok)
            {
                return false;
            }
        }

        facts = new NetSecEndpointFacts
        {
            Namespace = ns,
            Pod = pod,
            Workload = workload,
            Labels = labels,
            Identity = identity,
            ReservedEntity = reserved,
            DnsNames = dnsNames,
        };
        return true;
    }

    private bool ReadNetSecDns()
    {
        _dnsQuestionTypes = null;
        if (!EnterObject("netsec", "dns", out bool valid))
        {
            return valid;
        }

        while (NextProperty(out var name))
        {
            bool ok = Is(name, "question_types"u8) ? ReadStringList("netsec.dns", "question_types", cache: true, out _dnsQuestionTypes) : Skip();
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    private bool ReadNetSecHttp()
    {
        _httpIsResponse = null;
        if (!EnterObject("netsec", "http", out bool valid))
        {
            return valid;
        }

        _hasHttp = true;
        while (NextProperty(out var name))
        {
            bool ok = Is(name, "is_response"u8) ? ReadBool("netsec.http", "is_response", out _httpIsResponse)
                : Is(name, "request_line"u8) ? ReadString("netsec.http", "request_line", null, out _httpRequestLine)
                : Is(name, "response_line"u8) ? ReadString("netsec.http", "response_line", null, out _httpResponseLine)
                : Is(name, "status_message"u8) ? ReadString("netsec.http", "status_message", _caches.Strings, out _httpStatusMessage)
                : Is(name, "response_protocol"u8) ? ReadString("netsec.http", "response_protocol", _caches.Strings, out _httpResponseProtocol)
                : Is(name, "request_headers"u8) ? ReadJson("netsec.http", "request_headers", EcsJsonContext.Default.ListNetSecHeader, out _httpRequestHeaders)
                : Is(name, "response_headers"u8) ? ReadJson("netsec.http", "response_headers", EcsJsonContext.Default.ListNetSecHeader, out _httpResponseHeaders)
                : Is(name, "request_body"u8) ? ReadBase64("netsec.http", "request_body", out _httpRequestBody)
                : Is(name, "response_body"u8) ? ReadBase64("netsec.http", "response_body", out _httpResponseBody)
                : Skip();
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    private bool ReadNetSecTls()
    {
        if (!EnterObject("netsec", "tls", out bool valid))
        {
            return valid;
        }

        _hasTls = true;
        while (NextProperty(out var name))
        {
            bool ok = Is(name, "client_alpn"u8) ? ReadStringList("netsec.tls", "client_alpn", cache: true, out _tlsClientAlpn)
                : Is(name, "server_alpn"u8) ? ReadStringList("netsec.tls", "server_alpn", cache: true, out _tlsServerAlpn)
                : Is(name, "certificates"u8) ? ReadJson("netsec.tls", "certificates", EcsJsonContext.Default.ListNetSecCertificate, out _tlsCertificates)
                : Skip();
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    private bool ReadNetSecSsh()
    {
        _hasSsh = EnterObject("netsec", "ssh", out bool valid);
        if (!_hasSsh)
        {
            return valid;
        }

        while (NextProperty(out var name))
        {
            bool ok = Is(name, "client_proto"u8) ? ReadString("netsec.ssh", "client_proto", _caches.Strings, out _sshClientProto)
                : Is(name, "client_software"u8) ? ReadString("netsec.ssh", "client_software", _caches.Strings, out _sshClientSoftware)
                : Is(name, "server_proto"u8) ? ReadString("netsec.ssh", "server_proto", _caches.Strings, out _sshServerProto)
                : Is(name, "server_software"u8) ? ReadString("netsec.ssh", "server_software", _caches.Strings, out _sshServerSoftware)
                : Skip();
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A nested list read whole by the source-generated serializer (certificates, headers); null stays null.</summary>
    private bool ReadJson<T>(string parent, string field, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, out T? value)
        where T : class
    {
        value = null;
        if (_reader.TokenType == JsonTokenType.Null)
        {
            return true;
        }

        if (_reader.TokenType != JsonTokenType.StartArray)
        {
            return WrongType(parent, field, "an array");
        }

        var raw = RawValue();
        try
        {
            value = JsonSerializer.Deserialize(raw, type);
            return true;
        }
        catch (JsonException e)
        {
            return Fail(EcsReadFailure.InvalidJson, $"{InvalidJson}$.{Join(parent, field)}: {e.Message}");
        }
    }

    private bool ReadPayload()
    {
        _payloadToServer = null;
        _payloadToClient = null;
        _hasPayload = EnterObject("netsec", "payload", out bool valid);
        if (!_hasPayload)
        {
            return valid;
        }

        while (NextProperty(out var name))
        {
            bool ok = Is(name, "to_server"u8) ? ReadBase64("netsec.payload", "to_server", out _payloadToServer)
                : Is(name, "to_client"u8) ? ReadBase64("netsec.payload", "to_client", out _payloadToClient)
                : Skip();
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>An object of which one string field matters (<c>http.request.method</c>, <c>orchestrator.cluster.name</c>).</summary>
    private bool ReadSingleField(string parent, string field, string path, string inner, out string? value, bool cache = true)
    {
        value = null;
        if (!EnterObject(parent, field, out bool valid))
        {
            return valid;
        }

        while (NextProperty(out var name))
        {
            bool ok = Ascii.Equals(name, inner) ? ReadString(path, inner, cache ? _caches.Strings : null, out value) : Skip();
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>An object the event has no slot for, whose known string fields are type-checked all the same.</summary>
    private bool ReadIgnoredObject(string parent, string field, string path, string first, string? second)
    {
        if (!EnterObject(parent, field, out bool valid))
        {
            return valid;
        }

        while (NextProperty(out var name))
        {
            string? known = Ascii.Equals(name, first) ? first : second is not null && Ascii.Equals(name, second) ? second : null;
            bool ok = known is not null ? CheckString(path, known) : Skip();
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Type-checks a string the event has no slot for, as reading it would, without creating it.</summary>
    private bool CheckString(string parent, string field)
    {
        switch (_reader.TokenType)
        {
            case JsonTokenType.String:
                return CheckText(ref _reader, _valueScratch) || InvalidUtf8(parent, field);
            case JsonTokenType.Null:
                return true;
            default:
                return WrongType(parent, field, "a string");
        }
    }

    private bool CheckStringArray(string parent, string field)
    {
        switch (_reader.TokenType)
        {
            case JsonTokenType.Null:
                return true;
            case JsonTokenType.StartArray:
                break;
            default:
                return WrongType(parent, field, "an array of strings");
        }

        for (int i = 0; ; i++)
        {
            Read();
            if (_reader.TokenType == JsonTokenType.EndArray)
            {
                return true;
            }

            if (_reader.TokenType != JsonTokenType.String)
            {
                return WrongType(parent, $"{field}[{i}]", "a string");
            }

            if (!CheckText(ref _reader, _valueScratch))
            {
                return InvalidUtf8(parent, $"{field}[{i}]");
            }
        }
    }

    /// <summary>Type-checks an object of strings (<c>kubernetes.labels</c>) the event has no slot for.</summary>
    private bool CheckStringObject(string parent, string field)
    {
        if (!EnterObject(parent, field, out bool valid))
        {
            return valid;
        }

        while (NextProperty(out var name))
        {
            if (_reader.TokenType != JsonTokenType.String)
            {
                return WrongType(Join(parent, field), Encoding.UTF8.GetString(name), "a string");
            }

            if (!Utf8.IsValid(name) || !CheckText(ref _reader, _valueScratch))
            {
                return InvalidUtf8(parent, field);
            }
        }

        return true;
    }

    /// <summary>Whether the string the reader is on decodes (escaped text the reader cannot decode throws).</summary>
    private static bool CheckText(ref Utf8JsonReader reader, Span<byte> scratch)
    {
        if (!reader.ValueIsEscaped)
        {
            return Utf8.IsValid(reader.ValueSpan);
        }

        if (reader.ValueSpan.Length <= scratch.Length)
        {
            return Utf8.IsValid(scratch[..reader.CopyString(scratch)]);
        }

        _ = reader.GetString();
        return true;
    }

    private bool ReadString(string parent, string field, Utf8StringTable? table, out string? value)
    {
        switch (_reader.TokenType)
        {
            case JsonTokenType.String:
                return TryText(ref _reader, _valueScratch, table, out value) || InvalidUtf8(parent, field);
            case JsonTokenType.Null:
                value = null;
                return true;
            default:
                value = null;
                return WrongType(parent, field, "a string");
        }
    }

    /// <summary>
    /// The string the reader is on, unescaped and shared through <paramref name="table"/> when given. False when it
    /// is not valid UTF-8 (escaped text the reader cannot decode throws <see cref="InvalidOperationException"/>).
    /// </summary>
    private static bool TryText(ref Utf8JsonReader reader, Span<byte> scratch, Utf8StringTable? table, out string? value)
    {
        ReadOnlySpan<byte> utf8;
        if (!reader.ValueIsEscaped)
        {
            utf8 = reader.ValueSpan;
        }
        else if (reader.ValueSpan.Length <= scratch.Length)
        {
            // Unescaping never lengthens the text.
            utf8 = scratch[..reader.CopyString(scratch)];
        }
        else
        {
            value = reader.GetString();
            return true;
        }

        return table is not null ? table.TryGet(utf8, out value) : Utf8StringTable.TryDecode(utf8, out value);
    }

    private bool ReadStringList(string parent, string field, bool cache, out IReadOnlyList<string>? list)
    {
        list = null;
        switch (_reader.TokenType)
        {
            case JsonTokenType.Null:
                return true;
            case JsonTokenType.StartArray:
                break;
            default:
                return WrongType(parent, field, "an array of strings");
        }

        var raw = RawValue();
        int hash = 0;
        if (cache && (list = _caches.Lists.Get(raw, out hash)) is not null)
        {
            return true;
        }

        // The array's own bytes, already checked to be well-formed JSON by the skip.
        var inner = new Utf8JsonReader(raw);
        inner.Read();
        var items = new List<string>(4);
        while (inner.Read() && inner.TokenType != JsonTokenType.EndArray)
        {
            if (inner.TokenType != JsonTokenType.String)
            {
                return WrongType(parent, $"{field}[{items.Count}]", "a string", inner.TokenType);
            }

            if (!TryText(ref inner, _valueScratch, _caches.Strings, out string? item))
            {
                return InvalidUtf8(parent, $"{field}[{items.Count}]");
            }

            items.Add(item!);
        }

        list = items.Count == 0 ? [] : [.. items];
        if (cache)
        {
            _caches.Lists.Add(raw, hash, list);
        }

        return true;
    }

    private bool ReadLabels(string parent, string field, out IReadOnlyDictionary<string, string>? labels)
    {
        labels = null;
        switch (_reader.TokenType)
        {
            case JsonTokenType.Null:
                return true;
            case JsonTokenType.StartObject:
                break;
            default:
                return WrongType(parent, field, "an object of strings");
        }

        var raw = RawValue();
        labels = _caches.Labels.Get(raw, out int hash);
        if (labels is not null)
        {
            return true;
        }

        var inner = new Utf8JsonReader(raw);
        inner.Read();
        var built = new Dictionary<string, string>(StringComparer.Ordinal);
        while (inner.Read() && inner.TokenType == JsonTokenType.PropertyName)
        {
            if (!TryText(ref inner, _nameScratch, _caches.Strings, out string? key))
            {
                return InvalidUtf8(parent, field);
            }

            inner.Read();
            if (inner.TokenType != JsonTokenType.String)
            {
                return WrongType(parent, $"{field}.{key}", "a string", inner.TokenType);
            }

            if (!TryText(ref inner, _valueScratch, _caches.Strings, out string? value))
            {
                return InvalidUtf8(parent, $"{field}.{key}");
            }

            built[key!] = value!;
        }

        labels = built;
        _caches.Labels.Add(raw, hash, built);
        return true;
    }

    private bool ReadIp(string parent, string field, out IPAddress? ip)
    {
        ip = null;
        switch (_reader.TokenType)
        {
            case JsonTokenType.Null:
                return true;
            case JsonTokenType.String:
                break;
            default:
                return WrongType(parent, field, "an IP address string");
        }

        ReadOnlySpan<byte> text = _reader.ValueSpan;
        if (_reader.ValueIsEscaped)
        {
            if (text.Length > _valueScratch.Length)
            {
                return Fail(EcsReadFailure.InvalidValue, $"{InvalidJson}$.{Join(parent, field)}: '{Quote(text)}' is not an IP address");
            }

            text = _valueScratch[.._reader.CopyString(_valueScratch)];
        }

        bool lookUp = _caches.AddressLookups.ShouldLookUp();
        int hash = 0;
        if (lookUp)
        {
            ip = _caches.Addresses.Get(text, out hash);
            _caches.AddressLookups.Record(hit: ip is not null);
            if (ip is not null)
            {
                return true;
            }
        }

        if (!IPAddress.TryParse(text, out ip))
        {
            return Fail(EcsReadFailure.InvalidValue, $"{InvalidJson}$.{Join(parent, field)}: '{Quote(text)}' is not an IP address");
        }

        if (lookUp)
        {
            _caches.Addresses.Add(text, hash, ip);
        }

        return true;
    }

    private bool ReadTimestamp(string parent, string field, out DateTimeOffset? value)
    {
        value = null;
        switch (_reader.TokenType)
        {
            case JsonTokenType.Null:
                return true;
            case JsonTokenType.String:
                break;
            default:
                return WrongType(parent, field, "an ISO 8601 timestamp string");
        }

        if (!_reader.ValueIsEscaped && Utf8Timestamp.TryParse(_reader.ValueSpan, out var parsed))
        {
            value = parsed;
            return true;
        }

        // Other ISO 8601 forms (no offset, a date alone, escaped text) as the serializer read them.
        if (_reader.TryGetDateTimeOffset(out parsed))
        {
            value = parsed.ToUniversalTime();
            return true;
        }

        return Fail(EcsReadFailure.InvalidValue, $"{InvalidJson}$.{Join(parent, field)}: '{Quote(_reader.ValueSpan)}' is not an ISO 8601 timestamp");
    }

    private bool ReadInt32(string parent, string field, out int? value)
    {
        value = null;
        switch (_reader.TokenType)
        {
            case JsonTokenType.Null:
                return true;
            case JsonTokenType.Number when _reader.TryGetInt32(out int number):
                value = number;
                return true;
            case JsonTokenType.Number:
                return NotInRange(parent, field, "a 32-bit integer");
            default:
                return WrongType(parent, field, "an integer");
        }
    }

    private bool ReadUInt32(string parent, string field, out uint? value)
    {
        value = null;
        switch (_reader.TokenType)
        {
            case JsonTokenType.Null:
                return true;
            case JsonTokenType.Number when _reader.TryGetUInt32(out uint number):
                value = number;
                return true;
            case JsonTokenType.Number:
                return NotInRange(parent, field, "an unsigned 32-bit integer");
            default:
                return WrongType(parent, field, "an unsigned integer");
        }
    }

    private bool ReadInt64(string parent, string field, out long? value)
    {
        value = null;
        switch (_reader.TokenType)
        {
            case JsonTokenType.Null:
                return true;
            case JsonTokenType.Number when _reader.TryGetInt64(out long number):
                value = number;
                return true;
            case JsonTokenType.Number:
                return NotInRange(parent, field, "a 64-bit integer");
            default:
                return WrongType(parent, field, "an integer");
        }
    }

    private bool ReadDouble(string parent, string field, out double? value)
    {
        value = null;
        switch (_reader.TokenType)
        {
            case JsonTokenType.Null:
                return true;
            case JsonTokenType.Number when _reader.TryGetDouble(out double number):
                value = number;
                return true;
            case JsonTokenType.Number:
                return NotInRange(parent, field, "a finite number");
            default:
                return WrongType(parent, field, "a number");
        }
    }

    private bool ReadBool(string parent, string field, out bool? value)
    {
        value = null;
        switch (_reader.TokenType)
        {
            case JsonTokenType.Null:
                return true;
            case JsonTokenType.True:
                value = true;
                return true;
            case JsonTokenType.False:
                value = false;
                return true;
            default:
                return WrongType(parent, field, "true or false");
        }
    }

    private bool ReadBase64(string parent, string field, out byte[]? value)
    {
        value = null;
        switch (_reader.TokenType)
        {
            case JsonTokenType.Null:
                return true;
            case JsonTokenType.String when _reader.TryGetBytesFromBase64(out value):
                return true;
            case JsonTokenType.String:
                return Fail(EcsReadFailure.InvalidValue, $"{InvalidJson}$.{Join(parent, field)}: not valid base64");
            default:
                return WrongType(parent, field, "a base64 string");
        }
    }

    private bool TryProtocol(out byte protocol)
    {
        if (_ianaNumber is { } number)
        {
            if (byte.TryParse(number, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out protocol))
            {
                return true;
            }

            return Fail(EcsReadFailure.InvalidValue, $"network.iana_number '{number}' is not a protocol number 0-255");
        }

        if (EcsValues.TryParseTransport(_transport, out protocol))
        {
            return true;
        }

        return _transport is null
            ? Fail(EcsReadFailure.MissingField, "network.iana_number and network.transport are both missing")
            : Fail(EcsReadFailure.InvalidValue, $"network.transport '{_transport}' is not a known transport");
    }

    private bool TryRange(int? value, int max, string field, out int result)
    {
        result = value ?? 0;
        return value is null || (value >= 0 && value <= max) || Fail(EcsReadFailure.InvalidValue, $"{field} {value} is outside 0-{max}");
    }

    private bool TryDns(out DnsFacts? facts)
    {
        facts = null;
        if (!_hasDns)
        {
            return true;
        }

        int? rcode = null;
        if (_dnsResponseCode is { } code)
        {
            if (!EcsValues.TryParseRcode(code, out int parsed))
            {
                return Fail(EcsReadFailure.InvalidValue, $"dns.response_code '{code}' is neither a response code name nor a number");
            }

            rcode = parsed;
        }

        int? opcode = null;
        if (_dnsOpCode is { } opName)
        {
            if (!EcsValues.TryParseOpcode(opName, out int parsed))
            {
                return Fail(EcsReadFailure.InvalidValue, $"dns.op_code '{opName}' is neither an opcode name nor a number 0-15");
            }

            opcode = parsed;
        }

        IReadOnlyList<string>? answers = _dnsAnswers is { Length: > 0 } ? _dnsAnswers
            : _dnsResolvedIps is { Count: > 0 } ? _dnsResolvedIps
            : null;
        facts = new DnsFacts
        {
            Query = _dnsQuestionName,
            QueryTypes = _dnsQuestionTypes ?? (_dnsQuestionType is { } type ? [type] : null),
            Rcode = rcode,
            Answers = answers,
            IsResponse = _dnsType == "answer",
            Opcode = opcode,
        };
        return true;
    }

    private readonly HttpFacts Http()
    {
        string? uri = _urlPath;
        if (_urlQuery is { } query)
        {
            uri = string.Concat(uri, "?", query);
        }

        return new HttpFacts
        {
            Method = _httpMethod,
            Host = _urlDomain,
            Uri = uri,
            Url = _urlFull,
            UserAgent = _userAgent,
            StatusCode = _httpStatusCode,
            Protocol = HttpProtocol(_httpVersion),
            IsResponse = _httpIsResponse ?? false,
            Headers = Headers(_httpRequestHeaders),
            RequestLine = _httpRequestLine,
            ResponseLine = _httpResponseLine,
            StatusMessage = _httpStatusMessage,
            ResponseProtocol = _httpResponseProtocol,
            ResponseHeaders = Headers(_httpResponseHeaders),
            RequestBody = Body(_httpRequestBodyText, _httpRequestBody),
            ResponseBody = Body(_httpResponseBodyText, _httpResponseBody),
        };
    }

    // A null array would convert to an empty, present body: absent stays absent.
    private static ReadOnlyMemory<byte>? Body(string? text, byte[]? base64) =>
        text is not null ? (ReadOnlyMemory<byte>?)Encoding.UTF8.GetBytes(text) : base64 is not null ? (ReadOnlyMemory<byte>?)base64 : null;

    private static List<KeyValuePair<string, string>>? Headers(List<NetSecHeader>? headers)
    {
        if (headers is null)
        {
            return null;
        }

        var list = new List<KeyValuePair<string, string>>(headers.Count);
        foreach (var header in headers)
        {
            list.Add(new(header?.Name ?? "", header?.Value ?? ""));
        }

        return list;
    }

    private readonly TlsFacts Tls()
    {
        List<TlsCertificate>? certificates = null;
        if (_tlsCertificates is { } list)
        {
            certificates = new List<TlsCertificate>(list.Count);
            foreach (var c in list)
            {
                certificates.Add(new TlsCertificate
                {
                    Der = c?.Der ?? ReadOnlyMemory<byte>.Empty,
                    Subject = c?.Subject,
                    Issuer = c?.Issuer,
                    Serial = c?.Serial,
                    Sha1Fingerprint = c?.Sha1,
                    SubjectAltNames = c?.SubjectAltNames,
                    NotBefore = c?.NotBefore,
                    NotAfter = c?.NotAfter,
                });
            }
        }

        return new TlsFacts
        {
            Sni = _tlsServerName,
            Version = _tlsVersion,
            Ja3 = _tlsJa3,
            ClientAlpn = _tlsClientAlpn,
            ServerAlpn = _tlsServerAlpn,
            Certificates = certificates,
        };
    }

    private static string? HttpProtocol(string? version) => version switch
    {
        "1.1" => "HTTP/1.1",
        "1.0" => "HTTP/1.0",
        "2" => "HTTP/2",
        "2.0" => "HTTP/2.0",
        "3" => "HTTP/3",
        _ => EcsValues.HttpProtocol(version),
    };

    private static FlowEndpoint Endpoint(IPAddress ip, ushort port, NetSecEndpointFacts fields) => new()
    {
        Ip = ip,
        Port = port,
        Namespace = fields.Namespace,
        Pod = fields.Pod,
        Workload = fields.Workload,
        Labels = fields.Labels,
        Identity = fields.Identity,
        ReservedEntity = fields.ReservedEntity,
        DnsNames = fields.DnsNames,
    };

    private void Read()
    {
        if (!_reader.Read())
        {
            throw new JsonException($"the document ends early (byte {_reader.BytesConsumed})");
        }
    }

    /// <summary>Moves to the next property of the current object and onto its value; false at the object's end.</summary>
    private bool NextProperty(out ReadOnlySpan<byte> name)
    {
        Read();
        if (_reader.TokenType == JsonTokenType.EndObject)
        {
            name = default;
            return false;
        }

        if (!_reader.ValueIsEscaped)
        {
            name = _reader.ValueSpan;
        }
        else
        {
            // Names longer than the scratch match no known field anyway.
            name = _reader.ValueSpan.Length <= _nameScratch.Length ? _nameScratch[.._reader.CopyString(_nameScratch)] : "?"u8;
        }

        Read();
        return true;
    }

    private bool Skip()
    {
        _reader.Skip();
        return true;
    }

    /// <summary>Skips the object or array the reader is on and returns its raw JSON, the key of the shared-value caches.</summary>
    private ReadOnlySpan<byte> RawValue()
    {
        int start = (int)_reader.TokenStartIndex;
        _reader.Skip();
        return _input[start..(int)_reader.BytesConsumed];
    }

    /// <summary>
    /// True when the reader is on an object to read. Otherwise false, with <paramref name="valid"/> true for null (an
    /// unknown section) and false, the failure recorded, for any other value.
    /// </summary>
    private bool EnterObject(string parent, string field, out bool valid)
    {
        if (_reader.TokenType == JsonTokenType.StartObject)
        {
            valid = true;
            return true;
        }

        valid = _reader.TokenType == JsonTokenType.Null || WrongType(parent, field, "an object");
        return false;
    }

    private bool WrongType(string parent, string field, string expected) => WrongType(parent, field, expected, _reader.TokenType);

    private bool WrongType(string parent, string field, string expected, JsonTokenType actual) =>
        Fail(EcsReadFailure.InvalidJson, $"{InvalidJson}$.{Join(parent, field)}: expected {expected}, got {Describe(actual)}");

    private bool NotInRange(string parent, string field, string expected) =>
        Fail(EcsReadFailure.InvalidValue, $"{InvalidJson}$.{Join(parent, field)}: {Quote(_reader.ValueSpan)} is not {expected}");

    private bool InvalidUtf8(string parent, string field) =>
        Fail(EcsReadFailure.InvalidJson, $"{InvalidJson}$.{Join(parent, field)}: the text is not valid UTF-8");

    private bool Fail(EcsReadFailure failure, string message)
    {
        Failure = failure;
        Error = message;
        return false;
    }

    private FlowEvent? FailFlow(EcsReadFailure failure, string message)
    {
        Fail(failure, message);
        return null;
    }

    private static bool Is(ReadOnlySpan<byte> name, ReadOnlySpan<byte> literal) => name.SequenceEqual(literal);

    private static string Join(string parent, string field) => parent.Length == 0 ? field : parent + "." + field;
}
