using System.Globalization;
using NetSecStream.Core.Events;

namespace NetSecStream.Core.Ecs;

/// <summary>Turns a parsed ECS document back into the event model; each failure names the field at fault.</summary>
internal static class EcsReader
{
    public static FlowEvent? ToFlow(EcsDocument doc, out string? error)
    {
        var netsec = doc.NetSec;
        if (netsec?.SchemaVersion is null)
        {
            error = "netsec.schema_version is missing";
            return null;
        }

        if (netsec.SchemaVersion != SchemaVersion.Current)
        {
            error = $"netsec.schema_version '{netsec.SchemaVersion}' is not supported (this build reads '{SchemaVersion.Current}')";
            return null;
        }

        // An alert's @timestamp is when it was raised; the flow's own time is event.start.
        var timestamp = doc.Event?.Kind == EcsValues.KindAlert && doc.Event.Start is { } start ? start.Value : doc.Timestamp?.Value;
        if (timestamp is null)
        {
            error = "@timestamp is missing";
            return null;
        }

        if (doc.Source?.Ip is null)
        {
            error = "source.ip is missing";
            return null;
        }

        if (doc.Destination?.Ip is null)
        {
            error = "destination.ip is missing";
            return null;
        }

        if (!TryProtocol(doc.Network, out byte protocol, out error) ||
            !TryPort(doc.Source.Port, "source.port", out ushort sourcePort, out error) ||
            !TryPort(doc.Destination.Port, "destination.port", out ushort destinationPort, out error) ||
            !TryByte(netsec.Icmp?.Type, "netsec.icmp.type", out byte? icmpType, out error) ||
            !TryByte(netsec.Icmp?.Code, "netsec.icmp.code", out byte? icmpCode, out error))
        {
            return null;
        }

        if (!EcsValues.TryParseDirection(doc.Network?.Direction, out var direction))
        {
            error = $"network.direction '{doc.Network?.Direction}' is not one of ingress, egress, unknown";
            return null;
        }

        if (!EcsValues.TryParseVerdict(netsec.Verdict, out var verdict))
        {
            error = $"netsec.verdict '{netsec.Verdict}' is not a known verdict";
            return null;
        }

        if (!EcsValues.TryParseTcpFlags(netsec.TcpFlags, out var tcpFlags, out string? unknownFlag))
        {
            error = $"netsec.tcp_flags: unknown flag '{unknownFlag}'";
            return null;
        }

        if (!TryDns(doc, out var dns, out error))
        {
            return null;
        }

        error = null;
        return new FlowEvent
        {
            Timestamp = timestamp.Value,
            Source = Endpoint(doc.Source, sourcePort, netsec.Source),
            Destination = Endpoint(doc.Destination, destinationPort, netsec.Destination),
            IpProtocol = protocol,
            Direction = direction,
            Verdict = verdict,
            IsReply = netsec.IsReply,
            Bytes = doc.Network?.Bytes,
            Packets = doc.Network?.Packets,
            TcpFlags = tcpFlags,
            IcmpType = icmpType,
            IcmpCode = icmpCode,
            Dns = dns,
            Http = Http(doc),
            Tls = doc.Tls is { } tls
                ? new TlsFacts { Sni = tls.Client?.ServerName, Version = tls.Version, Ja3 = tls.Client?.Ja3 }
                : null,
            Payload = netsec.Payload is { } payload
                ? new PayloadBuffers { ToServer = payload.ToServer ?? default, ToClient = payload.ToClient ?? default }
                : null,
            CollectorId = netsec.Collector ?? "",
            NodeName = doc.Observer?.Hostname,
            Cluster = doc.Orchestrator?.Cluster?.Name,
            CommunityId = doc.Network?.CommunityId,
            Summary = netsec.Summary,
        };
    }

    public static Alert? ToAlert(EcsDocument doc, out string? error)
    {
        if (doc.Event?.Kind != EcsValues.KindAlert)
        {
            error = $"event.kind is '{doc.Event?.Kind}', not 'alert'";
            return null;
        }

        var flow = ToFlow(doc, out error);
        if (flow is null)
        {
            return null;
        }

        var ev = doc.Event;
        var netsec = doc.NetSec!;
        error = ev.Id is null ? "event.id is missing"
            : doc.Rule?.Id is null ? "rule.id is missing"
            : doc.Rule.Name is null ? "rule.name is missing"
            : ev.Severity is null ? "event.severity is missing"
            : ev.RiskScore is null ? "event.risk_score is missing"
            : netsec.Detector is null ? "netsec.detector is missing"
            : netsec.DedupeKey is null ? "netsec.dedupe_key is missing"
            : doc.Timestamp is null ? "@timestamp is missing"
            : null;
        if (error is not null)
        {
            return null;
        }

        if (!EcsValues.TryParseMode(netsec.Mode ?? ev.Action, out var mode))
        {
            error = $"netsec.mode '{netsec.Mode}' is not one of log, alert, block";
            return null;
        }

        return new Alert
        {
            Id = ev.Id!,
            Timestamp = doc.Timestamp!.Value.Value,
            Detector = netsec.Detector!,
            RuleId = doc.Rule!.Id!,
            RuleName = doc.Rule.Name!,
            RuleCategory = doc.Rule.Category,
            Ruleset = doc.Rule.Ruleset,
            RuleVersion = doc.Rule.Version,
            Severity = ev.Severity!.Value,
            RiskScore = ev.RiskScore!.Value,
            Mode = mode,
            Explanation = netsec.Explanation ?? "",
            DedupeKey = netsec.DedupeKey!,
            DedupeCount = netsec.DedupeCount ?? 1,
            Flow = flow,
        };
    }

