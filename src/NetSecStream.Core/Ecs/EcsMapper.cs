using System.Net;
using System.Net.Sockets;
using NetSecStream.Core.Events;

namespace NetSecStream.Core.Ecs;

/// <summary>Builds the ECS document of a flow or an alert. Hot path: no LINQ, shared keyword arrays, no copies of the event's lists.</summary>
internal static class EcsMapper
{
    private static readonly EcsVersionField _ecsVersion = new() { Version = SchemaVersion.EcsVersion };

    public static EcsDocument FromFlow(FlowEvent flow)
    {
        var doc = new EcsDocument { Timestamp = new EcsTimestamp(flow.Timestamp) };
        bool hasApplicationFacts = flow.Dns is not null || flow.Http is not null || flow.Tls is not null || flow.Ssh is not null;
        doc.Event = new EcsEvent
        {
            Kind = EcsValues.KindEvent,
            Category = EcsValues.FlowCategory,
            Type = EcsValues.FlowEventType(flow.Verdict, hasApplicationFacts),
            Action = EcsValues.VerdictName(flow.Verdict),
            Dataset = EcsValues.FlowDataset,
            Module = EcsValues.Module,
        };
        AddFlowFacts(doc, flow);
        if (flow.Http is { } http)
        {
            AddHttpBodies(doc, http);
        }

        if (flow.Payload is { } payload && (!payload.ToServer.IsEmpty || !payload.ToClient.IsEmpty))
        {
            doc.NetSec!.Payload = new NetSecPayload
            {
                ToServer = payload.ToServer.IsEmpty ? null : payload.ToServer,
                ToClient = payload.ToClient.IsEmpty ? null : payload.ToClient,
            };
        }

        return doc;
    }

    public static EcsDocument FromAlert(Alert alert)
    {
        var flow = alert.Flow;
        var doc = new EcsDocument { Timestamp = new EcsTimestamp(alert.Timestamp) };
        doc.Event = new EcsEvent
        {
            Kind = EcsValues.KindAlert,
            Category = EcsValues.AlertCategory,
            Type = EcsValues.AlertEventType(flow.Verdict),
            Action = EcsValues.ModeName(alert.Mode),
            Dataset = EcsValues.AlertDataset,
            Module = EcsValues.Module,
            Id = alert.Id,
            Severity = alert.Severity,
            RiskScore = alert.RiskScore,
            Start = new EcsTimestamp(flow.Timestamp),
        };
        doc.Rule = new EcsRule
        {
            Id = alert.RuleId,
            Name = alert.RuleName,
            Category = alert.RuleCategory,
            Ruleset = alert.Ruleset,
            Version = alert.RuleVersion,
        };
        AddFlowFacts(doc, flow);
        var netsec = doc.NetSec!;
        netsec.Detector = alert.Detector;
        netsec.Mode = EcsValues.ModeName(alert.Mode);
        netsec.Explanation = alert.Explanation;
        netsec.DedupeKey = alert.DedupeKey;
        netsec.DedupeCount = alert.DedupeCount;
        netsec.FirstSeen = alert.FirstSeen is { } first ? new EcsTimestamp(first) : null;
        netsec.LastSeen = alert.LastSeen is { } last ? new EcsTimestamp(last) : null;
        return doc;
    }

