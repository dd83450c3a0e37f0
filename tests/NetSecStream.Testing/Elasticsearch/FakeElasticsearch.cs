using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
#if !NETSEC_BENCH // The web SDK imports these implicitly.
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
#endif

#if NETSEC_BENCH
namespace NetSecStream.Cli.Commands.Bench;
#else
namespace NetSecStream.Testing.Elasticsearch;
#endif

/// <summary>How the fake cluster misbehaves; every setting may be changed while it runs.</summary>
public sealed class ElasticsearchFaults
{
    private int _rejectNextBulkRequests;
    private int _loseNextBulkResponses;

    /// <summary>The next N requests to <c>_bulk</c> answer with <see cref="RejectStatus"/> (a 429 storm, a run of 503s).</summary>
    public int RejectNextBulkRequests
    {
        get => Volatile.Read(ref _rejectNextBulkRequests);
        set => Volatile.Write(ref _rejectNextBulkRequests, value);
    }

    public int RejectStatus { get; set; } = 429;

    /// <summary>Until this time (on the server's clock) every request fails: 503, or the connection is dropped.</summary>
    public DateTimeOffset OutageUntil { get; set; } = DateTimeOffset.MinValue;

    public bool OutageDropsConnections { get; set; }

    /// <summary>Each request to <c>_bulk</c> is answered this much later (a slow or hanging cluster).</summary>
    public TimeSpan BulkDelay { get; set; }

    /// <summary>The next N bulk requests are indexed, then answered with 502: the client never learns they succeeded.</summary>
    public int LoseNextBulkResponses
    {
        get => Volatile.Read(ref _loseNextBulkResponses);
        set => Volatile.Write(ref _loseNextBulkResponses, value);
    }

    internal bool TakeRejection() => Interlocked.Decrement(ref _rejectNextBulkRequests) >= 0 || Fix(ref _rejectNextBulkRequests);

    internal bool TakeLostResponse() => Interlocked.Decrement(ref _loseNextBulkResponses) >= 0 || Fix(ref _loseNextBulkResponses);

    private static bool Fix(ref int counter)
    {
        Interlocked.CompareExchange(ref counter, 0, -1);
        if (Volatile.Read(ref counter) < 0)
        {
            Volatile.Write(ref counter, 0);
        }

        return false;
    }

    /// <summary>Bulk bodies larger than this are refused with 413, as <c>http.max_content_length</c> does; 0 = no limit.</summary>
    public long MaxBulkBodyBytes { get; set; }

    /// <summary>A status to answer for one item instead of indexing it (by data stream and _id); null indexes it.</summary>
    public Func<string, string, int?>? ItemStatus { get; set; }
}

