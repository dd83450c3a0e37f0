using System.Globalization;
using System.Text;

namespace NetSecStream.Behaviour.FlowDatasets;

/// <summary>
/// One public flow dataset's CSV layout: which header columns it needs, how a row maps onto the schema features
/// (<see cref="Mappings"/>, also written into model cards), its native numeric columns, and its label and family.
/// </summary>
public abstract class FlowDatasetFormat
{
    /// <summary>The <c>--dataset</c> id (cic-ids2017, unsw-nb15, iot-23).</summary>
    public abstract string Name { get; }

    /// <summary>What the data is and where it comes from (for model cards).</summary>
    public abstract string Description { get; }

    /// <summary>What this dataset's shared sample does not tell (for model cards).</summary>
    public abstract string Limits { get; }

    /// <summary>One entry per <see cref="FlowFeatureNames.All"/> feature, in schema order.</summary>
    public abstract IReadOnlyList<FeatureMapping> Mappings { get; }

    /// <summary>The columns of one file, checked against its header; throws <see cref="FlowFormatException"/> at line 1.</summary>
    internal abstract FileLayout Bind(CsvHeader header);

    /// <summary>How one file's rows are read.</summary>
    internal sealed class FileLayout(IReadOnlyList<(string Name, Func<CsvRow, float> Value)> native, Func<CsvRow, SchemaBuilder, (bool Label, string Family)> parse)
    {
        public IReadOnlyList<(string Name, Func<CsvRow, float> Value)> Native { get; } = native;

        /// <summary>Fills the schema features and returns the label and family; throws <see cref="RowException"/> on a bad row.</summary>
        public Func<CsvRow, SchemaBuilder, (bool Label, string Family)> Parse { get; } = parse;
    }
}

/// <summary>A reason a row cannot be read (the reader adds file and line).</summary>
internal sealed class RowException(string reason) : Exception(reason);

/// <summary>A CSV header: column positions by normalised name (lower case, no quotes or white space).</summary>
internal sealed class CsvHeader
{
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);

    public CsvHeader(string[] cells, string file)
    {
        Names = [.. cells.Select(c => c.Trim().Trim('\'', '"').Trim())];
        File = file;
        for (int i = 0; i < Names.Count; i++)
        {
            _index.TryAdd(Key(Names[i]), i);
        }
    }

    public IReadOnlyList<string> Names { get; }

    public string File { get; }

    public int Count => Names.Count;

    public static string Key(string name) => new([.. name.Where(c => !char.IsWhiteSpace(c) && c is not ('\'' or '"')).Select(char.ToLowerInvariant)]);

    public bool Has(string name) => _index.ContainsKey(Key(name));

    public int? Find(string name) => _index.TryGetValue(Key(name), out int i) ? i : null;

    /// <summary>The position of a column the format needs; a missing one fails the whole file at line 1.</summary>
    public int Require(string name, string format) => Find(name)
        ?? throw new FlowFormatException(File, 1, $"no '{name}' column: this is not {format} data");
}

/// <summary>One CSV row bound to its header.</summary>
internal sealed class CsvRow(CsvHeader header, string[] cells)
{
    public string Text(int column) => cells[column].Trim();

    public bool IsBlank(int column) => cells[column].Trim() is "" or "-";

    /// <summary>A finite number; anything else is a malformed row naming the column.</summary>
    public float Number(int column)
    {
        string s = cells[column].Trim();
        return float.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out float v) && float.IsFinite(v)
            ? v
            : throw new RowException($"column {column + 1} ({header.Names[column]}): '{s}' is not a number");
    }

    /// <summary>A finite number not below zero.</summary>
    public float Count(int column)
    {
        float v = Number(column);
        return v >= 0 ? v : throw new RowException($"column {column + 1} ({header.Names[column]}): {v.ToString(CultureInfo.InvariantCulture)} is negative");
    }

    /// <summary>Zeek's unset field (<c>-</c> or empty) as 0, else <see cref="Count"/>.</summary>
    public float CountOrZero(int column) => IsBlank(column) ? 0 : Count(column);

    /// <summary>Splits a CSV line; double quotes may enclose a field holding commas ("" is a quote).</summary>
    public static string[] Split(string line)
    {
        if (!line.Contains('"', StringComparison.Ordinal))
        {
            return line.Split(',');
        }

        var cells = new List<string>();
        var cell = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"')
                {
                    cell.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    cell.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                cells.Add(cell.ToString());
                cell.Clear();
            }
            else
            {
                cell.Append(c);
            }
        }

        cells.Add(cell.ToString());
        return [.. cells];
    }
}

/// <summary>Collects one row's schema features; every feature not set stays 0 and is flagged missing.</summary>
internal sealed class SchemaBuilder
{
    private readonly float[] _values = new float[FlowFeatureNames.Count];
    private uint _missing = FlowFeatureNames.Count >= 32 ? uint.MaxValue : (1u << FlowFeatureNames.Count) - 1;

    public void Set(int feature, float value)
    {
        _values[feature] = value;
        _missing &= ~(1u << feature);
    }

    public void Set(int feature, bool value) => Set(feature, value ? 1f : 0f);

    /// <summary>Protocol one-hot from an IP protocol number or name (tcp/udp/icmp); <paramref name="icmpKnown"/> false where the dataset lumps ICMP with others.</summary>
    public void Protocol(string proto, bool icmpKnown = true)
    {
        string p = proto.Trim().ToLowerInvariant();
        Set(FlowFeatureNames.ProtoTcp, p is "tcp" or "6");
        Set(FlowFeatureNames.ProtoUdp, p is "udp" or "17");
        if (icmpKnown)
        {
            Set(FlowFeatureNames.ProtoIcmp, p is "icmp" or "1" or "ipv6-icmp" or "58");
        }
    }

    /// <summary>The schema values and the missing mask; the mean packet size is derived when bytes and packets are known.</summary>
    public (float[] Values, uint Missing) Build()
    {
        int[] needed = [FlowFeatureNames.BytesOut, FlowFeatureNames.BytesIn, FlowFeatureNames.PacketsOut, FlowFeatureNames.PacketsIn];
        if (needed.All(f => (_missing & (1u << f)) == 0))
        {
            float packets = _values[FlowFeatureNames.PacketsOut] + _values[FlowFeatureNames.PacketsIn];
            Set(FlowFeatureNames.MeanPacketBytes, packets > 0 ? (_values[FlowFeatureNames.BytesOut] + _values[FlowFeatureNames.BytesIn]) / packets : 0);
        }

        return (_values, _missing);
    }
}
