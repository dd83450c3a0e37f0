using System.Buffers;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Elastic.Clients.Elasticsearch;
using Elastic.Transport;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NetSecStream.Core.Components;
using NetSecStream.Core.Ecs;
using NetSecStream.Core.Events;
using NetSecStream.Core.Telemetry;
using HttpMethod = Elastic.Transport.HttpMethod;

namespace NetSecStream.Sinks.Elasticsearch;

/// <summary>
/// The <c>elasticsearch</c> sink: alerts (and, with <see cref="ElasticsearchSinkOptions.IncludeFlows"/>, flows) as ECS
/// documents in the data streams <c>logs-netsec.alert-&lt;namespace&gt;</c> and <c>logs-netsec.flow-&lt;namespace&gt;</c>,
/// written with <c>_bulk</c> <c>create</c> actions whose <c>_id</c> is the alert's id (a flow's: the hash of its document),
/// so a batch sent again after a lost response indexes nothing twice (409 on create counts as indexed).
/// <para>
/// A write returns once every document is indexed or, when Elasticsearch refuses it for good (a mapping error, 400),
/// dead-lettered with the reason. 429, 5xx, time-outs and refused connections are retried, the whole request or just the
/// refused items, with exponential backoff and jitter, until they succeed or the sink is stopped: an outage holds the
/// pipeline (and its commits) back instead of losing alerts.
/// </para>
/// </summary>
public sealed class ElasticsearchSink : IAlertSink, IHealthCheck, IAsyncDisposable
{
    public const string ComponentId = "elasticsearch";
    private const string DeadLetterStage = "sink:elasticsearch";

    private static readonly byte[] CreatePrefix = "{\"create\":{\"_index\":\""u8.ToArray();
    private static readonly byte[] IdPart = "\",\"_id\":"u8.ToArray();
    private static readonly byte[] ActionEnd = "}}\n"u8.ToArray();

    // Plain JSON, not the 9.x client's default "compatible-with=9" media type, which Elasticsearch 8 refuses: one
    // sink for 8.x (docker-compose) and 9.x clusters. Bulk bodies are NDJSON.
    private static readonly RequestConfiguration Json = new() { Accept = "application/json", ContentType = "application/json" };
    private static readonly RequestConfiguration Ndjson = new() { Accept = "application/json", ContentType = "application/x-ndjson" };

    private readonly ElasticsearchSinkOptions _options;
    private readonly NetSecMetrics _metrics;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Channel<BulkDocument[]> _queue = Channel.CreateUnbounded<BulkDocument[]>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    private ElasticsearchClient? _client;
    private Task? _sender;
    private volatile bool _templatesInstalled;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _alertStreams = new(StringComparer.Ordinal);
    private string? _defaultAlertStream;

    public ElasticsearchSink(ElasticsearchSinkOptions options, NetSecMetrics metrics, ILogger<ElasticsearchSink>? logger = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(metrics);
        var validation = new ElasticsearchSinkOptionsValidator().Validate(null, options);
        if (validation.Failed)
        {
            throw new ArgumentException(validation.FailureMessage, nameof(options));
        }

        _options = options;
        _metrics = metrics;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _time = time ?? TimeProvider.System;
    }

    public string Id => ComponentId;

    public ComponentKind Kind => ComponentKind.Sink;

    /// <summary>Where documents Elasticsearch refuses for good go; without one they are logged and counted only.</summary>
    public IDeadLetterSink? DeadLetters { get; set; }

    /// <summary>Bulk requests sent (including retries), for tests and the benchmark.</summary>
    public long BulkRequests => Interlocked.Read(ref _bulkRequests);

