using System.Globalization;
using NetSecStream.Core.Events;
using NetSecStream.Core.Telemetry;

namespace NetSecStream.Core.Ecs;

/// <summary>The keyword values the ECS document uses, both ways; shared arrays so writing allocates none.</summary>
internal static class EcsValues
{
    public const string KindEvent = "event";
    public const string KindAlert = "alert";
    public const string FlowDataset = "netsec.flow";
    public const string AlertDataset = "netsec.alert";
    public const string Module = "netsec";
    public const string ObserverType = "netsec";
    public const string OrchestratorType = "kubernetes";
    public const string PodResource = "pod";

    public static readonly IReadOnlyList<string> FlowCategory = ["network"];
    public static readonly IReadOnlyList<string> AlertCategory = ["network", "intrusion_detection"];

    private static readonly string[] _ianaNumbers = CreateIanaNumbers();

    // event.type of a flow, indexed by [verdict kind (0 other, 1 allowed, 2 denied), has application-protocol facts].
    private static readonly IReadOnlyList<string>[,] _flowTypes =
    {
        { ["connection"], ["connection", "protocol"] },
        { ["connection", "allowed"], ["connection", "allowed", "protocol"] },
        { ["connection", "denied"], ["connection", "denied", "protocol"] },
    };

    private static readonly IReadOnlyList<string> _alertAllowed = ["allowed"];
    private static readonly IReadOnlyList<string> _alertDenied = ["denied"];
    private static readonly IReadOnlyList<string> _alertInfo = ["info"];

    private static readonly (TcpFlags Flag, string Name)[] _tcpFlagNames =
    [
        (TcpFlags.Fin, "fin"),
        (TcpFlags.Syn, "syn"),
        (TcpFlags.Rst, "rst"),
        (TcpFlags.Psh, "psh"),
        (TcpFlags.Ack, "ack"),
        (TcpFlags.Urg, "urg"),
        (TcpFlags.Ece, "ece"),
        (TcpFlags.Cwr, "cwr"),
        (TcpFlags.Ns, "ns"),
    ];

    // Every combination of the nine flags, built on first use: flags repeat endlessly, their arrays need not.
    private static readonly IReadOnlyList<string>?[] _tcpFlagLists = new IReadOnlyList<string>?[1 << 9];

    // RFC 6895 / IANA DNS RCODE names; codes without a name are written as their number.
    private static readonly string[] _rcodeNames =
    [
        "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE", "DSOTYPENI",
    ];

    public static string IanaNumber(byte protocol) => _ianaNumbers[protocol];

    public static IReadOnlyList<string> FlowEventType(DataplaneVerdict verdict, bool hasApplicationFacts) =>
        _flowTypes[verdict switch { DataplaneVerdict.Forwarded => 1, DataplaneVerdict.Dropped => 2, _ => 0 }, hasApplicationFacts ? 1 : 0];

    public static IReadOnlyList<string> AlertEventType(DataplaneVerdict verdict) => verdict switch
    {
        DataplaneVerdict.Forwarded => _alertAllowed,
        DataplaneVerdict.Dropped => _alertDenied,
        _ => _alertInfo,
    };

    public static string? VerdictName(DataplaneVerdict verdict) => verdict switch
    {
        DataplaneVerdict.Forwarded => "forwarded",
        DataplaneVerdict.Dropped => "dropped",
        DataplaneVerdict.Audit => "audit",
        DataplaneVerdict.Redirected => "redirected",
        DataplaneVerdict.Error => "error",
        DataplaneVerdict.Traced => "traced",
        DataplaneVerdict.Translated => "translated",
        _ => null,
    };

    /// <summary><c>netsec.event_kind</c>: absent for a flow.</summary>
    public static string? EventKindName(FlowEventKind kind) => kind switch
    {
        FlowEventKind.Packet => "packet",
        FlowEventKind.Transaction => "transaction",
        FlowEventKind.Summary => "summary",
        _ => null,
    };

    public static bool TryParseEventKind(string? name, out FlowEventKind kind)
    {
        kind = name switch
        {
            null => FlowEventKind.Flow,
            "packet" => FlowEventKind.Packet,
            "transaction" => FlowEventKind.Transaction,
            "summary" => FlowEventKind.Summary,
            _ => (FlowEventKind)(-1),
        };
        return Enum.IsDefined(kind);
    }

    public static bool TryParseVerdict(string? name, out DataplaneVerdict verdict)
    {
        verdict = name switch
        {
            null => DataplaneVerdict.Unknown,
            "forwarded" => DataplaneVerdict.Forwarded,
            "dropped" => DataplaneVerdict.Dropped,
            "audit" => DataplaneVerdict.Audit,
            "redirected" => DataplaneVerdict.Redirected,
            "error" => DataplaneVerdict.Error,
            "traced" => DataplaneVerdict.Traced,
            "translated" => DataplaneVerdict.Translated,
            _ => (DataplaneVerdict)(-1),
        };
        return verdict >= 0;
    }

    public static string? DirectionName(TrafficDirection direction) => direction switch
    {
        TrafficDirection.Ingress => "ingress",
        TrafficDirection.Egress => "egress",
        _ => null,
    };