/// <summary>
/// An in-process Elasticsearch (Kestrel on a loopback port) speaking as much of the REST API as the
/// <c>elasticsearch</c> sink uses: <c>/</c>, <c>_cluster/health</c>, <c>_index_template</c>, <c>_ilm/policy</c> and
/// <c>_bulk</c> (NDJSON, <c>create</c>/<c>index</c> with <c>_id</c>, per-item results and the <c>errors</c> flag). It keeps
/// documents by data stream and <c>_id</c> and counts every create of an existing <c>_id</c>, so a duplicate is visible,
/// and injects faults on demand (<see cref="Faults"/>).
/// </summary>
public sealed class FakeElasticsearch : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, byte[]>> _streams = new(StringComparer.Ordinal);
    private long _bulkRequests;
    private long _conflicts;
    private long _templatePuts;

    private FakeElasticsearch(WebApplication app, TimeProvider time)
    {
        _app = app;
        _time = time;
    }

    public string Url { get; private set; } = "";

    public ElasticsearchFaults Faults { get; } = new();

    /// <summary>Index templates and ILM policies as last PUT, by name.</summary>
    public ConcurrentDictionary<string, string> Templates { get; } = new(StringComparer.Ordinal);

    public ConcurrentDictionary<string, string> Policies { get; } = new(StringComparer.Ordinal);

    public long BulkRequests => Interlocked.Read(ref _bulkRequests);

    /// <summary>The Authorization header of the last request (API key or basic credentials), or null.</summary>
    public string? LastAuthorization { get; private set; }

    /// <summary>Creates of an <c>_id</c> already stored (answered 409): a client that retries safely causes these, never duplicates.</summary>
    public long Conflicts => Interlocked.Read(ref _conflicts);

    /// <summary>PUTs of templates and policies: an idempotent installer does none when nothing changed.</summary>
    public long TemplatePuts => Interlocked.Read(ref _templatePuts);

    /// <summary>Refuse the <c>compatible-with=9</c> media type, as Elasticsearch 8 does (on by default: the sink must work with 8.x).</summary>
    public bool RejectCompatibilityHeaders { get; set; } = true;

    /// <summary>Set true to also check that each document carries <c>@timestamp</c> (a data stream refuses it otherwise).</summary>
    public bool RequireTimestamp { get; set; } = true;

    public IReadOnlyCollection<string> DataStreams => [.. _streams.Keys];

    public int DocumentCount => _streams.Values.Sum(s => s.Count);

    /// <summary>Documents of one data stream by <c>_id</c>.</summary>
    public IReadOnlyDictionary<string, byte[]> Documents(string dataStream) =>
        _streams.TryGetValue(dataStream, out var docs) ? docs : new Dictionary<string, byte[]>();

    public IEnumerable<(string DataStream, string Id, byte[] Source)> AllDocuments() =>
        _streams.SelectMany(s => s.Value.Select(d => (s.Key, d.Key, d.Value)));

    public static async Task<FakeElasticsearch> StartAsync(TimeProvider? time = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0);
            k.Limits.MaxRequestBodySize = null;
        });
        var app = builder.Build();
        var fake = new FakeElasticsearch(app, time ?? TimeProvider.System);
        app.Run(fake.ServeAsync);
        await app.StartAsync().ConfigureAwait(false);
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        fake.Url = address.Replace("[::1]", "127.0.0.1", StringComparison.Ordinal);
        return fake;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private async Task ServeAsync(HttpContext context)
    {
        try
        {
            await RouteAsync(context).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // A fake server answers every failure of its own with a 500 that says what went wrong.
        catch (Exception ex) when (!context.Response.HasStarted)
#pragma warning restore CA1031
        {
            await Answer(context.Response, 500, JsonSerializer.Serialize(new { error = new { type = "fake_failure", reason = ex.ToString() }, status = 500 })).ConfigureAwait(false);
        }
    }

    private async Task RouteAsync(HttpContext context)
    {
        LastAuthorization = context.Request.Headers.Authorization.ToString() is { Length: > 0 } authorization ? authorization : null;
        if (RejectCompatibilityHeaders && (context.Request.Headers.Accept.ToString() + context.Request.ContentType).Contains("compatible-with=9", StringComparison.Ordinal))
        {
            // As Elasticsearch 8 answers a 9.x client's default media type.
            await Answer(context.Response, 400, """{"error":{"type":"media_type_header_exception","reason":"Invalid media-type value on headers [Accept, Content-Type]"},"status":400}""").ConfigureAwait(false);
            return;
        }
        if (context.Request.Headers.ContentEncoding.ToString().Contains("gzip", StringComparison.OrdinalIgnoreCase))
        {
            // As Elasticsearch does (http.compression): the client compresses request bodies by default.
            context.Request.Body = new System.IO.Compression.GZipStream(context.Request.Body, System.IO.Compression.CompressionMode.Decompress);
        }

        var request = context.Request;
        var response = context.Response;
        response.Headers["X-Elastic-Product"] = "Elasticsearch";
        response.ContentType = "application/json";
        string path = request.Path.Value ?? "/";
        if (_time.GetUtcNow() < Faults.OutageUntil)
        {
            if (Faults.OutageDropsConnections)
            {
                context.Abort();
                return;
            }

            await Answer(response, 503, """{"error":{"type":"unavailable","reason":"outage"},"status":503}""").ConfigureAwait(false);
            return;
        }

        if (path == "/_bulk" && request.Method == "POST")
        {
            await BulkAsync(context).ConfigureAwait(false);
        }
        else if (path == "/" && request.Method is "GET" or "HEAD")
        {
            await Answer(response, 200, """{"name":"fake","cluster_name":"netsec-fake","version":{"number":"9.1.0","build_flavor":"default"},"tagline":"You Know, for Search"}""").ConfigureAwait(false);
        }
        else if (path == "/_cluster/health")
        {
            await Answer(response, 200, """{"cluster_name":"netsec-fake","status":"green","number_of_nodes":1}""").ConfigureAwait(false);
        }
        else if (path.StartsWith("/_index_template/", StringComparison.Ordinal))
        {
            string name = path["/_index_template/".Length..];
            await StoredAsync(context, Templates, name, body => new JsonObject
            {
                ["index_templates"] = new JsonArray(new JsonObject { ["name"] = name, ["index_template"] = JsonNode.Parse(body) }),
            }).ConfigureAwait(false);
        }
        else if (path.StartsWith("/_ilm/policy/", StringComparison.Ordinal))
        {
            string name = path["/_ilm/policy/".Length..];
            await StoredAsync(context, Policies, name, body => new JsonObject
            {
                [name] = new JsonObject { ["version"] = 1, ["policy"] = JsonNode.Parse(body)!["policy"]!.DeepClone() },
            }).ConfigureAwait(false);
        }
        else
        {
            await Answer(response, 404, $$"""{"error":{"type":"not_found","reason":"fake: no handler for {{request.Method}} {{path}}"},"status":404}""").ConfigureAwait(false);
        }
    }

    private async Task StoredAsync(HttpContext context, ConcurrentDictionary<string, string> store, string name, Func<string, JsonObject> shape)
    {
        if (context.Request.Method == "PUT")
        {
            using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
            string body = await reader.ReadToEndAsync().ConfigureAwait(false);
            JsonNode.Parse(body);
            store[name] = body;
            Interlocked.Increment(ref _templatePuts);
            await Answer(context.Response, 200, """{"acknowledged":true}""").ConfigureAwait(false);
        }
        else if (store.TryGetValue(name, out string? stored))
        {
            await Answer(context.Response, 200, shape(stored).ToJsonString()).ConfigureAwait(false);
        }
        else
        {
            await Answer(context.Response, 404, "{}").ConfigureAwait(false);
        }
    }

    private async Task BulkAsync(HttpContext context)
    {
        Interlocked.Increment(ref _bulkRequests);
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted).ConfigureAwait(false);
        if (Faults.BulkDelay > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(Faults.BulkDelay, context.RequestAborted).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        if (Faults.MaxBulkBodyBytes > 0 && buffer.Length > Faults.MaxBulkBodyBytes)
        {
            await Answer(context.Response, 413, "").ConfigureAwait(false);
            return;
        }

        if (Faults.RejectNextBulkRequests > 0 && Faults.TakeRejection())
        {
            int status = Faults.RejectStatus;
            await Answer(context.Response, status, $$"""{"error":{"type":"{{(status == 429 ? "es_rejected_execution_exception" : "unavailable")}}","reason":"injected"},"status":{{status}}}""").ConfigureAwait(false);
            return;
        }

        bool loseResponse = Faults.LoseNextBulkResponses > 0 && Faults.TakeLostResponse();
        using var output = new MemoryStream();
        bool errors = false;
        using (var writer = new Utf8JsonWriter(output))
        {
            writer.WriteStartObject();
            writer.WriteNumber("took", 1);
            writer.WritePropertyName("items");
            writer.WriteStartArray();
            var body = buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
            int start = 0;
            while (start < body.Length)
            {
                var action = NextLine(body.Span, ref start);
                if (action.IsEmpty)
                {
                    continue;
                }

                var source = NextLine(body.Span, ref start);
                errors |= !Item(writer, action, source);
            }

            writer.WriteEndArray();
            writer.WriteBoolean("errors", errors);
            writer.WriteEndObject();
        }

        if (loseResponse)
        {
            await Answer(context.Response, 502, """{"error":"bad gateway (injected: the documents were indexed)"}""").ConfigureAwait(false);
            return;
        }

        context.Response.StatusCode = 200;
        await context.Response.Body.WriteAsync(output.GetBuffer().AsMemory(0, (int)output.Length)).ConfigureAwait(false);
    }

    /// <summary>Indexes one item and writes its result; false when it failed.</summary>
    private bool Item(Utf8JsonWriter writer, ReadOnlySpan<byte> actionLine, ReadOnlySpan<byte> source)
    {
        using var action = JsonDocument.Parse(actionLine.ToArray());
        var op = action.RootElement.EnumerateObject().First();
        string index = op.Value.GetProperty("_index").GetString()!;
        string id = op.Value.TryGetProperty("_id", out var idElement) ? idElement.GetString()! : Guid.NewGuid().ToString("N");
        int status;
        string? errorType = null;
        string? reason = null;
        if (Faults.ItemStatus?.Invoke(index, id) is { } injected)
        {
            status = injected;
            (errorType, reason) = injected == 429
                ? ("es_rejected_execution_exception", "rejected execution (injected)")
                : injected >= 500 ? ("node_not_connected_exception", "injected") : ("document_parsing_exception", "[1:2] failed to parse field [source.ip] of type [ip] (injected)");
        }
        else if (op.Name == "create" && !index.StartsWith('.') && !IsJsonWithTimestamp(source))
        {
            status = 400;
            (errorType, reason) = ("document_parsing_exception", "data stream timestamp field [@timestamp] is missing");
        }
        else
        {
            var stream = _streams.GetOrAdd(index, _ => new ConcurrentDictionary<string, byte[]>(StringComparer.Ordinal));
            if (op.Name == "create" && !stream.TryAdd(id, source.ToArray()))
            {
                Interlocked.Increment(ref _conflicts);
                status = 409;
                (errorType, reason) = ("version_conflict_engine_exception", $"[{id}]: version conflict, document already exists (current version [1])");
            }
            else
            {
                stream[id] = source.ToArray();
                status = 201;
            }
        }

        writer.WriteStartObject();
        writer.WritePropertyName(op.Name);
        writer.WriteStartObject();
        writer.WriteString("_index", index);
        writer.WriteString("_id", id);
        writer.WriteNumber("status", status);
        if (errorType is null)
        {
            writer.WriteString("result", "created");
        }
        else
        {
            writer.WritePropertyName("error");
            writer.WriteStartObject();
            writer.WriteString("type", errorType);
            writer.WriteString("reason", reason);
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
        return errorType is null;
    }

    private bool IsJsonWithTimestamp(ReadOnlySpan<byte> source)
    {
        try
        {
            using var doc = JsonDocument.Parse(source.ToArray());
            return !RequireTimestamp || doc.RootElement.TryGetProperty("@timestamp", out _);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static ReadOnlySpan<byte> NextLine(ReadOnlySpan<byte> body, ref int start)
    {
        int end = body[start..].IndexOf((byte)'\n');
        var line = end < 0 ? body[start..] : body.Slice(start, end);
        start = end < 0 ? body.Length : start + end + 1;
        return line;
    }

    private static Task Answer(HttpResponse response, int status, string json)
    {
        response.StatusCode = status;
        return response.WriteAsync(json);
    }
}

/// <summary>
/// A clock that jumps: every timer fires at once and moves the clock on by its due time, so code that waits out
/// ten minutes of backoff does so in milliseconds, and a fake outage measured on the same clock ends on schedule.
/// </summary>
public sealed class JumpingTimeProvider(DateTimeOffset start) : TimeProvider
{
    private long _ticks = start.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        if (dueTime != Timeout.InfiniteTimeSpan)
        {
            Advance(dueTime);
            ThreadPool.QueueUserWorkItem(_ => callback(state));
        }

        return new NoTimer();
    }

    private sealed class NoTimer : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period) => false;

        public void Dispose()
        {
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
