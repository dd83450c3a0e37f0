using NetSecStream.Signatures.Engine;
using Xunit.Abstractions;

namespace NetSecStream.Signatures.Tests.Engine;

/// <summary>The benchmark runs and its implementations agree; its speeds are never asserted (the machine is shared).</summary>
public sealed class PrefilterBenchTests(ITestOutputHelper output)
{
    [Fact]
    public void Run_Small_EveryImplementationAgreesAndReportsFigures()
    {
        PrefilterBenchResult result = PrefilterBench.Run(patterns: 300, megabytes: 1);
        output.WriteLine($"{result.Patterns} patterns from {result.PatternSource}; hyperscan: {result.HyperscanUnavailableReason ?? "ran"}");
        Assert.True(result.AgreeWithBaseline);
        Assert.Equal("naive", result.Implementations[0].Name);
        Assert.Contains(result.Implementations, r => r.Name == "aho_corasick");
        Assert.Contains(result.Implementations, r => r.Name == "search_values");
        Assert.Equal(HyperscanMatcher.IsAvailable(out _), result.Implementations.Any(r => r.Name == "hyperscan"));
        foreach (PrefilterImplementationResult implementation in result.Implementations)
        {
            output.WriteLine($"{implementation.Name}: {implementation.MegabytesPerSecond:F1} MB/s, build {implementation.BuildSeconds:F3} s, {implementation.MemoryBytes} bytes");
            Assert.True(implementation.MegabytesPerSecond > 0);
            Assert.True(implementation.ScannedBytes > 0);
        }

        // Over the full payload every matcher (not the prefix-only baseline) reports the same number of ids.
        Assert.Single(result.Implementations.Skip(1).Select(r => r.MatchedIds).Distinct());
    }
}
