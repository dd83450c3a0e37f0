namespace NetSecStream.Signatures.Engine;

/// <summary>The validated patterns a matcher is built from, copied into arrays indexed by pattern number.</summary>
internal sealed class PrefilterPatternSet
{
    /// <summary>ASCII lower-casing of every byte: Suricata's <c>nocase</c> folds ASCII letters only.</summary>
    internal static readonly byte[] Fold = BuildFold();

    private PrefilterPatternSet(byte[][] bytes, byte[][] folded, bool[] noCase, int[] ids, int idCapacity, long totalBytes)
    {
        Bytes = bytes;
        Folded = folded;
        NoCase = noCase;
        Ids = ids;
        IdCapacity = idCapacity;
        TotalBytes = totalBytes;
    }

    public byte[][] Bytes { get; }

    public byte[][] Folded { get; }

    public bool[] NoCase { get; }

    public int[] Ids { get; }

    public int Count => Ids.Length;

    public int IdCapacity { get; }

    public long TotalBytes { get; }

    public static PrefilterPatternSet Create(IReadOnlyList<PrefilterPattern> patterns, PrefilterLimits? limits)
    {
        ArgumentNullException.ThrowIfNull(patterns);
        limits ??= PrefilterLimits.Default;
        if (patterns.Count > limits.MaxPatterns)
        {
            throw new ArgumentException($"{patterns.Count} prefilter patterns exceed the limit of {limits.MaxPatterns} (PrefilterLimits.MaxPatterns).", nameof(patterns));
        }

        var bytes = new byte[patterns.Count][];
        var folded = new byte[patterns.Count][];
        var noCase = new bool[patterns.Count];
        var ids = new int[patterns.Count];
        long total = 0;
        int maxId = -1;
        for (int i = 0; i < patterns.Count; i++)
        {
            PrefilterPattern pattern = patterns[i];
            if (pattern.Bytes.IsEmpty)
            {
                throw new ArgumentException($"Prefilter pattern {i} (id {pattern.Id}) is empty; a fast pattern needs at least one byte.", nameof(patterns));
            }

            if (pattern.Bytes.Length > limits.MaxPatternLength)
            {
                throw new ArgumentException($"Prefilter pattern {i} (id {pattern.Id}) is {pattern.Bytes.Length} bytes long, over the limit of {limits.MaxPatternLength} (PrefilterLimits.MaxPatternLength).", nameof(patterns));
            }

            if (pattern.Id < 0 || pattern.Id >= limits.MaxId)
            {
                throw new ArgumentException($"Prefilter pattern {i} has id {pattern.Id}; ids run from 0 to {limits.MaxId - 1} (PrefilterLimits.MaxId).", nameof(patterns));
            }

            total += pattern.Bytes.Length;
            if (total > limits.MaxTotalBytes)
            {
                throw new ArgumentException($"Prefilter patterns exceed {limits.MaxTotalBytes} bytes in all (PrefilterLimits.MaxTotalBytes) at pattern {i}.", nameof(patterns));
            }

            bytes[i] = pattern.Bytes.ToArray();
            folded[i] = FoldCopy(bytes[i]);
            noCase[i] = pattern.NoCase;
            ids[i] = pattern.Id;
            maxId = Math.Max(maxId, pattern.Id);
        }

        return new PrefilterPatternSet(bytes, folded, noCase, ids, maxId + 1, total);
    }

    public static byte[] FoldCopy(ReadOnlySpan<byte> source)
    {
        byte[] copy = new byte[source.Length];
        for (int i = 0; i < source.Length; i++)
        {
            copy[i] = Fold[source[i]];
        }

        return copy;
    }

    /// <summary>Whether pattern <paramref name="index"/> occurs in <paramref name="buffer"/> at <paramref name="start"/>.</summary>
    public bool MatchesAt(int index, ReadOnlySpan<byte> buffer, int start)
    {
        byte[] pattern = Bytes[index];
        if (start < 0 || start > buffer.Length - pattern.Length)
        {
            return false;
        }

        ReadOnlySpan<byte> window = buffer.Slice(start, pattern.Length);
        if (!NoCase[index])
        {
            return window.SequenceEqual(pattern);
        }

        byte[] folded = Folded[index];
        for (int i = 0; i < folded.Length; i++)
        {
            if (Fold[window[i]] != folded[i])
            {
                return false;
            }
        }

        return true;
    }

    private static byte[] BuildFold()
    {
        byte[] fold = new byte[256];
        for (int b = 0; b < 256; b++)
        {
            fold[b] = b is >= 'A' and <= 'Z' ? (byte)(b + 32) : (byte)b;
        }

        return fold;
    }
}