    public static bool TryParseDirection(string? name, out TrafficDirection direction)
    {
        direction = name switch
        {
            null or "unknown" => TrafficDirection.Unknown,
            "ingress" => TrafficDirection.Ingress,
            "egress" => TrafficDirection.Egress,
            _ => (TrafficDirection)(-1),
        };
        return direction >= 0;
    }

    public static string? ModeName(Mode mode) => ModeNames.ToName(mode);

    public static bool TryParseMode(string? name, out Mode mode)
    {
        mode = name switch
        {
            "log" => Mode.Log,
            "alert" => Mode.Alert,
            "block" => Mode.Block,
            _ => (Mode)(-1),
        };
        return mode >= 0;
    }

    public static bool TryParseTransport(string? name, out byte protocol)
    {
        switch (name)
        {
            case "tcp":
                protocol = 6;
                return true;
            case "udp":
                protocol = 17;
                return true;
            case "icmp":
                protocol = 1;
                return true;
            case "ipv6-icmp":
                protocol = 58;
                return true;
            case "sctp":
                protocol = 132;
                return true;
            default:
                return byte.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out protocol);
        }
    }

    public static IReadOnlyList<string>? TcpFlagNames(TcpFlags flags)
    {
        int index = (int)flags & ((1 << 9) - 1);
        if (index == 0)
        {
            return null;
        }

        var cached = Volatile.Read(ref _tcpFlagLists[index]);
        if (cached is not null)
        {
            return cached;
        }

        var names = new List<string>(9);
        foreach (var (flag, name) in _tcpFlagNames)
        {
            if ((flags & flag) != 0)
            {
                names.Add(name);
            }
        }

        string[] list = [.. names];
        Volatile.Write(ref _tcpFlagLists[index], list);
        return list;
    }

    public static bool TryParseTcpFlags(IReadOnlyList<string>? names, out TcpFlags flags, out string? unknown)
    {
        flags = TcpFlags.None;
        unknown = null;
        if (names is null)
        {
            return true;
        }

        for (int i = 0; i < names.Count; i++)
        {
            var flag = TcpFlags.None;
            foreach (var (candidate, name) in _tcpFlagNames)
            {
                if (string.Equals(name, names[i], StringComparison.OrdinalIgnoreCase))
                {
                    flag = candidate;
                    break;
                }
            }

            if (flag == TcpFlags.None)
            {
                unknown = names[i];
                return false;
            }

            flags |= flag;
        }

        return true;
    }

    public static string RcodeName(int rcode) =>
        rcode >= 0 && rcode < _rcodeNames.Length ? _rcodeNames[rcode] : rcode.ToString(CultureInfo.InvariantCulture);

    public static bool TryParseRcode(string text, out int rcode)
    {
        int index = Array.IndexOf(_rcodeNames, text.ToUpperInvariant());
        if (index >= 0)
        {
            rcode = index;
            return true;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out rcode);
    }

    /// <summary>ECS <c>dns.op_code</c>: the OPCODE's IANA name (RFC 6895 2.2), its number where it has none.</summary>
    public static string OpcodeName(int opcode) => opcode switch
    {
        0 => "QUERY",
        1 => "IQUERY",
        2 => "STATUS",
        4 => "NOTIFY",
        5 => "UPDATE",
        6 => "DSO",
        _ => opcode.ToString(CultureInfo.InvariantCulture),
    };

    public static bool TryParseOpcode(string text, out int opcode)
    {
        for (int i = 0; i < 16; i++)
        {
            if (string.Equals(OpcodeName(i), text, StringComparison.OrdinalIgnoreCase))
            {
                opcode = i;
                return true;
            }
        }

        opcode = 0;
        return false;
    }

    /// <summary>ECS <c>tls.version</c> ("1.2") and <c>tls.version_protocol</c> ("tls") from "TLS 1.2", "TLSv1.3", "SSLv3", "1.2" ...</summary>
    public static (string? Version, string? Protocol) TlsVersion(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return (null, null);
        }

        var span = text.AsSpan().Trim();
        string protocol = "tls";
        if (span.StartsWith("SSL", StringComparison.OrdinalIgnoreCase))
        {
            protocol = "ssl";
            span = span[3..];
        }
        else if (span.StartsWith("TLS", StringComparison.OrdinalIgnoreCase))
        {
            span = span[3..];
        }

        span = span.TrimStart(" vV_-");
        if (span.IsEmpty)
        {
            return (null, protocol);
        }

        // "SSLv3" is version 3.0 in ECS's examples.
        string version = !span.Contains('.') ? string.Concat(span, ".0")
            : span.Length == text.Length ? text
            : span.ToString();
        return (version, protocol);
    }

    /// <summary>ECS <c>http.version</c> ("1.1") from "HTTP/1.1"; anything else as given.</summary>
    public static string? HttpVersion(string? protocol) =>
        protocol is not null && protocol.StartsWith("HTTP/", StringComparison.OrdinalIgnoreCase) ? protocol[5..] : protocol;

    public static string? HttpProtocol(string? version) =>
        version is { Length: > 0 } && char.IsAsciiDigit(version[0]) ? "HTTP/" + version : version;

    private static string[] CreateIanaNumbers()
    {
        var numbers = new string[256];
        for (int i = 0; i < numbers.Length; i++)
        {
            numbers[i] = i.ToString(CultureInfo.InvariantCulture);
        }

        return numbers;
    }
}
