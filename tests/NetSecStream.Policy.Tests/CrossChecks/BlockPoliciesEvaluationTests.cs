using System.Net;
using NetSecStream.Core.Events;
using NetSecStream.Policy.Blocking;
using NetSecStream.Policy.Evaluation;
using NetSecStream.Policy.Parsing;
using static NetSecStream.Policy.Tests.Blocking.BlockAlerts;

namespace NetSecStream.Policy.Tests.CrossChecks;

/// <summary>
/// A block rule must do what its alert asked and nothing more. The Cilium policy the sync would apply (its GitOps YAML)
/// is parsed by the policy parser and judged by the evaluator: the offending flow is denied, and the same workload's
/// other traffic is not cut off (the default-deny override keeps a deny-only policy from isolating the workload).
/// </summary>
public sealed class BlockPoliciesEvaluationTests
{
    private static readonly BlockPlanner Planner = new(new BlockAllowlist(
        namespaces: [], cidrs: [], clusterDnsIps: [IPAddress.Parse("10.96.0.10")], apiServerIps: [IPAddress.Parse("10.96.0.1")], nodeCidrs: []));

    private static PolicyEvaluator EvaluatorFor(Core.Events.Alert alert)
    {
        var (plan, refusal) = Planner.Plan(alert);
        Assert.Null(refusal);
        var policy = BlockPolicyWriter.Write(plan!, PolicyFlavor.Cilium, new BlockLifetime(Start, Start.AddHours(1), 1));
        var parsed = PolicyParser.ParseText(policy.ToYaml(), policy.Name + ".yaml");
        Assert.False(parsed.HasErrors, string.Join("\n", parsed.Errors.Select(e => e.ToString())));
        var only = Assert.Single(parsed.Policies);
        return new PolicyEvaluator([only]);
    }

    private static FlowEvent Flow(FlowEndpoint source, FlowEndpoint destination) => new()
    {
        Timestamp = Start,
        Source = source,
        Destination = destination,
        IpProtocol = 6,
        Direction = TrafficDirection.Ingress,
        Verdict = DataplaneVerdict.Forwarded,
        IsReply = false,
        CollectorId = "test",
    };

    [Fact]
    public void ExternalAttacker_IsDenied_OtherClientsOfTheWorkload_AreNot()
    {
        var cart = Pod("10.244.1.5", "shop", ("app", "cart"), ("pod-template-hash", "7d9f"));
        var evaluator = EvaluatorFor(Attack("203.0.113.7"));

        Assert.Equal(VerdictKind.Denied, evaluator.Evaluate(Flow(External("203.0.113.7"), cart)).Kind);
        // The next rollout's pod of the same workload is covered too (selected by stable labels only).
        Assert.Equal(VerdictKind.Denied, evaluator.Evaluate(Flow(External("203.0.113.7"), Pod("10.244.2.8", "shop", ("app", "cart"), ("pod-template-hash", "a1b2")))).Kind);
        Assert.NotEqual(VerdictKind.Denied, evaluator.Evaluate(Flow(External("203.0.113.8"), cart)).Kind);
        Assert.NotEqual(VerdictKind.Denied, evaluator.Evaluate(Flow(Pod("10.244.3.3", "shop", ("app", "frontend")), cart)).Kind);
        Assert.NotEqual(VerdictKind.Denied, evaluator.Evaluate(Flow(External("203.0.113.7"), Pod("10.244.1.9", "shop", ("app", "catalog")))).Kind);
    }

    [Fact]
    public void PodCallingAC2_IsDeniedThatDestinationOnly()
    {
        var billing = Pod("10.244.2.9", "payments", ("app", "billing"));
        var evaluator = EvaluatorFor(Alert(billing, External("198.51.100.20")));

        Assert.Equal(VerdictKind.Denied, evaluator.Evaluate(Flow(billing, External("198.51.100.20"))).Kind);
        Assert.NotEqual(VerdictKind.Denied, evaluator.Evaluate(Flow(billing, External("198.51.100.21"))).Kind);
        Assert.NotEqual(VerdictKind.Denied, evaluator.Evaluate(Flow(billing, Pod("10.244.1.5", "shop", ("app", "cart")))).Kind);
    }

    [Fact]
    public void LateralMovement_IsDeniedFromTheInitiatorsWorkload_NotFromItsNeighbours()
    {
        var shell = Pod("10.244.3.3", "dev", ("app", "shell"));
        var db = Pod("10.244.1.5", "shop", ("app", "db"));
        var evaluator = EvaluatorFor(Alert(shell, db));

        Assert.Equal(VerdictKind.Denied, evaluator.Evaluate(Flow(shell, db)).Kind);
        Assert.NotEqual(VerdictKind.Denied, evaluator.Evaluate(Flow(Pod("10.244.3.4", "dev", ("app", "editor")), db)).Kind);
        // The same labels in another namespace are another workload.
        Assert.NotEqual(VerdictKind.Denied, evaluator.Evaluate(Flow(Pod("10.244.3.5", "shop", ("app", "shell")), db)).Kind);
    }
}
