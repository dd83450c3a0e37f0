using System.Buffers.Text;
using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using NetSecStream.Core.Ecs;
using NetSecStream.Core.Events;
using NetSecStream.Core.Telemetry;

namespace NetSecStream.Control.Store;

/// <summary>
/// The triage store: alerts with their triage state and history, API tokens, the audit log and rule overrides, in one
/// SQLite file (WAL: readers never wait for the writer). Alerts are unique by alert id, so a redelivered Kafka message
/// is stored once. The alert list pages by keyset (time, row id), not OFFSET, so a deep page costs what the first does.
/// The ECS document (about 2 KB, stored Brotli-compressed) lives in its own table: list queries that scan past non-matching rows then read
/// rows of a couple of hundred bytes. Each filter's index is ordered by time and carries the other filter columns, so a
/// combination of filters is checked in the index and only matching rows are read from the table (measured on
/// 1,000,000 alerts: a rare namespace + detector + state combination from 25 ms to 2 ms; bench/RESULTS.md).
/// </summary>
public sealed partial class TriageStore
{
    /// <summary>Numbered schema migrations; a store records the ones it ran and runs only the newer ones.</summary>
    internal static readonly string[] Migrations =
    [
        """
        CREATE TABLE alerts (
            id TEXT NOT NULL UNIQUE,
            ts INTEGER NOT NULL,
            detector TEXT NOT NULL,
            rule_id TEXT NOT NULL,
            rule_name TEXT NOT NULL,
            severity INTEGER NOT NULL,
            risk REAL NOT NULL,
            mode TEXT NOT NULL,
            namespace TEXT,
            workload TEXT,
            src_ip TEXT NOT NULL,
            src_port INTEGER NOT NULL,
            dst_ip TEXT NOT NULL,
            dst_port INTEGER NOT NULL,
            community_id TEXT,
            dedupe_count INTEGER NOT NULL,
            explanation TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'new',
            assignee TEXT,
            updated_at INTEGER);
        CREATE TABLE alert_docs (
            alert_rowid INTEGER PRIMARY KEY,
            doc BLOB NOT NULL);
        CREATE INDEX alerts_ts ON alerts (ts DESC);
        CREATE INDEX alerts_namespace_ts ON alerts (namespace, ts DESC, detector, severity, state, rule_id);
        CREATE INDEX alerts_detector_ts ON alerts (detector, ts DESC, namespace, severity, state, rule_id);
        CREATE INDEX alerts_rule_ts ON alerts (rule_id, ts DESC, namespace, detector, severity, state);
        CREATE INDEX alerts_severity_ts ON alerts (severity, ts DESC, namespace, detector, state, rule_id);
        CREATE INDEX alerts_state_ts ON alerts (state, ts DESC, namespace, detector, severity, rule_id);
        CREATE TABLE triage_events (
            alert_rowid INTEGER NOT NULL,
            at INTEGER NOT NULL,
            actor TEXT NOT NULL,
            from_state TEXT NOT NULL,
            to_state TEXT NOT NULL,
            assignee TEXT,
            comment TEXT);
        CREATE INDEX triage_events_alert ON triage_events (alert_rowid);
        CREATE TABLE audit (
            id INTEGER PRIMARY KEY,
            at INTEGER NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            target TEXT NOT NULL,
            details TEXT);
        CREATE TABLE tokens (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            role TEXT NOT NULL,
            hash TEXT NOT NULL UNIQUE,
            created_at INTEGER NOT NULL,
            last_used_at INTEGER,
            revoked INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE rule_overrides (
            sid INTEGER PRIMARY KEY,
            enabled INTEGER NOT NULL,
            actor TEXT NOT NULL,
            at INTEGER NOT NULL);
        """,
    ];

    private const string SummaryColumns =
        "rowid, id, ts, detector, rule_id, rule_name, severity, risk, mode, namespace, workload, src_ip, src_port, dst_ip, dst_port, community_id, dedupe_count, state, assignee, updated_at";