    private static void AddFlowFacts(EcsDocument doc, FlowEvent flow)
    {
        doc.Ecs = _ecsVersion;
        doc.Source = Endpoint(flow.Source);
        doc.Destination = Endpoint(flow.Destination);
        doc.Network = new EcsNetwork
        {
            Transport = TransportNames.EcsName(flow.IpProtocol),
            IanaNumber = EcsValues.IanaNumber(flow.IpProtocol),
            Type = flow.Source.Ip.AddressFamily == AddressFamily.InterNetworkV6 && !flow.Source.Ip.IsIPv4MappedToIPv6 ? "ipv6" : "ipv4",
            Protocol = flow.AppProtocol ?? (flow.Http is not null ? "http" : flow.Tls is not null ? "tls" : flow.Dns is not null ? "dns" : flow.Ssh is not null ? "ssh" : null),
            Direction = EcsValues.DirectionName(flow.Direction),
            CommunityId = flow.CommunityId ?? ComputeCommunityId(flow),
            Bytes = flow.Bytes,
            Packets = flow.Packets,
        };

        if (flow.Dns is { } dns)
        {
            AddDns(doc, dns);
        }

        if (flow.Http is { } http)
        {
            AddHttp(doc, http);
        }

        var leaf = flow.Tls?.Certificates is { Count: > 0 } certificates ? certificates[0] : null;
        string? nextProtocol = flow.Tls?.ServerAlpn is { Count: > 0 } alpn ? alpn[0] : null;
        if (flow.Tls is { } tls && (tls.Sni is not null || tls.Version is not null || tls.Ja3 is not null || leaf is not null || nextProtocol is not null))
        {
            var (version, protocol) = EcsValues.TlsVersion(tls.Version);
            doc.Tls = new EcsTls
            {
                Version = version,
                VersionProtocol = protocol,
                Client = tls.Sni is null && tls.Ja3 is null ? null : new EcsTlsClient { ServerName = tls.Sni, Ja3 = tls.Ja3 },
                NextProtocol = nextProtocol,
                Server = leaf is null ? null : LeafCertificate(leaf),
            };
        }

        AddOrchestrator(doc, flow);
        doc.Observer = new EcsObserver { Type = EcsValues.ObserverType, Hostname = flow.NodeName };

        bool icmp = flow.IpProtocol is 1 or 58;
        doc.NetSec = new NetSecFields
        {
            SchemaVersion = SchemaVersion.Current,
            Collector = flow.CollectorId.Length == 0 ? null : flow.CollectorId,
            Verdict = EcsValues.VerdictName(flow.Verdict),
            IsReply = flow.IsReply,
            TcpFlags = EcsValues.TcpFlagNames(flow.TcpFlags),
            Icmp = icmp && (flow.IcmpType is not null || flow.IcmpCode is not null)
                ? new NetSecIcmp { Type = flow.IcmpType, Code = flow.IcmpCode }
                : null,
            Summary = flow.Summary,
            EventKind = EcsValues.EventKindName(flow.Kind),
            PacketNumber = flow.PacketNumber,
            Established = flow.Established,
            AppProtocol = flow.AppProtocol,
            Source = NetSecEndpoint(flow.Source),
            Destination = NetSecEndpoint(flow.Destination),
            Dns = flow.Dns?.QueryTypes is { Count: > 1 } types ? new NetSecDns { QuestionTypes = types } : null,
            Http = NetSecHttp(flow.Http),
            Tls = NetSecTls(flow.Tls),
            Ssh = flow.Ssh is { } ssh
                ? new NetSecSsh { ClientProto = ssh.ClientProto, ClientSoftware = ssh.ClientSoftware, ServerProto = ssh.ServerProto, ServerSoftware = ssh.ServerSoftware }
                : null,
        };
    }

    private static NetSecHttp? NetSecHttp(HttpFacts? http)
    {
        if (http is null || (!http.IsResponse && http.RequestLine is null && http.ResponseLine is null && http.StatusMessage is null
            && http.ResponseProtocol is null && http.Headers is null && http.ResponseHeaders is null))
        {
            return null;
        }

        return new NetSecHttp
        {
            IsResponse = http.IsResponse ? true : null,
            RequestLine = http.RequestLine,
            ResponseLine = http.ResponseLine,
            StatusMessage = http.StatusMessage,
            ResponseProtocol = http.ResponseProtocol,
            RequestHeaders = Headers(http.Headers),
            ResponseHeaders = Headers(http.ResponseHeaders),
        };
    }

    private static NetSecHeader[]? Headers(IReadOnlyList<KeyValuePair<string, string>>? headers)
    {
        if (headers is null)
        {
            return null;
        }

        var result = new NetSecHeader[headers.Count];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = new NetSecHeader { Name = headers[i].Key, Value = headers[i].Value };
        }

