using System.Net;
using System.Text;
using CsCheck;
using NetSecStream.Collectors.Hubble;
using NetSecStream.Core.Events;
using NetSecStream.Policy.Backtest;
using NetSecStream.Policy.Evaluation;
using NetSecStream.Policy.Model;
using NetSecStream.Policy.Parsing;

namespace NetSecStream.Policy.Tests.Evaluation;

public sealed class PolicyEvaluatorTests
{
    private const string Policies = """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: web-egress, namespace: shop}
        spec:
          podSelector: {matchLabels: {app: web}}
          policyTypes: [Egress]
          egress:
            - to: [{namespaceSelector: {matchLabels: {team: data}}}]
            - to: [{ipBlock: {cidr: 198.51.100.0/24, except: [198.51.100.128/25]}}]
              ports: [{port: 443}]
        ---
        apiVersion: cilium.io/v2
        kind: CiliumNetworkPolicy
        metadata: {name: db, namespace: data}
        spec:
          endpointSelector: {matchLabels: {app: db}}
          ingress:
            - fromEndpoints: [{matchLabels: {io.kubernetes.pod.namespace: shop}}]
              toPorts: [{ports: [{port: "5432", protocol: TCP}]}]
          ingressDeny:
            - fromEndpoints: [{matchLabels: {io.kubernetes.pod.namespace: shop, app: batch}}]
        """;

    private static List<PolicyDefinition> Load(string yaml)
    {
        var result = PolicyParser.ParseText(yaml);
        Assert.False(result.HasErrors, string.Join("\n", result.Diagnostics));
        return result.Policies;
    }

    private static string Hubble(string[] sourceLabels, string sourceIp, string[] destinationLabels, string destinationIp, int port) =>
        "{\"flow\":{\"time\":\"2026-11-27T10:00:00Z\",\"verdict\":\"FORWARDED\",\"IP\":{\"source\":\"" + sourceIp + "\",\"destination\":\"" + destinationIp
        + "\",\"ipVersion\":\"IPv4\"},\"l4\":{\"TCP\":{\"source_port\":40000,\"destination_port\":" + port + "}},"
        + "\"source\":{\"labels\":[" + string.Join(",", sourceLabels.Select(l => "\"" + l + "\"")) + "]},"
        + "\"destination\":{\"labels\":[" + string.Join(",", destinationLabels.Select(l => "\"" + l + "\"")) + "]},\"traffic_direction\":\"EGRESS\"}}";

