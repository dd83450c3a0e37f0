namespace NetSecStream.Signatures.Engine;

/// <summary>
/// A multi-pattern prefilter: built once from a set of fast patterns, then scans buffers and reports which pattern
/// ids occur, so the engine evaluates only those rules in full. Scanning is thread-safe once built; each thread
/// passes its own <see cref="PrefilterMatches"/>.
/// </summary>
public abstract class MultiPatternMatcher : IDisposable
{
    private protected MultiPatternMatcher(PrefilterPatternSet patterns)
    {
        Patterns = patterns;
    }

    /// <summary>A stable lower_snake_case name for logs and benchmarks.</summary>
    public abstract string Name { get; }

    public int PatternCount => Patterns.Count;

    /// <summary>The largest id plus one: the size <see cref="PrefilterMatches"/> must have.</summary>
    public int IdCapacity => Patterns.IdCapacity;

    /// <summary>Bytes held by the matcher's own tables (native memory included), as far as the matcher can tell.</summary>
    public abstract long MemoryBytes { get; }

    private protected PrefilterPatternSet Patterns { get; }

    public PrefilterMatches CreateMatches() => new(IdCapacity);

    /// <summary>Clears <paramref name="matches"/>, then adds the id of every pattern found in <paramref name="buffer"/>.</summary>
    public void Scan(ReadOnlySpan<byte> buffer, PrefilterMatches matches)
    {
        ArgumentNullException.ThrowIfNull(matches);
        if (matches.IdCapacity < IdCapacity)
        {
            throw new ArgumentException($"The match set holds ids below {matches.IdCapacity}; this matcher needs {IdCapacity}. Use CreateMatches().", nameof(matches));
        }

        matches.Clear();
        if (!buffer.IsEmpty)
        {
            ScanCore(buffer, matches);
        }
    }

    private protected abstract void ScanCore(ReadOnlySpan<byte> buffer, PrefilterMatches matches);

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
    }
}
