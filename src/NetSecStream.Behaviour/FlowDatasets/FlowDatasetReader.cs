namespace NetSecStream.Behaviour.FlowDatasets;

/// <summary>
/// Reads a flow dataset: one CSV file, or every <c>*.csv</c> of a folder (in name order). A header without the columns
/// the format needs stops the read (<c>file:1: reason</c>). A malformed row (wrong column count, a non-numeric or
/// negative count, an unknown label) is skipped and counted with its <c>file:line: reason</c>; with
/// <c>strict</c> the first one stops the read. Bounded: at most <see cref="MaxRows"/> rows.
/// </summary>
public static class FlowDatasetReader
{
    public const int MaxRows = 5_000_000;

    public const int MaxErrorsKept = 100;

    /// <summary>The dataset formats by <c>--dataset</c> id.</summary>
    public static IReadOnlyDictionary<string, FlowDatasetFormat> Formats { get; } = new Dictionary<string, FlowDatasetFormat>(StringComparer.Ordinal)
    {
        ["cic-ids2017"] = new CicIds2017Format(),
        ["unsw-nb15"] = new UnswNb15Format(),
        ["iot-23"] = new Iot23Format(),
    };

    public static FlowDatasetFormat Format(string name) => Formats.TryGetValue(name, out FlowDatasetFormat? f) ? f
        : throw new ArgumentException($"unknown flow dataset '{name}' ({string.Join(", ", Formats.Keys)})", nameof(name));

    /// <summary>Reads a file or a folder of <c>*.csv</c> files.</summary>
    public static FlowDataset Read(string format, string path, bool strict = false, int maxRows = MaxRows)
    {
        ArgumentNullException.ThrowIfNull(path);
        string[] files = Directory.Exists(path)
            ? [.. Directory.EnumerateFiles(path, "*.csv").Order(StringComparer.Ordinal)]
            : File.Exists(path) ? [path] : throw new FileNotFoundException($"{path}: no such file or folder", path);
        if (files.Length == 0)
        {
            throw new FileNotFoundException($"{path}: no .csv files", path);
        }

        var sources = new List<(string Name, TextReader Reader)>();
        try
        {
            foreach (string file in files)
            {
                sources.Add((Path.GetFileName(file), new StreamReader(file)));
            }

            return Read(format, sources, strict, maxRows);
        }
        finally
        {
            foreach ((_, TextReader r) in sources)
            {
                r.Dispose();
            }
        }
    }

    /// <summary>Reads named CSV texts as the files of one dataset (tests pass fixtures this way).</summary>
    public static FlowDataset Read(string format, IReadOnlyList<(string Name, TextReader Reader)> files, bool strict = false, int maxRows = MaxRows)
    {
        ArgumentNullException.ThrowIfNull(files);
        FlowDatasetFormat f = Format(format);
        var rows = new List<FlowRecord>();
        var errors = new List<string>();
        int skipped = 0;
        var perFile = new List<(string[] Native, int FirstRow)>();
        foreach ((string name, TextReader reader) in files)
        {
            int firstRow = rows.Count;
            string[] native = ReadFile(f, name, reader, rows, strict, maxRows, ref skipped, errors);
            perFile.Add((native, firstRow));
        }

        // Files of one dataset may differ in columns (the two UNSW-NB15 samples do): keep the numeric columns all share.
        var common = perFile[0].Native.Where(n => perFile.All(p => p.Native.Any(m => CsvHeader.Key(m) == CsvHeader.Key(n)))).ToArray();
        for (int i = 0; i < perFile.Count; i++)
        {
            string[] native = perFile[i].Native;
            int[] pick = [.. common.Select(n => Array.FindIndex(native, m => CsvHeader.Key(m) == CsvHeader.Key(n)))];
            if (pick.SequenceEqual(Enumerable.Range(0, native.Length)))
            {
                continue;
            }

            int end = i + 1 < perFile.Count ? perFile[i + 1].FirstRow : rows.Count;
            for (int r = perFile[i].FirstRow; r < end; r++)
            {
                float[] all = rows[r].Native;
                rows[r].Native = [.. pick.Select(p => all[p])];
            }
        }

        return new FlowDataset
        {
            Format = f.Name, Files = [.. files.Select(x => x.Name)], Rows = rows, NativeNames = common, Skipped = skipped, Errors = errors,
        };
    }

    private static string[] ReadFile(FlowDatasetFormat format, string name, TextReader reader, List<FlowRecord> rows, bool strict, int maxRows, ref int skipped, List<string> errors)
    {
        int lineNo = 0;
        string? line;
        CsvHeader? header = null;
        FlowDatasetFormat.FileLayout? layout = null;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNo++;
            if (line.Trim().Length == 0)
            {
                continue;
            }

            if (header is null)
            {
                header = new CsvHeader(CsvRow.Split(line), name);
                layout = format.Bind(header);
                continue;
            }

            if (rows.Count >= maxRows)
            {
                throw new FlowFormatException(name, lineNo, $"more than {maxRows} rows");
            }

            try
            {
                string[] cells = CsvRow.Split(line);
                if (cells.Length != header.Count)
                {
                    throw new RowException($"{cells.Length} columns, the header has {header.Count}");
                }

                var row = new CsvRow(header, cells);
                var schema = new SchemaBuilder();
                (bool label, string family) = layout!.Parse(row, schema);
                (float[] values, uint missing) = schema.Build();
                float[] native = new float[layout.Native.Count];
                for (int i = 0; i < native.Length; i++)
                {
                    native[i] = layout.Native[i].Value(row);
                }

                rows.Add(new FlowRecord { Schema = values, Missing = missing, Native = native, Label = label, Family = family, File = name, Line = lineNo });
            }
            catch (RowException ex)
            {
                if (strict)
                {
                    throw new FlowFormatException(name, lineNo, ex.Message);
                }

                skipped++;
                if (errors.Count < MaxErrorsKept)
                {
                    errors.Add($"{name}:{lineNo}: {ex.Message}");
                }
            }
        }

        return header is null ? throw new FlowFormatException(name, 1, "empty file: no CSV header")
            : [.. layout!.Native.Select(n => n.Name)];
    }
}
