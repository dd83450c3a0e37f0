using NetSecStream.Core.Events;
using NetSecStream.Policy.Suggest;
using static NetSecStream.Policy.Tests.Suggest.SuggestTestFlows;

namespace NetSecStream.Policy.Tests.Suggest;

public sealed class TrafficLearnerTests
{
    private static readonly FlowEndpoint Frontend = Pod("shop", "frontend", "10.0.0.10");
    private static readonly FlowEndpoint Cart = Pod("shop", "cart", "10.0.0.20");
    private static readonly FlowEndpoint Postgres = Pod("data", "postgres", "10.0.1.5");
    private static readonly FlowEndpoint KubeDns = new()
    {
        Ip = System.Net.IPAddress.Parse("10.0.0.53"), Namespace = "kube-system",
        Labels = new Dictionary<string, string> { ["k8s-app"] = "kube-dns", ["pod-template-hash"] = "55f" },
    };

    private static SuggestionSet Learn(SuggestOptions options, params FlowEvent[] flows)
    {
        var learner = new TrafficLearner(options);
        foreach (var flow in flows)
        {
            learner.Observe(flow);
        }

        return learner.Suggest();
    }

    private static Decision Decide(SuggestionSet set, FlowEvent flow)
    {
        Assert.True(Connection.TryFrom(flow, out var connection));
        return set.Decide(connection);
    }

    [Fact]
    public void StableLabels_DropRolloutAndCiliumLabels_PreferTheApplicationName()
    {
        Assert.Equal(new Dictionary<string, string> { ["app"] = "web" },
            PeerIdentity.StableLabels(new Dictionary<string, string> { ["app"] = "web", ["pod-template-hash"] = "abc", ["version"] = "v2" }));
        Assert.Equal(new Dictionary<string, string> { ["app.kubernetes.io/name"] = "kafka", ["app.kubernetes.io/instance"] = "events" },
            PeerIdentity.StableLabels(new Dictionary<string, string>
            {
                ["app.kubernetes.io/name"] = "kafka", ["app.kubernetes.io/instance"] = "events", ["app"] = "other", ["controller-revision-hash"] = "kafka-5c",
                ["statefulset.kubernetes.io/pod-name"] = "kafka-0",
            }));
        Assert.Equal(new Dictionary<string, string> { ["role"] = "db" },
            PeerIdentity.StableLabels(new Dictionary<string, string> { ["role"] = "db", ["pod-template-hash"] = "x", ["io.cilium.k8s.policy.cluster"] = "c" }));
        Assert.Empty(PeerIdentity.StableLabels(new Dictionary<string, string> { ["pod-template-hash"] = "x" }));
    }

    [Fact]
    public void Learns_BothEnds_SelectsByStableLabels_AndAllowsOnlyWhatWasForwarded()
    {
        var set = Learn(new SuggestOptions(),
            Connect(Frontend, Cart, 8080),
            Connect(Pod("shop", "frontend", "10.0.0.11", hash: "other"), Cart, 8080),
            Connect(Cart, Postgres, 5432),
            Connect(Cart, Postgres, 6432, verdict: DataplaneVerdict.Dropped),
            // Replies are part of the connection a policy allowed, not connections of their own.
            Connect(Postgres, Cart, 40000, reply: true));

        Assert.Equal(["data/postgres", "shop/cart", "shop/frontend"], set.Policies.Select(p => p.Workload.ToString()));
        var cart = set.Policies.Single(p => p.Workload.Name == "cart");
        Assert.Equal(new Dictionary<string, string> { ["app"] = "cart" }, cart.Workload.Labels);
        Assert.Equal("netsec-suggest-cart", cart.PolicyName);

        // A new frontend pod (another template hash) is the same workload.
        Assert.True(Decide(set, Connect(Pod("shop", "frontend", "10.0.0.99", hash: "new"), Cart, 8080)).Allowed);
        Assert.True(Decide(set, Connect(Cart, Postgres, 5432)).Allowed);

        var dropped = Decide(set, Connect(Cart, Postgres, 6432));
        Assert.False(dropped.Allowed);
        Assert.Equal(DenyReasons.DroppedWhenLearned, dropped.Reason);
        Assert.True(dropped.DeniedAtEgress);

        var wrongPort = Decide(set, Connect(Frontend, Cart, 22));
        Assert.Equal(DenyReasons.PortNotAllowed, wrongPort.Reason);

        // Postgres never opened a connection to cart: its egress denies it (cart's ingress would, too).
        var lateral = Decide(set, Connect(Postgres, Cart, 8080));
        Assert.False(lateral.Allowed);
        Assert.Equal(DenyReasons.PeerNotAllowed, lateral.Reason);
        Assert.Equal("postgres", lateral.DeniedBy!.Workload.Name);

        // A workload no policy selects is not restricted at its end, only at the other.
        var stranger = Pod("other", "tool", "10.0.9.9");
        Assert.True(Decide(set, Connect(stranger, World("198.51.100.1"), 443)).Allowed);
        var intoCart = Decide(set, Connect(stranger, Cart, 8080));
        Assert.False(intoCart.Allowed);
        Assert.False(intoCart.DeniedAtEgress);
    }

