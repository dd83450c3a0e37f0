using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using NetSecStream.Collectors.Hubble;
using NetSecStream.Core.Events;

namespace NetSecStream.Collectors.Tests.Hubble;

public sealed class HubbleFlowDecoderTests
{
    private readonly HubbleFlowDecoder _decoder = new();

    [Theory]
    [MemberData(nameof(HubbleSamples.Files), MemberType = typeof(HubbleSamples))]
    public void Decode_EverySampleLine_Succeeds(string file)
    {
        var lines = HubbleSamples.Lines(file);
        Assert.Equal(HubbleSamples.LineCounts[file], lines.Count);
        for (int i = 0; i < lines.Count; i++)
        {
            var result = _decoder.Decode(lines[i]);
            Assert.True(result.IsSuccess, $"{file} line {i + 1}: {result.Error}");
            var flow = result.Event!;
            Assert.Equal("hubble", flow.CollectorId);
            Assert.Equal(DateTimeKind.Utc, flow.Timestamp.UtcDateTime.Kind);
            Assert.Equal(TimeSpan.Zero, flow.Timestamp.Offset);
            Assert.NotNull(flow.NodeName);
            Assert.NotEqual(Transport.Other, flow.Transport);
            Assert.StartsWith("1:", flow.CommunityId, StringComparison.Ordinal);
            Assert.Equal(CommunityId.Compute(flow), flow.CommunityId);
        }
    }

    [Fact]
    public void Decode_AllSamples_TotalIs1916Flows()
    {
        int decoded = HubbleSamples.LineCounts.Keys.SelectMany(HubbleSamples.Lines).Count(line => _decoder.Decode(line).IsSuccess);
        Assert.Equal(1916, decoded);
    }

    [Theory]
    [MemberData(nameof(HubbleSamples.Files), MemberType = typeof(HubbleSamples))]
    public void Decode_BareFlowObject_EqualsWrappedForm(string file)
    {
        foreach (var line in HubbleSamples.Lines(file))
        {
            using var document = JsonDocument.Parse(line);
            byte[] bare = Encoding.UTF8.GetBytes(document.RootElement.GetProperty("flow").GetRawText());
            var wrapped = _decoder.Decode(line);
            var unwrapped = _decoder.Decode(bare);
            Assert.True(unwrapped.IsSuccess, unwrapped.Error);
            FlowAssert.Equivalent(wrapped.Event!, unwrapped.Event!);
        }
    }

    [Fact]
    public void Decode_TcpSample_MapsEndpointsFlagsLabelsAndReply()
    {
        var flow = Decode(HubbleSamples.Line("basic-sample-10-flows.json", 1));

        Assert.Equal(new DateTimeOffset(2021, 6, 16, 16, 52, 13, TimeSpan.Zero).AddTicks(1_368_344), flow.Timestamp);
        Assert.Equal(DataplaneVerdict.Forwarded, flow.Verdict);
        Assert.Equal(Transport.Tcp, flow.Transport);
        Assert.Equal(IPAddress.Parse("10.0.2.16"), flow.Source.Ip);
        Assert.Equal(15020, flow.Source.Port);
        Assert.Equal(IPAddress.Parse("10.0.2.1"), flow.Destination.Ip);
        Assert.Equal(42044, flow.Destination.Port);
        Assert.Equal(TcpFlags.Fin | TcpFlags.Ack, flow.TcpFlags);
        Assert.True(flow.IsReply);
        Assert.Equal(TrafficDirection.Ingress, flow.Direction);
        Assert.Equal("TCP Flags: ACK, FIN", flow.Summary);
        Assert.Equal("gke-ilya-otel-demo-1-ilya-otel-demo-1-6114bb84-zr1l", flow.NodeName);

        Assert.Equal("bookinfo", flow.Source.Namespace);
        Assert.Equal("reviews-v1-545db77b95-s6jb8", flow.Source.Pod);
        Assert.Equal("reviews-v1", flow.Source.Workload);
        Assert.Equal(25339u, flow.Source.Identity);
        Assert.Null(flow.Source.ReservedEntity);
        var labels = flow.Source.Labels!;
        Assert.Equal(7, labels.Count);
        Assert.Equal("reviews", labels["app"]);
        Assert.Equal("v1", labels["version"]);
        Assert.Equal("default", labels["io.cilium.k8s.policy.cluster"]);
        Assert.Equal("istio", labels["security.istio.io/tlsMode"]);
        Assert.DoesNotContain(labels.Keys, key => key.StartsWith("k8s:", StringComparison.Ordinal));

        Assert.Equal("host", flow.Destination.ReservedEntity);
        Assert.Equal(1u, flow.Destination.Identity);
        Assert.Null(flow.Destination.Labels);
        Assert.Null(flow.Destination.Namespace);
        Assert.Null(flow.Destination.Pod);

        // Independently computed with the Community ID spec's algorithm.
        Assert.Equal("1:+VvnVqfaAw3kALvdDQ0+wHqpnxg=", flow.CommunityId);
    }

