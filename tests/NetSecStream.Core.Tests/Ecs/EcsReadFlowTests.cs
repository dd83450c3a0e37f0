using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using NetSecStream.Core.Ecs;
using NetSecStream.Core.Events;

namespace NetSecStream.Core.Tests.Ecs;

/// <summary>What <see cref="EcsJson.ReadFlow"/> gives back for well-formed documents, in whatever order and spelling.</summary>
public sealed class EcsReadFlowTests
{
    [Fact]
    public void ReadFlow_ThousandRandomFlows_RoundTripFieldByFieldAndByteForByte()
    {
        var random = new Random(20250314);
        for (int i = 0; i < 1000; i++)
        {
            var flow = EcsSamples.RandomFlow(random);
            byte[] json = EcsJson.SerializeFlow(flow);

            var result = EcsJson.ReadFlow(json);

            Assert.True(result.IsSuccess, $"flow {i}: {result.Error}\n{Encoding.UTF8.GetString(json)}");
            EcsSamples.AssertSameFlow(flow, result.Event!);
            Assert.Equal(Encoding.UTF8.GetString(json), Encoding.UTF8.GetString(EcsJson.SerializeFlow(result.Event!)));
        }
    }

    [Fact]
    public void ReadFlow_L7Transaction_UsesEcsNamesAndRoundTrips()
    {
        var flow = EcsSamples.L7Transaction();
        byte[] json = EcsJson.SerializeFlow(flow);
        var doc = JsonNode.Parse(json)!;

        var read = EcsJson.ReadFlow(json);

        Assert.True(read.IsSuccess, read.Error);
        EcsSamples.AssertSameFlow(flow, read.Event!);
        Assert.Equal("name=value", (string?)doc["http"]!["request"]!["body"]!["content"]);
        Assert.Null(doc["http"]!["response"]!["body"]);
        Assert.Equal(Convert.ToBase64String(new byte[] { 0x1f, 0x8b, 0xff, 0x00 }), (string?)doc["netsec"]!["http"]!["response_body"]);
        Assert.Equal("Found", (string?)doc["netsec"]!["http"]!["status_message"]);
        Assert.Equal("C=US, O=Example, CN=example.com", (string?)doc["tls"]!["server"]!["x509"]!["subject"]!["distinguished_name"]);
        Assert.Equal("C=US, O=DigiCert Inc, CN=DigiCert TLS RSA SHA256 2020 CA1", (string?)doc["tls"]!["server"]!["x509"]!["issuer"]!["distinguished_name"]);
        Assert.Equal("0C1FCB18", (string?)doc["tls"]!["server"]!["x509"]!["serial_number"]);
        Assert.Equal("AABBCCDD", (string?)doc["tls"]!["server"]!["hash"]!["sha1"]);
        Assert.Equal("http/1.1", (string?)doc["tls"]!["next_protocol"]);
        Assert.Equal("NOTIFY", (string?)doc["dns"]!["op_code"]);
        Assert.Equal("OpenSSH_9.6", (string?)doc["netsec"]!["ssh"]!["client_software"]);
        Assert.Equal("2.0", (string?)doc["netsec"]!["ssh"]!["client_proto"]);
    }