    private long _bulkRequests;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _client ??= new ElasticsearchClient(Settings(_options));
        if (_options.InstallTemplates)
        {
            // Configuration mistakes (400, 401, 403) stop the start; an unreachable cluster does not: the sender installs
            // the templates before its first bulk request, retrying like any request.
            await TryInstallTemplatesAsync(throwOnRefusal: true, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            _templatesInstalled = true;
        }

        _sender ??= Task.Run(() => SendLoopAsync(_stopping.Token), CancellationToken.None);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        if (_sender is { } sender)
        {
            try
            {
                await sender.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                await _stopping.CancelAsync().ConfigureAwait(false);
                await sender.ContinueWith(static _ => { }, TaskScheduler.Default).ConfigureAwait(false);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _stopping.Dispose();
    }

    public ValueTask WriteAsync(IReadOnlyList<Alert> alerts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alerts);
        if (alerts.Count == 0)
        {
            return ValueTask.CompletedTask;
        }

        var write = Begin(alerts.Count);
        int chunk = _options.MaxBatchDocuments;
        if (alerts.Count <= chunk)
        {
            SerializeAlerts(alerts, 0, alerts.Count, write);
        }
        else
        {
            // A large write is serialised a bulk request's worth per core, each handed to the sender as it is ready.
            Parallel.For(0, (alerts.Count + chunk - 1) / chunk, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
                i => SerializeAlerts(alerts, i * chunk, Math.Min(alerts.Count, (i + 1) * chunk), write));
        }

        return new ValueTask(write.Completion.WaitAsync(cancellationToken));
    }

    private void SerializeAlerts(IReadOnlyList<Alert> alerts, int start, int end, PendingWrite write)
    {
        var documents = new List<BulkDocument>(end - start);
        for (int i = start; i < end; i++)
        {
            var alert = alerts[i];
            byte[] source;
            try
            {
                source = EcsJson.SerializeAlert(alert);
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or JsonException or NotSupportedException or NullReferenceException)
            {
                // One alert that cannot be written must not hold the others (or the commit) back forever.
                _metrics.EventRejected(ComponentId, "unserialisable");
                ElasticsearchSinkLog.Unserialisable(_logger, "alert", alert.Id, ex.Message);
                write.Resolve();
                continue;
            }

            documents.Add(new BulkDocument(AlertStream(alert.Flow?.Source.Namespace), DataStreams.AlertDocumentId(alert.Id), source, write));
            Hand(documents);
        }

        Hand(documents, all: true);
    }

    /// <summary>Data-stream names by namespace, computed once each (clusters have tens of namespaces, not millions).</summary>
    private string AlertStream(string? ns)
    {
        if (ns is null)
        {
            return _defaultAlertStream ??= DataStreams.AlertStream(null, _options.DefaultNamespace);
        }

        if (_alertStreams.TryGetValue(ns, out string? stream))
        {
            return stream;
        }

        stream = DataStreams.AlertStream(ns, _options.DefaultNamespace);
        if (_alertStreams.Count < 10_000)
        {
            _alertStreams.TryAdd(ns, stream);
        }

        return stream;
    }

    public ValueTask WriteFlowsAsync(IReadOnlyList<FlowEvent> flows, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(flows);
        if (!_options.IncludeFlows || flows.Count == 0)
        {
            return ValueTask.CompletedTask;
        }

        var write = Begin(flows.Count);
        var documents = new List<BulkDocument>(Math.Min(flows.Count, _options.MaxBatchDocuments));
        foreach (var flow in flows)
        {
            byte[] source;
            try
            {
                source = EcsJson.SerializeFlow(flow);
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or JsonException or NotSupportedException or NullReferenceException)
            {
                _metrics.EventRejected(ComponentId, "unserialisable");
                ElasticsearchSinkLog.Unserialisable(_logger, "flow", flow.CommunityId ?? "", ex.Message);
                write.Resolve();
                continue;
            }

            string stream = DataStreams.FlowStream(flow.Source.Namespace, _options.DefaultNamespace);
            documents.Add(new BulkDocument(stream, DataStreams.ContentDocumentId(source), source, write));
            Hand(documents);
        }

        Hand(documents, all: true);
        return new ValueTask(write.Completion.WaitAsync(cancellationToken));
    }

    /// <summary>Cluster health: healthy when green or yellow, degraded when red, unhealthy when unreachable.</summary>
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var client = _client ??= new ElasticsearchClient(Settings(_options));
        var response = await client.Transport.RequestAsync<BytesResponse>(HttpMethod.GET, "/_cluster/health", null, Json, cancellationToken).ConfigureAwait(false);
        int? status = response.ApiCallDetails.HttpStatusCode;
        if (status is not (>= 200 and < 300) || response.Body is null)
        {
            return HealthCheckResult.Unhealthy($"elasticsearch: cluster health answered {status?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "nothing"}",
                response.ApiCallDetails.OriginalException);
        }

        string? color = JsonNode.Parse(response.Body)?["status"]?.GetValue<string>();
        return color switch
        {
            "green" or "yellow" => HealthCheckResult.Healthy($"elasticsearch: cluster {color}"),
            _ => HealthCheckResult.Degraded($"elasticsearch: cluster {color ?? "unknown"}"),
        };
    }