    [Fact]
    public void Decode_TcpSynSample_SetsSynOnly()
    {
        var flow = Decode(HubbleSamples.Line("basic-sample-400-tcp-flows.json", 23));
        Assert.Equal(TcpFlags.Syn, flow.TcpFlags);
        Assert.Equal(DataplaneVerdict.Redirected, flow.Verdict);
        Assert.Equal(9080, flow.Destination.Port);
        Assert.Equal("ratings-v1", flow.Source.Workload);
        Assert.Equal("kind-kind", flow.Source.Labels!["io.cilium.k8s.policy.cluster"]);
    }

    [Fact]
    public void Decode_DnsQuerySample_NormalisesQuery()
    {
        var flow = Decode(HubbleSamples.Line("basic-sample-5-dns-flows.json", 1));
        var dns = flow.Dns!;
        Assert.Equal("istiod-istio-1611.istio-system.svc.istio-system.svc.cluster.local", dns.Query);
        Assert.Equal(["A"], dns.QueryTypes);
        Assert.False(dns.IsResponse);
        Assert.Null(dns.Rcode);
        Assert.Null(dns.Answers);
        Assert.Null(flow.Http);
        Assert.Equal(53, flow.Destination.Port);
        Assert.Equal("node-local-dns", flow.Source.Workload);
        Assert.Equal("kube-system", flow.Source.Namespace);
    }

    [Fact]
    public void Decode_DnsNxdomainResponse_CarriesRcode()
    {
        var flow = Decode(HubbleSamples.Line("basic-sample-5-dns-flows.json", 2));
        Assert.True(flow.Dns!.IsResponse);
        Assert.Equal(3, flow.Dns.Rcode);
        Assert.True(flow.IsReply);
        Assert.Equal(TrafficDirection.Egress, flow.Direction);
        Assert.Equal("kube-dns", flow.Source.Workload);
        // Independently computed with the Community ID spec's algorithm.
        Assert.Equal("1:/TzTpEEOQzMLIu7pqdnKDjwwuaE=", flow.CommunityId);
    }

    [Fact]
    public void Decode_DnsAnswerSample_CarriesAnswersAndNoError()
    {
        var flow = Decode(HubbleSamples.Line("basic-sample-330-dns-flows.json", 6));
        var dns = flow.Dns!;
        Assert.Equal("istiod-istio-1611.istio-system.svc.cluster.local", dns.Query);
        Assert.True(dns.IsResponse);
        Assert.Equal(0, dns.Rcode);
        Assert.Equal(["10.160.0.203"], dns.Answers);
    }

    [Fact]
    public void Decode_HttpRequestSample_MapsMethodUrlHostAndUserAgent()
    {
        var flow = Decode(HubbleSamples.Line("basic-sample-5-http-flows.json", 1));
        var http = flow.Http!;
        Assert.Equal("GET", http.Method);
        Assert.Equal("http://10.128.0.4:9990/metrics", http.Url);
        Assert.Equal("/metrics", http.Uri);
        Assert.Equal("10.128.0.4:9990", http.Host);
        Assert.Equal("Prometheus/2.15.1", http.UserAgent);
        Assert.Equal("HTTP/1.1", http.Protocol);
        Assert.Null(http.StatusCode);
        Assert.False(http.IsResponse);
        Assert.Equal(5, http.Headers!.Count);
        Assert.Equal(new KeyValuePair<string, string>("X-Request-Id", "49116c2c-3017-4237-97e7-1ff4e16bfe28"), http.Headers[4]);
        Assert.Equal("prometheus", flow.Source.Workload);
        Assert.Equal("istio-system", flow.Source.Namespace);
        Assert.Equal("world", flow.Destination.ReservedEntity);
        Assert.Equal(2u, flow.Destination.Identity);
        Assert.False(flow.IsReply);
    }

