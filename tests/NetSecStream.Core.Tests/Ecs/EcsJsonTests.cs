using System.Buffers;
using System.Net;
using System.Text;
using System.Text.Json;
using NetSecStream.Core.Ecs;
using NetSecStream.Core.Events;

namespace NetSecStream.Core.Tests.Ecs;

public sealed class EcsJsonTests
{
    [Fact]
    public void SerializeAlert_FullAlert_HasEcsShape()
    {
        var alert = EcsSamples.AlertOn(EcsSamples.HttpFlowV4());

        using var doc = JsonDocument.Parse(EcsJson.SerializeAlert(alert));
        var root = doc.RootElement;

        Assert.Equal("2025-03-14T15:09:28.535Z", Str(root, "@timestamp"));
        Assert.Equal(SchemaVersion.EcsVersion, Str(root, "ecs.version"));
        Assert.Equal("alert", Str(root, "event.kind"));
        Assert.Equal(["network", "intrusion_detection"], Strings(root, "event.category"));
        Assert.Equal(["allowed"], Strings(root, "event.type"));
        Assert.Equal("block", Str(root, "event.action"));
        Assert.Equal("netsec.alert", Str(root, "event.dataset"));
        Assert.Equal("netsec", Str(root, "event.module"));
        Assert.Equal("01JPBX7Q8W3M4K5N6P7R8S9T0V", Str(root, "event.id"));
        Assert.Equal(2, Get(root, "event.severity").GetInt32());
        Assert.Equal(63.5, Get(root, "event.risk_score").GetDouble());
        Assert.Equal("2025-03-14T15:09:26.5358979Z", Str(root, "event.start"));

        Assert.Equal("2027865", Str(root, "rule.id"));
        Assert.Equal("ET POLICY Observed DNS Query to .example TLD", Str(root, "rule.name"));
        Assert.Equal("Potentially Bad Traffic", Str(root, "rule.category"));
        Assert.Equal("emerging-threats", Str(root, "rule.ruleset"));
        Assert.Equal("3", Str(root, "rule.version"));

        Assert.Equal("10.0.1.15", Str(root, "source.ip"));
        Assert.Equal(43512, Get(root, "source.port").GetInt32());
        Assert.Equal("10.0.2.20", Str(root, "destination.ip"));
        Assert.Equal(8080, Get(root, "destination.port").GetInt32());

        Assert.Equal("tcp", Str(root, "network.transport"));
        Assert.Equal("6", Str(root, "network.iana_number"));
        Assert.Equal("ipv4", Str(root, "network.type"));
        Assert.Equal("http", Str(root, "network.protocol"));
        Assert.Equal("egress", Str(root, "network.direction"));
        Assert.Equal(alert.Flow.CommunityId, Str(root, "network.community_id"));
        Assert.Equal(1834, Get(root, "network.bytes").GetInt64());
        Assert.Equal(9, Get(root, "network.packets").GetInt64());

        Assert.Equal("POST", Str(root, "http.request.method"));
        Assert.Equal(201, Get(root, "http.response.status_code").GetInt32());
        Assert.Equal("1.1", Str(root, "http.version"));
        Assert.Equal("cart.shop.svc.cluster.local", Str(root, "url.domain"));
        Assert.Equal("/api/v1/items", Str(root, "url.path"));
        Assert.Equal("id=42&q=a+b", Str(root, "url.query"));
        Assert.Equal("http://cart.shop.svc.cluster.local:8080/api/v1/items?id=42&q=a+b", Str(root, "url.original"));
        Assert.Equal("http://cart.shop.svc.cluster.local:8080/api/v1/items?id=42&q=a+b", Str(root, "url.full"));
        Assert.Equal("Mozilla/5.0 (X11; Linux x86_64) <script>", Str(root, "user_agent.original"));

        Assert.Equal("kubernetes", Str(root, "orchestrator.type"));
        Assert.Equal("shop", Str(root, "orchestrator.namespace"));
        Assert.Equal("pod", Str(root, "orchestrator.resource.type"));
        Assert.Equal("frontend-7d9c8-abcde", Str(root, "orchestrator.resource.name"));
        Assert.Equal("prod-eu", Str(root, "orchestrator.cluster.name"));
        Assert.Equal("shop", Str(root, "kubernetes.namespace"));
        Assert.Equal("frontend-7d9c8-abcde", Str(root, "kubernetes.pod.name"));
        Assert.Equal("frontend", Get(root, "kubernetes.labels").GetProperty("app").GetString());
        Assert.Equal("shop", Get(root, "kubernetes.labels").GetProperty("app_kubernetes_io/part-of").GetString());

        Assert.Equal("node-a", Str(root, "observer.hostname"));
        Assert.Equal("netsec", Str(root, "observer.type"));

        Assert.Equal(SchemaVersion.Current, Str(root, "netsec.schema_version"));
        Assert.Equal("signature", Str(root, "netsec.detector"));
        Assert.Equal("block", Str(root, "netsec.mode"));
        Assert.Equal("content:\"evil\"; dns.query matched", Str(root, "netsec.explanation"));
        Assert.Equal("signature:2027865:shop/frontend", Str(root, "netsec.dedupe_key"));
        Assert.Equal(4, Get(root, "netsec.dedupe_count").GetInt64());
        Assert.Equal("hubble_file", Str(root, "netsec.collector"));
        Assert.Equal("forwarded", Str(root, "netsec.verdict"));
        Assert.Equal(["syn", "psh", "ack"], Strings(root, "netsec.tcp_flags"));
        Assert.Equal("TCP Flags: SYN, ACK, PSH", Str(root, "netsec.summary"));
        Assert.True(Get(root, "netsec.http.is_response").GetBoolean());

        // Kubernetes facts of both sides, labels with their original keys.
        Assert.Equal("shop", Str(root, "netsec.source.namespace"));
        Assert.Equal("frontend-7d9c8-abcde", Str(root, "netsec.source.pod"));
        Assert.Equal("frontend", Str(root, "netsec.source.workload"));
        Assert.Equal(12345u, Get(root, "netsec.source.identity").GetUInt32());
        Assert.Equal("shop", Get(root, "netsec.source.labels").GetProperty("app.kubernetes.io/part-of").GetString());
        Assert.Equal("cart-5f6b7-xyz12", Str(root, "netsec.destination.pod"));
        Assert.Equal("cart", Str(root, "netsec.destination.workload"));
        Assert.Equal("cart", Get(root, "netsec.destination.labels").GetProperty("app").GetString());
    }