    private PendingWrite Begin(int count)
    {
        if (_sender is null)
        {
            throw new InvalidOperationException("elasticsearch: not started");
        }

        var write = new PendingWrite();
        write.Expect(count);
        return write;
    }

    /// <summary>
    /// Hands serialised documents to the sender a bulk request's worth at a time, so sending starts while the rest of a
    /// large write is still being serialised.
    /// </summary>
    private void Hand(List<BulkDocument> documents, bool all = false)
    {
        if (documents.Count == 0 || (!all && documents.Count < _options.MaxBatchDocuments))
        {
            return;
        }

        _metrics.EventsIn(ComponentId, documents.Count);
        if (!_queue.Writer.TryWrite([.. documents]))
        {
            throw new InvalidOperationException("elasticsearch: stopped");
        }

        documents.Clear();
    }

    private async Task SendLoopAsync(CancellationToken stopping)
    {
        var batch = new List<BulkDocument>(_options.MaxBatchDocuments);
        var leftover = new Queue<BulkDocument>();
        using var slots = new SemaphoreSlim(_options.MaxConcurrentRequests);
        var inFlight = new List<Task>();
        try
        {
            while (leftover.Count > 0 || await _queue.Reader.WaitToReadAsync(stopping).ConfigureAwait(false))
            {
                long bytes = 0;
                DateTimeOffset? deadline = null;
                while (true)
                {
                    while (leftover.Count > 0 && batch.Count < _options.MaxBatchDocuments)
                    {
                        var next = leftover.Peek();
                        long size = next.Size;
                        if (batch.Count > 0 && bytes + size > _options.MaxBatchBytes)
                        {
                            break;
                        }

                        batch.Add(leftover.Dequeue());
                        bytes += size;
                    }

                    bool full = batch.Count >= _options.MaxBatchDocuments || (leftover.Count > 0);
                    if (full)
                    {
                        break;
                    }

                    if (_queue.Reader.TryRead(out var more))
                    {
                        foreach (var document in more)
                        {
                            leftover.Enqueue(document);
                        }

                        continue;
                    }

                    if (batch.Count == 0 || _options.FlushInterval == TimeSpan.Zero)
                    {
                        break;
                    }

                    // A partly filled request waits a little for documents of concurrent writes (alerts and flows).
                    deadline ??= _time.GetUtcNow() + _options.FlushInterval;
                    var remaining = deadline.Value - _time.GetUtcNow();
                    if (remaining <= TimeSpan.Zero)
                    {
                        break;
                    }

                    using var wait = CancellationTokenSource.CreateLinkedTokenSource(stopping);
                    wait.CancelAfter(remaining);
                    try
                    {
                        if (!await _queue.Reader.WaitToReadAsync(wait.Token).ConfigureAwait(false))
                        {
                            break;
                        }
                    }
                    catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
                    {
                        break;
                    }
                }

                if (batch.Count > 0)
                {
                    await slots.WaitAsync(stopping).ConfigureAwait(false);
                    var sending = batch;
                    batch = new List<BulkDocument>(_options.MaxBatchDocuments);
                    inFlight.Add(SendAndReleaseAsync(sending, slots, stopping));
                    inFlight.RemoveAll(static t => t.IsCompleted);
                }
            }

            await Task.WhenAll(inFlight).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Stopped (or broken) with documents unsent: their writers fail, so nothing of theirs is acknowledged.
            foreach (var document in batch.Concat(leftover))
            {
                document.Owner.Fail(ex);
            }

            while (_queue.Reader.TryRead(out var pending))
            {
                foreach (var document in pending)
                {
                    document.Owner.Fail(ex);
                }
            }

            if (ex is not OperationCanceledException)
            {
                _metrics.SinkError(ComponentId);
                throw;
            }
        }
    }

    private async Task SendAndReleaseAsync(List<BulkDocument> batch, SemaphoreSlim slots, CancellationToken stopping)
    {
        try
        {
            await SendWithRetriesAsync(batch, stopping).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Stopped mid-retry: these writers fail, so nothing of theirs is acknowledged (Fail is a no-op for resolved ones).
            foreach (var document in batch)
            {
                document.Owner.Fail(ex);
            }
        }
        finally
        {
            slots.Release();
        }
    }

