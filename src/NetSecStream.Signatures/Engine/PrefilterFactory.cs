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
/// fast patterns Hyperscan scanned faster than the managed Aho-Corasick in every run (1.15-1.95x with all 17,784 of
/// them, up to 3.6x with 1,000), so <see cref="PrefilterImplementation.Auto"/> takes Hyperscan when the library loads
/// and the CPU runs it, and the Aho-Corasick matcher otherwise (it needs nothing native and beat the SearchValues and
/// first-byte approaches at every size measured). Hyperscan's build is slower (about 1 s for the whole set against 0.1 s).
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