    [Fact]
    public void SerializeFlow_DnsFlow_HasFlowShapeAndDnsFields()
    {
        var flow = EcsSamples.DnsFlowV6();

        using var doc = JsonDocument.Parse(EcsJson.SerializeFlow(flow));
        var root = doc.RootElement;

        Assert.Equal("2025-03-14T15:09:26.535Z", Str(root, "@timestamp"));
        Assert.Equal("event", Str(root, "event.kind"));
        Assert.Equal(["network"], Strings(root, "event.category"));
        Assert.Equal(["connection", "allowed", "protocol"], Strings(root, "event.type"));
        Assert.Equal("forwarded", Str(root, "event.action"));
        Assert.Equal("netsec.flow", Str(root, "event.dataset"));
        Assert.False(Has(root, "event.severity"));
        Assert.False(Has(root, "event.risk_score"));
        Assert.False(Has(root, "event.id"));
        Assert.False(Has(root, "rule"));
        Assert.False(Has(root, "netsec.detector"));

        Assert.Equal("fd00:10:244::1a", Str(root, "source.ip"));
        Assert.Equal("udp", Str(root, "network.transport"));
        Assert.Equal("17", Str(root, "network.iana_number"));
        Assert.Equal("ipv6", Str(root, "network.type"));
        Assert.Equal("dns", Str(root, "network.protocol"));
        Assert.Equal("kube-dns.kube-system.svc.cluster.local", Str(root, "destination.domain"));

        Assert.Equal("answer", Str(root, "dns.type"));
        Assert.Equal("evil-c2.example.com", Str(root, "dns.question.name"));
        Assert.Equal("AAAA", Str(root, "dns.question.type"));
        Assert.Equal(["AAAA", "A"], Strings(root, "netsec.dns.question_types"));
        Assert.Equal("NXDOMAIN", Str(root, "dns.response_code"));
        Assert.Equal(["2001:db8::7", "203.0.113.9"], Strings(root, "dns.resolved_ip"));
        var answers = Get(root, "dns.answers").EnumerateArray().Select(a => a.GetProperty("data").GetString() ?? "<null>").ToArray();
        Assert.Equal(["2001:db8::7", "203.0.113.9", "cname.example.net"], answers);

        Assert.Equal("payments", Str(root, "orchestrator.namespace"));
        Assert.Equal("api-0", Str(root, "orchestrator.resource.name"));
        Assert.Equal(SchemaVersion.Current, Str(root, "netsec.schema_version"));
    }