    [Fact]
    public void Decode_HttpResponseSample_CarriesStatusCode()
    {
        var flow = Decode(HubbleSamples.Line("basic-sample-5-http-flows.json", 4));
        Assert.True(flow.Http!.IsResponse);
        Assert.Equal(503, flow.Http.StatusCode);
        Assert.Equal("/metrics", flow.Http.Uri);
    }

    [Fact]
    public void Decode_IcmpEchoPair_MapsTypeCodeAndSharesCommunityId()
    {
        var request = Decode(HubbleSamples.Line("basic-sample-400-icmpv4-flows.json", 1));
        var reply = Decode(HubbleSamples.Line("basic-sample-400-icmpv4-flows.json", 2));

        Assert.Equal(1, request.IpProtocol);
        Assert.Equal(Transport.Icmp, request.Transport);
        Assert.Equal((byte)8, request.IcmpType);
        Assert.Equal((byte)0, request.IcmpCode);
        Assert.Equal("health", request.Destination.ReservedEntity);
        Assert.False(request.IsReply);

        // {"ICMPv4":{}}: protobuf JSON leaves out zeros, so this is an echo reply (type 0, code 0).
        Assert.Equal((byte)0, reply.IcmpType);
        Assert.Equal((byte)0, reply.IcmpCode);
        Assert.True(reply.IsReply);
        Assert.Equal(new DateTimeOffset(2021, 11, 10, 10, 41, 26, TimeSpan.Zero).AddTicks(953_570), reply.Timestamp);

        Assert.Equal("1:TXW7SwYgFr3/ZJGJpTSS0//eQJI=", request.CommunityId);
        Assert.Equal(request.CommunityId, reply.CommunityId);
    }

    [Fact]
    public void Decode_FlowAndItsReply_ShareCommunityId()
    {
        // The first two lines of the 10-flow sample are the two directions of one connection.
        var forward = Decode(HubbleSamples.Line("basic-sample-10-flows.json", 1));
        var backward = Decode(HubbleSamples.Line("basic-sample-10-flows.json", 2));
        Assert.Equal(forward.Source.Ip, backward.Destination.Ip);
        Assert.Equal(forward.Source.Port, backward.Destination.Port);
        Assert.Equal(forward.CommunityId, backward.CommunityId);
    }

    [Fact]
    public void Decode_SpecExampleTuple_GivesSpecCommunityId()
    {
        string forward = Flow(ip: """{"source":"128.232.110.120","destination":"66.35.250.204"}""", l4: """{"TCP":{"source_port":34855,"destination_port":80}}""");
        string backward = Flow(ip: """{"source":"66.35.250.204","destination":"128.232.110.120"}""", l4: """{"TCP":{"source_port":80,"destination_port":34855}}""");
        Assert.Equal("1:LQU9qZlK+B5F3KDmev6m5PMibrg=", Decode(forward).CommunityId);
        Assert.Equal("1:LQU9qZlK+B5F3KDmev6m5PMibrg=", Decode(backward).CommunityId);
    }

    [Fact]
    public void Decode_Ipv6IcmpV6_MapsProtocol58()
    {
        var flow = Decode(Flow(
            ip: """{"source":"fd00::1","destination":"fd00::2","ipVersion":"IPv6"}""",
            l4: """{"ICMPv6":{"type":128,"code":0}}""",
            extra: "\"verdict\":\"DROPPED\",\"drop_reason_desc\":\"POLICY_DENIED\","));
        Assert.Equal(58, flow.IpProtocol);
        Assert.Equal(Transport.IcmpV6, flow.Transport);
        Assert.Equal((byte)128, flow.IcmpType);
        Assert.Equal(IPAddress.Parse("fd00::1"), flow.Source.Ip);
        Assert.Equal(DataplaneVerdict.Dropped, flow.Verdict);
        Assert.NotNull(flow.CommunityId);
    }

