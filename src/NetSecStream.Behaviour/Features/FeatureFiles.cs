using System.Globalization;
using System.Text;
using Parquet;
using Parquet.Schema;

namespace NetSecStream.Behaviour.Features;

/// <summary>One exported row: when, whose, the features in schema order, and the ground truth.</summary>
public sealed record FeatureRow(
    DateTimeOffset Timestamp, string SourceKey, string WorkloadKey, string DestinationKey, string? CommunityId,
    string Label, string? Episode, float[] Values);

/// <summary>
/// Feature rows as CSV (RFC 4180, a header row) and Parquet (Parquet.Net; the schema version also in the file's
/// key/value metadata). Columns: <c>schema_version, timestamp, source_key, workload_key, destination_key,
/// community_id, label, episode</c>, then one float column per feature in schema order.
/// </summary>
public static class FeatureFiles
{
    public static IReadOnlyList<string> KeyColumns { get; } =
        ["schema_version", "timestamp", "source_key", "workload_key", "destination_key", "community_id", "label", "episode"];

    public static IReadOnlyList<string> Header { get; } = [.. KeyColumns, .. FeatureSchema.Features.Select(f => f.Name)];

    public static void WriteCsv(TextWriter writer, IEnumerable<FeatureRow> rows)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(rows);
        writer.Write(string.Join(',', Header));
        writer.Write('\n');
        var sb = new StringBuilder(512);
        foreach (var row in rows)
        {
            sb.Clear();
            sb.Append(FeatureSchema.Version.AsSpan()).Append(',')
                .Append(row.Timestamp.UtcDateTime.ToString("O", CultureInfo.InvariantCulture)).Append(',');
            AppendField(sb, row.SourceKey).Append(',');
            AppendField(sb, row.WorkloadKey).Append(',');
            AppendField(sb, row.DestinationKey).Append(',');
            AppendField(sb, row.CommunityId).Append(',');
            AppendField(sb, row.Label).Append(',');
            AppendField(sb, row.Episode);
            foreach (float v in row.Values)
            {
                sb.Append(',').Append(v.ToString(CultureInfo.InvariantCulture));
            }

            sb.Append('\n');
            writer.Write(sb);
        }
    }

    /// <summary>
    /// Reads a CSV written by <see cref="WriteCsv"/>. A header that does not match this schema version fails the
    /// whole read; a malformed row is reported as <c>file:line: reason</c> and skipped.
    /// </summary>
    public static IEnumerable<FeatureRow> ReadCsv(TextReader reader, string name, Action<InputError> onError)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(onError);
        string? header = reader.ReadLine();
        if (header is null || !header.TrimEnd('\r').Split(',').SequenceEqual(Header))
        {
            throw new InvalidDataException($"{name}:1: header does not match feature schema version {FeatureSchema.Version} (expected '{string.Join(',', Header.Take(10))},...')");
        }

        long lineNo = 1;
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNo++;
            if (line.Length == 0)
            {
                continue;
            }

            var row = ParseCsvRow(line.TrimEnd('\r'), out string? error);
            if (row is null)
            {
                onError(new InputError(name, lineNo, error!));
                continue;
            }

            yield return row;
        }
    }

    public static async Task WriteParquetAsync(Stream output, IEnumerable<FeatureRow> rows, int rowGroupSize = 65_536, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentOutOfRangeException.ThrowIfLessThan(rowGroupSize, 1);
        var (schema, keyFields, featureFields) = ParquetLayout();
        await using var writer = await ParquetWriter.CreateAsync(schema, output, cancellationToken: ct).ConfigureAwait(false);
        writer.CustomMetadata = new Dictionary<string, string>
        {
            ["netsec.feature_schema_version"] = FeatureSchema.Version,
            ["netsec.features"] = string.Join(',', FeatureSchema.Features.Select(f => f.Name)),
        };
        var batch = new List<FeatureRow>(rowGroupSize);
        foreach (var row in rows)
        {
            batch.Add(row);
            if (batch.Count == rowGroupSize)
            {
                await WriteGroupAsync(writer, batch, keyFields, featureFields).ConfigureAwait(false);
                batch.Clear();
            }
        }

        if (batch.Count > 0)
        {
            await WriteGroupAsync(writer, batch, keyFields, featureFields).ConfigureAwait(false);
        }
    }

    /// <summary>Reads a Parquet file written by <see cref="WriteParquetAsync"/>; refuses another schema version.</summary>
    public static async Task<List<FeatureRow>> ReadParquetAsync(Stream input, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        var (_, keyFields, featureFields) = ParquetLayout();
        await using var reader = await ParquetReader.CreateAsync(input, cancellationToken: ct).ConfigureAwait(false);
        if (reader.CustomMetadata.GetValueOrDefault("netsec.feature_schema_version") != FeatureSchema.Version)
        {
            throw new InvalidDataException($"not a feature file of schema version {FeatureSchema.Version}");
        }

        var rows = new List<FeatureRow>();
        for (int g = 0; g < reader.RowGroupCount; g++)
        {
            using var group = reader.OpenRowGroupReader(g);
            int n = checked((int)group.RowCount);
            var text = new string?[keyFields.Length][];
            for (int k = 0; k < keyFields.Length; k++)
            {
                text[k] = new string?[n];
                await group.ReadAsync(keyFields[k], text[k].AsMemory(), null, ct).ConfigureAwait(false);
            }

            var columns = new float[featureFields.Length][];
            for (int f = 0; f < featureFields.Length; f++)
            {
                columns[f] = new float[n];
                await group.ReadAsync(featureFields[f], columns[f].AsMemory(), null, ct).ConfigureAwait(false);
            }

            for (int i = 0; i < n; i++)
            {
                var values = new float[featureFields.Length];
                for (int f = 0; f < values.Length; f++)
                {
                    values[f] = columns[f][i];
                }

                rows.Add(new FeatureRow(
                    DateTimeOffset.Parse(text[1][i] ?? "", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal),
                    text[2][i] ?? "", text[3][i] ?? "", text[4][i] ?? "", text[5][i], text[6][i] ?? "", text[7][i], values));
            }
        }

        return rows;
    }

    private static (ParquetSchema Schema, DataField<string>[] Keys, DataField<float>[] Features) ParquetLayout()
    {
        DataField<string>[] keys = [.. KeyColumns.Select(c => new DataField<string>(c, nullable: true))];
        DataField<float>[] features = [.. FeatureSchema.Features.Select(f => new DataField<float>(f.Name, nullable: false))];
        return (new ParquetSchema([.. keys.Cast<Field>(), .. features.Cast<Field>()]), keys, features);
    }

    private static async Task WriteGroupAsync(ParquetWriter writer, List<FeatureRow> batch, DataField<string>[] keys, DataField<float>[] features)
    {
        using var group = writer.CreateRowGroup();
        Func<FeatureRow, string?>[] keyValues =
        [
            _ => FeatureSchema.Version,
            r => r.Timestamp.UtcDateTime.ToString("O", CultureInfo.InvariantCulture),
            r => r.SourceKey, r => r.WorkloadKey, r => r.DestinationKey, r => r.CommunityId, r => r.Label, r => r.Episode,
        ];
        for (int k = 0; k < keys.Length; k++)
        {
            await group.WriteAsync(keys[k], batch.Select(keyValues[k]).ToArray()!, null).ConfigureAwait(false);
        }

        var column = new float[batch.Count];
        for (int f = 0; f < features.Length; f++)
        {
            for (int i = 0; i < batch.Count; i++)
            {
                column[i] = batch[i].Values[f];
            }

            await group.WriteAsync<float>(features[f], column.AsMemory(), null).ConfigureAwait(false);
        }
    }

    private static FeatureRow? ParseCsvRow(string line, out string? error)
    {
        var fields = SplitCsv(line);
        if (fields is null)
        {
            error = "unbalanced quotes";
            return null;
        }

        if (fields.Count != Header.Count)
        {
            error = $"{fields.Count} columns (expected {Header.Count})";
            return null;
        }

        if (fields[0] != FeatureSchema.Version)
        {
            error = $"schema_version '{fields[0]}' (expected {FeatureSchema.Version})";
            return null;
        }

        if (!DateTimeOffset.TryParse(fields[1], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time))
        {
            error = $"timestamp '{fields[1]}' is not a time";
            return null;
        }

        var values = new float[FeatureSchema.Count];
        for (int f = 0; f < values.Length; f++)
        {
            string text = fields[KeyColumns.Count + f];
            if (!float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out values[f]) || !float.IsFinite(values[f]))
            {
                error = $"column {KeyColumns.Count + f + 1} ({FeatureSchema.Features[f].Name}): '{text}' is not a number";
                return null;
            }
        }

        error = null;
        return new FeatureRow(time, fields[2], fields[3], fields[4], NullIfEmpty(fields[5]), fields[6], NullIfEmpty(fields[7]), values);
    }

    private static string? NullIfEmpty(string s) => s.Length == 0 ? null : s;

    private static StringBuilder AppendField(StringBuilder sb, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return sb;
        }

        if (value.AsSpan().IndexOfAny(",\"\r\n") < 0)
        {
            return sb.Append(value);
        }

        return sb.Append('"').Append(value.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
    }

    private static List<string>? SplitCsv(string line)
    {
        var fields = new List<string>(Header.Count);
        var sb = new StringBuilder();
        int i = 0;
        while (true)
        {
            sb.Clear();
            if (i < line.Length && line[i] == '"')
            {
                i++;
                while (true)
                {
                    if (i >= line.Length)
                    {
                        return null;
                    }

                    if (line[i] == '"')
                    {
                        if (i + 1 < line.Length && line[i + 1] == '"')
                        {
                            sb.Append('"');
                            i += 2;
                            continue;
                        }

                        i++;
                        break;
                    }

                    sb.Append(line[i++]);
                }

                if (i < line.Length && line[i] != ',')
                {
                    return null;
                }
            }
            else
            {
                int end = line.IndexOf(',', i);
                end = end < 0 ? line.Length : end;
                sb.Append(line, i, end - i);
                i = end;
            }

            fields.Add(sb.ToString());
            if (i >= line.Length)
            {
                return fields;
            }

            i++; // the comma
        }
    }
}
