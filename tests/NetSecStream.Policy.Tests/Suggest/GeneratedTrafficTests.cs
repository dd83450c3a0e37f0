using NetSecStream.Policy.Suggest;
using Xunit.Abstractions;

namespace NetSecStream.Policy.Tests.Suggest;

/// <summary>Suggestions learned on a generated quiet run, checked on it and on a generated attack-heavy run (another seed).</summary>
public sealed class GeneratedTrafficTests(ITestOutputHelper output)
{
    private static readonly Lazy<List<(NetSecStream.Core.Events.FlowEvent Flow, string Label)>> Quiet = new(() => SuggestTestFlows.Generated("quiet", 20_000, 1));
    private static readonly Lazy<List<(NetSecStream.Core.Events.FlowEvent Flow, string Label)>> Attacks = new(() => SuggestTestFlows.Generated("attack-heavy", 20_000, 2));

    private static SuggestionSet LearnQuiet(SuggestOptions options)
    {
        var learner = new TrafficLearner(options);
        foreach (var (flow, _) in Quiet.Value)
        {
            learner.Observe(flow);
        }

        return learner.Suggest();
    }

    [Fact]
    public void AtMinFlowsOne_EveryForwardedConnectionOfTheLearnedRunIsAllowed()
    {
        var set = LearnQuiet(new SuggestOptions());
        long forwarded = 0, dropped = 0;
        foreach (var (flow, _) in Quiet.Value)
        {
            if (!Connection.TryFrom(flow, out var connection))
            {
                continue;
            }

            var decision = set.Decide(connection);
            if (TrafficLearner.IsForwarded(flow.Verdict))
            {
                forwarded++;
                Assert.True(decision.Allowed, SuggestionSet.Describe(connection) + " was forwarded but is denied: " + decision.Reason);
            }
            else if (set.Selecting(connection.Client).Any() || set.Selecting(connection.Server).Any())
            {
                // What the dataplane dropped stays denied.
                dropped++;
                Assert.False(decision.Allowed);
                Assert.Equal(DenyReasons.DroppedWhenLearned, decision.Reason);
            }
        }

        output.WriteLine($"quiet seed 1, 20000 events: {set.Policies.Count} policies, {forwarded} forwarded connections all allowed, {dropped} dropped ones denied");
        Assert.True(set.Policies.Count >= 10, $"{set.Policies.Count} policies");
        Assert.True(forwarded > 5_000);
        Assert.Contains(set.Policies, p => p.Workload.Namespace == "ingress-nginx");
        Assert.Contains(set.Policies, p => p.Egress.Any(r => r.Peers.Any(x => x.Entity == "kube-apiserver")));
    }

    [Fact]
    public void OnAnAttackRun_MostAttackConnectionsAreDenied_FewNormalOnes()
    {
        var set = LearnQuiet(new SuggestOptions());
        var report = SuggestionReport.Evaluate(set, Attacks.Value.Select(f => ((NetSecStream.Core.Events.FlowEvent, string?))(f.Flow, f.Label)));

        var normal = report.Labels["normal"];
        var attacks = report.Labels.Where(l => l.Key != "normal").Select(l => l.Value).ToList();
        long attackSeen = attacks.Sum(a => a.Seen), attackDenied = attacks.Sum(a => a.Denied);
        foreach (var (label, tally) in report.Labels)
        {
            output.WriteLine($"{label}: {tally.Seen} seen, {tally.Denied} denied ({100.0 * tally.Denied / tally.Seen:F1}%)");
        }

        output.WriteLine($"attacks: {attackSeen} seen, {attackDenied} denied ({100.0 * attackDenied / attackSeen:F1}%)");
        Assert.True(attackDenied >= 0.6 * attackSeen, $"{attackDenied} of {attackSeen} attack connections denied");
        Assert.True(normal.Denied <= 0.06 * normal.Seen, $"{normal.Denied} of {normal.Seen} normal connections denied");
        // Scans and lateral movement go where the workload never went: those are the clear cases.
        Assert.True(report.Labels["port_scan"].Denied >= 0.9 * report.Labels["port_scan"].Seen);
        Assert.True(report.Labels["lateral_movement"].Denied >= 0.8 * report.Labels["lateral_movement"].Seen);
        // Every workload's line names its reasons and at most three examples.
        Assert.All(report.Workloads.Values, w => Assert.InRange(w.Examples.Count, 0, 3));
        Assert.Equal(report.Total.Denied, report.Total.DeniedByReason.Values.Sum());
    }
}
