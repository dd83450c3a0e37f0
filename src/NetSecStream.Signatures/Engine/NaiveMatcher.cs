namespace NetSecStream.Signatures.Engine;

/// <summary>
/// The reference: every pattern searched on its own with <c>IndexOf</c>, nocase patterns in an ASCII-lower-cased copy
/// of the buffer. Slow by design (one pass per pattern); tests and benchmarks compare the real matchers with it.
/// </summary>
public sealed class NaiveMatcher : MultiPatternMatcher
{
    [ThreadStatic]
    private static byte[]? t_folded;

    private NaiveMatcher(PrefilterPatternSet patterns)
        : base(patterns)
    {
    }

    public override string Name => "naive";

    public override long MemoryBytes => Patterns.TotalBytes * 2;

    public static NaiveMatcher Create(IReadOnlyList<PrefilterPattern> patterns, PrefilterLimits? limits = null) =>
        new(PrefilterPatternSet.Create(patterns, limits));

    private protected override void ScanCore(ReadOnlySpan<byte> buffer, PrefilterMatches matches)
    {
        if (t_folded is null || t_folded.Length < buffer.Length)
        {
            t_folded = new byte[Math.Max(buffer.Length, 4096)];
        }

        Span<byte> folded = t_folded.AsSpan(0, buffer.Length);
        for (int i = 0; i < buffer.Length; i++)
        {
            folded[i] = PrefilterPatternSet.Fold[buffer[i]];
        }

        for (int p = 0; p < Patterns.Count; p++)
        {
            int id = Patterns.Ids[p];
            if (matches.Contains(id))
            {
                continue;
            }

            bool found = Patterns.NoCase[p]
                ? folded.IndexOf(Patterns.Folded[p]) >= 0
                : buffer.IndexOf(Patterns.Bytes[p]) >= 0;
            if (found)
            {
                matches.Add(id);
            }
        }
    }
}
