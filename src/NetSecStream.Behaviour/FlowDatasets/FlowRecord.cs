namespace NetSecStream.Behaviour.FlowDatasets;

/// <summary>Which features a model takes: the streaming schema's (<see cref="FlowFeatureNames"/>) or the dataset's own numeric columns.</summary>
public enum FlowFeatureSet
{
    Schema,
    Native,
}

/// <summary>
/// One labelled flow of a public dataset. <see cref="Schema"/> holds the <see cref="FlowFeatureNames"/> features in
/// schema order; a feature the dataset does not carry is 0 and its bit in <see cref="Missing"/> is set (bit i =
/// <c>FlowFeatureNames.All[i]</c>), so "absent" and "zero" stay distinguishable. <see cref="Native"/> holds the
/// dataset's numeric columns (names in <see cref="FlowDataset.NativeNames"/>).
/// </summary>
public sealed class FlowRecord
{
    public required float[] Schema { get; init; }

    public required float[] Native { get; set; }

    public uint Missing { get; init; }

    /// <summary>True for an attack (malicious) flow.</summary>
    public bool Label { get; init; }

    /// <summary>The attack class (CIC label, IoT-23 detailed-label ...) or <c>benign</c>.</summary>
    public required string Family { get; init; }

    public required string File { get; init; }

    public int Line { get; init; }

    public bool IsMissing(int feature) => (Missing & (1u << feature)) != 0;
}

/// <summary>How a dataset column maps onto one schema feature; <see cref="Source"/> is null where the dataset lacks it.</summary>
public sealed record FeatureMapping(string Feature, string? Source, string? Note = null);

/// <summary>The rows read from one dataset (a file or a folder of files), with the malformed rows that were skipped.</summary>
public sealed class FlowDataset
{
    public required string Format { get; init; }

    public required IReadOnlyList<string> Files { get; init; }

    public required IReadOnlyList<FlowRecord> Rows { get; init; }

    /// <summary>Names of <see cref="FlowRecord.Native"/>'s columns: the numeric columns every file read has in common.</summary>
    public required IReadOnlyList<string> NativeNames { get; init; }

    /// <summary>Malformed rows skipped (non-strict reads).</summary>
    public int Skipped { get; init; }

    /// <summary>The first <see cref="FlowDatasetReader.MaxErrorsKept"/> skipped rows as <c>file:line: reason</c>.</summary>
    public required IReadOnlyList<string> Errors { get; init; }
}

/// <summary>A dataset row or header that cannot be read: <c>file:line: reason</c>.</summary>
public sealed class FlowFormatException(string file, int line, string reason)
    : FormatException($"{file}:{line}: {reason}")
{
    public string File { get; } = file;

    public int Line { get; } = line;

    public string Reason { get; } = reason;
}
