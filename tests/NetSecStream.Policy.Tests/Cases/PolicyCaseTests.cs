using NetSecStream.Policy.Evaluation;
using NetSecStream.Policy.Parsing;
using YamlDotNet.RepresentationModel;

namespace NetSecStream.Policy.Tests.Cases;

/// <summary>
/// Policy evaluation cases as data: each folder under Cases/ holds <c>policies/*.yaml</c>, <c>flows.jsonl</c> in the
/// compact flow form (<see cref="CompactFlow"/>) and <c>expected.yaml</c> with one entry per flow: <c>verdict</c>
/// (allowed, denied, not_evaluated, not_selected), optionally <c>policies</c> (the deciding policies, exactly) and
/// <c>reason</c> (a substring of the verdict's reason).
/// </summary>
public sealed class PolicyCaseTests
{
    private static readonly string CasesRoot = Path.Combine(AppContext.BaseDirectory, "Cases");

    public static TheoryData<string> CaseNames()
    {
        var data = new TheoryData<string>();
        foreach (string directory in Directory.EnumerateDirectories(CasesRoot).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(directory));
        }

        return data;
    }

    [Fact]
    public void Cases_AreAtLeastTwenty()
    {
        Assert.True(CaseNames().Count >= 20, $"only {CaseNames().Count} cases");
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Case_VerdictsMatchExpected(string name)
    {
        string directory = Path.Combine(CasesRoot, name);
        var loaded = PolicyLoader.Load([Path.Combine(directory, "policies")]);
        Assert.False(loaded.HasErrors, string.Join("\n", loaded.Errors));

        var rejected = new List<string>();
        List<(int Line, Core.Events.FlowEvent Flow)> flows;
        using (var reader = new StreamReader(Path.Combine(directory, "flows.jsonl")))
        {
            flows = CompactFlow.ReadAll(reader, "flows.jsonl", rejected.Add);
        }

        Assert.Empty(rejected);
        var expected = ReadExpected(Path.Combine(directory, "expected.yaml"));
        Assert.Equal(expected.Count, flows.Count);

        // Twice through one evaluator: the second pass answers from the verdict cache and must agree.
        var evaluator = new PolicyEvaluator(loaded.Policies);
        for (int pass = 0; pass < 2; pass++)
        {
            var failures = new List<string>();
            for (int i = 0; i < flows.Count; i++)
            {
                var verdict = evaluator.Evaluate(flows[i].Flow);
                var want = expected[i];
                string got = PolicyVerdict.KindName(verdict.Kind);
                if (got != want.Verdict)
                {
                    failures.Add($"flow {i} (line {flows[i].Line}): expected {want.Verdict}, got {verdict}");
                    continue;
                }

                if (want.Policies is not null && !want.Policies.SequenceEqual(verdict.Policies))
                {
                    failures.Add($"flow {i} (line {flows[i].Line}): expected policies [{string.Join(",", want.Policies)}], got {verdict}");
                }

                if (want.Reason is not null && !verdict.Reason.Contains(want.Reason, StringComparison.Ordinal))
                {
                    failures.Add($"flow {i} (line {flows[i].Line}): reason should contain '{want.Reason}', got {verdict}");
                }
            }

            Assert.True(failures.Count == 0, $"pass {pass}:\n" + string.Join("\n", failures));
        }

        Assert.True(evaluator.CacheHits >= flows.Count);
    }

    private sealed record Expectation(string Verdict, IReadOnlyList<string>? Policies, string? Reason);

    private static List<Expectation> ReadExpected(string path)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(path))
        {
            stream.Load(reader);
        }

        var root = (YamlMappingNode)stream.Documents[0].RootNode;
        var result = new List<Expectation>();
        foreach (var entry in ((YamlSequenceNode)root.Children[new YamlScalarNode("flows")]).Children.Cast<YamlMappingNode>())
        {
            string verdict = ((YamlScalarNode)entry.Children[new YamlScalarNode("verdict")]).Value!;
            Assert.Contains(verdict, (string[])["allowed", "denied", "not_evaluated", "not_selected"]);
            IReadOnlyList<string>? policies = entry.Children.TryGetValue(new YamlScalarNode("policies"), out var p)
                ? [.. ((YamlSequenceNode)p).Children.Select(c => ((YamlScalarNode)c).Value!)]
                : null;
            string? reason = entry.Children.TryGetValue(new YamlScalarNode("reason"), out var r) ? ((YamlScalarNode)r).Value : null;
            result.Add(new Expectation(verdict, policies, reason));
        }

        return result;
    }
}