    [Theory]
    [InlineData("FORWARDED", DataplaneVerdict.Forwarded)]
    [InlineData("DROPPED", DataplaneVerdict.Dropped)]
    [InlineData("AUDIT", DataplaneVerdict.Audit)]
    [InlineData("REDIRECTED", DataplaneVerdict.Redirected)]
    [InlineData("ERROR", DataplaneVerdict.Error)]
    [InlineData("TRACED", DataplaneVerdict.Traced)]
    [InlineData("TRANSLATED", DataplaneVerdict.Translated)]
    [InlineData("VERDICT_UNKNOWN", DataplaneVerdict.Unknown)]
    public void Decode_Verdict_MapsName(string name, DataplaneVerdict expected)
    {
        Assert.Equal(expected, Decode(Flow(extra: $"\"verdict\":\"{name}\",")).Verdict);
    }

    [Fact]
    public void Decode_VerdictAsEnumNumber_Maps()
    {
        Assert.Equal(DataplaneVerdict.Audit, Decode(Flow(extra: "\"verdict\":4,")).Verdict);
    }

    [Fact]
    public void Decode_SctpWithWorkloadsAndNames_UsesWorkloadAndDnsNames()
    {
        var flow = Decode(Flow(
            l4: """{"SCTP":{"source_port":5000,"destination_port":38412}}""",
            extra: """
                "source":{"namespace":"ran","pod_name":"amf-0","workloads":[{"name":"amf","kind":"StatefulSet"}],"labels":["k8s:app=amf","unspec:x=y"]},
                "destination":{"identity":2,"labels":["reserved:world"]},
                "destination_names":["api.example.com"],
                """.ReplaceLineEndings("")));
        Assert.Equal(132, flow.IpProtocol);
        Assert.Equal(Transport.Sctp, flow.Transport);
        Assert.Equal(38412, flow.Destination.Port);
        Assert.Equal("amf", flow.Source.Workload);
        Assert.Equal("amf", Assert.Single(flow.Source.Labels!).Value);
        Assert.Equal(["api.example.com"], flow.Destination.DnsNames);
        Assert.Null(flow.Source.DnsNames);
    }

