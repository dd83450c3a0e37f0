using System.Text.Json.Serialization;

namespace NetSecStream.Control.Store;

/// <summary>Alerts about one workload of a namespace (<see cref="Workload"/> null: alerts that named no workload).</summary>
public sealed record WorkloadActivity(
    [property: JsonPropertyName("namespace")] string Namespace,
    [property: JsonPropertyName("workload")] string? Workload,
    [property: JsonPropertyName("alerts_24h")] long AlertsLastDay,
    [property: JsonPropertyName("last_seen")] DateTimeOffset LastSeen);

/// <summary>What the namespace page reads: which namespaces and workloads alerts have named, and how often lately.</summary>
public sealed partial class TriageStore
{
    /// <summary>
    /// Every (namespace, workload) an alert named since <paramref name="seenSince"/>, with its alert count since
    /// <paramref name="countSince"/>; at most <paramref name="limit"/> pairs, the most recently seen first.
    /// </summary>
    public IReadOnlyList<WorkloadActivity> WorkloadActivity(DateTimeOffset seenSince, DateTimeOffset countSince, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        using var connection = Connect();
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT namespace, workload, SUM(ts >= $count), MAX(ts) FROM alerts
            WHERE ts >= $seen AND namespace IS NOT NULL
            GROUP BY namespace, workload ORDER BY MAX(ts) DESC LIMIT $limit;
            """;
        command.Parameters.AddWithValue("$seen", seenSince.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$count", countSince.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$limit", limit);
        var rows = new List<WorkloadActivity>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            rows.Add(new WorkloadActivity(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetInt64(2), FromMs(reader.GetInt64(3))));
        }

        return rows;
    }

    /// <summary>The newest alert that named <paramref name="workload"/> in <paramref name="ns"/>, or null.</summary>
    public string? LatestAlertIdFor(string ns, string workload)
    {
        using var connection = Connect();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT id FROM alerts WHERE namespace = $ns AND workload = $w ORDER BY ts DESC LIMIT 1;";
        command.Parameters.AddWithValue("$ns", ns);
        command.Parameters.AddWithValue("$w", workload);
        return command.ExecuteScalar() as string;
    }

    /// <summary>
    /// Newest first, the audit entries whose action starts with <paramref name="actionPrefix"/> among the last
    /// <paramref name="window"/> entries of the log (the log has no index by action: the window bounds the scan).
    /// </summary>
    public IReadOnlyList<AuditEntry> RecentAudit(string actionPrefix, int window, int limit)
    {
        ArgumentException.ThrowIfNullOrEmpty(actionPrefix);
        using var connection = Connect();
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT id, at, actor, action, target, details FROM audit
            WHERE id > (SELECT COALESCE(MAX(id), 0) FROM audit) - $window AND substr(action, 1, length($prefix)) = $prefix
            ORDER BY id DESC LIMIT $limit;
            """;
        command.Parameters.AddWithValue("$window", window);
        command.Parameters.AddWithValue("$prefix", actionPrefix);
        command.Parameters.AddWithValue("$limit", limit);
        return ReadAudit(command);
    }
}
