using Microsoft.Extensions.Options;

namespace NetSecStream.Pipeline;

/// <summary>Configuration section <c>Pipeline</c>: batching, dedupe and sink retry of the processing graph.</summary>
public sealed class PipelineOptions
{
    public const string Section = "Pipeline";

    /// <summary>Most records per batch. Batches fill only with records already waiting, so a quiet source is not delayed.</summary>
    public int BatchSize { get; set; } = 1024;

    /// <summary>
    /// How long a part-filled batch may wait for more records when the source is momentarily empty, trading a
    /// little latency for fuller batches (fewer sink writes and flushes). Zero hands over partial batches at once.
    /// </summary>
    public TimeSpan BatchLinger { get; set; } = TimeSpan.FromMilliseconds(2);

    /// <summary>Batches decoded at the same time (order is kept). Default: one per processor.</summary>
    public int DecodeParallelism { get; set; } = Math.Clamp(Environment.ProcessorCount, 1, 8);

    /// <summary>Batches buffered between two asynchronous stages (the bound on in-flight work).</summary>
    public int StageBuffer { get; set; } = 4;

    /// <summary>Repeats of one alert key inside this window (event time) are counted, not raised. Zero turns dedupe off.</summary>
    public TimeSpan DedupeWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Bound on the dedupe and aggregation table (keys of every detector together); evictions are counted.</summary>
    public int DedupeMaxKeys { get; set; } = 100_000;

    /// <summary>Per-detector aggregation (<c>Pipeline:Aggregation:signature:Window</c>, <c>:Keys</c>); see <see cref="Decide.AggregationRule"/>.</summary>
    public Dictionary<string, Decide.AggregationRule> Aggregation { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Batches being written to the sinks at the same time. Sinks that wait for a remote acknowledgement (Kafka,
    /// Elasticsearch) would otherwise cap throughput at one batch per round trip. Commits stay in order.
    /// </summary>
    public int SinkParallelism { get; set; } = 4;

    /// <summary>Attempts per sink write before the pipeline stops without committing (at-least-once).</summary>
    public int SinkMaxAttempts { get; set; } = 8;

    public TimeSpan SinkInitialBackoff { get; set; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan SinkMaxBackoff { get; set; } = TimeSpan.FromSeconds(10);
}

public sealed class PipelineOptionsValidator : IValidateOptions<PipelineOptions>
{
    public ValidateOptionsResult Validate(string? name, PipelineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        const string S = PipelineOptions.Section;
        if (options.BatchSize is < 1 or > 65_536)
        {
            failures.Add($"{S}:BatchSize must be between 1 and 65536 (got {options.BatchSize}).");
        }

        if (options.BatchLinger < TimeSpan.Zero || options.BatchLinger > TimeSpan.FromSeconds(5))
        {
            failures.Add($"{S}:BatchLinger must be between 00:00:00 and 00:00:05 (got {options.BatchLinger}).");
        }

        if (options.DecodeParallelism is < 1 or > 64)
        {
            failures.Add($"{S}:DecodeParallelism must be between 1 and 64 (got {options.DecodeParallelism}).");
        }

        if (options.StageBuffer is < 1 or > 64)
        {
            failures.Add($"{S}:StageBuffer must be between 1 and 64 (got {options.StageBuffer}).");
        }

        if (options.DedupeWindow < TimeSpan.Zero)
        {
            failures.Add($"{S}:DedupeWindow must not be negative.");
        }

        if (options.SinkParallelism is < 1 or > 64)
        {
            failures.Add($"{S}:SinkParallelism must be between 1 and 64 (got {options.SinkParallelism}).");
        }

        if (options.DedupeMaxKeys < 1)
        {
            failures.Add($"{S}:DedupeMaxKeys must be at least 1 (got {options.DedupeMaxKeys}).");
        }

        failures.AddRange(Decide.AggregationRule.Check(options.Aggregation));

        if (options.SinkMaxAttempts < 1)
        {
            failures.Add($"{S}:SinkMaxAttempts must be at least 1 (got {options.SinkMaxAttempts}).");
        }

        if (options.SinkInitialBackoff <= TimeSpan.Zero || options.SinkMaxBackoff < options.SinkInitialBackoff)
        {
            failures.Add($"{S}:SinkInitialBackoff must be positive and not above {S}:SinkMaxBackoff.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
