using System.Text;
using NetSecStream.Collectors.Hubble;
using NetSecStream.Collectors.HubbleRelay;
using NetSecStream.Collectors.Tests.Hubble;

namespace NetSecStream.Collectors.Tests.HubbleRelay;

/// <summary>
/// The protobuf mapping against the JSON decoder on what the samples lack: drops, IPv6, ICMPv6, SCTP, workloads,
/// DNS names, a Host header, an L7 response without rcode, explicit is_reply false, flows without l4.
/// </summary>
public sealed class HubbleRelayFlowMapperTests
{
    private const string Endpoints =
        "\"source\":{\"ID\":7,\"identity\":4242,\"namespace\":\"shop\",\"labels\":[\"k8s:app=cart\",\"k8s:io.kubernetes.pod.namespace=shop\",\"reserved:init\"],"
        + "\"pod_name\":\"cart-7f9b8c6d5f-x2x4z\",\"workloads\":[{\"name\":\"\",\"kind\":\"\"},{\"name\":\"cart\",\"kind\":\"Deployment\"}]},"
        + "\"destination\":{\"identity\":2,\"labels\":[\"reserved:world\"]}";

    public static TheoryData<string> Flows =>
    [
        Flow("\"verdict\":\"DROPPED\",\"drop_reason_desc\":\"POLICY_DENIED\",\"IP\":{\"source\":\"10.0.0.1\",\"destination\":\"203.0.113.9\",\"ipVersion\":\"IPv4\"},"
            + "\"l4\":{\"TCP\":{\"source_port\":41000,\"destination_port\":443,\"flags\":{\"SYN\":true}}}," + Endpoints
            + ",\"destination_names\":[\"api.example.com\"],\"traffic_direction\":\"EGRESS\",\"is_reply\":false"),
        Flow("\"verdict\":\"AUDIT\",\"IP\":{\"source\":\"fd00::1\",\"destination\":\"fd00::2\",\"ipVersion\":\"IPv6\"},\"l4\":{\"ICMPv6\":{\"type\":128}},"
            + Endpoints + ",\"traffic_direction\":\"INGRESS\""),
        Flow("\"verdict\":\"FORWARDED\",\"IP\":{\"source\":\"10.0.0.1\",\"destination\":\"10.0.0.2\"},\"l4\":{\"SCTP\":{\"source_port\":3868,\"destination_port\":3868}},"
            + "\"source_names\":[\"a.example\",\"b.example\"],\"reply\":true"),
        Flow("\"verdict\":\"FORWARDED\",\"IP\":{\"source\":\"10.0.0.1\",\"destination\":\"10.0.0.2\"},\"l4\":{\"TCP\":{\"source_port\":80,\"destination_port\":5555}},"
            + "\"l7\":{\"type\":\"RESPONSE\",\"http\":{\"code\":503,\"method\":\"POST\",\"url\":\"/api/v1/items?x=1\",\"protocol\":\"HTTP/2\","
            + "\"headers\":[{\"key\":\"Host\",\"value\":\"shop.svc\"},{\"key\":\"\",\"value\":\"dropped\"},{\"key\":\"user-agent\",\"value\":\"curl/8\"}]}},"
            + Endpoints),
        Flow("\"verdict\":\"REDIRECTED\",\"IP\":{\"source\":\"10.0.0.2\",\"destination\":\"10.0.0.1\"},\"l4\":{\"UDP\":{\"source_port\":53,\"destination_port\":40000}},"
            + "\"l7\":{\"type\":\"RESPONSE\",\"dns\":{\"query\":\"Shop.Example.\",\"ips\":[\"192.0.2.1\"],\"qtypes\":[\"A\"],\"rrtypes\":[\"A\"]}}"),
        Flow("\"verdict\":\"FORWARDED\",\"IP\":{\"source\":\"10.0.0.2\",\"destination\":\"10.0.0.1\"},\"l4\":{\"UDP\":{\"source_port\":40000,\"destination_port\":53}},"
            + "\"l7\":{\"type\":\"REQUEST\",\"dns\":{\"query\":\"x.example.\",\"qtypes\":[\"AAAA\"]}},\"Summary\":\"DNS Query x.example. AAAA\""),
        Flow("\"verdict\":\"TRANSLATED\",\"IP\":{\"source\":\"10.0.0.1\",\"destination\":\"10.0.0.2\"}," + Endpoints),
        Flow("\"verdict\":\"ERROR\",\"IP\":{\"source\":\"10.0.0.1\",\"destination\":\"10.0.0.2\"},\"l4\":{\"ICMPv4\":{\"type\":3,\"code\":13}}", outerTimeOnly: true),
    ];

    [Theory]
    [MemberData(nameof(Flows))]
    public void Map_EdgeCases_GiveTheFlowEventOfTheJsonDecoder(string json)
    {
        var expected = new HubbleFlowDecoder(new HubbleDecoderOptions { Cluster = "lab" }).Decode(Encoding.UTF8.GetBytes(json));
        Assert.True(expected.IsSuccess, expected.Error);
        var response = RelayJson.Parse(Encoding.UTF8.GetBytes(json));

        var actual = new HubbleRelayFlowMapper("hubble", "lab").Map(response.Flow, response.NodeName, response.Time);

        Assert.NotNull(actual);
        FlowAssert.Equivalent(expected.Event!, actual);
    }

    [Theory]
    [InlineData("\"IP\":{\"source\":\"10.0.0.1\",\"destination\":\"fd00::2\"}", "invalid_value", "are of different address families")]
    [InlineData("\"IP\":{\"source\":\"10.0.0.1\"}", "missing_field", "flow.IP.destination missing")]
    [InlineData("\"IP\":{\"source\":\"10.0.0.1\",\"destination\":\"10.0.0.2\"},\"l4\":{\"ICMPv4\":{\"type\":300}}", "invalid_value", "flow.l4.ICMPv4.type 300 is out of range (0-255)")]
    public void Map_UnusableFlow_FailsWithTheJsonDecodersReason(string fields, string reasonTag, string error)
    {
        string json = Flow(fields);
        var response = RelayJson.Parse(Encoding.UTF8.GetBytes(json));
        var mapper = new HubbleRelayFlowMapper("hubble", null);

        Assert.Null(mapper.Map(response.Flow, response.NodeName, response.Time));
        Assert.Equal(reasonTag, mapper.ReasonTag);
        Assert.Contains(error, mapper.Error, StringComparison.Ordinal);
        var fromJson = new HubbleFlowDecoder().Decode(Encoding.UTF8.GetBytes(json));
        Assert.Contains(error, fromJson.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Map_NoTimeAnywhere_IsMissingField()
    {
        var response = RelayJson.Parse(Encoding.UTF8.GetBytes("{\"flow\":{\"IP\":{\"source\":\"10.0.0.1\",\"destination\":\"10.0.0.2\"}}}"));
        var mapper = new HubbleRelayFlowMapper("hubble", null);

        Assert.Null(mapper.Map(response.Flow, null, null));
        Assert.Equal("flow.time missing", mapper.Error);
    }

    private static string Flow(string fields, bool outerTimeOnly = false) =>
        outerTimeOnly
            ? "{\"flow\":{" + fields + "},\"node_name\":\"worker-1\",\"time\":\"2026-01-02T03:04:05.123456789Z\"}"
            : "{\"flow\":{\"time\":\"2026-01-02T03:04:05.123456789Z\",\"node_name\":\"worker-2\"," + fields + "},\"node_name\":\"worker-1\",\"time\":\"2026-01-02T03:04:06Z\"}";
}
