namespace NetSecStream.Core.Configuration;

/// <summary>
/// Write time and length of each file of a set, for components that reload their files (rules, indicator lists,
/// policies) only when one of them changed. A missing file has a stamp of its own, so appearing or vanishing counts
/// as a change.
/// </summary>
public sealed class FileStamps
{
    public static readonly FileStamps None = new(new Dictionary<string, (DateTime, long)>(StringComparer.Ordinal));

    private readonly Dictionary<string, (DateTime Modified, long Length)> _stamps;

    private FileStamps(Dictionary<string, (DateTime, long)> stamps) => _stamps = stamps;

    /// <summary>How many files the set names.</summary>
    public int Count => _stamps.Count;

    public static FileStamps Of(IEnumerable<string> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        var stamps = new Dictionary<string, (DateTime, long)>(StringComparer.Ordinal);
        foreach (string file in files)
        {
            var info = new FileInfo(file);
            stamps[file] = info.Exists ? (info.LastWriteTimeUtc, info.Length) : (DateTime.MinValue, -1);
        }

        return new FileStamps(stamps);
    }

    /// <summary>True when both sets name the same files with the same write times and lengths.</summary>
    public bool SameAs(FileStamps other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (_stamps.Count != other._stamps.Count)
        {
            return false;
        }

        foreach (var (file, stamp) in _stamps)
        {
            if (!other._stamps.TryGetValue(file, out var theirs) || theirs != stamp)
            {
                return false;
            }
        }

        return true;
    }
}
