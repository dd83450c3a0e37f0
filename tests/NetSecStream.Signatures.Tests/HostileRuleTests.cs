using NetSecStream.Signatures.Keywords;
using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Tests;

/// <summary>Malformed and hostile rules give diagnostics and never throw or hang (no timing assertions: the machine is shared).</summary>
public sealed class HostileRuleTests
{
    public static TheoryData<string, string> Hostile => new()
    {
        { "alert tcp any any -> any any (msg:\"trunc", "does not end with ')'" },
        { "alert tcp any any -> any any (msg:\"unbalanced; sid:5;)", "unbalanced quotes" },
        { "alert tcp any any -> any any (content:\"" + new string('A', 1_048_576) + "\"; sid:6;)", "limit" },
        { "alert tcp any any -> any any (content:\"|" + string.Concat(Enumerable.Repeat("41 ", 20_000)) + "|\"; sid:7;)", "exceeds the" },
        { "alert tcp any any -> any any (pcre:\"/" + new string('a', 9000) + "/\"; sid:8;)", "exceeds the limit" },
        { "alert", "no '('" },
        { "(((((((", "does not end with ')'" },
        { "alert tcp any any -> any any ()", "rule has no sid" },
        { "alert tcp " + new string('[', 5000) + " any -> any any (sid:1;)", "unbalanced" },
        { "alert tcp [" + string.Join(',', Enumerable.Repeat("[1.1.1.1", 40)) + new string(']', 40) + "] any -> any any (sid:1;)", "deeper than" },
        { "alert tcp any any -> any any (content:\"a\\\"; sid:9;)", "unbalanced quotes" },
        { "alert tcp any any -> any any (\0\0\0; sid:10;)", "unsupported keyword" },
        { "alert tcp any any -> any any (pcre:\"/(?<a/\"; sid:11;)", ".NET cannot express" },
    };

    [Theory]
    [MemberData(nameof(Hostile))]
    public void HostileRule_GivesADiagnostic(string text, string reason)
    {
        RuleSetLoadResult result = RuleSetLoader.LoadText(text, file: "hostile.rules");
        Assert.Equal(1, result.Total);
        Assert.Equal(0, result.Loaded);
        RuleDiagnostic d = Assert.Single(result.Diagnostics);
        Assert.Contains(reason, d.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("internal parser error", d.Reason, StringComparison.Ordinal);
        Assert.True(d.Reason.Length < 1000, "the reason clips long values");
    }

    [Fact]
    public void CatastrophicPcre_LoadsAndMatchesInLinearTime()
    {
        RuleSetLoadResult result = RuleSetLoader.LoadText("alert tcp any any -> any any (pcre:\"/(a+)+$/\"; pcre:\"/^(\\w+\\s?)*$/\"; sid:1;)");
        Rule rule = Assert.Single(result.Rules);
        PcreMatch[] patterns = rule.Options.OfType<PcreMatch>().ToArray();
        Assert.All(patterns, p => Assert.True(p.NonBacktracking, p.Pattern));
        Assert.DoesNotMatch(patterns[0].Regex, new string('a', 50_000) + "!");
        Assert.DoesNotMatch(patterns[1].Regex, string.Concat(Enumerable.Repeat("ab ", 20_000)) + "!");
    }

    [Fact]
    public void CatastrophicPcreWithBackreference_IsBoundedByTheMatchTimeout()
    {
        Rule rule = GrammarTests.Parse("alert tcp any any -> any any (pcre:\"/^((a+)+)\\1$/\"; sid:1;)");
        PcreMatch p = rule.Options.OfType<PcreMatch>().Single();
        Assert.False(p.NonBacktracking);
        Assert.Equal(RuleLimits.PcreMatchTimeout, p.Regex.MatchTimeout);
        Assert.Throws<System.Text.RegularExpressions.RegexMatchTimeoutException>(() => p.Regex.IsMatch(new string('a', 5_000) + "!"));
    }

    [Fact]
    public void EndlessContinuation_IsBoundedAndDiagnosed()
    {
        string text = string.Concat(Enumerable.Repeat("alert tcp any any -> any any (content:\"" + new string('x', 1000) + "\"; \\\n", 200));
        RuleSetLoadResult result = RuleSetLoader.LoadText(text + "sid:1;)\n");
        RuleDiagnostic d = Assert.Single(result.Diagnostics);
        Assert.Contains("longer than the limit", d.Reason, StringComparison.Ordinal);
        Assert.Equal(1, d.Line);
    }
}
