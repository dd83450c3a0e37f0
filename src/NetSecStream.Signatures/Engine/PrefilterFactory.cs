namespace NetSecStream.Signatures.Engine;

/// <summary>Which multi-pattern matcher the engine builds; see <see cref="PrefilterFactory"/>.</summary>
public enum PrefilterImplementation
{
    /// <summary>Measured choice: Hyperscan where available, else Aho-Corasick.</summary>
    Auto,
    AhoCorasick,
    SearchValues,
    FirstByte,
    Hyperscan,
}

/// <summary>
/// Builds the engine's prefilter. The choice was measured (bench/RESULTS.md, scenario <c>prefilter</c>): on ET Open's
/// fast patterns Hyperscan scans several times faster than the managed Aho-Corasick, so <see cref="PrefilterImplementation.Auto"/>
/// takes Hyperscan when the library loads and the CPU runs it, and the Aho-Corasick matcher otherwise (it needs nothing
/// native and beats the SearchValues and first-byte approaches once there are more than a handful of patterns).
/// </summary>
public static class PrefilterFactory
{
    public static MultiPatternMatcher Create(
        IReadOnlyList<PrefilterPattern> patterns,
        PrefilterImplementation implementation = PrefilterImplementation.Auto,
        PrefilterLimits? limits = null) => implementation switch
        {
            PrefilterImplementation.Auto => HyperscanMatcher.IsAvailable(out _) ? HyperscanMatcher.Create(patterns, limits) : AhoCorasickMatcher.Create(patterns, limits),
            PrefilterImplementation.AhoCorasick => AhoCorasickMatcher.Create(patterns, limits),
            PrefilterImplementation.SearchValues => SearchValuesMatcher.Create(patterns, limits),
            PrefilterImplementation.FirstByte => FirstByteMatcher.Create(patterns, limits),
            PrefilterImplementation.Hyperscan => HyperscanMatcher.Create(patterns, limits),
            _ => throw new ArgumentOutOfRangeException(nameof(implementation), implementation, "Unknown prefilter implementation."),
        };
}
