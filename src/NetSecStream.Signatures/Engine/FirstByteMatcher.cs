using System.Buffers;

namespace NetSecStream.Signatures.Engine;

/// <summary>
/// The simplest vectorised prefilter: <c>IndexOfAny</c> over the set of bytes a pattern can start with (both cases for
/// nocase letters), then every pattern that can start at the hit is verified. Fast while few distinct first bytes
/// occur; with thousands of patterns nearly every byte is a candidate.
/// </summary>
public sealed class FirstByteMatcher : MultiPatternMatcher
{
    private readonly SearchValues<byte> _firstBytes;
    private readonly StartVerifier _verifier;

    private FirstByteMatcher(PrefilterPatternSet patterns)
        : base(patterns)
    {
        var firsts = new HashSet<byte>();
        for (int p = 0; p < patterns.Count; p++)
        {
            byte first = patterns.Bytes[p][0];
            firsts.Add(first);
            byte folded = patterns.Folded[p][0];
            if (patterns.NoCase[p] && folded is >= (byte)'a' and <= (byte)'z')
            {
                firsts.Add(folded);
                firsts.Add((byte)(folded - 32));
            }
        }

        _firstBytes = SearchValues.Create([.. firsts]);
        _verifier = new StartVerifier(patterns);
    }

    public override string Name => "first_byte";

    public override long MemoryBytes => _verifier.MemoryBytes + (Patterns.TotalBytes * 2) + 256;

    public static FirstByteMatcher Create(IReadOnlyList<PrefilterPattern> patterns, PrefilterLimits? limits = null) =>
        new(PrefilterPatternSet.Create(patterns, limits));

    private protected override void ScanCore(ReadOnlySpan<byte> buffer, PrefilterMatches matches)
    {
        int position = 0;
        while (position < buffer.Length)
        {
            int found = buffer[position..].IndexOfAny(_firstBytes);
            if (found < 0)
            {
                return;
            }

            position += found;
            _verifier.VerifyAt(buffer, position, matches);
            position++;
        }
    }
}
