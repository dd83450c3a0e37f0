using System.Text;
using System.Text.Json.Nodes;
using NetSecStream.Core.Ecs;
using NetSecStream.Core.Events;

namespace NetSecStream.Core.Tests.Ecs;

/// <summary>Malformed documents: each is a failure with a reason naming what is wrong, never an exception.</summary>
public sealed class EcsReadRejectTests
{
    private const string Minimal =
        """{"@timestamp":"2025-01-01T00:00:00Z","source":{"ip":"10.0.0.1"},"destination":{"ip":"10.0.0.2"},"network":{"transport":"tcp"},"netsec":{"schema_version":"1"}}""";

    public static TheoryData<string, string> WrongTypes => new()
    {
        { "@timestamp", "5" },
        { "event", "[]" },
        { "event.kind", "1" },
        { "event.category", "\"network\"" },
        { "event.category[0]", "1" },
        { "event.start", "true" },
        { "event.severity", "\"high\"" },
        { "event.risk_score", "\"x\"" },
        { "event.id", "{}" },
        { "rule", "\"r\"" },
        { "rule.name", "1" },
        { "source", "\"10.0.0.1\"" },
        { "source.ip", "42" },
        { "source.port", "\"80\"" },
        { "source.domain", "[]" },
        { "destination.port", "1.5" },
        { "destination.port", "99999999999" },
        { "network", "1" },
        { "network.transport", "6" },
        { "network.iana_number", "6" },
        { "network.community_id", "[]" },
        { "network.bytes", "\"1\"" },
        { "network.bytes", "1e400" },
        { "network.packets", "true" },
        { "dns.question", "\"q\"" },
        { "dns.question.name", "1" },
        { "dns.answers", "{}" },
        { "dns.answers[0]", "\"1.2.3.4\"" },
        { "dns.answers[0].data", "1" },
        { "dns.resolved_ip[0]", "1" },
        { "dns.response_code", "3" },
        { "http.request", "\"GET\"" },
        { "http.response.status_code", "\"200\"" },
        { "url.path", "1" },
        { "url.original", "false" },
        { "user_agent", "\"curl\"" },
        { "tls.client.server_name", "1" },
        { "tls.version_protocol", "1" },
        { "orchestrator.cluster.name", "1" },
        { "orchestrator.resource.name", "1" },
        { "kubernetes.pod.name", "1" },
        { "kubernetes.labels", "[]" },
        { "kubernetes.labels.app", "1" },
        { "observer.hostname", "1" },
        { "ecs.version", "8" },
        { "netsec.schema_version", "1" },
        { "netsec.is_reply", "\"true\"" },
        { "netsec.tcp_flags", "\"syn\"" },
        { "netsec.tcp_flags[1]", "null" },
        { "netsec.icmp.type", "\"8\"" },
        { "netsec.summary", "{}" },
        { "netsec.source.labels", "[]" },
        { "netsec.source.labels.app", "1" },
        { "netsec.source.identity", "-1" },
        { "netsec.source.dns_names", "\"a\"" },
        { "netsec.dns.question_types[0]", "1" },
        { "netsec.http.is_response", "1" },
        { "netsec.payload.to_server", "1" },
        { "netsec.payload.to_server", "\"not base64!\"" },
        { "netsec.dedupe_count", "\"1\"" },
    };

