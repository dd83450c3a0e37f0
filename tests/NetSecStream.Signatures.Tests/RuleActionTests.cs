using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Tests;

public sealed class RuleActionTests
{
    [Fact]
    public void Actions_CoverSuricatasSeven() => Assert.Equal(7, Enum.GetValues<RuleAction>().Length);
}