    [Fact]
    public void MinFlows_DeniesRarePeers_WithTheirReason()
    {
        var flows = new List<FlowEvent>();
        for (int i = 0; i < 5; i++)
        {
            flows.Add(Connect(Frontend, Cart, 8080, second: i));
        }

        flows.Add(Connect(Frontend, Postgres, 5432));
        var set = Learn(new SuggestOptions { MinFlows = 3 }, [.. flows]);

        Assert.True(Decide(set, flows[0]).Allowed);
        var rare = Decide(set, flows[^1]);
        Assert.False(rare.Allowed);
        Assert.Equal(DenyReasons.BelowMinFlows, rare.Reason);
        // Postgres saw frontend once: its ingress allows nothing, so it has no ingress rules at all.
        Assert.Empty(set.Policies.Single(p => p.Workload.Name == "postgres").Ingress);
    }

    [Fact]
    public void Dns_ToKubeDns_IsAllowedToEveryWorkload_WithTheLabelsSeen()
    {
        var set = Learn(new SuggestOptions(), Connect(Frontend, KubeDns, 53, protocol: 17), Connect(Cart, Postgres, 5432));

        foreach (var policy in set.Policies.Where(p => p.Workload.Namespace != "kube-system"))
        {
            var dns = policy.Egress.Single(r => r.Peers.Any(p => p.Kind == PeerKind.Endpoint && p.Endpoint!.Namespace == "kube-system"));
            Assert.Equal(new Dictionary<string, string> { ["k8s-app"] = "kube-dns" }, dns.Peers.Single().Endpoint!.Labels);
            Assert.Equal([new PortProtocol("TCP", 53), new PortProtocol("UDP", 53)], dns.Ports);
        }

        // Postgres never queried DNS in the capture, yet may (TCP fallback too), and kube-dns takes it from anyone inside.
        Assert.True(Decide(set, Connect(Postgres, KubeDns, 53, protocol: 6)).Allowed);
        Assert.True(Decide(set, Connect(Entity("host", "10.0.0.1"), KubeDns, 53, protocol: 17)).Allowed);
        Assert.False(Decide(set, Connect(World("198.51.100.1"), KubeDns, 53, protocol: 17)).Allowed);
        var without = Learn(new SuggestOptions { AllowDns = false }, Connect(Cart, Postgres, 5432));
        Assert.False(Decide(without, Connect(Cart, KubeDns, 53, protocol: 17)).Allowed);
    }

