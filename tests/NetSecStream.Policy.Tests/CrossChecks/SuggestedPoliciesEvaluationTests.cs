using NetSecStream.Policy.Evaluation;
using NetSecStream.Policy.Parsing;
using NetSecStream.Policy.Suggest;
using NetSecStream.Policy.Tests.Suggest;
using Xunit.Abstractions;

namespace NetSecStream.Policy.Tests.CrossChecks;

/// <summary>
/// `netsec policy suggest` decides "would deny" with its own matcher over its own rules. These tests hold it to what the
/// YAML it writes means: the YAML is parsed by the policy parser (lint-clean) and the policy evaluator, which models
/// the dataplane, must reach the same allow/deny decision for every connection.
/// </summary>
public sealed class SuggestedPoliciesEvaluationTests(ITestOutputHelper output)
{
    [Fact]
    public void SuggestedYaml_IsLintClean_AndTheEvaluatorAgreesWithTheSuggestMatcher_OnEveryConnection()
    {
        var learned = SuggestTestFlows.Generated("quiet", 20_000, seed: 1);
        var learner = new TrafficLearner(new SuggestOptions());
        foreach (var (flow, _) in learned)
        {
            learner.Observe(flow);
        }

        var suggestions = learner.Suggest();
        Assert.NotEmpty(suggestions.Policies);

        using var yaml = new StringWriter();
        foreach (var policy in suggestions.Policies)
        {
            yaml.WriteLine("---");
            CiliumPolicyWriter.Write(yaml, policy, ["cross-check"]);
        }

        var parsed = PolicyParser.ParseText(yaml.ToString(), "suggested.yaml");
        Assert.False(parsed.HasErrors, string.Join("\n", parsed.Errors.Select(e => e.ToString())));
        Assert.Equal(suggestions.Policies.Count, parsed.Policies.Count);
        var evaluator = new PolicyEvaluator(parsed.Policies);

        // Scored on another run, with attacks: both allowed and denied connections occur.
        int connections = 0, denied = 0;
        var disagreements = new List<string>();
        foreach (var (flow, _) in SuggestTestFlows.Generated("attack-heavy", 20_000, seed: 2))
        {
            if (!Connection.TryFrom(flow, out var connection))
            {
                continue;
            }

            connections++;
            bool suggestAllows = suggestions.Decide(connection).Allowed;
            var verdict = evaluator.Evaluate(flow);
            bool evaluatorAllows = verdict.Kind is VerdictKind.Allowed or VerdictKind.NotSelected;
            denied += suggestAllows ? 0 : 1;
            if (suggestAllows != evaluatorAllows)
            {
                disagreements.Add($"{SuggestionSet.Describe(connection)}: suggest {(suggestAllows ? "allows" : "denies")}, evaluator {verdict}");
            }
        }

        output.WriteLine($"{connections} connections, {denied} denied by the suggestions, {disagreements.Count} disagreements");
        foreach (var line in disagreements.Take(20))
        {
            output.WriteLine(line);
        }

        Assert.True(connections > 1000, $"only {connections} connections");
        Assert.True(denied > 100, $"only {denied} connections denied: the check needs both outcomes");
        Assert.Empty(disagreements);
    }
}
