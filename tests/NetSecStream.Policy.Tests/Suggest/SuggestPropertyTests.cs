using CsCheck;
using NetSecStream.Core.Events;
using NetSecStream.Policy.Suggest;
using static NetSecStream.Policy.Tests.Suggest.SuggestTestFlows;

namespace NetSecStream.Policy.Tests.Suggest;

/// <summary>Properties of learn-then-decide over random traffic between a few workloads, entities and outside addresses.</summary>
public sealed class SuggestPropertyTests
{
    private static readonly FlowEndpoint[] Endpoints =
    [
        Pod("shop", "frontend", "10.0.0.1"), Pod("shop", "cart", "10.0.0.2"), Pod("data", "postgres", "10.0.1.1"),
        Pod("data", "kafka", "10.0.1.2", hash: null), Entity("host", "10.0.9.1"), Entity("kube-apiserver", "10.96.0.1"),
        World("203.0.113.5"), World("203.0.113.77"), World("198.51.100.9"), World("2001:db8::5"),
    ];

    private static Gen<T> Pick<T>(params T[] values) => Gen.Int[0, values.Length - 1].Select(i => values[i]);

    private static readonly Gen<FlowEvent> Flows =
        Gen.Select(Gen.Int[0, Endpoints.Length - 1], Gen.Int[0, Endpoints.Length - 1], Pick<ushort>(53, 80, 443, 5432, 8080), Pick<byte>(6, 17),
                Gen.Frequency((6, Gen.Const(DataplaneVerdict.Forwarded)), (1, Gen.Const(DataplaneVerdict.Dropped))), Gen.Bool)
            .Where(t => t.Item1 != t.Item2 && (Endpoints[t.Item1].Namespace is not null || Endpoints[t.Item2].Namespace is not null)
                && Endpoints[t.Item1].Ip.AddressFamily == Endpoints[t.Item2].Ip.AddressFamily)
            .Select(t => Connect(Endpoints[t.Item1], Endpoints[t.Item2], t.Item3, t.Item4, t.Item5, reply: t.Item6 ? null : false));

    private static readonly Gen<SuggestOptions> Options =
        Gen.Select(Gen.Int[1, 3], Pick<int?>(null, 24, 16), Gen.Int[0, 3], Gen.Bool)
            .Select(t => new SuggestOptions { MinFlows = t.Item1, AggregateCidrPrefix = t.Item2, WorldAfterAddresses = t.Item3, AllowDns = t.Item4 });

    [Fact]
    public void WhatWasForwardedOftenEnough_IsAllowed_AndNothingElseOfASelectedWorkloadIsUnlessARuleSaysSo()
    {
        Gen.Select(Flows.List[1, 60], Options).Sample(t =>
        {
            var (flows, options) = t;
            var learner = new TrafficLearner(options);
            foreach (var flow in flows)
            {
                learner.Observe(flow);
            }

            var set = learner.Suggest();
            var forwarded = flows.Where(f => f.Verdict == DataplaneVerdict.Forwarded && Connection.TryFrom(f, out _))
                .GroupBy(f => (f.Source.Ip, f.Destination.Ip, f.Destination.Port, f.IpProtocol)).ToList();
            foreach (var group in forwarded)
            {
                Assert.True(Connection.TryFrom(group.First(), out var connection));
                if (group.Count() >= options.MinFlows)
                {
                    var decision = set.Decide(connection);
                    Assert.True(decision.Allowed, $"{SuggestionSet.Describe(connection)} forwarded {group.Count()} times: {decision.Reason}");
                }
            }

            // A port no flow used is denied to and from every selected workload, unless it is DNS to kube-dns.
            foreach (var flow in flows.Where(f => Connection.TryFrom(f, out _)))
            {
                var probe = Connect(flow.Source, flow.Destination, 9999, flow.IpProtocol);
                Assert.True(Connection.TryFrom(probe, out var connection));
                bool selected = set.Selecting(connection.Client).Any() || set.Selecting(connection.Server).Any();
                var decision = set.Decide(connection);
                Assert.Equal(!selected, decision.Allowed);
                if (!decision.Allowed)
                {
                    Assert.Contains(decision.Reason, (string[])[DenyReasons.PeerNotAllowed, DenyReasons.PortNotAllowed]);
                }
            }
        }, iter: 300);
    }
}