    [Fact]
    public void HubbleFlows_LabelsPrefixesNamespaceLabelsAndReservedEntities_AreNormalisedOnce()
    {
        var evaluator = new PolicyEvaluator(Load(Policies));
        var decoder = new HubbleFlowDecoder();
        string[] web = ["k8s:app=web", "k8s:io.kubernetes.pod.namespace=shop", "k8s:io.cilium.k8s.namespace.labels.team=shop"];
        string[] db = ["k8s:app=db", "k8s:io.kubernetes.pod.namespace=data", "k8s:io.cilium.k8s.namespace.labels.team=data"];
        string[] world = ["reserved:world"];

        PolicyVerdict Judge(string line)
        {
            var result = decoder.Decode(Encoding.UTF8.GetBytes(line));
            Assert.True(result.IsSuccess, result.Error);
            return evaluator.Evaluate(result.Event!);
        }

        var toDb = Judge(Hubble(web, "10.0.1.5", db, "10.0.2.9", 5432));
        Assert.Equal(VerdictKind.Allowed, toDb.Kind);
        Assert.Equal(["shop/web-egress", "data/db"], toDb.Policies);
        Assert.Equal(["shop", "data"], toDb.Subjects);
        Assert.Equal(VerdictKind.Denied, Judge(Hubble(web, "10.0.1.5", db, "10.0.2.9", 5433)).Kind);
        Assert.Equal(VerdictKind.Allowed, Judge(Hubble(web, "10.0.1.5", world, "198.51.100.7", 443)).Kind);
        var excepted = Judge(Hubble(web, "10.0.1.5", world, "198.51.100.200", 443));
        Assert.Equal(VerdictKind.Denied, excepted.Kind);
        Assert.Equal("default deny (egress of shop/web): selected by shop/web-egress; no rule allows", excepted.Reason);
        var batch = Judge(Hubble(["k8s:app=batch", "k8s:io.kubernetes.pod.namespace=shop"], "10.0.1.6", db, "10.0.2.9", 5432));
        Assert.Equal(VerdictKind.Denied, batch.Kind);
        Assert.Equal(["data/db"], batch.Policies);
        Assert.StartsWith("ingressDeny of data/db", batch.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void VerdictCache_IsBounded_AndIdentitiesAreInternedByLabelSet()
    {
        var evaluator = new PolicyEvaluator(Load(Policies), cacheCapacity: 16);
        var labels = new Dictionary<string, string> { ["app"] = "web" };
        for (int i = 0; i < 1000; i++)
        {
            var flow = new FlowEvent
            {
                Timestamp = DateTimeOffset.UnixEpoch,
                Source = new FlowEndpoint { Ip = IPAddress.Parse("10.0.1.5"), Namespace = "shop", Labels = labels },
                Destination = new FlowEndpoint { Ip = new IPAddress([198, 51, 100, (byte)(i % 256)]), Port = (ushort)(400 + (i % 100)), ReservedEntity = "world" },
                IpProtocol = 6,
            };
            evaluator.Evaluate(flow);
            Assert.True(evaluator.CacheCount <= 16);
        }

        Assert.True(evaluator.CacheMisses > 16);
    }

    [Fact]
    public void CachedVerdicts_EqualFreshOnes_ForRandomFlows()
    {
        var policies = Load(Policies);
        var cached = new PolicyEvaluator(policies, cacheCapacity: 64);
        string[] namespaces = ["shop", "data", "other"];
        string[] apps = ["web", "db", "batch", "x"];
        var genEndpoint = Gen.Select(Gen.Int[0, 4], Gen.Int[0, 3], Gen.Int[0, 255], Gen.Int[0, 2]).Select(t => t.Item1 == 3
            ? new FlowEndpoint { Ip = new IPAddress([198, 51, 100, (byte)t.Item3]), ReservedEntity = "world" }
            : t.Item1 == 4
                ? new FlowEndpoint { Ip = IPAddress.Parse("10.132.0.3"), ReservedEntity = t.Item4 == 0 ? "host" : "remote-node" }
                : new FlowEndpoint
                {
                    Ip = new IPAddress([10, 0, (byte)t.Item1, (byte)t.Item3]),
                    Namespace = namespaces[t.Item1],
                    Labels = new Dictionary<string, string> { ["app"] = apps[t.Item2], ["io.cilium.k8s.namespace.labels.team"] = namespaces[t.Item1] },
                });
        Gen.Select(genEndpoint, genEndpoint, Gen.Int[0, 3].Select(i => (ushort)(i switch { 0 => 443, 1 => 5432, 2 => 5433, _ => 80 })), Gen.Int[0, 2].Select(i => (byte)(i switch { 0 => 6, 1 => 17, _ => 1 }))).Sample(t =>
        {
            var (source, destination, port, protocol) = t;
            var flow = new FlowEvent
            {
                Timestamp = DateTimeOffset.UnixEpoch,
                Source = source,
                Destination = new FlowEndpoint { Ip = destination.Ip, Port = port, Namespace = destination.Namespace, Labels = destination.Labels, ReservedEntity = destination.ReservedEntity },
                IpProtocol = protocol,
            };
            var fresh = new PolicyEvaluator(policies, cacheCapacity: 0).Evaluate(flow);
            var first = cached.Evaluate(flow);
            var again = cached.Evaluate(flow);
            Assert.Equal(fresh.ToString(), first.ToString());
            Assert.Same(first, again);
        }, iter: 2000, threads: 1); // The evaluator is single-threaded by contract; CsCheck samples on every core by default.
    }

    [Fact]
    public void IpNetwork_ContainsAgreesWithBitComparison()
    {
        Gen.Select(Gen.UInt, Gen.UInt, Gen.Int[0, 32]).Sample(t =>
        {
            var (network, address, prefix) = t;
            var text = new IPAddress(BitConverter.GetBytes(network).Reverse().ToArray()) + "/" + prefix;
            Assert.True(IpNetwork.TryParse(text, out var parsed, out _));
            uint mask = prefix == 0 ? 0 : uint.MaxValue << (32 - prefix);
            bool expected = (address & mask) == (network & mask);
            Assert.Equal(expected, parsed.Contains(new IPAddress(BitConverter.GetBytes(address).Reverse().ToArray())));
            Assert.False(parsed.Contains(IPAddress.Parse("2001:db8::1")));
        });
        Assert.True(IpNetwork.TryParse("2001:db8::/32", out var v6, out _));
        Assert.True(v6.Contains(IPAddress.Parse("2001:db8:1::5")));
        Assert.True(IpNetwork.TryParse("10.0.0.0/8", out var v4, out _));
        Assert.True(v4.Contains(IPAddress.Parse("::ffff:10.1.2.3")));
        Assert.Equal("10.0.0.0/8", v4.ToString());
    }

    [Fact]
    public void Planner_CountsPerPolicyAndNamespace_WithDistinctExamples_AndSkipsReplies()
    {
        var planner = new PolicyPlanner(Load(Policies), examplesPerEntry: 2);
        var web = new Dictionary<string, string> { ["app"] = "web" };
        FlowEvent Flow(string destination, ushort port, bool reply = false) => new()
        {
            Timestamp = DateTimeOffset.UnixEpoch,
            Source = new FlowEndpoint { Ip = IPAddress.Parse("10.0.1.5"), Namespace = "shop", Labels = web, Pod = "web-1" },
            Destination = new FlowEndpoint { Ip = IPAddress.Parse(destination), Port = port, ReservedEntity = "world" },
            IpProtocol = 6,
            IsReply = reply,
        };
        for (int i = 0; i < 5; i++)
        {
            planner.Add(Flow("203.0.113.1", 443));
        }

        planner.Add(Flow("203.0.113.2", 443));
        planner.Add(Flow("203.0.113.3", 443));
        planner.Add(Flow("198.51.100.1", 443));
        planner.Add(Flow("203.0.113.9", 443, reply: true));
        var plan = planner.Finish();
        Assert.Equal(9, plan.Flows);
        Assert.Equal(1, plan.Skipped);
        Assert.Equal(7, plan.Denied);
        Assert.Equal(1, plan.Allowed);
        var entry = Assert.Single(plan.Entries);
        Assert.Equal(("shop/web-egress", "shop", 7L), (entry.Policy, entry.Namespace, entry.Denied));
        Assert.Equal(["world 203.0.113.1", "world 203.0.113.2"], entry.Examples.Select(e => e.Destination));
        Assert.Equal("shop/web-1", entry.Examples[0].Source);
    }
}

public sealed class CompactFlowTests
{
    [Fact]
    public void BadLines_AreReportedWithFileAndLine_AndSkipped()
    {
        var rejected = new List<string>();
        var flows = CompactFlow.ReadAll(new StringReader("""
            {"src":{"ns":"a","labels":{"app":"x"}},"dst":{"entity":"world","ip":"8.8.8.8","port":53},"proto":"udp"}
            {"src":{"ns":1},"dst":{}}
            {"src":{},"dst":{},"proto":"gre"}
            {"src":{"ns":"a","entity":"host"},"dst":{}}
            not json
            {"src":{},"dst":{},"extra":1}
            """), "f.jsonl", rejected.Add);
        var (line, flow) = Assert.Single(flows);
        Assert.Equal(1, line);
        Assert.Equal((byte)17, flow.IpProtocol);
        Assert.Equal("a", flow.Source.Labels!["io.kubernetes.pod.namespace"]);
        Assert.Equal("world", flow.Destination.ReservedEntity);
        Assert.Equal(5, rejected.Count);
        Assert.StartsWith("f.jsonl:2: src.ns must be a string", rejected[0], StringComparison.Ordinal);
        Assert.StartsWith("f.jsonl:6: unknown field 'extra'", rejected[4], StringComparison.Ordinal);
    }
}