    [Fact]
    public void Decode_ProtobufCamelCaseNames_AreAccepted()
    {
        var flow = Decode("""
            {"flow":{"time":"2024-01-02T03:04:05Z","IP":{"source":"10.1.0.1","destination":"10.1.0.2"},
            "l4":{"UDP":{"sourcePort":"5353","destinationPort":53}},"source":{"podName":"web-7d4b9c8f6d-xk2lp","namespace":"shop"},
            "trafficDirection":"EGRESS","isReply":false,"nodeName":"node-a","sourceNames":["web.shop"]}}
            """.ReplaceLineEndings(""));
        Assert.Equal(5353, flow.Source.Port);
        Assert.Equal(53, flow.Destination.Port);
        Assert.Equal("web", flow.Source.Workload);
        Assert.Equal(TrafficDirection.Egress, flow.Direction);
        Assert.False(flow.IsReply);
        Assert.Equal("node-a", flow.NodeName);
        Assert.Equal(["web.shop"], flow.Source.DnsNames);
        Assert.Equal(new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero), flow.Timestamp);
    }

    [Fact]
    public void Decode_HttpWithHostHeaderAndRelativeUrl_TakesHostFromHeader()
    {
        var flow = Decode(Flow(extra: """
            "l7":{"type":"REQUEST","http":{"method":"POST","url":"/api/v1/items?x=1#frag","protocol":"HTTP/2",
            "headers":[{"key":"host","value":"shop.example.com"},{"key":"user-agent","value":"curl/8.5.0"}]}},
            """.ReplaceLineEndings("")));
        Assert.Equal("shop.example.com", flow.Http!.Host);
        Assert.Equal("/api/v1/items?x=1", flow.Http.Uri);
        Assert.Equal("curl/8.5.0", flow.Http.UserAgent);
        Assert.Equal("POST", flow.Http.Method);
    }

    [Fact]
    public void Decode_HttpUrlWithUserInfoAndQueryOnly_SplitsAuthority()
    {
        var flow = Decode(Flow(extra: "\"l7\":{\"type\":\"RESPONSE\",\"http\":{\"code\":200,\"url\":\"https://u:p@Api.Example.com:8443?q=1\"}},"));
        Assert.Equal("Api.Example.com:8443", flow.Http!.Host);
        Assert.Equal("/?q=1", flow.Http.Uri);
        Assert.Equal(200, flow.Http.StatusCode);
        Assert.True(flow.Http.IsResponse);
    }

    [Fact]
    public void Decode_EscapedStrings_AreUnescaped()
    {
        var flow = Decode(Flow(extra: """
            "source":{"namespace":"sh\u006fp","labels":["k8s:app.kubernetes.io\/name=web"]},
            "l7":{"type":"REQUEST","dns":{"query":"WWW.Ex\u0041mple.COM.","qtypes":["A","AAAA"]}},
            """.ReplaceLineEndings("")));
        Assert.Equal("shop", flow.Source.Namespace);
        Assert.Equal("web", flow.Source.Labels!["app.kubernetes.io/name"]);
        Assert.Equal("www.example.com", flow.Dns!.Query);
        Assert.Equal(["A", "AAAA"], flow.Dns.QueryTypes);
    }

    [Fact]
    public void Decode_TimeWithOffset_IsConvertedToUtc()
    {
        var flow = Decode(Flow(time: "2024-03-01T10:00:00.5+02:00"));
        Assert.Equal(new DateTimeOffset(2024, 3, 1, 8, 0, 0, 500, TimeSpan.Zero), flow.Timestamp);
        Assert.Equal(TimeSpan.Zero, flow.Timestamp.Offset);
    }

    [Fact]
    public void Decode_WithoutL4_KeepsFlowWithoutCommunityId()
    {
        var flow = Decode(Flow(l4: "null"));
        Assert.Equal(0, flow.IpProtocol);
        Assert.Null(flow.CommunityId);
    }

    [Fact]
    public void Decode_ConfiguredCollectorAndCluster_AreApplied()
    {
        var decoder = new HubbleFlowDecoder(new HubbleDecoderOptions { CollectorId = "hubble_relay", Cluster = "prod-eu" });
        var flow = decoder.Decode(Encoding.UTF8.GetBytes(Flow())).Event!;
        Assert.Equal("hubble_relay", flow.CollectorId);
        Assert.Equal("prod-eu", flow.Cluster);
        Assert.Equal("hubble_json", decoder.Id);
    }

    [Fact]
    public void Decode_RepeatedValues_AreSharedBetweenFlows()
    {
        string line = HubbleSamples.Line("basic-sample-10-flows.json", 1);
        var first = Decode(line);
        var second = Decode(line);
        Assert.Same(first.Source.Namespace, second.Source.Namespace);
        Assert.Same(first.NodeName, second.NodeName);
        Assert.Same(first.Source.Labels, second.Source.Labels);
        Assert.Same(first.Source.Ip, second.Source.Ip);
    }

    [Theory]
    [InlineData("reviews-v1-545db77b95-s6jb8", "reviews-v1")]
    [InlineData("kube-dns-b4f5c58c7-7qmtw", "kube-dns")]
    [InlineData("ratings-v1-b6994bb9-4dt5c", "ratings-v1")]
    [InlineData("node-local-dns-6jnx9", "node-local-dns")]
    [InlineData("otelcol-hubble-collector-2t8z4", "otelcol-hubble-collector")]
    [InlineData("web-0", "web")]
    [InlineData("postgres-12", "postgres")]
    [InlineData("kube-apiserver-control-plane", "kube-apiserver-control-plane")]
    [InlineData("nginx", "nginx")]
    [InlineData("my-frontend-service", "my-frontend-service")]
    public void WorkloadNameLength_StripsGeneratedSuffixes(string pod, string workload)
    {
        byte[] bytes = Encoding.ASCII.GetBytes(pod);
        Assert.Equal(workload, Encoding.ASCII.GetString(bytes, 0, KubernetesNames.WorkloadNameLength(bytes)));
    }

    private FlowEvent Decode(string line)
    {
        var result = _decoder.Decode(Encoding.UTF8.GetBytes(line));
        Assert.True(result.IsSuccess, result.Error);
        return result.Event!;
    }

    /// <summary>A minimal wrapped flow; <paramref name="extra"/> is inserted as further fields (ending in a comma).</summary>
    internal static string Flow(
        string time = "2024-05-06T07:08:09.123456789Z",
        string ip = """{"source":"10.0.0.1","destination":"10.0.0.2","ipVersion":"IPv4"}""",
        string l4 = """{"TCP":{"source_port":40000,"destination_port":443,"flags":{"SYN":true}}}""",
        string extra = "") =>
        string.Create(CultureInfo.InvariantCulture, $$"""{"flow":{"time":"{{time}}",{{extra}}"IP":{{ip}},"l4":{{l4}},"node_name":"node-1"},"node_name":"node-1","time":"{{time}}"}""");
}