    [Fact]
    public void ReadFlow_UnknownDnsOpcodeName_IsRejected()
    {
        string json = Encoding.UTF8.GetString(EcsJson.SerializeFlow(EcsSamples.L7Transaction())).Replace("\"NOTIFY\"", "\"BOGUS\"", StringComparison.Ordinal);

        var read = EcsJson.ReadFlow(Encoding.UTF8.GetBytes(json));

        Assert.False(read.IsSuccess);
        Assert.Contains("dns.op_code", read.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadFlow_EveryVerdictDirectionAndTcpFlag_RoundTrips()
    {
        foreach (var verdict in Enum.GetValues<DataplaneVerdict>())
        {
            foreach (var direction in Enum.GetValues<TrafficDirection>())
            {
                foreach (var flag in Enum.GetValues<TcpFlags>())
                {
                    var flow = With(EcsSamples.Minimal(), verdict: verdict, direction: direction, flags: flag | TcpFlags.Ack);

                    var read = ReadOk(EcsJson.SerializeFlow(flow));

                    Assert.Equal(verdict, read.Verdict);
                    Assert.Equal(direction, read.Direction);
                    Assert.Equal(flag | TcpFlags.Ack, read.TcpFlags);
                }
            }
        }
    }

    [Fact]
    public void ReadFlow_PayloadWithOneSide_GivesTheOtherSideEmpty()
    {
        var flow = With(EcsSamples.Minimal(), payload: new PayloadBuffers { ToServer = "GET"u8.ToArray() });

        var read = ReadOk(EcsJson.SerializeFlow(flow));

        Assert.Equal("GET"u8.ToArray(), read.Payload!.ToServer.ToArray());
        Assert.True(read.Payload.ToClient.IsEmpty);
    }

    [Fact]
    public void ReadFlow_Ipv4MappedIpv6AndEdgeValues_RoundTrip()
    {
        var flow = new FlowEvent
        {
            Timestamp = new DateTimeOffset(9999, 12, 31, 23, 59, 59, TimeSpan.Zero).AddTicks(9_999_999),
            Source = new FlowEndpoint { Ip = IPAddress.Parse("::ffff:10.1.2.3"), Port = 65535, Identity = uint.MaxValue, Labels = new Dictionary<string, string>() },
            Destination = new FlowEndpoint { Ip = IPAddress.Parse("fe80::1"), Port = 1, Identity = 0 },
            IpProtocol = 255,
            Bytes = long.MaxValue,
            Packets = 0,
            CommunityId = "1:/+==",
        };

        var read = ReadOk(EcsJson.SerializeFlow(flow));

        EcsSamples.AssertSameFlow(flow, read);
        Assert.Empty(read.Source.Labels!);
    }

    [Fact]
    public void ReadFlow_FieldsInAnyOrder_GiveTheSameFlow()
    {
        var flow = EcsSamples.HttpFlowV4();
        var document = JsonNode.Parse(EcsJson.SerializeFlow(flow))!.AsObject();
        var reversed = Reverse(document);

        var read = ReadOk(Encoding.UTF8.GetBytes(reversed.ToJsonString()));

        EcsSamples.AssertSameFlow(flow, read);
    }

    [Fact]
    public void ReadFlow_AlertWithFlowTimeBeforeKind_UsesTheFlowTime()
    {
        // event.start comes before event.kind: the reader decides which time is the flow's only at the end.
        const string json = """
            {"@timestamp":"2025-01-01T00:00:10Z","event":{"start":"2025-01-01T00:00:01Z","kind":"alert"},
             "source":{"ip":"10.0.0.1"},"destination":{"ip":"10.0.0.2"},"network":{"transport":"tcp"},"netsec":{"schema_version":"1"}}
            """;

        var read = ReadOk(Encoding.UTF8.GetBytes(json));

        Assert.Equal(new DateTimeOffset(2025, 1, 1, 0, 0, 1, TimeSpan.Zero), read.Timestamp);
    }

    [Fact]
    public void ReadFlow_EscapedNamesAndValues_AreUnescaped()
    {
        const string json = """
            {"\u0040timestamp":"2025-01-01T00:00:00Z","sour\u0063e":{"ip":"10.0.0.\u0031","port":80},
             "destination":{"ip":"10.0.0.2"},"network":{"transport":"t\u0063p","community_id":"1:a\/b\u002B"},
             "observer":{"hostname":"node-\u00e9"},
             "netsec":{"schema_version":"\u0031","summary":"line\nnext \"q\" \ud83d\ude00",
               "source":{"namespace":"sh\u006fp","labels":{"app\u002ekubernetes.io/name":"c\u0061rt"}}}}
            """;

        var read = ReadOk(Encoding.UTF8.GetBytes(json));

        Assert.Equal(IPAddress.Parse("10.0.0.1"), read.Source.Ip);
        Assert.Equal(6, read.IpProtocol);
        Assert.Equal("1:a/b+", read.CommunityId);
        Assert.Equal("node-é", read.NodeName);
        Assert.Equal("line\nnext \"q\" 😀", read.Summary);
        Assert.Equal("shop", read.Source.Namespace);
        Assert.Equal("cart", read.Source.Labels!["app.kubernetes.io/name"]);
    }

    [Fact]
    public void ReadFlow_NullsEverywhere_AreUnknownFacts()
    {
        const string json = """
            {"@timestamp":"2025-01-01T00:00:00Z","event":null,"rule":null,"dns":null,"http":null,"url":null,"user_agent":null,"tls":null,
             "orchestrator":{"type":null,"cluster":null},"kubernetes":{"labels":null},"observer":{"hostname":null},
             "source":{"ip":"10.0.0.1","port":null,"domain":null},"destination":{"ip":"10.0.0.2","port":null},
             "network":{"transport":"udp","iana_number":null,"direction":null,"community_id":null,"bytes":null,"packets":null},
             "netsec":{"schema_version":"1","collector":null,"verdict":null,"is_reply":null,"tcp_flags":null,"icmp":null,"summary":null,
               "source":null,"destination":{"namespace":null,"labels":null,"identity":null,"dns_names":null},"dns":null,"http":null,"payload":null}}
            """;

        var read = ReadOk(Encoding.UTF8.GetBytes(json));

        Assert.Equal(17, read.IpProtocol);
        Assert.Equal(0, read.Source.Port);
        Assert.Null(read.Dns);
        Assert.Null(read.Http);
        Assert.Null(read.Tls);
        Assert.Null(read.Payload);
        Assert.Null(read.IsReply);
        Assert.Null(read.Bytes);
        Assert.Null(read.CommunityId);
        Assert.Null(read.Cluster);
        Assert.Null(read.NodeName);
        Assert.Null(read.Destination.Namespace);
        Assert.Null(read.Destination.Labels);
        Assert.Equal(TcpFlags.None, read.TcpFlags);
        Assert.Equal("", read.CollectorId);
    }

    [Fact]
    public void ReadFlow_UnknownFieldsAtEveryLevel_AreSkipped()
    {
        const string json = """
            {"host":{"name":"x","ip":["1.2.3.4"]},"@timestamp":"2025-01-01T00:00:00Z","labels":{"a":{"b":[1,{"c":null}]}},
             "source":{"ip":"10.0.0.1","geo":{"country":"NL"},"bytes":12},"destination":{"ip":"10.0.0.2","mac":"aa"},
             "network":{"transport":"tcp","vlan":[{"id":1}]},"event":{"ingested":"2025-01-01T00:00:00Z","outcome":"success"},
             "netsec":{"schema_version":"1","future_field":{"deep":[[[]]]},"source":{"namespace":"shop","extra":true}},
             "trailer":12.5e3}
            """;

        var read = ReadOk(Encoding.UTF8.GetBytes(json));

        Assert.Equal(IPAddress.Parse("10.0.0.2"), read.Destination.Ip);
        Assert.Equal("shop", read.Source.Namespace);
    }

    [Theory]
    [InlineData("2025-01-01T01:30:00+01:30", "2025-01-01T00:00:00Z")]
    [InlineData("2025-01-01T00:00:00.1234567Z", "2025-01-01T00:00:00.1234567Z")]
    [InlineData("2025-01-01T00:00:00.123456789Z", "2025-01-01T00:00:00.1234567Z")]
    [InlineData("2024-12-31T20:00:00-04:00", "2025-01-01T00:00:00Z")]
    [InlineData("2025-01-01t00:00:00z", "2025-01-01T00:00:00Z")]
    [InlineData("2025-01-01T00:00:00.5+00:00", "2025-01-01T00:00:00.5Z")]
    public void ReadFlow_TimestampWithOffset_IsTheSameInstantInUtc(string written, string utc)
    {
        var read = ReadOk(MinimalDocument($"\"{written}\""));

        Assert.Equal(DateTimeOffset.Parse(utc, System.Globalization.CultureInfo.InvariantCulture), read.Timestamp);
        Assert.Equal(TimeSpan.Zero, read.Timestamp.Offset);
    }

    [Fact]
    public void ReadFlow_TimestampWithoutOffset_IsReadAsTheIso8601ReaderDoes()
    {
        var expected = JsonSerializer.Deserialize<DateTimeOffset>("\"2025-01-01T00:00:00\"");

        var read = ReadOk(MinimalDocument("\"2025-01-01T00:00:00\""));

        Assert.Equal(expected, read.Timestamp);
        Assert.Equal(TimeSpan.Zero, read.Timestamp.Offset);
    }

    [Fact]
    public void ReadFlow_ByteOrderMarkAndSurroundingWhitespace_AreAccepted()
    {
        byte[] json = [0xEF, 0xBB, 0xBF, .. " \r\n"u8, .. EcsJson.SerializeFlow(EcsSamples.Minimal()), .. "\n\t "u8];

        var read = ReadOk(json);

        Assert.Equal(IPAddress.Parse("192.0.2.1"), read.Source.Ip);
    }

    [Fact]
    public void ReadFlow_SameDocumentTwice_SharesStringsLabelsAndAddresses()
    {
        byte[] json = EcsJson.SerializeFlow(EcsSamples.HttpFlowV4());

        var first = ReadOk(json);
        var second = ReadOk(json);

        Assert.NotSame(first, second);
        Assert.Same(first.Source.Namespace, second.Source.Namespace);
        Assert.Same(first.Source.Pod, second.Source.Pod);
        Assert.Same(first.NodeName, second.NodeName);
        Assert.Same(first.CommunityId, second.CommunityId);
        Assert.Same(first.Source.Labels, second.Source.Labels);
        Assert.Same(first.Destination.Ip, second.Destination.Ip);
    }

    [Fact]
    public void ReadFlow_LabelsSharedBetweenPods_AreOneDictionary()
    {
        var labels = new Dictionary<string, string> { ["app"] = "cart", ["team"] = "shop" };
        var one = With(EcsSamples.Minimal(), source: new FlowEndpoint { Ip = IPAddress.Loopback, Pod = "cart-1", Labels = labels });
        var two = With(EcsSamples.Minimal(), source: new FlowEndpoint { Ip = IPAddress.Loopback, Pod = "cart-2", Labels = labels });

        var first = ReadOk(EcsJson.SerializeFlow(one));
        var second = ReadOk(EcsJson.SerializeFlow(two));

        Assert.Equal("cart-2", second.Source.Pod);
        Assert.Same(first.Source.Labels, second.Source.Labels);
    }

    [Fact]
    public void ReadFlow_ManyThreadsAtOnce_EachGetsItsOwnFlow()
    {
        var flows = Enumerable.Range(0, 2000).Select(i => EcsSamples.RandomFlow(new Random(i))).ToArray();
        var documents = flows.Select(EcsJson.SerializeFlow).ToArray();
        var read = new FlowEvent?[flows.Length];

        Parallel.For(0, flows.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => read[i] = EcsJson.ReadFlow(documents[i]).Event);

        for (int i = 0; i < flows.Length; i++)
        {
            Assert.NotNull(read[i]);
            EcsSamples.AssertSameFlow(flows[i], read[i]!);
        }
    }

    internal static FlowEvent ReadOk(byte[] json)
    {
        var result = EcsJson.ReadFlow(json);
        Assert.True(result.IsSuccess, result.Error);
        return result.Event!;
    }

    internal static byte[] MinimalDocument(string timestamp) => Encoding.UTF8.GetBytes(
        "{\"@timestamp\":" + timestamp
        + ""","source":{"ip":"10.0.0.1"},"destination":{"ip":"10.0.0.2"},"network":{"transport":"tcp"},"netsec":{"schema_version":"1"}}""");

    private static JsonObject Reverse(JsonObject source)
    {
        var reversed = new JsonObject();
        foreach (var (name, value) in source.Reverse().ToList())
        {
            reversed[name] = value is JsonObject inner ? Reverse(inner) : value?.DeepClone();
        }

        return reversed;
    }

    private static FlowEvent With(FlowEvent flow, DataplaneVerdict? verdict = null, TrafficDirection? direction = null, TcpFlags? flags = null,
        PayloadBuffers? payload = null, FlowEndpoint? source = null) => new()
    {
        Timestamp = flow.Timestamp,
        Source = source ?? flow.Source,
        Destination = flow.Destination,
        IpProtocol = flow.IpProtocol,
        Verdict = verdict ?? flow.Verdict,
        Direction = direction ?? flow.Direction,
        TcpFlags = flags ?? flow.TcpFlags,
        Payload = payload ?? flow.Payload,
        CommunityId = "1:test",
    };
}