    private static bool TryProtocol(EcsNetwork? network, out byte protocol, out string? error)
    {
        error = null;
        if (network?.IanaNumber is { } number)
        {
            if (byte.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out protocol))
            {
                return true;
            }

            error = $"network.iana_number '{number}' is not a protocol number 0-255";
            return false;
        }

        if (EcsValues.TryParseTransport(network?.Transport, out protocol))
        {
            return true;
        }

        error = network?.Transport is null
            ? "network.iana_number and network.transport are both missing"
            : $"network.transport '{network.Transport}' is not a known transport";
        return false;
    }

    private static bool TryPort(int? value, string field, out ushort port, out string? error)
    {
        error = null;
        port = 0;
        if (value is null)
        {
            return true;
        }

        if (value is < 0 or > ushort.MaxValue)
        {
            error = $"{field} {value} is outside 0-65535";
            return false;
        }

        port = (ushort)value.Value;
        return true;
    }

    private static bool TryByte(int? value, string field, out byte? result, out string? error)
    {
        error = null;
        result = null;
        if (value is null)
        {
            return true;
        }

        if (value is < 0 or > byte.MaxValue)
        {
            error = $"{field} {value} is outside 0-255";
            return false;
        }

        result = (byte)value.Value;
        return true;
    }

    private static FlowEndpoint Endpoint(EcsEndpoint ecs, ushort port, NetSecEndpoint? netsec) => new()
    {
        Ip = ecs.Ip!.Value.Value,
        Port = port,
        Namespace = netsec?.Namespace,
        Pod = netsec?.Pod,
        Workload = netsec?.Workload,
        Labels = netsec?.Labels,
        Identity = netsec?.Identity,
        ReservedEntity = netsec?.ReservedEntity,
        DnsNames = netsec?.DnsNames,
    };

    private static bool TryDns(EcsDocument doc, out DnsFacts? facts, out string? error)
    {
        facts = null;
        error = null;
        if (doc.Dns is not { } dns)
        {
            return true;
        }

        int? rcode = null;
        if (dns.ResponseCode is { } code)
        {
            if (!EcsValues.TryParseRcode(code, out int parsed))
            {
                error = $"dns.response_code '{code}' is neither a response code name nor a number";
                return false;
            }

            rcode = parsed;
        }

        string[]? answers = null;
        if (dns.Answers is { Count: > 0 } ecsAnswers)
        {
            answers = new string[ecsAnswers.Count];
            for (int i = 0; i < answers.Length; i++)
            {
                answers[i] = ecsAnswers[i].Data ?? "";
            }
        }
        else if (dns.ResolvedIp is { Count: > 0 } resolved)
        {
            answers = [.. resolved];
        }

        facts = new DnsFacts
        {
            Query = dns.Question?.Name,
            QueryTypes = doc.NetSec?.Dns?.QuestionTypes ?? (dns.Question?.Type is { } type ? [type] : null),
            Rcode = rcode,
            Answers = answers,
            IsResponse = dns.Type == "answer",
        };
        return true;
    }

    private static HttpFacts? Http(EcsDocument doc)
    {
        if (doc.Http is null && doc.Url is null && doc.UserAgent is null && doc.NetSec?.Http is null)
        {
            return null;
        }

        var url = doc.Url;
        string? uri = url?.Path;
        if (url?.Query is { } query)
        {
            uri = (uri ?? "") + "?" + query;
        }

        return new HttpFacts
        {
            Method = doc.Http?.Request?.Method,
            Host = url?.Domain,
            Uri = uri,
            Url = url?.Full,
            UserAgent = doc.UserAgent?.Original,
            StatusCode = doc.Http?.Response?.StatusCode,
            Protocol = EcsValues.HttpProtocol(doc.Http?.Version),
            IsResponse = doc.NetSec?.Http?.IsResponse ?? false,
        };
    }
}
