using NetSecStream.Core.Components;
using NetSecStream.Core.Events;

namespace NetSecStream.Pipeline;

/// <summary>Records taken from a source in one go, before decoding.</summary>
public sealed class RecordBatch(IReadOnlyList<RawRecord> records, long ingestTimestamp)
{
    public IReadOnlyList<RawRecord> Records { get; } = records;

    /// <summary><see cref="System.Diagnostics.Stopwatch"/> timestamp of the first record's arrival.</summary>
    public long IngestTimestamp { get; } = ingestTimestamp;
}

/// <summary>A batch travelling through the graph: decoded events, the alerts raised on them, and what to commit.</summary>
public sealed class FlowBatch
{
    public required List<FlowEvent> Events { get; init; }

    public required long IngestTimestamp { get; init; }

    public int RecordCount { get; init; }

    public int Rejected { get; init; }

    /// <summary>Highest position per origin in this batch; committed once every sink accepted the batch.</summary>
    public required Dictionary<string, long> Checkpoints { get; init; }

    public List<Alert> Alerts { get; set; } = [];
}