    [Fact]
    public void OutsideAddresses_ByCidr_AggregatedWhenAsked_AndPublicIngressFromWorld()
    {
        var flows = new List<FlowEvent>
        {
            Connect(Cart, World("203.0.113.10"), 443),
            Connect(Cart, World("203.0.113.20"), 443),
            Connect(Cart, World("198.51.100.7"), 443),
            Connect(Cart, Entity("kube-apiserver", "10.96.0.1"), 443),
        };
        for (int i = 0; i < 20; i++)
        {
            flows.Add(Connect(World($"192.0.2.{i + 1}"), Frontend, 443));
        }

        var exact = Learn(new SuggestOptions { WorldAfterAddresses = 0 }, [.. flows]);
        var cart = exact.Policies.Single(p => p.Workload.Name == "cart");
        Assert.Equal(["198.51.100.7/32", "203.0.113.10/32", "203.0.113.20/32"],
            cart.Egress.SelectMany(r => r.Peers).Where(p => p.Kind == PeerKind.Cidr).Select(p => p.ToString()));
        Assert.Contains(cart.Egress, r => r.Peers.Any(p => p.Entity == "kube-apiserver"));
        Assert.False(Decide(exact, Connect(Cart, World("203.0.113.30"), 443)).Allowed);
        Assert.False(Decide(exact, Connect(World("192.0.2.200"), Frontend, 443)).Allowed);

        var aggregated = Learn(new SuggestOptions { AggregateCidrPrefix = 24, MinFlows = 2 }, [.. flows]);
        cart = aggregated.Policies.Single(p => p.Workload.Name == "cart");
        // Two addresses of 203.0.113.0/24 together reach --min-flows 2; the lone 198.51.100.7 does not.
        Assert.Equal(["203.0.113.0/24"], cart.Egress.SelectMany(r => r.Peers).Where(p => p.Kind == PeerKind.Cidr).Select(p => p.ToString()));
        Assert.True(Decide(aggregated, Connect(Cart, World("203.0.113.30"), 443)).Allowed);
        Assert.Equal(DenyReasons.BelowMinFlows, Decide(aggregated, Connect(Cart, World("198.51.100.7"), 443)).Reason);

        // Twenty clients on 443: a public service, open to the world entity on that port only; egress never widens.
        var frontend = aggregated.Policies.Single(p => p.Workload.Name == "frontend");
        Assert.Equal("world", frontend.Ingress.Single().Peers.Single().Entity);
        Assert.True(Decide(aggregated, Connect(World("192.0.2.200"), Frontend, 443)).Allowed);
        Assert.False(Decide(aggregated, Connect(World("192.0.2.200"), Frontend, 22)).Allowed);
        Assert.False(Decide(aggregated, Connect(Pod("shop", "cart", "10.0.0.21"), Frontend, 443)).Allowed);
    }

    [Fact]
    public void Unlabelled_PodsAreReported_AndBoundsAreCounted()
    {
        var bare = new FlowEndpoint { Ip = System.Net.IPAddress.Parse("10.0.5.5"), Namespace = "legacy", Workload = "batch", Labels = new Dictionary<string, string> { ["pod-template-hash"] = "1" } };
        var learner = new TrafficLearner(new SuggestOptions { MaxWorkloads = 2 });
        learner.Observe(Connect(bare, World("198.51.100.1"), 443));
        learner.Observe(Connect(Frontend, Cart, 8080));
        learner.Observe(Connect(Cart, Postgres, 5432));
        learner.Observe(Connect(Entity("host", "10.0.0.1"), Entity("health", "10.0.0.2"), 4240));

        Assert.Equal(["legacy/batch"], learner.Unselectable.Keys);
        Assert.Equal(2, learner.Suggest().Policies.Count);
        Assert.Equal(1, learner.NotLearned);
        Assert.Equal(1, learner.WithoutWorkload);
        Assert.Throws<ArgumentException>(() => new TrafficLearner(new SuggestOptions { MinFlows = 0 }));
    }

    [Fact]
    public void Icmp_EchoRequestsAreConnections_RepliesAreNot()
    {
        var ping = Connect(Frontend, Cart, 0, protocol: 1);
        var echo = new FlowEvent
        {
            Timestamp = ping.Timestamp, Source = ping.Source, Destination = ping.Destination, IpProtocol = 1, IcmpType = 8, Verdict = DataplaneVerdict.Forwarded, IsReply = false,
        };
        var reply = new FlowEvent
        {
            Timestamp = ping.Timestamp, Source = ping.Destination, Destination = ping.Source, IpProtocol = 1, IcmpType = 0, Verdict = DataplaneVerdict.Forwarded,
        };
        Assert.False(Connection.TryFrom(reply, out _));
        var set = Learn(new SuggestOptions(), echo, reply);
        var rule = set.Policies.Single(p => p.Workload.Name == "cart").Ingress.Single();
        Assert.Equal([new PortProtocol("ICMP", 8)], rule.Ports);
        Assert.True(Decide(set, echo).Allowed);
    }
}