    private readonly string _connectionString;
    private readonly TimeProvider _time;

    public TriageStore(string path, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = System.IO.Path.GetFullPath(path);
        _time = time ?? TimeProvider.System;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public string Path { get; }

    /// <summary>Schema version after <see cref="Open"/>.</summary>
    public int SchemaVersion { get; private set; }

    /// <summary>Creates the file and its folder when missing, turns on WAL and runs pending migrations.</summary>
    public void Open()
    {
        string? folder = System.IO.Path.GetDirectoryName(Path);
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
        }

        using var connection = Connect();
        Execute(connection, "PRAGMA journal_mode=WAL;");
        Execute(connection, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL);");
        using (var read = connection.CreateCommand())
        {
            read.CommandText = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations;";
            SchemaVersion = Convert.ToInt32(read.ExecuteScalar(), CultureInfo.InvariantCulture);
        }

        if (SchemaVersion > Migrations.Length)
        {
            throw new InvalidOperationException($"triage store {Path} has schema version {SchemaVersion}, newer than this build knows ({Migrations.Length}); use a newer netsec");
        }

        for (int version = SchemaVersion + 1; version <= Migrations.Length; version++)
        {
            using var transaction = connection.BeginTransaction();
            using (var migrate = connection.CreateCommand())
            {
                migrate.Transaction = transaction;
                migrate.CommandText = Migrations[version - 1];
                migrate.ExecuteNonQuery();
            }

            using (var record = connection.CreateCommand())
            {
                record.Transaction = transaction;
                record.CommandText = "INSERT INTO schema_migrations (version, applied_at) VALUES ($v, $at);";
                record.Parameters.AddWithValue("$v", version);
                record.Parameters.AddWithValue("$at", NowMs());
                record.ExecuteNonQuery();
            }

            transaction.Commit();
            SchemaVersion = version;
        }

        // Keeps the planner's statistics current, so a filter combination picks its most selective index.
        Execute(connection, "PRAGMA optimize=0x10002;");
    }

    /// <summary>Stores alerts in one transaction; ids already stored are skipped. Returns how many were new.</summary>
    public int InsertAlerts(IReadOnlyList<Alert> alerts)
    {
        ArgumentNullException.ThrowIfNull(alerts);
        if (alerts.Count == 0)
        {
            return 0;
        }

        using var connection = Connect();
        using var transaction = connection.BeginTransaction();
        using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = """
            INSERT OR IGNORE INTO alerts (id, ts, detector, rule_id, rule_name, severity, risk, mode, namespace, workload,
                src_ip, src_port, dst_ip, dst_port, community_id, dedupe_count, explanation)
            VALUES ($id, $ts, $detector, $rule_id, $rule_name, $severity, $risk, $mode, $namespace, $workload,
                $src_ip, $src_port, $dst_ip, $dst_port, $community_id, $dedupe_count, $explanation)
            RETURNING rowid;
            """;
        string[] names = ["$id", "$ts", "$detector", "$rule_id", "$rule_name", "$severity", "$risk", "$mode", "$namespace", "$workload",
            "$src_ip", "$src_port", "$dst_ip", "$dst_port", "$community_id", "$dedupe_count", "$explanation"];
        var parameters = names.Select(n => insert.Parameters.Add(n, SqliteType.Text)).ToArray();
        insert.Prepare();
        using var insertDoc = connection.CreateCommand();
        insertDoc.Transaction = transaction;
        insertDoc.CommandText = "INSERT INTO alert_docs (alert_rowid, doc) VALUES ($r, $doc);";
        var docRowId = insertDoc.Parameters.Add("$r", SqliteType.Integer);
        var docBytes = insertDoc.Parameters.Add("$doc", SqliteType.Blob);
        insertDoc.Prepare();
        int added = 0;
        foreach (var alert in alerts)
        {
            var flow = alert.Flow;
            var subject = flow.Source.Namespace is not null || flow.Source.Pod is not null ? flow.Source : flow.Destination;
            object?[] values =
            [
                alert.Id, alert.Timestamp.ToUnixTimeMilliseconds(), alert.Detector, alert.RuleId, alert.RuleName, alert.Severity,
                alert.RiskScore, ModeNames.ToName(alert.Mode), subject.Namespace, subject.Workload,
                flow.Source.Ip.ToString(), (int)flow.Source.Port, flow.Destination.Ip.ToString(), (int)flow.Destination.Port,
                flow.CommunityId, alert.DedupeCount, alert.Explanation,
            ];
            for (int i = 0; i < values.Length; i++)
            {
                parameters[i].Value = values[i] ?? DBNull.Value;
            }

            // RETURNING yields no row when the id was stored already (INSERT OR IGNORE): no document then either.
            if (insert.ExecuteScalar() is long rowId)
            {
                docRowId.Value = rowId;
                docBytes.Value = CompressDocument(EcsJson.SerializeAlert(alert));
                insertDoc.ExecuteNonQuery();
                added++;
            }
        }

        transaction.Commit();
        return added;
    }

