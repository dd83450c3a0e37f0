using NetSecStream.Core.Selectors;

namespace NetSecStream.Core.Tests.Selectors;

public sealed class LabelSelectorTests
{
    private static readonly Dictionary<string, string> Web = new() { ["app"] = "web", ["tier"] = "frontend", ["team"] = "a" };

    [Theory]
    [InlineData("", true)]
    [InlineData("app=web", true)]
    [InlineData("app==web", true)]
    [InlineData("app!=web", false)]
    [InlineData("app=db", false)]
    [InlineData("app!=db", true)]
    [InlineData("missing!=x", true)]
    [InlineData("tier in (frontend, backend)", true)]
    [InlineData("tier notin (frontend)", false)]
    [InlineData("missing notin (x)", true)]
    [InlineData("team", true)]
    [InlineData("!team", false)]
    [InlineData("!missing", true)]
    [InlineData("app=web, tier in (frontend), !legacy", true)]
    [InlineData("app=web,tier=backend", false)]
    public void Parses_and_matches_like_kubectl(string text, bool expected)
    {
        var selector = LabelSelector.Parse(text);
        Assert.Equal(expected, selector.Matches(Web));
    }

    [Theory]
    [InlineData("app=", true)]
    [InlineData("=web", false)]
    [InlineData("app in web", false)]
    [InlineData("app in (web", false)]
    [InlineData("app=web;tier=x", false)]
    [InlineData("app !x", false)]
    [InlineData("-app=web", false)]
    public void Rejects_malformed_selectors_with_a_reason(string text, bool valid)
    {
        Assert.Equal(valid, LabelSelector.TryParse(text, out _, out var error));
        Assert.Equal(valid, error is null);
    }

    [Fact]
    public void Empty_selector_matches_everything_including_unlabelled()
    {
        Assert.True(LabelSelector.Everything.Matches(null));
        Assert.False(LabelSelector.Parse("app=web").Matches(null));
        Assert.True(LabelSelector.Parse("!app").Matches(null));
    }

    [Fact]
    public void From_match_labels_and_expressions_round_trips_to_string()
    {
        var selector = LabelSelector.From(
            new Dictionary<string, string> { ["b"] = "2", ["a"] = "1" },
            [new SelectorRequirement("c", SelectorOperator.NotIn, ["x", "y"])]);
        Assert.Equal("a=1,b=2,c notin (x,y)", selector.ToString());
        Assert.Equal(selector.ToString(), LabelSelector.Parse(selector.ToString()).ToString());
        Assert.Equal("1", selector.EqualityLabels()["a"]);
    }
}