    [Fact]
    public void SerializeFlow_TrafficFromWorld_DescribesDestinationPodAndTls()
    {
        var flow = EcsSamples.TlsFlowFromWorld();

        using var doc = JsonDocument.Parse(EcsJson.SerializeFlow(flow));
        var root = doc.RootElement;

        Assert.Equal(["connection", "denied", "protocol"], Strings(root, "event.type"));
        Assert.Equal("dropped", Str(root, "event.action"));
        Assert.Equal("ingress", Str(root, "network.direction"));
        Assert.Equal("edge", Str(root, "orchestrator.namespace"));
        Assert.Equal("ingress-abc", Str(root, "orchestrator.resource.name"));
        Assert.Equal("ingress-nginx", Get(root, "kubernetes.labels").GetProperty("app_kubernetes_io/name").GetString());
        Assert.Equal("world", Str(root, "netsec.source.reserved_entity"));
        Assert.Equal(2u, Get(root, "netsec.source.identity").GetUInt32());
        Assert.Equal("shop.example.com", Str(root, "tls.client.server_name"));
        Assert.Equal("1.3", Str(root, "tls.version"));
        Assert.Equal("tls", Str(root, "tls.version_protocol"));
        Assert.Equal("e7d705a3286e19ea42f587b344ee6865", Str(root, "tls.client.ja3"));
        Assert.Equal(Convert.ToBase64String([0x16, 0x03, 0x01, 0x00, 0xff]), Str(root, "netsec.payload.to_server"));
    }

    [Fact]
    public void SerializeAlert_FlowWithPayload_LeavesPayloadOut()
    {
        using var doc = JsonDocument.Parse(EcsJson.SerializeAlert(EcsSamples.AlertOn(EcsSamples.TlsFlowFromWorld())));

        Assert.False(Has(doc.RootElement, "netsec.payload"));
        Assert.Equal(["denied"], Strings(doc.RootElement, "event.type"));
    }

    [Fact]
    public void SerializeFlow_Icmp_WritesTypeAndCode()
    {
        using var doc = JsonDocument.Parse(EcsJson.SerializeFlow(EcsSamples.IcmpEchoV4()));
        var root = doc.RootElement;

        Assert.Equal("icmp", Str(root, "network.transport"));
        Assert.Equal(8, Get(root, "netsec.icmp.type").GetInt32());
        Assert.Equal(0, Get(root, "netsec.icmp.code").GetInt32());
        Assert.False(Has(root, "source.port"));
        Assert.Equal("audit", Str(root, "netsec.verdict"));
        Assert.Equal(["connection"], Strings(root, "event.type"));
    }

    [Fact]
    public void SerializeFlow_MinimalFlow_OmitsUnknownFacts()
    {
        using var doc = JsonDocument.Parse(EcsJson.SerializeFlow(EcsSamples.Minimal()));
        var root = doc.RootElement;

        foreach (string absent in new[]
        {
            "dns", "http", "url", "user_agent", "tls", "kubernetes", "rule", "event.action", "network.direction",
            "network.bytes", "network.protocol", "orchestrator.namespace", "orchestrator.resource", "orchestrator.cluster",
            "observer.hostname", "netsec.source", "netsec.destination", "netsec.verdict", "netsec.collector", "netsec.tcp_flags",
            "netsec.icmp", "netsec.payload", "source.domain",
        })
        {
            Assert.False(Has(root, absent), absent + " should be omitted");
        }

        foreach (var property in EnumerateAll(root))
        {
            Assert.NotEqual(JsonValueKind.Null, property.Value.ValueKind);
        }

        Assert.Equal("kubernetes", Str(root, "orchestrator.type"));
        Assert.Equal(SchemaVersion.Current, Str(root, "netsec.schema_version"));
    }

    [Fact]
    public void SerializeFlow_WithoutCommunityId_ComputesIt()
    {
        var flow = EcsSamples.Minimal();

        using var doc = JsonDocument.Parse(EcsJson.SerializeFlow(flow));

        Assert.Equal(CommunityId.Compute(flow), Str(doc.RootElement, "network.community_id"));
    }

