namespace NetSecStream.Signatures.Engine;

/// <summary>
/// One fast pattern for the prefilter: the bytes of a rule's <c>content</c> (any bytes, at least one), whether it
/// matches ignoring ASCII case (Suricata's <c>nocase</c>), and the id reported when it occurs. Several patterns may
/// share an id; the id is then reported once if any of them occurs.
/// </summary>
public readonly record struct PrefilterPattern(int Id, ReadOnlyMemory<byte> Bytes, bool NoCase);

/// <summary>Bounds on what a matcher may be built from; a set beyond them is refused with an error naming the bound.</summary>
public sealed record PrefilterLimits
{
    public static PrefilterLimits Default { get; } = new();

    /// <summary>Most patterns in one matcher (ET Open has about 50,000 rules with a fast pattern).</summary>
    public int MaxPatterns { get; init; } = 262_144;

    /// <summary>Longest pattern in bytes.</summary>
    public int MaxPatternLength { get; init; } = 4096;

    /// <summary>Most pattern bytes in all.</summary>
    public long MaxTotalBytes { get; init; } = 16L * 1024 * 1024;

    /// <summary>Ids run from 0 to this value minus one; the result set is sized by the largest id used.</summary>
    public int MaxId { get; init; } = 1 << 24;
}
