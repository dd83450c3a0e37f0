using System.Globalization;

namespace NetSecStream.Signatures.Rules;

/// <summary>One <c>config classification: name,description,priority</c> line.</summary>
public sealed record Classification(string Name, string Description, int Priority);

/// <summary>The classtypes of a classification.config file and their default priorities.</summary>
public sealed class ClassificationConfig
{
    private readonly Dictionary<string, Classification> _byName;

    public ClassificationConfig(IEnumerable<Classification> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        _byName = new Dictionary<string, Classification>(StringComparer.OrdinalIgnoreCase);
        foreach (Classification c in entries)
        {
            _byName[c.Name] = c;
        }
    }

    public IReadOnlyCollection<Classification> Entries => _byName.Values;

    public Classification? Find(string name) => _byName.GetValueOrDefault(name);

    public static ClassificationConfig Load(string path) => Parse(File.ReadLines(path));

    /// <summary>Parses <c>config classification: name,description,priority</c> lines; others are ignored.</summary>
    public static ClassificationConfig Parse(IEnumerable<string> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var entries = new List<Classification>();
        const string prefix = "config classification:";
        foreach (string raw in lines)
        {
            string line = raw.Trim();
            if (!line.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            string[] parts = line[prefix.Length..].Split(',');
            if (parts.Length >= 3 && int.TryParse(parts[^1].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int priority))
            {
                entries.Add(new Classification(parts[0].Trim(), string.Join(',', parts[1..^1]).Trim(), priority));
            }
        }

        return new ClassificationConfig(entries);
    }
}