    private async Task SendWithRetriesAsync(List<BulkDocument> batch, CancellationToken stopping)
    {
        int attempt = 0;
        var todo = batch;
        while (!_templatesInstalled)
        {
            if (await TryInstallTemplatesAsync(throwOnRefusal: false, stopping).ConfigureAwait(false))
            {
                break;
            }

            var delay = Backoff(attempt++);
            ElasticsearchSinkLog.BulkRetry(_logger, todo.Count, "index templates not installed yet", attempt, delay);
            await Task.Delay(delay, _time, stopping).ConfigureAwait(false);
        }

        attempt = 0;
        while (todo.Count > 0)
        {
            var body = new ArrayBufferWriter<byte>((int)Math.Min(int.MaxValue / 2, todo.Sum(static d => d.Size) + 64));
            foreach (var document in todo)
            {
                document.WriteTo(body);
            }

            Interlocked.Increment(ref _bulkRequests);
            var response = await _client!.Transport.RequestAsync<BytesResponse>(HttpMethod.POST, "/_bulk",
                PostData.ReadOnlyMemory(body.WrittenMemory), Ndjson, stopping).ConfigureAwait(false);
            stopping.ThrowIfCancellationRequested();
            int? status = response.ApiCallDetails.HttpStatusCode;
            if (status is null or 429 or 401 or 403 or >= 500 || (status is >= 200 and < 300 && response.Body is not { Length: > 0 }))
            {
                // Nothing (or nothing usable) came back: the whole request again. 401/403 too: credentials can be fixed
                // while the pipeline waits, but a dead-lettered alert stays out of Elasticsearch.
                var delay = Backoff(attempt++);
                _metrics.SinkRetry(ComponentId);
                string reason = status is { } code ? $"HTTP {code}" : response.ApiCallDetails.OriginalException?.Message ?? "no response";
                ElasticsearchSinkLog.BulkRetry(_logger, todo.Count, reason, attempt, delay);
                await Task.Delay(delay, _time, stopping).ConfigureAwait(false);
                continue;
            }

            if (status == 413 && todo.Count > 1)
            {
                // Too large for http.max_content_length: halves go one after the other.
                int half = todo.Count / 2;
                await SendWithRetriesAsync(todo.GetRange(0, half), stopping).ConfigureAwait(false);
                todo = todo.GetRange(half, todo.Count - half);
                continue;
            }

            if (status is not (>= 200 and < 300))
            {
                string reason = $"bulk request refused: HTTP {status} {Encoding.UTF8.GetString(response.Body ?? [])}";
                await DeadLetterAsync(todo, todo.Select(_ => reason).ToList(), stopping).ConfigureAwait(false);
                return;
            }

            todo = await SettleItemsAsync(todo, response.Body!, stopping).ConfigureAwait(false);
            if (todo.Count > 0)
            {
                var delay = Backoff(attempt++);
                _metrics.SinkRetry(ComponentId);
                await Task.Delay(delay, _time, stopping).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Resolves the indexed (and already indexed) documents, dead-letters the refused ones, returns the ones to retry.</summary>
    private async Task<List<BulkDocument>> SettleItemsAsync(List<BulkDocument> sent, byte[] body, CancellationToken stopping)
    {
        if (!HasErrors(body))
        {
            foreach (var document in sent)
            {
                document.Owner.Resolve();
            }

            _metrics.EventsOut(ComponentId, sent.Count);
            return [];
        }

        var retry = new List<BulkDocument>();
        var rejected = new List<BulkDocument>();
        var reasons = new List<string>();
        int indexed = 0;
        int retryStatus = 0;
        using (var json = JsonDocument.Parse(body))
        {
            int i = 0;
            foreach (var item in json.RootElement.GetProperty("items").EnumerateArray())
            {
                if (i >= sent.Count)
                {
                    break;
                }

                var document = sent[i++];
                var result = item.EnumerateObject().First().Value;
                int status = result.TryGetProperty("status", out var s) ? s.GetInt32() : 500;
                if (status is >= 200 and < 300 or 409)
                {
                    // 409 on create: a previous attempt indexed this very _id already.
                    document.Owner.Resolve();
                    indexed++;
                }
                else if (status is 429 or >= 500)
                {
                    retry.Add(document);
                    retryStatus = status;
                }
                else
                {
                    rejected.Add(document);
                    reasons.Add(Reason(status, result));
                }
            }

            // Fewer items than documents would be a broken response: the missing ones are sent again.
            for (; i < sent.Count; i++)
            {
                retry.Add(sent[i]);
            }
        }

        _metrics.EventsOut(ComponentId, indexed);
        if (retry.Count > 0)
        {
            ElasticsearchSinkLog.ItemsRetry(_logger, retry.Count, retryStatus, Backoff(0));
        }

        if (rejected.Count > 0)
        {
            await DeadLetterAsync(rejected, reasons, stopping).ConfigureAwait(false);
        }

        return retry;
    }

    private async Task DeadLetterAsync(List<BulkDocument> documents, List<string> reasons, CancellationToken stopping)
    {
        var letters = new List<DeadLetter>(documents.Count);
        var now = _time.GetUtcNow();
        for (int i = 0; i < documents.Count; i++)
        {
            var document = documents[i];
            _metrics.EventRejected(ComponentId, "refused");
            ElasticsearchSinkLog.ItemRejected(_logger, document.Id, document.DataStream, reasons[i]);
            letters.Add(new DeadLetter(DeadLetterStage, document.DataStream, 0, $"{reasons[i]} (_id {document.Id})", document.Source, now));
        }

        if (DeadLetters is { } deadLetters)
        {
            await deadLetters.WriteAsync(letters, stopping).ConfigureAwait(false);
            foreach (var letter in letters)
            {
                _metrics.DeadLettered(DeadLetterStage, "refused");
            }
        }
        else if (documents.Count > 0)
        {
            ElasticsearchSinkLog.NoDeadLetterSink(_logger, documents[0].Id);
        }

        foreach (var document in documents)
        {
            document.Owner.Resolve();
        }
    }

    private static string Reason(int status, JsonElement result)
    {
        if (result.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
        {
            string type = error.TryGetProperty("type", out var t) ? t.GetString() ?? "" : "";
            string reason = error.TryGetProperty("reason", out var r) ? r.GetString() ?? "" : "";
            return $"HTTP {status} {type}: {reason}";
        }

        return $"HTTP {status}";
    }

    /// <summary>True unless the response's top-level <c>errors</c> is false (read without parsing the items).</summary>
    private static bool HasErrors(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return true;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("errors"u8))
            {
                reader.Read();
                return reader.TokenType != JsonTokenType.False;
            }

            reader.Read();
            reader.Skip();
        }

        return true;
    }

    /// <summary>Exponential backoff with "equal jitter": half the step fixed, half random, capped at MaxBackoff.</summary>
    internal TimeSpan Backoff(int attempt)
    {
        double step = Math.Min(_options.MaxBackoff.TotalMilliseconds, _options.InitialBackoff.TotalMilliseconds * Math.Pow(2, Math.Min(attempt, 30)));
#pragma warning disable CA5394 // Jitter, not security.
        return TimeSpan.FromMilliseconds(step / 2 + Random.Shared.NextDouble() * step / 2);
#pragma warning restore CA5394
    }

    private async Task<bool> TryInstallTemplatesAsync(bool throwOnRefusal, CancellationToken cancellationToken)
    {
        var (policyName, policyBody) = ElasticsearchTemplates.IlmPolicy(_options);
        var results = new List<bool>
        {
            await EnsureAsync("ILM policy", $"/_ilm/policy/{policyName}", policyBody, ilm: true, throwOnRefusal, cancellationToken).ConfigureAwait(false),
        };
        foreach (var (name, body) in ElasticsearchTemplates.IndexTemplates())
        {
            results.Add(await EnsureAsync("index template", $"/_index_template/{name}", body, ilm: false, throwOnRefusal, cancellationToken).ConfigureAwait(false));
        }

        _templatesInstalled = results.TrueForAll(static r => r);
        return _templatesInstalled;
    }

    /// <summary>PUTs <paramref name="body"/> at <paramref name="path"/> unless what is there carries the same hash.</summary>
    private async Task<bool> EnsureAsync(string kind, string path, string body, bool ilm, bool throwOnRefusal, CancellationToken cancellationToken)
    {
        string name = path[(path.LastIndexOf('/') + 1)..];
        string wanted = ElasticsearchTemplates.HashOfBody(body, ilm);
        var current = await _client!.Transport.RequestAsync<BytesResponse>(HttpMethod.GET, path, null, Json, cancellationToken).ConfigureAwait(false);
        int? status = current.ApiCallDetails.HttpStatusCode;
        string reason;
        if (status is >= 200 and < 300 && current.Body is { Length: > 0 })
        {
            var node = JsonNode.Parse(current.Body);
            string? installed = ilm
                ? ElasticsearchTemplates.HashOf(node?[name]?["policy"])
                : ElasticsearchTemplates.HashOf(node?["index_templates"]?[0]?["index_template"]);
            if (installed == wanted)
            {
                ElasticsearchSinkLog.TemplateUpToDate(_logger, kind, name);
                return true;
            }

            reason = installed is null ? "not managed by netsec before" : $"changed from {installed} to {wanted}";
        }
        else if (status == 404)
        {
            reason = "missing";
        }
        else
        {
            return Refused(kind, name, status, throwOnRefusal);
        }

        var put = await _client.Transport.RequestAsync<BytesResponse>(HttpMethod.PUT, path, PostData.String(body), Json, cancellationToken).ConfigureAwait(false);
        if (put.ApiCallDetails.HttpStatusCode is >= 200 and < 300)
        {
            ElasticsearchSinkLog.TemplateInstalled(_logger, kind, name, reason);
            return true;
        }

        return Refused(kind, name, put.ApiCallDetails.HttpStatusCode, throwOnRefusal, put.Body);
    }

    private static bool Refused(string kind, string name, int? status, bool throwOnRefusal, byte[]? body = null)
    {
        if (throwOnRefusal && status is >= 400 and < 500 and not 429 and not 408)
        {
            throw new InvalidOperationException(
                $"elasticsearch: installing {kind} {name} was refused with HTTP {status} {Encoding.UTF8.GetString(body ?? [])} (check Sinks:Elasticsearch credentials and privileges)");
        }

        return false;
    }

    private static ElasticsearchClientSettings Settings(ElasticsearchSinkOptions options)
    {
        var settings = new ElasticsearchClientSettings(new Uri(options.Url))
            .RequestTimeout(options.RequestTimeout)
            .MaximumRetries(0)
            .EnableHttpCompression(options.CompressRequests)
            .DisablePing()
            .ThrowExceptions(false);
        if (!string.IsNullOrEmpty(options.ApiKey))
        {
            settings = settings.Authentication(new ApiKey(options.ApiKey));
        }
        else if (!string.IsNullOrEmpty(options.Username))
        {
            settings = settings.Authentication(new BasicAuthentication(options.Username, options.Password ?? ""));
        }

        if (!string.IsNullOrEmpty(options.CertificateAuthorityPath))
        {
            var ca = X509CertificateLoader.LoadCertificateFromFile(options.CertificateAuthorityPath);
            settings = settings.ServerCertificateValidationCallback((_, certificate, _, errors) =>
                errors == System.Net.Security.SslPolicyErrors.None || (certificate is not null && ChainsTo(certificate, ca)));
        }

        return settings;
    }

    /// <summary>The server's certificate chains to the configured CA (a custom root trust store, nothing else trusted).</summary>
    internal static bool ChainsTo(X509Certificate certificate, X509Certificate2 ca)
    {
        using var leaf = new X509Certificate2(certificate);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(leaf);
    }

    /// <summary>One write's documents: completes when every one is indexed or dead-lettered, fails when the sink stops first.</summary>
    private sealed class PendingWrite
    {
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _remaining;

        public Task Completion => _done.Task;

        public void Expect(int count) => _remaining = count;

        public void Resolve()
        {
            if (Interlocked.Decrement(ref _remaining) == 0)
            {
                _done.TrySetResult();
            }
        }

        public void Fail(Exception exception) => _done.TrySetException(exception);
    }

    private sealed class BulkDocument(string dataStream, string id, byte[] source, PendingWrite owner)
    {
        public string DataStream { get; } = dataStream;

        public string Id { get; } = id;

        public byte[] Source { get; } = source;

        public PendingWrite Owner { get; } = owner;

        public long Size => Source.Length + DataStream.Length + Id.Length + 40;

        public void WriteTo(ArrayBufferWriter<byte> body)
        {
            body.Write(CreatePrefix);
            // Data-stream names are sanitised ASCII; ids are written as JSON strings (escaped).
            Encoding.ASCII.GetBytes(DataStream, body.GetSpan(DataStream.Length));
            body.Advance(DataStream.Length);
            body.Write(IdPart);
            using (var writer = new Utf8JsonWriter(body))
            {
                writer.WriteStringValue(Id);
            }

            body.Write(ActionEnd);
            body.Write(Source);
            body.GetSpan(1)[0] = (byte)'\n';
            body.Advance(1);
        }
    }
}
