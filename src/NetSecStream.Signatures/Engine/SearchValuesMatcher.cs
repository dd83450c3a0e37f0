using System.Buffers;
using System.Text;

namespace NetSecStream.Signatures.Engine;

/// <summary>
/// The platform's multi-string search: the buffer is widened byte-for-char (Latin-1, so every byte maps to one char)
/// and searched with one <see cref="SearchValues{T}"/> of every folded pattern under
/// <see cref="StringComparison.OrdinalIgnoreCase"/>. Each hit is only a candidate start (the search also folds
/// non-ASCII Latin-1 letters, and case-sensitive patterns need their exact bytes), so every pattern that can start
/// there is verified, and the search resumes one byte on.
/// </summary>
public sealed class SearchValuesMatcher : MultiPatternMatcher
{
    [ThreadStatic]
    private static char[]? t_chars;

    private readonly SearchValues<string> _values;
    private readonly StartVerifier _verifier;

    private SearchValuesMatcher(PrefilterPatternSet patterns)
        : base(patterns)
    {
        string[] strings = [.. patterns.Folded.Select(Encoding.Latin1.GetString).Distinct(StringComparer.Ordinal)];
        _values = SearchValues.Create(strings, StringComparison.OrdinalIgnoreCase);
        _verifier = new StartVerifier(patterns);
    }

    public override string Name => "search_values";

    /// <summary>The verifier's buckets and the patterns; <see cref="SearchValues{T}"/> does not say what it holds.</summary>
    public override long MemoryBytes => _verifier.MemoryBytes + (Patterns.TotalBytes * 4);

    public static SearchValuesMatcher Create(IReadOnlyList<PrefilterPattern> patterns, PrefilterLimits? limits = null) =>
        new(PrefilterPatternSet.Create(patterns, limits));

    private protected override void ScanCore(ReadOnlySpan<byte> buffer, PrefilterMatches matches)
    {
        if (t_chars is null || t_chars.Length < buffer.Length)
        {
            t_chars = new char[Math.Max(buffer.Length, 4096)];
        }

        Span<char> chars = t_chars.AsSpan(0, buffer.Length);
        Encoding.Latin1.GetChars(buffer, chars);
        int position = 0;
        while (position < chars.Length)
        {
            int found = chars[position..].IndexOfAny(_values);
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