    [Fact]
    public void SerializeFlow_CommunityIdWithPlus_IsNotEscaped()
    {
        var flow = EcsSamples.Minimal();
        flow.CommunityId = "1:LQU9qZlK+B5F3KDmev6m5PMibrg=";

        string json = Encoding.UTF8.GetString(EcsJson.SerializeFlow(flow));

        Assert.Contains("\"community_id\":\"1:LQU9qZlK+B5F3KDmev6m5PMibrg=\"", json, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', json);
    }

    [Theory]
    [InlineData("TLS 1.2", "1.2", "tls")]
    [InlineData("TLSv1.3", "1.3", "tls")]
    [InlineData("1.1", "1.1", "tls")]
    [InlineData("SSLv3", "3.0", "ssl")]
    public void SerializeFlow_TlsVersionForms_AreNormalisedToEcs(string version, string ecsVersion, string ecsProtocol)
    {
        var flow = new FlowEvent
        {
            Timestamp = EcsSamples.Time,
            Source = new FlowEndpoint { Ip = IPAddress.Loopback, Port = 1 },
            Destination = new FlowEndpoint { Ip = IPAddress.Loopback, Port = 443 },
            IpProtocol = 6,
            Tls = new TlsFacts { Version = version },
        };

        using var doc = JsonDocument.Parse(EcsJson.SerializeFlow(flow));

        Assert.Equal(ecsVersion, Str(doc.RootElement, "tls.version"));
        Assert.Equal(ecsProtocol, Str(doc.RootElement, "tls.version_protocol"));
    }

    [Fact]
    public void WriteAlert_IntoCallersWriter_WritesOneDocumentEach()
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, EcsJson.WriterOptions))
        {
            writer.WriteStartArray();
            EcsJson.WriteAlert(writer, EcsSamples.AlertOn(EcsSamples.HttpFlowV4()));
            EcsJson.WriteFlow(writer, EcsSamples.DnsFlowV6());
            writer.WriteEndArray();
        }

        using var doc = JsonDocument.Parse(buffer.WrittenMemory);
        var items = doc.RootElement.EnumerateArray().ToArray();
        Assert.Equal(2, items.Length);
        Assert.Equal("alert", Str(items[0], "event.kind"));
        Assert.Equal("event", Str(items[1], "event.kind"));
    }

    public static TheoryData<string> RoundTripFlows => new() { "http-v4", "dns-v6", "tls-world", "icmp-v4", "icmp6", "minimal" };

    [Theory]
    [MemberData(nameof(RoundTripFlows))]
    public void ReadFlow_SerializedFlow_RoundTrips(string name)
    {
        var flow = Sample(name);
        flow.CommunityId ??= CommunityId.Compute(flow);

        var result = EcsJson.ReadFlow(EcsJson.SerializeFlow(flow));

        Assert.True(result.IsSuccess, result.Error);
        EcsSamples.AssertSameFlow(flow, result.Event!);
    }

    [Fact]
    public void ReadFlow_SerializedTwice_GivesIdenticalBytes()
    {
        byte[] first = EcsJson.SerializeFlow(EcsSamples.HttpFlowV4());

        byte[] second = EcsJson.SerializeFlow(EcsJson.ReadFlow(first).Event!);

        Assert.Equal(Encoding.UTF8.GetString(first), Encoding.UTF8.GetString(second));
    }

    [Fact]
    public void ReadFlow_AlertDocument_ReturnsTheFlowAtItsOwnTime()
    {
        var flow = EcsSamples.DnsFlowV6();

        var result = EcsJson.ReadFlow(EcsJson.SerializeAlert(EcsSamples.AlertOn(flow)));

        Assert.True(result.IsSuccess, result.Error);
        EcsSamples.AssertSameFlow(flow, result.Event!);
    }

    [Fact]
    public void TryReadAlert_SerializedAlert_RoundTrips()
    {
        var alert = EcsSamples.AlertOn(EcsSamples.HttpFlowV4());

        Assert.True(EcsJson.TryReadAlert(EcsJson.SerializeAlert(alert), out var read, out string? error), error);

        Assert.Equal(alert.Id, read.Id);
        Assert.Equal(alert.Timestamp, read.Timestamp);
        Assert.Equal(alert.Detector, read.Detector);
        Assert.Equal(alert.RuleId, read.RuleId);
        Assert.Equal(alert.RuleName, read.RuleName);
        Assert.Equal(alert.RuleCategory, read.RuleCategory);
        Assert.Equal(alert.Ruleset, read.Ruleset);
        Assert.Equal(alert.RuleVersion, read.RuleVersion);
        Assert.Equal(alert.Severity, read.Severity);
        Assert.Equal(alert.RiskScore, read.RiskScore);
        Assert.Equal(alert.Mode, read.Mode);
        Assert.Equal(alert.Explanation, read.Explanation);
        Assert.Equal(alert.DedupeKey, read.DedupeKey);
        Assert.Equal(alert.DedupeCount, read.DedupeCount);
        EcsSamples.AssertSameFlow(alert.Flow, read.Flow);
    }

    [Fact]
    public void AggregatedAlert_CarriesCountFirstAndLastSeen_AndRoundTrips()
    {
        var alert = EcsSamples.AlertOn(EcsSamples.HttpFlowV4());
        alert.DedupeCount = 7;
        alert.FirstSeen = alert.Timestamp.AddSeconds(-40);
        alert.LastSeen = alert.Timestamp;
        byte[] json = EcsJson.SerializeAlert(alert);

        using (var doc = System.Text.Json.JsonDocument.Parse(json))
        {
            var netsec = doc.RootElement.GetProperty("netsec");
            Assert.Equal(7, netsec.GetProperty("dedupe_count").GetInt64());
            Assert.Equal(alert.FirstSeen, netsec.GetProperty("first_seen").GetDateTimeOffset());
            Assert.Equal(alert.LastSeen, netsec.GetProperty("last_seen").GetDateTimeOffset());
        }

        Assert.True(EcsJson.TryReadAlert(json, out var read, out string? error), error);
        Assert.Equal(7, read.DedupeCount);
        Assert.Equal(alert.FirstSeen, read.FirstSeen);
        Assert.Equal(alert.LastSeen, read.LastSeen);
        EcsSamples.AssertSameFlow(alert.Flow, read.Flow);
    }

    [Fact]
    public void SingleAlert_HasNoFirstOrLastSeen()
    {
        var alert = EcsSamples.AlertOn(EcsSamples.HttpFlowV4());
        using var doc = System.Text.Json.JsonDocument.Parse(EcsJson.SerializeAlert(alert));
        var netsec = doc.RootElement.GetProperty("netsec");
        Assert.False(netsec.TryGetProperty("first_seen", out _));
        Assert.False(netsec.TryGetProperty("last_seen", out _));
        Assert.True(EcsJson.TryReadAlert(EcsJson.SerializeAlert(alert), out var read, out _));
        Assert.Null(read.FirstSeen);
    }

    [Fact]
    public void TryReadAlert_FlowDocument_FailsWithReason()
    {
        Assert.False(EcsJson.TryReadAlert(EcsJson.SerializeFlow(EcsSamples.Minimal()), out _, out string? error));

        Assert.Contains("event.kind", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "empty input")]
    [InlineData("not json", "invalid ECS JSON")]
    [InlineData("{\"@timestamp\":", "invalid ECS JSON")]
    [InlineData("[1,2]", "invalid ECS JSON")]
    [InlineData("null", "the document is null")]
    [InlineData("{}", "netsec.schema_version is missing")]
    [InlineData("{\"netsec\":{\"schema_version\":\"99\"}}", "netsec.schema_version '99' is not supported")]
    [InlineData("{\"netsec\":{\"schema_version\":\"1\"}}", "@timestamp is missing")]
    [InlineData("{\"@timestamp\":\"yesterday\",\"netsec\":{\"schema_version\":\"1\"}}", "$.@timestamp")]
    [InlineData("{\"@timestamp\":\"2025-01-01T00:00:00Z\",\"netsec\":{\"schema_version\":\"1\"}}", "source.ip is missing")]
    [InlineData("{\"@timestamp\":\"2025-01-01T00:00:00Z\",\"source\":{\"ip\":\"10.0.0.1\"},\"netsec\":{\"schema_version\":\"1\"}}", "destination.ip is missing")]
    [InlineData("{\"@timestamp\":\"2025-01-01T00:00:00Z\",\"source\":{\"ip\":\"999.0.0.1\"},\"netsec\":{\"schema_version\":\"1\"}}", "$.source.ip")]
    [InlineData("{\"@timestamp\":\"2025-01-01T00:00:00Z\",\"source\":{\"ip\":42},\"netsec\":{\"schema_version\":\"1\"}}", "$.source.ip")]
    [InlineData("{\"@timestamp\":\"2025-01-01T00:00:00Z\",\"source\":{\"ip\":\"10.0.0.1\"},\"destination\":{\"ip\":\"10.0.0.2\"},\"netsec\":{\"schema_version\":\"1\"}}", "network.iana_number and network.transport are both missing")]
    [InlineData("{\"@timestamp\":\"2025-01-01T00:00:00Z\",\"source\":{\"ip\":\"10.0.0.1\"},\"destination\":{\"ip\":\"10.0.0.2\"},\"network\":{\"iana_number\":\"300\"},\"netsec\":{\"schema_version\":\"1\"}}", "network.iana_number '300'")]
    [InlineData("{\"@timestamp\":\"2025-01-01T00:00:00Z\",\"source\":{\"ip\":\"10.0.0.1\"},\"destination\":{\"ip\":\"10.0.0.2\"},\"network\":{\"transport\":\"quic\"},\"netsec\":{\"schema_version\":\"1\"}}", "network.transport 'quic'")]
    [InlineData("{\"@timestamp\":\"2025-01-01T00:00:00Z\",\"source\":{\"ip\":\"10.0.0.1\",\"port\":70000},\"destination\":{\"ip\":\"10.0.0.2\"},\"network\":{\"transport\":\"tcp\"},\"netsec\":{\"schema_version\":\"1\"}}", "source.port 70000 is outside 0-65535")]
    [InlineData("{\"@timestamp\":\"2025-01-01T00:00:00Z\",\"source\":{\"ip\":\"10.0.0.1\",\"port\":\"80\"},\"destination\":{\"ip\":\"10.0.0.2\"},\"network\":{\"transport\":\"tcp\"},\"netsec\":{\"schema_version\":\"1\"}}", "$.source.port")]
    [InlineData("{\"@timestamp\":\"2025-01-01T00:00:00Z\",\"source\":{\"ip\":\"10.0.0.1\"},\"destination\":{\"ip\":\"10.0.0.2\"},\"network\":{\"transport\":\"tcp\",\"direction\":\"sideways\"},\"netsec\":{\"schema_version\":\"1\"}}", "network.direction 'sideways'")]
    [InlineData("{\"@timestamp\":\"2025-01-01T00:00:00Z\",\"source\":{\"ip\":\"10.0.0.1\"},\"destination\":{\"ip\":\"10.0.0.2\"},\"network\":{\"transport\":\"tcp\"},\"netsec\":{\"schema_version\":\"1\",\"verdict\":\"maybe\"}}", "netsec.verdict 'maybe'")]
    [InlineData("{\"@timestamp\":\"2025-01-01T00:00:00Z\",\"source\":{\"ip\":\"10.0.0.1\"},\"destination\":{\"ip\":\"10.0.0.2\"},\"network\":{\"transport\":\"tcp\"},\"netsec\":{\"schema_version\":\"1\",\"tcp_flags\":[\"syn\",\"xmas\"]}}", "netsec.tcp_flags: unknown flag 'xmas'")]
    [InlineData("{\"@timestamp\":\"2025-01-01T00:00:00Z\",\"source\":{\"ip\":\"10.0.0.1\"},\"destination\":{\"ip\":\"10.0.0.2\"},\"network\":{\"transport\":\"icmp\"},\"netsec\":{\"schema_version\":\"1\",\"icmp\":{\"type\":256}}}", "netsec.icmp.type 256 is outside 0-255")]
    [InlineData("{\"@timestamp\":\"2025-01-01T00:00:00Z\",\"source\":{\"ip\":\"10.0.0.1\"},\"destination\":{\"ip\":\"10.0.0.2\"},\"network\":{\"transport\":\"udp\"},\"dns\":{\"response_code\":\"WHATEVER\"},\"netsec\":{\"schema_version\":\"1\"}}", "dns.response_code 'WHATEVER'")]
    [InlineData("{\"@timestamp\":\"2025-01-01T00:00:00Z\",\"source\":{\"ip\":\"10.0.0.1\"},\"destination\":{\"ip\":\"10.0.0.2\"},\"network\":{\"transport\":\"tcp\"},\"kubernetes\":{\"labels\":{\"a\":1}},\"netsec\":{\"schema_version\":\"1\"}}", "$.kubernetes.labels")]
    public void ReadFlow_BadInput_FailsWithReason(string json, string reason)
    {
        var result = EcsJson.ReadFlow(Encoding.UTF8.GetBytes(json));

        Assert.False(result.IsSuccess);
        Assert.Null(result.Event);
        Assert.Contains(reason, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadFlow_InvalidUtf8_FailsWithoutThrowing()
    {
        byte[] json = [.. "{\"@timestamp\":\"2025-01-01T00:00:00Z\",\"netsec\":{\"schema_version\":\""u8, 0xC3, 0x28, .. "\"}}"u8];

        var result = EcsJson.ReadFlow(json);

        Assert.False(result.IsSuccess);
        Assert.StartsWith("invalid ECS JSON", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadFlow_DeeplyNested_FailsWithoutThrowing()
    {
        string json = "{\"x\":" + new string('[', 5000) + new string(']', 5000) + "}";

        var result = EcsJson.ReadFlow(Encoding.UTF8.GetBytes(json));

        Assert.False(result.IsSuccess);
        Assert.StartsWith("invalid ECS JSON", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadFlow_ForeignFieldsAndTransportName_AreAccepted()
    {
        const string json = """
            {"@timestamp":"2025-01-01T01:00:00+01:00","host":{"name":"x"},"source":{"ip":"10.0.0.1","port":5000},
             "destination":{"ip":"10.0.0.2","port":53},"network":{"transport":"udp","direction":"unknown"},
             "dns":{"type":"query","question":{"name":"example.com","type":"A"},"response_code":"5"},
             "netsec":{"schema_version":"1","tcp_flags":["SYN"]}}
            """;

        var result = EcsJson.ReadFlow(Encoding.UTF8.GetBytes(json));

        Assert.True(result.IsSuccess, result.Error);
        var flow = result.Event!;
        Assert.Equal(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero), flow.Timestamp);
        Assert.Equal(17, flow.IpProtocol);
        Assert.Equal(TrafficDirection.Unknown, flow.Direction);
        Assert.Equal(TcpFlags.Syn, flow.TcpFlags);
        Assert.Equal(["A"], flow.Dns!.QueryTypes);
        Assert.Equal(5, flow.Dns.Rcode);
        Assert.False(flow.Dns.IsResponse);
        Assert.Equal("", flow.CollectorId);
    }

    private static FlowEvent Sample(string name) => name switch
    {
        "http-v4" => EcsSamples.HttpFlowV4(),
        "dns-v6" => EcsSamples.DnsFlowV6(),
        "tls-world" => EcsSamples.TlsFlowFromWorld(),
        "icmp-v4" => EcsSamples.IcmpEchoV4(),
        "icmp6" => EcsSamples.Icmp6Unreachable(),
        "minimal" => EcsSamples.Minimal(),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    private static JsonElement Get(JsonElement root, string dottedPath)
    {
        // "@timestamp" is one top-level key; every other path is nested objects split on '.'.
        if (dottedPath.StartsWith('@'))
        {
            return root.GetProperty(dottedPath);
        }

        var current = root;
        foreach (string part in dottedPath.Split('.'))
        {
            current = current.GetProperty(part);
        }

        return current;
    }

    private static bool Has(JsonElement root, string dottedPath)
    {
        var current = root;
        foreach (string part in dottedPath.Split('.'))
        {
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(part, out current))
            {
                return false;
            }
        }

        return true;
    }

    private static string? Str(JsonElement root, string dottedPath) => Get(root, dottedPath).GetString();

    private static string[] Strings(JsonElement root, string dottedPath) =>
        Get(root, dottedPath).EnumerateArray().Select(e => e.GetString() ?? "<null>").ToArray();

    private static IEnumerable<JsonProperty> EnumerateAll(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in element.EnumerateObject())
            {
                yield return property;
                foreach (var nested in EnumerateAll(property.Value))
                {
                    yield return nested;
                }
            }
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray())
            {
                foreach (var nested in EnumerateAll(item))
                {
                    yield return nested;
                }
            }
        }
    }
}
