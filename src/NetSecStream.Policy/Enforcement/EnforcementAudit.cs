using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace NetSecStream.Policy.Enforcement;

/// <summary>What the sync did with a block request or a block.</summary>
public static class AuditActions
{
    public const string Apply = "apply";
    public const string Extend = "extend";
    public const string SkipDuplicate = "skip-duplicate";
    public const string SkipAllowlisted = "skip-allowlisted";
    public const string SkipUnidentified = "skip-unidentified";
    public const string SkipRateLimited = "skip-rate-limited";
    public const string SkipCapacity = "skip-capacity";
    public const string SkipQueueFull = "skip-queue-full";
    public const string DryRun = "dry-run";
    public const string Expire = "expire";
    public const string Delete = "delete";
    public const string ReconcileAdopt = "reconcile-adopt";

    /// <summary>An operator removed a block before its expiry.</summary>
    public const string Revoke = "revoke";
    public const string Error = "error";
    public const string ApplyPolicy = "apply-policy";
    public const string DeletePolicy = "delete-policy";
}

/// <summary>One line of the audit log.</summary>
public sealed record EnforcementAuditEntry(
    [property: JsonPropertyName("time")] DateTimeOffset Time,
    [property: JsonPropertyName("action")] string Action,
    [property: JsonPropertyName("cluster")] string? Cluster,
    [property: JsonPropertyName("object")] string? ObjectReference,
    [property: JsonPropertyName("alert_id")] string? AlertId,
    [property: JsonPropertyName("reason")] string Reason)
{
    /// <summary>When the block lapses, for applies, extensions and adoptions.</summary>
    [JsonPropertyName("expires")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DateTimeOffset? Expires { get; init; }

    /// <summary>The offender (<c>cidr:...</c> or <c>pod:ns/labels</c>).</summary>
    [JsonPropertyName("peer")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Peer { get; init; }

    /// <summary>Who asked, for blocks and revokes made by an operator (the control plane's user); absent for the pipeline's own.</summary>
    [JsonPropertyName("actor")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Actor { get; init; }

    /// <summary>What the action would have been, for dry-run entries.</summary>
    [JsonPropertyName("would")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Would { get; init; }
}

/// <summary>Where audit entries go. Implementations are called from the sync loop and from alert sinks at once.</summary>
public interface IEnforcementAudit
{
    void Record(EnforcementAuditEntry entry);
}

/// <summary>
/// Appends one JSON line per entry to a file, flushed each time: the record of what was blocked and why must survive
/// a crash of the process that did it. A failed write (disk full) is counted in <see cref="Failures"/>, not thrown:
/// enforcement goes on, and its metrics still count every action.
/// </summary>
public sealed class JsonLinesEnforcementAudit : IEnforcementAudit, IDisposable
{
    // Reasons quote indicators and rules ('...'): keep them readable; the file is read by people and log shippers, not browsers.
    private static readonly JsonSerializerOptions LineOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        TypeInfoResolver = AuditJsonContext.Default,
    };

    private readonly Lock _lock = new();
    private readonly FileStream _stream;

    public JsonLinesEnforcementAudit(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        _stream = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read);
    }

    public string Path { get; }

    /// <summary>Entries that could not be written (disk full, file gone).</summary>
    public long Failures { get; private set; }

    public void Record(EnforcementAuditEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        byte[] line = JsonSerializer.SerializeToUtf8Bytes(entry, LineOptions);
        lock (_lock)
        {
            try
            {
                _stream.Write(line);
                _stream.WriteByte((byte)'\n');
                _stream.Flush(flushToDisk: false);
            }
            catch (IOException)
            {
                Failures++;
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _stream.Dispose();
        }
    }

    /// <summary>Reads an audit log back (tests, tools); lines that are not entries are skipped.</summary>
    public static IReadOnlyList<EnforcementAuditEntry> Read(string path)
    {
        var entries = new List<EnforcementAuditEntry>();
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } line)
        {
            try
            {
                if (JsonSerializer.Deserialize(line, AuditJsonContext.Default.EnforcementAuditEntry) is { } entry)
                {
                    entries.Add(entry);
                }
            }
            catch (JsonException)
            {
                // A line cut by a crash mid-write.
            }
        }

        return entries;
    }
}

[JsonSerializable(typeof(EnforcementAuditEntry))]
internal sealed partial class AuditJsonContext : JsonSerializerContext;