        return result;
    }

    // Bodies go with flows only (as payload prefixes do): a body that is valid UTF-8 as ECS http.*.body.content, any other
    // base64 under netsec.http, so the bytes come back exactly.
    private static void AddHttpBodies(EcsDocument doc, HttpFacts http)
    {
        if (http.RequestBody is { } request)
        {
            var body = Body(request, out byte[]? binary);
            if (body.Content is not null)
            {
                doc.Http ??= new EcsHttp();
                doc.Http.Request ??= new EcsHttpRequest();
                doc.Http.Request.Body = body;
            }
            else
            {
                doc.NetSec!.Http ??= new NetSecHttp();
                doc.NetSec.Http.RequestBody = binary;
            }
        }

        if (http.ResponseBody is { } response)
        {
            var body = Body(response, out byte[]? binary);
            if (body.Content is not null)
            {
                doc.Http ??= new EcsHttp();
                doc.Http.Response ??= new EcsHttpResponse();
                doc.Http.Response.Body = body;
            }
            else
            {
                doc.NetSec!.Http ??= new NetSecHttp();
                doc.NetSec.Http.ResponseBody = binary;
            }
        }
    }

    private static EcsHttpBody Body(ReadOnlyMemory<byte> bytes, out byte[]? binary)
    {
        binary = null;
        try
        {
            return new EcsHttpBody { Content = StrictUtf8.GetString(bytes.Span) };
        }
        catch (System.Text.DecoderFallbackException)
        {
            binary = bytes.ToArray();
            return new EcsHttpBody();
        }
    }

    private static readonly System.Text.UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static EcsTlsServer LeafCertificate(TlsCertificate leaf) => new()
    {
        Hash = leaf.Sha1Fingerprint is null ? null : new EcsTlsHash { Sha1 = leaf.Sha1Fingerprint.Replace(":", "", StringComparison.Ordinal).ToUpperInvariant() },
        NotBefore = leaf.NotBefore is { } notBefore ? new EcsTimestamp(notBefore) : null,
        NotAfter = leaf.NotAfter is { } notAfter ? new EcsTimestamp(notAfter) : null,
        X509 = new EcsX509
        {
            Subject = leaf.Subject is null ? null : new EcsX509Name { DistinguishedName = leaf.Subject },
            Issuer = leaf.Issuer is null ? null : new EcsX509Name { DistinguishedName = leaf.Issuer },
            SerialNumber = leaf.Serial?.Replace(":", "", StringComparison.Ordinal),
            AlternativeNames = leaf.SubjectAltNames,
        },
    };

    private static NetSecTls? NetSecTls(TlsFacts? tls)
    {
        if (tls is null || (tls.ClientAlpn is null && tls.ServerAlpn is null && tls.Certificates is null))
        {
            return null;
        }

        NetSecCertificate[]? certificates = null;
        if (tls.Certificates is { } list)
        {
            certificates = new NetSecCertificate[list.Count];
            for (int i = 0; i < certificates.Length; i++)
            {
                var c = list[i];
                certificates[i] = new NetSecCertificate
                {
                    Der = c.Der,
                    Subject = c.Subject,
                    Issuer = c.Issuer,
                    Serial = c.Serial,
                    Sha1 = c.Sha1Fingerprint,
                    SubjectAltNames = c.SubjectAltNames,
                    NotBefore = c.NotBefore,
                    NotAfter = c.NotAfter,
                };
            }
        }

        return new NetSecTls { ClientAlpn = tls.ClientAlpn, ServerAlpn = tls.ServerAlpn, Certificates = certificates };
    }

    private static string? ComputeCommunityId(FlowEvent flow)
    {
        try
        {
            return CommunityId.Compute(flow);
        }
        catch (ArgumentException)
        {
            // Mixed address families: a broken event, but still worth writing down as it is.
            return null;
        }
    }

    private static EcsEndpoint Endpoint(FlowEndpoint endpoint) => new()
    {
        Ip = new EcsIp(endpoint.Ip),
        Port = endpoint.Port == 0 ? null : endpoint.Port,
        Domain = endpoint.DnsNames is { Count: > 0 } names ? names[0] : null,
    };

    private static NetSecEndpoint? NetSecEndpoint(FlowEndpoint endpoint)
    {
        if (endpoint.Namespace is null && endpoint.Pod is null && endpoint.Workload is null && endpoint.Labels is null &&
            endpoint.Identity is null && endpoint.ReservedEntity is null && endpoint.DnsNames is null)
        {
            return null;
        }

        return new NetSecEndpoint
        {
            Namespace = endpoint.Namespace,
            Pod = endpoint.Pod,
            Workload = endpoint.Workload,
            Labels = endpoint.Labels,
            Identity = endpoint.Identity,
            ReservedEntity = endpoint.ReservedEntity,
            DnsNames = endpoint.DnsNames,
        };
    }

    private static void AddDns(EcsDocument doc, DnsFacts dns)
    {
        var answers = dns.Answers;
        EcsDnsAnswer[]? ecsAnswers = null;
        List<string>? resolved = null;
        if (answers is { Count: > 0 })
        {
            ecsAnswers = new EcsDnsAnswer[answers.Count];
            for (int i = 0; i < answers.Count; i++)
            {
                ecsAnswers[i] = new EcsDnsAnswer { Data = answers[i] };
                if (IPAddress.TryParse(answers[i], out _))
                {
                    (resolved ??= new List<string>(answers.Count)).Add(answers[i]);
                }
            }
        }

        doc.Dns = new EcsDns
        {
            Type = dns.IsResponse ? "answer" : "query",
            Question = dns.Query is null && dns.QueryTypes is not { Count: > 0 }
                ? null
                : new EcsDnsQuestion { Name = dns.Query, Type = dns.QueryTypes is { Count: > 0 } types ? types[0] : null },
            ResponseCode = dns.Rcode is { } rcode ? EcsValues.RcodeName(rcode) : null,
            OpCode = dns.Opcode is { } opcode ? EcsValues.OpcodeName(opcode) : null,
            Answers = ecsAnswers,
            ResolvedIp = resolved,
        };
    }

    private static void AddHttp(EcsDocument doc, HttpFacts http)
    {
        if (http.Method is not null || http.StatusCode is not null || http.Protocol is not null)
        {
            doc.Http = new EcsHttp
            {
                Version = EcsValues.HttpVersion(http.Protocol),
                Request = http.Method is null ? null : new EcsHttpRequest { Method = http.Method },
                Response = http.StatusCode is null ? null : new EcsHttpResponse { StatusCode = http.StatusCode },
            };
        }

        if (http.Host is not null || http.Uri is not null || http.Url is not null)
        {
            string? path = http.Uri;
            string? query = null;
            int mark = http.Uri?.IndexOf('?', StringComparison.Ordinal) ?? -1;
            if (mark >= 0)
            {
                path = http.Uri![..mark];
                query = http.Uri[(mark + 1)..];
            }

            doc.Url = new EcsUrl
            {
                Domain = http.Host,
                Path = path,
                Query = query,
                Original = http.Url ?? http.Uri,
                Full = http.Url,
            };
        }

        if (http.UserAgent is not null)
        {
            doc.UserAgent = new EcsUserAgent { Original = http.UserAgent };
        }
    }

    // orchestrator.* and kubernetes.* describe one pod: the source when it is a pod, else the destination
    // (traffic from the world into a pod is about that pod).
    private static void AddOrchestrator(EcsDocument doc, FlowEvent flow)
    {
        var subject = flow.Source.Namespace is not null || flow.Source.Pod is not null ? flow.Source
            : flow.Destination.Namespace is not null || flow.Destination.Pod is not null ? flow.Destination
            : null;

        doc.Orchestrator = new EcsOrchestrator
        {
            Type = EcsValues.OrchestratorType,
            Namespace = subject?.Namespace,
            Resource = subject?.Pod is null ? null : new EcsOrchestratorResource { Type = EcsValues.PodResource, Name = subject.Pod },
            Cluster = flow.Cluster is null ? null : new EcsOrchestratorCluster { Name = flow.Cluster },
        };

        if (subject is not null)
        {
            doc.Kubernetes = new EcsKubernetes
            {
                Namespace = subject.Namespace,
                Pod = subject.Pod is null ? null : new EcsKubernetesPod { Name = subject.Pod },
                Labels = subject.Labels is { Count: > 0 } ? new DedottedLabels(subject.Labels) : null,
            };
        }
    }
}