    public long CountAlerts()
    {
        using var connection = Connect();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM alerts;";
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    /// <summary>Newest first; <paramref name="cursor"/> (from the previous page) continues after its last alert.</summary>
    public AlertPage ListAlerts(AlertFilter filter, int limit, string? cursor)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        (long Ts, long RowId)? after = null;
        if (cursor is not null)
        {
            after = TryDecodeCursor(cursor, out var decoded) ? decoded : throw new FormatException("cursor is not one this API returned");
        }

        using var connection = Connect();
        using var command = connection.CreateCommand();
        var where = new List<string>();
        if (filter.From is { } from)
        {
            where.Add("ts >= $from");
            command.Parameters.AddWithValue("$from", from.ToUnixTimeMilliseconds());
        }

        if (filter.To is { } to)
        {
            where.Add("ts < $to");
            command.Parameters.AddWithValue("$to", to.ToUnixTimeMilliseconds());
        }

        AddEquals(command, where, "namespace", "$namespace", filter.Namespace);
        AddEquals(command, where, "detector", "$detector", filter.Detector);
        AddEquals(command, where, "rule_id", "$rule_id", filter.RuleId);
        AddEquals(command, where, "severity", "$severity", filter.Severity);
        AddEquals(command, where, "state", "$state", filter.State);
        if (after is { } position)
        {
            where.Add("(ts < $cursor_ts OR (ts = $cursor_ts AND rowid < $cursor_rowid))");
            command.Parameters.AddWithValue("$cursor_ts", position.Ts);
            command.Parameters.AddWithValue("$cursor_rowid", position.RowId);
        }

        command.CommandText = $"SELECT {SummaryColumns} FROM alerts {(where.Count > 0 ? "WHERE " + string.Join(" AND ", where) : "")} ORDER BY ts DESC, rowid DESC LIMIT $limit;";
        command.Parameters.AddWithValue("$limit", limit + 1);
        var items = new List<AlertSummary>(Math.Min(limit + 1, 1024));
        long lastTs = 0, lastRowId = 0;
        bool more = false;
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                if (items.Count == limit)
                {
                    more = true;
                    break;
                }

                lastRowId = reader.GetInt64(0);
                lastTs = reader.GetInt64(2);
                items.Add(ReadSummary(reader));
            }
        }

        return new AlertPage(items, more ? EncodeCursor(lastTs, lastRowId) : null);
    }

    public AlertDetail? GetAlert(string id)
    {
        using var connection = Connect();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {SummaryColumns}, explanation, (SELECT doc FROM alert_docs WHERE alert_rowid = alerts.rowid) FROM alerts WHERE id = $id;";
        command.Parameters.AddWithValue("$id", id);
        AlertSummary summary;
        string explanation;
        JsonElement ecs;
        long rowId;
        using (var reader = command.ExecuteReader())
        {
            if (!reader.Read())
            {
                return null;
            }

            rowId = reader.GetInt64(0);
            summary = ReadSummary(reader);
            explanation = reader.GetString(20);
            using var doc = JsonDocument.Parse(DecompressDocument((byte[])reader.GetValue(21)));
            ecs = doc.RootElement.Clone();
        }

        var history = new List<TriageEvent>();
        using var events = connection.CreateCommand();
        events.CommandText = "SELECT at, actor, from_state, to_state, assignee, comment FROM triage_events WHERE alert_rowid = $r ORDER BY rowid;";
        events.Parameters.AddWithValue("$r", rowId);
        using (var reader = events.ExecuteReader())
        {
            while (reader.Read())
            {
                history.Add(new TriageEvent(FromMs(reader.GetInt64(0)), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                    reader.IsDBNull(4) ? null : reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5)));
            }
        }

        return new AlertDetail(summary, explanation, ecs, history);
    }

    /// <summary>
    /// Moves alerts to <paramref name="to"/>, each only from a state that allows it, records the step in the alert's
    /// history and the audit log, all in one transaction. Returns each id's outcome in order.
    /// </summary>
    public IReadOnlyList<TransitionResult> Transition(IReadOnlyList<string> ids, string to, string actor, string? assignee, string? comment)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var results = new List<TransitionResult>(ids.Count);
        long now = NowMs();
        using var connection = Connect();
        using var transaction = connection.BeginTransaction(deferred: false);
        foreach (string id in ids)
        {
            long rowId;
            string from;
            using (var read = connection.CreateCommand())
            {
                read.Transaction = transaction;
                read.CommandText = "SELECT rowid, state FROM alerts WHERE id = $id;";
                read.Parameters.AddWithValue("$id", id);
                using var reader = read.ExecuteReader();
                if (!reader.Read())
                {
                    results.Add(TransitionResult.NotFound);
                    continue;
                }

                rowId = reader.GetInt64(0);
                from = reader.GetString(1);
            }

            if (!TriageStates.CanMove(from, to))
            {
                results.Add(TransitionResult.Conflict);
                continue;
            }

            using (var update = connection.CreateCommand())
            {
                update.Transaction = transaction;
                update.CommandText = "UPDATE alerts SET state = $to, assignee = COALESCE($assignee, assignee), updated_at = $now WHERE rowid = $r;";
                update.Parameters.AddWithValue("$to", to);
                update.Parameters.AddWithValue("$assignee", (object?)assignee ?? DBNull.Value);
                update.Parameters.AddWithValue("$now", now);
                update.Parameters.AddWithValue("$r", rowId);
                update.ExecuteNonQuery();
            }

            using (var history = connection.CreateCommand())
            {
                history.Transaction = transaction;
                history.CommandText = "INSERT INTO triage_events (alert_rowid, at, actor, from_state, to_state, assignee, comment) VALUES ($r, $now, $actor, $from, $to, $assignee, $comment);";
                history.Parameters.AddWithValue("$r", rowId);
                history.Parameters.AddWithValue("$now", now);
                history.Parameters.AddWithValue("$actor", actor);
                history.Parameters.AddWithValue("$from", from);
                history.Parameters.AddWithValue("$to", to);
                history.Parameters.AddWithValue("$assignee", (object?)assignee ?? DBNull.Value);
                history.Parameters.AddWithValue("$comment", (object?)comment ?? DBNull.Value);
                history.ExecuteNonQuery();
            }

            AppendAudit(connection, transaction, actor, "alert.transition", id,
                JsonSerializer.Serialize(new Dictionary<string, string?> { ["from"] = from, ["to"] = to, ["assignee"] = assignee, ["comment"] = comment }), now);
            results.Add(TransitionResult.Done);
        }

        transaction.Commit();
        return results;
    }

    /// <summary>
    /// Triage outcomes for model retraining, in the labels format <c>netsec export --labels</c> reads: one
    /// <c>{"community_id": ..., "outcome": "true_positive" | "false_positive"}</c> line per flow (resolved alerts are true
    /// positives). Where a flow's alerts disagree the latest decision wins. Returns the lines written.
    /// </summary>
    public long ExportLabels(TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        using var connection = Connect();
        using var command = connection.CreateCommand();
        // SQLite takes the bare column of the row holding MAX(): the latest decision of each flow.
        command.CommandText = """
            SELECT community_id, state, MAX(updated_at) FROM alerts
            WHERE state IN ('resolved', 'false_positive') AND community_id IS NOT NULL AND community_id <> ''
            GROUP BY community_id ORDER BY community_id;
            """;
        using var reader = command.ExecuteReader();
        long lines = 0;
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        while (reader.Read())
        {
            buffer.ResetWrittenCount();
            using (var json = new Utf8JsonWriter(buffer))
            {
                json.WriteStartObject();
                json.WriteString("community_id", reader.GetString(0));
                json.WriteString("outcome", reader.GetString(1) == TriageStates.Resolved ? "true_positive" : "false_positive");
                json.WriteEndObject();
            }

            writer.Write(Encoding.UTF8.GetString(buffer.WrittenSpan));
            writer.Write('\n');
            lines++;
        }

        return lines;
    }

    public void Audit(string actor, string action, string target, string? details)
    {
        using var connection = Connect();
        AppendAudit(connection, null, actor, action, target, details, NowMs());
    }

    /// <summary>Newest first, before <paramref name="beforeId"/> when given.</summary>
    public IReadOnlyList<AuditEntry> ReadAudit(int limit, long? beforeId)
    {
        using var connection = Connect();
        using var command = connection.CreateCommand();
        command.CommandText = beforeId is null
            ? "SELECT id, at, actor, action, target, details FROM audit ORDER BY id DESC LIMIT $limit;"
            : "SELECT id, at, actor, action, target, details FROM audit WHERE id < $before ORDER BY id DESC LIMIT $limit;";
        command.Parameters.AddWithValue("$limit", limit);
        if (beforeId is { } before)
        {
            command.Parameters.AddWithValue("$before", before);
        }

        return ReadAudit(command);
    }

    /// <summary>Audit rows of a query selecting id, at, actor, action, target, details.</summary>
    private static List<AuditEntry> ReadAudit(SqliteCommand command)
    {
        var entries = new List<AuditEntry>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            entries.Add(new AuditEntry(reader.GetInt64(0), FromMs(reader.GetInt64(1)), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetString(5)));
        }

        return entries;
    }

    /// <summary>Creates a token and returns its secret, which is not stored (only its SHA-256 is): shown once.</summary>
    public (TokenInfo Info, string Secret) CreateToken(ControlRole role, string name, string actor)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        string secret = "nss_" + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        long now = NowMs();
        using var connection = Connect();
        using var transaction = connection.BeginTransaction();
        long id;
        using (var insert = connection.CreateCommand())
        {
            insert.Transaction = transaction;
            insert.CommandText = "INSERT INTO tokens (name, role, hash, created_at) VALUES ($name, $role, $hash, $now) RETURNING id;";
            insert.Parameters.AddWithValue("$name", name);
            insert.Parameters.AddWithValue("$role", ControlRoles.ToName(role));
            insert.Parameters.AddWithValue("$hash", HashToken(secret));
            insert.Parameters.AddWithValue("$now", now);
            id = Convert.ToInt64(insert.ExecuteScalar(), CultureInfo.InvariantCulture);
        }

        AppendAudit(connection, transaction, actor, "token.create", "token/" + id.ToString(CultureInfo.InvariantCulture),
            JsonSerializer.Serialize(new Dictionary<string, string> { ["name"] = name, ["role"] = ControlRoles.ToName(role) }), now);
        transaction.Commit();
        return (new TokenInfo(id, name, ControlRoles.ToName(role), FromMs(now), null, false), secret);
    }

    /// <summary>The token's id, name and role when the secret is a live token; marks it used (at most once a minute).</summary>
    public TokenInfo? FindToken(string secret)
    {
        using var connection = Connect();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, name, role, created_at, last_used_at, revoked FROM tokens WHERE hash = $hash;";
        command.Parameters.AddWithValue("$hash", HashToken(secret));
        TokenInfo info;
        using (var reader = command.ExecuteReader())
        {
            if (!reader.Read() || reader.GetInt64(5) != 0)
            {
                return null;
            }

            info = new TokenInfo(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), FromMs(reader.GetInt64(3)),
                reader.IsDBNull(4) ? null : FromMs(reader.GetInt64(4)), false);
        }

        long now = NowMs();
        if (info.LastUsedAt is null || now - info.LastUsedAt.Value.ToUnixTimeMilliseconds() > 60_000)
        {
            using var touch = connection.CreateCommand();
            touch.CommandText = "UPDATE tokens SET last_used_at = $now WHERE id = $id;";
            touch.Parameters.AddWithValue("$now", now);
            touch.Parameters.AddWithValue("$id", info.Id);
            touch.ExecuteNonQuery();
        }

        return info;
    }

    public bool IsTokenLive(long id)
    {
        using var connection = Connect();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM tokens WHERE id = $id AND revoked = 0;";
        command.Parameters.AddWithValue("$id", id);
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture) > 0;
    }

    public IReadOnlyList<TokenInfo> ListTokens()
    {
        using var connection = Connect();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, name, role, created_at, last_used_at, revoked FROM tokens ORDER BY id;";
        var tokens = new List<TokenInfo>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            tokens.Add(new TokenInfo(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), FromMs(reader.GetInt64(3)),
                reader.IsDBNull(4) ? null : FromMs(reader.GetInt64(4)), reader.GetInt64(5) != 0));
        }

        return tokens;
    }

    /// <summary>Revokes a token; false when there is no such live token.</summary>
    public bool RevokeToken(long id, string actor)
    {
        using var connection = Connect();
        using var transaction = connection.BeginTransaction();
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "UPDATE tokens SET revoked = 1 WHERE id = $id AND revoked = 0;";
        command.Parameters.AddWithValue("$id", id);
        if (command.ExecuteNonQuery() == 0)
        {
            return false;
        }

        AppendAudit(connection, transaction, actor, "token.revoke", "token/" + id.ToString(CultureInfo.InvariantCulture), null, NowMs());
        transaction.Commit();
        return true;
    }

    /// <summary>Enables or disables a signature rule by sid, with an audit entry.</summary>
    public void SetRuleEnabled(long sid, bool enabled, string actor)
    {
        long now = NowMs();
        using var connection = Connect();
        using var transaction = connection.BeginTransaction();
        using (var command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = "INSERT INTO rule_overrides (sid, enabled, actor, at) VALUES ($sid, $enabled, $actor, $now) ON CONFLICT(sid) DO UPDATE SET enabled = excluded.enabled, actor = excluded.actor, at = excluded.at;";
            command.Parameters.AddWithValue("$sid", sid);
            command.Parameters.AddWithValue("$enabled", enabled ? 1 : 0);
            command.Parameters.AddWithValue("$actor", actor);
            command.Parameters.AddWithValue("$now", now);
            command.ExecuteNonQuery();
        }

        AppendAudit(connection, transaction, actor, enabled ? "rule.enable" : "rule.disable", "sid/" + sid.ToString(CultureInfo.InvariantCulture), null, now);
        transaction.Commit();
    }

    /// <summary>Rules switched on or off through the API, by sid.</summary>
    public IReadOnlyDictionary<long, bool> RuleOverrides()
    {
        using var connection = Connect();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT sid, enabled FROM rule_overrides;";
        var overrides = new Dictionary<long, bool>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            overrides[reader.GetInt64(0)] = reader.GetInt64(1) != 0;
        }

        return overrides;
    }

    /// <summary>True when the file answers a query (readiness).</summary>
    public bool Ping()
    {
        try
        {
            using var connection = Connect();
            Execute(connection, "SELECT 1;");
            return true;
        }
        catch (SqliteException)
        {
            return false;
        }
    }

    /// <summary>
    /// ECS documents are kept Brotli-compressed at quality 1 (the fastest): about a third of their 2 KB, for a few
    /// microseconds per alert on the writer; only the detail view reads them.
    /// </summary>
    internal static byte[] CompressDocument(byte[] json)
    {
        var output = new byte[BrotliEncoder.GetMaxCompressedLength(json.Length)];
        return BrotliEncoder.TryCompress(json, output, out int written, quality: 1, window: 22)
            ? output[..written]
            : throw new InvalidOperationException("Brotli could not compress an ECS document");
    }

    internal static byte[] DecompressDocument(byte[] stored)
    {
        using var input = new MemoryStream(stored);
        using var brotli = new BrotliStream(input, CompressionMode.Decompress);
        using var output = new MemoryStream(stored.Length * 4);
        brotli.CopyTo(output);
        return output.ToArray();
    }

    internal static string HashToken(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    internal static string EncodeCursor(long ts, long rowId) =>
        Base64Url.EncodeToString(Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{ts}:{rowId}")));

    internal static bool TryDecodeCursor(string cursor, out (long Ts, long RowId) position)
    {
        position = default;
        if (cursor.Length is 0 or > 64)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[64];
        if (Base64Url.DecodeFromChars(cursor, bytes, out _, out int written) != System.Buffers.OperationStatus.Done)
        {
            return false;
        }

        string text = Encoding.ASCII.GetString(bytes[..written]);
        int colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon > 0 && long.TryParse(text.AsSpan(0, colon), NumberStyles.Integer, CultureInfo.InvariantCulture, out long ts)
            && long.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out long rowId))
        {
            position = (ts, rowId);
            return true;
        }

        return false;
    }

    private SqliteConnection Connect()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        // Several connections share the file (ingest writer, API requests): wait for the lock instead of failing.
        // Page cache and memory-mapped reads sized for a store of millions of alerts; both grow only as pages are used.
        Execute(connection, "PRAGMA busy_timeout=10000; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-32768; PRAGMA mmap_size=1073741824;");
        return connection;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static void AddEquals(SqliteCommand command, List<string> where, string column, string parameter, object? value)
    {
        if (value is not null)
        {
            where.Add($"{column} = {parameter}");
            command.Parameters.AddWithValue(parameter, value);
        }
    }

    private static void AppendAudit(SqliteConnection connection, SqliteTransaction? transaction, string actor, string action, string target, string? details, long at)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "INSERT INTO audit (at, actor, action, target, details) VALUES ($at, $actor, $action, $target, $details);";
        command.Parameters.AddWithValue("$at", at);
        command.Parameters.AddWithValue("$actor", actor);
        command.Parameters.AddWithValue("$action", action);
        command.Parameters.AddWithValue("$target", target);
        command.Parameters.AddWithValue("$details", (object?)details ?? DBNull.Value);
        command.ExecuteNonQuery();
    }

    private static AlertSummary ReadSummary(SqliteDataReader r) => new(
        r.GetString(1), FromMs(r.GetInt64(2)), r.GetString(3), r.GetString(4), r.GetString(5), r.GetInt32(6), r.GetDouble(7), r.GetString(8),
        r.IsDBNull(9) ? null : r.GetString(9), r.IsDBNull(10) ? null : r.GetString(10), r.GetString(11), r.GetInt32(12), r.GetString(13), r.GetInt32(14),
        r.IsDBNull(15) ? null : r.GetString(15), r.GetInt64(16), r.GetString(17), r.IsDBNull(18) ? null : r.GetString(18),
        r.IsDBNull(19) ? null : FromMs(r.GetInt64(19)));

    private long NowMs() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private static DateTimeOffset FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);
}