    [Theory]
    [MemberData(nameof(WrongTypes))]
    public void ReadFlow_KnownFieldOfWrongTypeOrForm_FailsNamingItsJsonPath(string path, string value)
    {
        var document = RichDocument();
        Set(document, path, JsonNode.Parse(value));

        var result = EcsJson.ReadFlow(Encoding.UTF8.GetBytes(document.ToJsonString()));

        Assert.False(result.IsSuccess, path);
        Assert.StartsWith("invalid ECS JSON: $." + path + ":", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadFlow_RichDocument_IsValidBeforeAnyMutation()
    {
        var result = EcsJson.ReadFlow(Encoding.UTF8.GetBytes(RichDocument().ToJsonString()));

        Assert.True(result.IsSuccess, result.Error);
    }

    [Theory]
    [InlineData("not-an-ip")]
    [InlineData("")]
    [InlineData("256.1.1.1")]
    [InlineData("1.2.3.4.5")]
    [InlineData("fe80::1::2")]
    [InlineData("10.0.0.1 ")]
    public void ReadFlow_BadAddress_FailsQuotingIt(string address)
    {
        var result = EcsJson.ReadFlow(Encoding.UTF8.GetBytes(Minimal.Replace("10.0.0.2", address, StringComparison.Ordinal)));

        Assert.False(result.IsSuccess);
        Assert.Equal($"invalid ECS JSON: $.destination.ip: '{address}' is not an IP address", result.Error);
    }

    [Theory]
    [InlineData("[]", "invalid ECS JSON: expected an object at the top level, got an array")]
    [InlineData("42", "invalid ECS JSON: expected an object at the top level, got a number")]
    [InlineData("\"flow\"", "invalid ECS JSON: expected an object at the top level, got a string")]
    [InlineData("null", "invalid ECS JSON: the document is null")]
    [InlineData("   ", "invalid ECS JSON")]
    [InlineData("{} {}", "invalid ECS JSON")]
    [InlineData("{}x", "invalid ECS JSON")]
    [InlineData("/* note */{}", "invalid ECS JSON")]
    [InlineData("{\"a\":1,}", "invalid ECS JSON")]
    [InlineData("{'a':1}", "invalid ECS JSON")]
    [InlineData("{}", "netsec.schema_version is missing")]
    [InlineData("{\"netsec\":{}}", "netsec.schema_version is missing")]
    [InlineData("{\"netsec\":{\"schema_version\":\"2\"}}", "netsec.schema_version '2' is not supported (this build reads '1')")]
    public void ReadFlow_NotAFlowDocument_FailsWithReason(string json, string reason)
    {
        var result = EcsJson.ReadFlow(Encoding.UTF8.GetBytes(json));

        Assert.False(result.IsSuccess);
        Assert.StartsWith(reason, result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"source\":{\"ip\":\"10.0.0.1\"},", "", "source.ip is missing")]
    [InlineData("\"source\":{\"ip\":\"10.0.0.1\"},", "\"source\":{\"port\":1},", "source.ip is missing")]
    [InlineData("\"source\":{\"ip\":\"10.0.0.1\"},", "\"source\":null,", "source.ip is missing")]
    [InlineData("\"destination\":{\"ip\":\"10.0.0.2\"},", "", "destination.ip is missing")]
    [InlineData("\"@timestamp\":\"2025-01-01T00:00:00Z\",", "", "@timestamp is missing")]
    [InlineData("\"network\":{\"transport\":\"tcp\"},", "", "network.iana_number and network.transport are both missing")]
    [InlineData("\"destination\":{\"ip\":\"10.0.0.2\"}", "\"destination\":{\"ip\":\"10.0.0.2\",\"port\":-1}", "destination.port -1 is outside 0-65535")]
    [InlineData("\"schema_version\":\"1\"", "\"schema_version\":\"1\",\"icmp\":{\"code\":300}", "netsec.icmp.code 300 is outside 0-255")]
    [InlineData("\"@timestamp\":\"2025-01-01T00:00:00Z\"", "\"@timestamp\":\"2025-13-01T00:00:00Z\"", "invalid ECS JSON: $.@timestamp: '2025-13-01T00:00:00Z' is not an ISO 8601 timestamp")]
    public void ReadFlow_MissingOrOutOfRangeFact_FailsNamingTheField(string part, string replacement, string reason)
    {
        var result = EcsJson.ReadFlow(Encoding.UTF8.GetBytes(Minimal.Replace(part, replacement, StringComparison.Ordinal)));

        Assert.False(result.IsSuccess);
        Assert.Equal(reason, result.Error);
    }

    [Fact]
    public void ReadFlow_EveryTruncation_FailsAsInvalidJson()
    {
        byte[] json = Encoding.UTF8.GetBytes(RichDocument().ToJsonString());

        for (int length = 1; length < json.Length; length++)
        {
            var result = EcsJson.ReadFlow(json.AsSpan(0, length));

            Assert.False(result.IsSuccess, $"prefix of {length} bytes was accepted");
            Assert.StartsWith("invalid ECS JSON", result.Error, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("\"netsec\":{\"schema_version\":\"1\",\"source\":{\"namespace\":\"", "\"}}")]
    [InlineData("\"netsec\":{\"schema_version\":\"1\",\"summary\":\"", "\"}")]
    [InlineData("\"netsec\":{\"schema_version\":\"1\",\"explanation\":\"", "\"}")]
    [InlineData("\"event\":{\"dataset\":\"", "\"},\"netsec\":{\"schema_version\":\"1\"}")]
    [InlineData("\"netsec\":{\"schema_version\":\"1\",\"source\":{\"labels\":{\"app\":\"", "\"}}}")]
    [InlineData("\"netsec\":{\"schema_version\":\"1\",\"source\":{\"labels\":{\"", "\":\"x\"}}}")]
    [InlineData("\"kubernetes\":{\"labels\":{\"app\":\"", "\"}},\"netsec\":{\"schema_version\":\"1\"}")]
    [InlineData("\"netsec\":{\"schema_version\":\"1\",\"tcp_flags\":[\"", "\"]}")]
    public void ReadFlow_InvalidUtf8InAString_FailsAsInvalidJson(string before, string after)
    {
        byte[] json =
        [
            .. """{"@timestamp":"2025-01-01T00:00:00Z","source":{"ip":"10.0.0.1"},"destination":{"ip":"10.0.0.2"},"network":{"transport":"tcp"},"""u8,
            .. Encoding.UTF8.GetBytes(before), 0xC3, 0x28, .. Encoding.UTF8.GetBytes(after), (byte)'}',
        ];

        var result = EcsJson.ReadFlow(json);

        Assert.False(result.IsSuccess);
        Assert.StartsWith("invalid ECS JSON", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"summary\":\"\\udc00\"")]
    [InlineData("\"source\":{\"pod\":\"\\ud800x\"}")]
    [InlineData("\"summary\":\"\\u12\"")]
    public void ReadFlow_UndecodableEscape_FailsAsInvalidJson(string field)
    {
        var result = EcsJson.ReadFlow(Encoding.UTF8.GetBytes(Minimal.Replace("\"schema_version\":\"1\"", "\"schema_version\":\"1\"," + field, StringComparison.Ordinal)));

        Assert.False(result.IsSuccess);
        Assert.StartsWith("invalid ECS JSON", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"netsec\":{\"schema_version\":\"1\",\"source\":{\"labels\":{\"a\":")]
    [InlineData("\"netsec\":{\"schema_version\":\"1\",\"future\":")]
    [InlineData("\"kubernetes\":{\"labels\":{\"a\":")]
    [InlineData("\"event\":{\"category\":")]
    public void ReadFlow_DeepNestingInsideADocument_FailsAsInvalidJson(string opening)
    {
        string json = Minimal.TrimEnd('}').Replace("\"netsec\":{\"schema_version\":\"1\"", "", StringComparison.Ordinal)
            + opening + new string('[', 1000) + new string(']', 1000) + "}}}";

        var result = EcsJson.ReadFlow(Encoding.UTF8.GetBytes(json));

        Assert.False(result.IsSuccess);
        Assert.StartsWith("invalid ECS JSON", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadFlowAndTryReadAlert_TenThousandRandomCorruptions_NeverThrow()
    {
        var random = new Random(7);
        byte[] flow = Encoding.UTF8.GetBytes(RichDocument().ToJsonString());
        byte[] alert = EcsJson.SerializeAlert(EcsSamples.AlertOn(EcsSamples.HttpFlowV4()));
        byte[] interesting = "{}[]\":,\\0123456789-+.eE ntfu\x00\xff"u8.ToArray();
        int rejected = 0;
        for (int i = 0; i < 10_000; i++)
        {
            byte[] source = i % 2 == 0 ? flow : alert;
            byte[] corrupt = (byte[])source.Clone();
            for (int edits = 1 + random.Next(3); edits > 0; edits--)
            {
                corrupt[random.Next(corrupt.Length)] = random.Next(2) == 0 ? interesting[random.Next(interesting.Length)] : (byte)random.Next(256);
            }

            var result = EcsJson.ReadFlow(corrupt);
            bool alertRead = EcsJson.TryReadAlert(corrupt, out var read, out string? error);

            Assert.True(result.IsSuccess == (result.Error is null), "a result is either a flow or a reason");
            Assert.True(alertRead == (read is not null) && alertRead == (error is null), "an alert read is either an alert or a reason");
            rejected += result.IsSuccess ? 0 : 1;
        }

        Assert.True(rejected > 1000, $"only {rejected} corruptions were rejected");
    }

    [Fact]
    public void TryReadAlert_AlertMissingItsOwnFacts_FailsNamingTheField()
    {
        var document = JsonNode.Parse(EcsJson.SerializeAlert(EcsSamples.AlertOn(EcsSamples.HttpFlowV4())))!.AsObject();
        document["rule"]!.AsObject().Remove("name");

        Assert.False(EcsJson.TryReadAlert(Encoding.UTF8.GetBytes(document.ToJsonString()), out var alert, out string? error));

        Assert.Null(alert);
        Assert.Equal("rule.name is missing", error);
    }

    [Fact]
    public void TryReadAlert_UnknownMode_FailsNamingIt()
    {
        var document = JsonNode.Parse(EcsJson.SerializeAlert(EcsSamples.AlertOn(EcsSamples.HttpFlowV4())))!.AsObject();
        document["netsec"]!["mode"] = "panic";

        Assert.False(EcsJson.TryReadAlert(Encoding.UTF8.GetBytes(document.ToJsonString()), out _, out string? error));

        Assert.Equal("netsec.mode 'panic' is not one of log, alert, block", error);
    }

    [Fact]
    public void TryReadAlert_Empty_FailsWithReason()
    {
        Assert.False(EcsJson.TryReadAlert([], out _, out string? error));

        Assert.Equal("empty input", error);
    }

    /// <summary>A flow document with every section, plus the alert-only fields, so each known field can be corrupted.</summary>
    internal static JsonObject RichDocument()
    {
        var flow = EcsSamples.HttpFlowV4();
        var rich = new FlowEvent
        {
            Timestamp = flow.Timestamp,
            Source = flow.Source,
            Destination = new FlowEndpoint { Ip = flow.Destination.Ip, Port = flow.Destination.Port, DnsNames = ["cart.shop"], Labels = flow.Destination.Labels },
            IpProtocol = 6,
            TcpFlags = TcpFlags.Syn | TcpFlags.Ack,
            Dns = new DnsFacts { Query = "a.example", QueryTypes = ["A", "AAAA"], Rcode = 0, Answers = ["192.0.2.1", "cname.example"], IsResponse = true },
            Http = flow.Http,
            Tls = new TlsFacts { Sni = "a.example", Version = "1.3", Ja3 = "abc" },
            Payload = new PayloadBuffers { ToServer = new byte[] { 1, 2 }, ToClient = new byte[] { 3 } },
            CollectorId = "pcap",
            NodeName = "node-a",
            Cluster = "prod",
            CommunityId = "1:x",
            Summary = "s",
        };
        var document = JsonNode.Parse(EcsJson.SerializeFlow(rich))!.AsObject();
        document["event"]!["id"] = "id-1";
        document["event"]!["severity"] = 2;
        document["event"]!["risk_score"] = 50.5;
        document["event"]!["start"] = "2025-01-01T00:00:00Z";
        document["rule"] = new JsonObject { ["id"] = "1", ["name"] = "rule" };
        document["netsec"]!["icmp"] = new JsonObject { ["type"] = 8 };
        document["netsec"]!["dedupe_count"] = 2;
        return document;
    }

    /// <summary>Sets the value at a dotted path such as <c>dns.answers[0].data</c> (<c>@timestamp</c> is one name).</summary>
    private static void Set(JsonObject root, string path, JsonNode? value)
    {
        string[] parts = path.StartsWith('@') ? [path] : path.Split('.');
        JsonNode current = root;
        for (int i = 0; i < parts.Length; i++)
        {
            string part = parts[i];
            int index = -1;
            int bracket = part.IndexOf('[', StringComparison.Ordinal);
            if (bracket >= 0)
            {
                index = int.Parse(part[(bracket + 1)..^1], System.Globalization.CultureInfo.InvariantCulture);
                part = part[..bracket];
            }

            bool last = i == parts.Length - 1;
            if (last && index < 0)
            {
                current.AsObject()[part] = value;
                return;
            }

            current = current.AsObject()[part] ?? throw new InvalidOperationException("no " + part + " in the rich document");
            if (index >= 0)
            {
                if (last)
                {
                    current.AsArray()[index] = value;
                    return;
                }

                current = current.AsArray()[index]!;
            }
        }
    }
}
