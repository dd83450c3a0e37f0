using Microsoft.Extensions.Options;

namespace NetSecStream.Sinks.Delivery;

/// <summary>When a spilled batch is forced to the disk before the write that spilled it returns.</summary>
public enum SpillFsync
{
    /// <summary>Every spilled batch is fsynced: a batch counted as accepted survives a power loss.</summary>
    Always,

    /// <summary>Flushed to the operating system only: survives a crash of the process, not of the machine.</summary>
    Never,
}

/// <summary>
/// Section <c>Sinks:Delivery</c>: how every buffered sink (<see cref="BufferedSink"/>) holds, spills and replays batches
/// while its destination is down. The values here apply to every sink; <see cref="Overrides"/> changes them for one
/// sink, by component id (<c>Sinks:Delivery:Overrides:kafka_alerts:MaxSpillBytes</c>).
/// </summary>
public sealed class DeliveryOptions
{
    public const string SectionName = "Sinks:Delivery";

    /// <summary>False: sinks write straight to their destination and the pipeline's own retries are all there is.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Batches held in memory on their way to the destination (in flight or retrying); a further write waits for room.</summary>
    public int MemoryBatches { get; set; } = 8;

    /// <summary>Attempts at the destination before a batch is spilled to disk and the sink counts as down.</summary>
    public int Attempts { get; set; } = 3;

    /// <summary>Wait after the first failed attempt; doubled after each further one, up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Longest wait between two attempts, also between replay attempts while the destination stays down.</summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Folder of the spill; each sink spills into its own sub-folder. Empty: <c>Storage:DataDirectory</c>/spill.</summary>
    public string SpillDirectory { get; set; } = "";

    /// <summary>Bound on one sink's spilled bytes; when reached, writes wait (the pipeline stops committing), nothing is dropped.</summary>
    public long MaxSpillBytes { get; set; } = 1L << 30;

    /// <summary>
    /// A spill segment is closed and a new one started past this size; a segment's space is freed once it is replayed.
    /// Never more than a quarter of <see cref="MaxSpillBytes"/> (<see cref="EffectiveSegmentBytes"/>), so a full spill frees space gradually.
    /// </summary>
    public long SegmentBytes { get; set; } = 16L << 20;

    /// <summary>The segment size used: <see cref="SegmentBytes"/>, at most a quarter of <see cref="MaxSpillBytes"/>, at least 1 KiB.</summary>
    public long EffectiveSegmentBytes => Math.Max(1024, Math.Min(SegmentBytes, MaxSpillBytes / 4));

    public SpillFsync Fsync { get; set; } = SpillFsync.Always;

    /// <summary>Per-sink changes, by sink component id; unset values keep the shared ones.</summary>
    public Dictionary<string, DeliveryOverride> Overrides { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The options that apply to sink <paramref name="sinkId"/>: the shared values with its overrides.</summary>
    public DeliveryOptions For(string sinkId)
    {
        var resolved = new DeliveryOptions
        {
            Enabled = Enabled,
            MemoryBatches = MemoryBatches,
            Attempts = Attempts,
            InitialBackoff = InitialBackoff,
            MaxBackoff = MaxBackoff,
            SpillDirectory = SpillDirectory,
            MaxSpillBytes = MaxSpillBytes,
            SegmentBytes = SegmentBytes,
            Fsync = Fsync,
        };
        if (Overrides.TryGetValue(sinkId, out var own))
        {
            resolved.Enabled = own.Enabled ?? resolved.Enabled;
            resolved.MemoryBatches = own.MemoryBatches ?? resolved.MemoryBatches;
            resolved.Attempts = own.Attempts ?? resolved.Attempts;
            resolved.InitialBackoff = own.InitialBackoff ?? resolved.InitialBackoff;
            resolved.MaxBackoff = own.MaxBackoff ?? resolved.MaxBackoff;
            resolved.SpillDirectory = own.SpillDirectory ?? resolved.SpillDirectory;
            resolved.MaxSpillBytes = own.MaxSpillBytes ?? resolved.MaxSpillBytes;
            resolved.SegmentBytes = own.SegmentBytes ?? resolved.SegmentBytes;
            resolved.Fsync = own.Fsync ?? resolved.Fsync;
        }

        return resolved;
    }
}

/// <summary>One sink's changes to <see cref="DeliveryOptions"/> (<c>Sinks:Delivery:Overrides:&lt;sinkId&gt;</c>).</summary>
public sealed class DeliveryOverride
{
    public bool? Enabled { get; set; }

    public int? MemoryBatches { get; set; }

    public int? Attempts { get; set; }

    public TimeSpan? InitialBackoff { get; set; }

    public TimeSpan? MaxBackoff { get; set; }

    public string? SpillDirectory { get; set; }

    public long? MaxSpillBytes { get; set; }

    public long? SegmentBytes { get; set; }

    public SpillFsync? Fsync { get; set; }
}

/// <summary>Rejects <see cref="DeliveryOptions"/> at start-up with messages naming the key (overrides checked as resolved).</summary>
public sealed class DeliveryOptionsValidator : IValidateOptions<DeliveryOptions>
{
    public ValidateOptionsResult Validate(string? name, DeliveryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        Check(DeliveryOptions.SectionName, options, failures);
        foreach (string sinkId in options.Overrides.Keys)
        {
            Check($"{DeliveryOptions.SectionName}:Overrides:{sinkId}", options.For(sinkId), failures);
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Check(string section, DeliveryOptions options, List<string> failures)
    {
        if (options.MemoryBatches is < 1 or > 1024)
        {
            failures.Add($"{section}:MemoryBatches must be between 1 and 1024 (got {options.MemoryBatches}).");
        }

        if (options.Attempts is < 1 or > 100)
        {
            failures.Add($"{section}:Attempts must be between 1 and 100 (got {options.Attempts}).");
        }

        if (options.InitialBackoff <= TimeSpan.Zero || options.MaxBackoff < options.InitialBackoff)
        {
            failures.Add($"{section}:InitialBackoff must be positive and not above {section}:MaxBackoff.");
        }

        if (options.SpillDirectory.AsSpan().IndexOfAny(Path.GetInvalidPathChars()) >= 0)
        {
            failures.Add($"{section}:SpillDirectory '{options.SpillDirectory}' contains characters not allowed in a path.");
        }

        if (options.MaxSpillBytes < 4096)
        {
            failures.Add($"{section}:MaxSpillBytes must be at least 4096 (got {options.MaxSpillBytes}).");
        }

        if (options.SegmentBytes < 1024)
        {
            failures.Add($"{section}:SegmentBytes must be at least 1024 (got {options.SegmentBytes}).");
        }

        if (!Enum.IsDefined(options.Fsync))
        {
            failures.Add($"{section}:Fsync must be Always or Never (got {options.Fsync}).");
        }
    }
}
