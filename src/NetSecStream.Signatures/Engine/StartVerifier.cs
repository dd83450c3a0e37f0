namespace NetSecStream.Signatures.Engine;

/// <summary>
/// Checks which patterns start at a candidate offset: patterns are bucketed by their first two folded bytes (one-byte
/// patterns by their only byte), so a candidate looks only at the patterns that can start there.
/// </summary>
internal sealed class StartVerifier
{
    private readonly PrefilterPatternSet _patterns;
    private readonly int[] _singleStart;
    private readonly int[] _single;
    private readonly int[] _pairStart;
    private readonly int[] _pair;

    public StartVerifier(PrefilterPatternSet patterns)
    {
        _patterns = patterns;
        (_singleStart, _single) = Bucket(patterns, 256, p => patterns.Folded[p].Length == 1 ? patterns.Folded[p][0] : -1);
        (_pairStart, _pair) = Bucket(patterns, 65536, p => patterns.Folded[p].Length >= 2 ? (patterns.Folded[p][0] << 8) | patterns.Folded[p][1] : -1);
    }

    public long MemoryBytes => ((long)_singleStart.Length + _single.Length + _pairStart.Length + _pair.Length) * 4;

    /// <summary>Adds the id of every pattern found at <paramref name="start"/>.</summary>
    public void VerifyAt(ReadOnlySpan<byte> buffer, int start, PrefilterMatches matches)
    {
        byte first = PrefilterPatternSet.Fold[buffer[start]];
        Check(_single.AsSpan(_singleStart[first], _singleStart[first + 1] - _singleStart[first]), buffer, start, matches);
        if (start + 1 < buffer.Length)
        {
            int key = (first << 8) | PrefilterPatternSet.Fold[buffer[start + 1]];
            Check(_pair.AsSpan(_pairStart[key], _pairStart[key + 1] - _pairStart[key]), buffer, start, matches);
        }
    }

    private void Check(ReadOnlySpan<int> candidates, ReadOnlySpan<byte> buffer, int start, PrefilterMatches matches)
    {
        foreach (int pattern in candidates)
        {
            int id = _patterns.Ids[pattern];
            if (!matches.Contains(id) && _patterns.MatchesAt(pattern, buffer, start))
            {
                matches.Add(id);
            }
        }
    }

    private static (int[] Start, int[] Patterns) Bucket(PrefilterPatternSet patterns, int buckets, Func<int, int> keyOf)
    {
        int[] start = new int[buckets + 1];
        for (int p = 0; p < patterns.Count; p++)
        {
            int key = keyOf(p);
            if (key >= 0)
            {
                start[key + 1]++;
            }
        }

        for (int k = 0; k < buckets; k++)
        {
            start[k + 1] += start[k];
        }

        int[] fill = start[..buckets];
        int[] members = new int[start[buckets]];
        for (int p = 0; p < patterns.Count; p++)
        {
            int key = keyOf(p);
            if (key >= 0)
            {
                members[fill[key]++] = p;
            }
        }

        return (start, members);
    }
}
