using System.Globalization;

namespace NetSecStream.Behaviour.NslKdd;

/// <summary>A dataset row that cannot be read, with its line number.</summary>
public sealed class NslKddFormatException(string file, int line, string reason)
    : FormatException($"{file}:{line}: {reason}")
{
    public string File { get; } = file;

    public int Line { get; } = line;

    public string Reason { get; } = reason;
}

/// <summary>
/// Reads NSL-KDD text files (KDDTrain+.txt, KDDTest+.txt and their 20% subsets): comma-separated, 41 features, the
/// label and, in the "+" files, the difficulty (43 columns; 42 without it). A row with the wrong number of columns, a
/// non-numeric feature or an empty label stops the read with the file and line number. Bounded: at most
/// <see cref="MaxRows"/> rows.
/// </summary>
public static class NslKddReader
{
    public const int MaxRows = 5_000_000;

    public static List<NslKddRecord> Read(string path, int maxRows = MaxRows)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var reader = new StreamReader(path);
        return Read(reader, Path.GetFileName(path), maxRows);
    }

    public static List<NslKddRecord> Read(TextReader reader, string name, int maxRows = MaxRows)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var rows = new List<NslKddRecord>();
        int lineNo = 0;
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNo++;
            if (line.Length == 0 || line[0] is '@' or '%')
            {
                continue; // blank lines; ARFF headers and comments
            }

            if (rows.Count >= maxRows)
            {
                throw new NslKddFormatException(name, lineNo, $"more than {maxRows} rows");
            }

            rows.Add(Parse(line, name, lineNo));
        }

        return rows;
    }

    private static NslKddRecord Parse(string line, string name, int lineNo)
    {
        string[] c = line.Split(',');
        if (c.Length is not (42 or 43))
        {
            throw new NslKddFormatException(name, lineNo, $"{c.Length} columns (expected 41 features, the label and the difficulty: 43, or 42 without difficulty)");
        }

        var record = new NslKddRecord
        {
            ProtocolType = Text(c[1], "protocol_type", name, lineNo),
            Service = Text(c[2], "service", name, lineNo),
            Flag = Text(c[3], "flag", name, lineNo),
            AttackType = Text(c[41], "label", name, lineNo).TrimEnd('.'),
        };
        record.Label = record.AttackType != "normal";
        int n = 0;
        for (int i = 0; i < 41; i++)
        {
            if (i is 1 or 2 or 3)
            {
                continue;
            }

            if (!float.TryParse(c[i], NumberStyles.Float, CultureInfo.InvariantCulture, out float v) || !float.IsFinite(v))
            {
                throw new NslKddFormatException(name, lineNo, $"column {i + 1} ({NslKddRecord.NumericNames[n]}): '{c[i]}' is not a number");
            }

            record.Numeric[n++] = v;
        }

        if (c.Length == 43)
        {
            record.Difficulty = int.TryParse(c[42], NumberStyles.Integer, CultureInfo.InvariantCulture, out int d) ? d
                : throw new NslKddFormatException(name, lineNo, $"column 43 (difficulty): '{c[42]}' is not a whole number");
        }

        return record;
    }

    private static string Text(string value, string column, string name, int lineNo) =>
        value.Trim() is { Length: > 0 } t ? t : throw new NslKddFormatException(name, lineNo, $"{column} is empty");
}
