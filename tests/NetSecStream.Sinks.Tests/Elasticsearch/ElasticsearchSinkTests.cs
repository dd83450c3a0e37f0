using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using NetSecStream.Core.Events;
using NetSecStream.Core.Telemetry;
using NetSecStream.Sinks.Elasticsearch;
using NetSecStream.Testing;
using NetSecStream.Testing.Elasticsearch;

namespace NetSecStream.Sinks.Tests.Elasticsearch;

/// <summary>
/// The <c>elasticsearch</c> sink against an in-process Elasticsearch (<see cref="FakeElasticsearch"/>): documents and data
/// streams, idempotent templates, and the faults a real cluster has (429 storms, 5xx, partial item failures, lost
/// responses, slow responses, outages): nothing lost, nothing indexed twice, refused documents dead-lettered with the reason.
/// </summary>
public sealed class ElasticsearchSinkTests : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly NetSecMetrics _metrics = new();
    private FakeElasticsearch _server = null!;

    public async Task InitializeAsync() => _server = await FakeElasticsearch.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public void Dispose() => _metrics.Dispose();

    [Fact]
    public async Task Alerts_AreEcsDocuments_InTheirNamespacesDataStream_WithTheAlertIdAsDocumentId()
    {
        await using var sink = await StartedSink();
        var alerts = new[] { Alert("a-1", "shop"), Alert("a-2", "Payments_Prod"), Alert("a-3", null) };
        await sink.WriteAsync(alerts, CancellationToken.None).AsTask().WaitAsync(Patience);

        Assert.Equal(["logs-netsec.alert-default", "logs-netsec.alert-payments_prod", "logs-netsec.alert-shop"], _server.DataStreams.Order(StringComparer.Ordinal));
        var shop = _server.Documents("logs-netsec.alert-shop");
        using var doc = JsonDocument.Parse(Assert.Single(shop, d => d.Key == "a-1").Value);
        Assert.Equal("alert", doc.RootElement.GetProperty("event").GetProperty("kind").GetString());
        Assert.Equal("a-1", doc.RootElement.GetProperty("event").GetProperty("id").GetString());
        Assert.Equal("rule-1", doc.RootElement.GetProperty("rule").GetProperty("id").GetString());
        Assert.True(doc.RootElement.TryGetProperty("@timestamp", out _));
    }

    [Fact]
    public async Task Flows_GoToFlowDataStreams_OnlyWithIncludeFlows()
    {
        var flow = Flows.Tcp("10.0.0.1", 1000, "203.0.113.66", 443, "shop");
        await using (var without = await StartedSink())
        {
            await without.WriteFlowsAsync([flow], CancellationToken.None).AsTask().WaitAsync(Patience);
        }

        Assert.Equal(0, _server.DocumentCount);
        await using var sink = await StartedSink(o => o.IncludeFlows = true);
        await sink.WriteFlowsAsync([flow, flow], CancellationToken.None).AsTask().WaitAsync(Patience);
        await sink.WriteFlowsAsync([flow], CancellationToken.None).AsTask().WaitAsync(Patience);
        // The same flow three times is one document: its _id is the hash of its content.
        Assert.Single(_server.Documents("logs-netsec.flow-shop"));
    }

    [Fact]
    public async Task TemplatesAndPolicy_AreInstalledWhenMissing_LeftAloneWhenEqual_ReplacedWhenChanged()
    {
        await using (var first = await StartedSink())
        {
        }

        Assert.Equal(3, _server.TemplatePuts);
        Assert.Equal(["logs-netsec.alert", "logs-netsec.flow"], _server.Templates.Keys.Order(StringComparer.Ordinal));
        using (var template = JsonDocument.Parse(_server.Templates["logs-netsec.alert"]))
        {
            Assert.Equal("logs-netsec.alert-*", template.RootElement.GetProperty("index_patterns")[0].GetString());
            Assert.True(template.RootElement.TryGetProperty("data_stream", out _));
            var properties = template.RootElement.GetProperty("template").GetProperty("mappings").GetProperty("properties");
            Assert.Equal("ip", properties.GetProperty("source").GetProperty("properties").GetProperty("ip").GetProperty("type").GetString());
            Assert.Equal("logs-netsec", template.RootElement.GetProperty("template").GetProperty("settings").GetProperty("index.lifecycle.name").GetString());
        }

        await using (var second = await StartedSink())
        {
        }

        Assert.Equal(3, _server.TemplatePuts);
        await using (var changed = await StartedSink(o => o.Retention = TimeSpan.FromDays(90)))
        {
        }

        Assert.Equal(4, _server.TemplatePuts);
        Assert.Contains("\"90d\"", _server.Policies["logs-netsec"], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(429)]
    [InlineData(503)]
    [InlineData(500)]
    public async Task RejectedBulkRequests_AreRetried_NothingLost_NothingTwice(int status)
    {
        await using var sink = await StartedSink(o => o.MaxBatchDocuments = 50);
        _server.Faults.RejectStatus = status;
        _server.Faults.RejectNextBulkRequests = 8;
        var alerts = Alerts(500, "shop");
        await sink.WriteAsync(alerts, CancellationToken.None).AsTask().WaitAsync(Patience);

        AssertExactlyOnce(alerts);
        Assert.Equal(0, _server.Faults.RejectNextBulkRequests);
        Assert.True(_server.BulkRequests >= 10 + 8);
    }

    [Fact]
    public async Task LostResponses_TheBatchIsSentAgain_AndCreateConflictsCountAsIndexed()
    {
        await using var sink = await StartedSink(o => o.MaxBatchDocuments = 100);
        _server.Faults.LoseNextBulkResponses = 3;
        var alerts = Alerts(300, "shop");
        await sink.WriteAsync(alerts, CancellationToken.None).AsTask().WaitAsync(Patience);

        AssertExactlyOnce(alerts);
        Assert.True(_server.Conflicts >= 100, $"expected the resent batches to meet 409s, saw {_server.Conflicts}");
    }

    [Fact]
    public async Task PartialItemFailures_RetryableItemsRetried_MappingErrorsDeadLetteredWithTheReason()
    {
        var deadLetters = new MemoryDeadLetterSink();
        await using var sink = await StartedSink(deadLetters: deadLetters);
        var attempts = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        _server.Faults.ItemStatus = (_, id) =>
        {
            int n = int.Parse(id.AsSpan(id.LastIndexOf('-') + 1), System.Globalization.CultureInfo.InvariantCulture);
            int attempt = attempts.AddOrUpdate(id, 1, (_, a) => a + 1);
            return n % 10 == 0 ? 400            // a mapping error, for good
                : n % 3 == 0 && attempt <= 2 ? 429 // refused twice, then accepted
                : n % 7 == 0 && attempt == 1 ? 503
                : null;
        };
        var alerts = Alerts(200, "shop");
        await sink.WriteAsync(alerts, CancellationToken.None).AsTask().WaitAsync(Patience);

        var refused = alerts.Where(a => Number(a) % 10 == 0).ToList();
        AssertExactlyOnce(alerts.Except(refused).ToList());
        Assert.Equal(refused.Count, deadLetters.Items.Count);
        Assert.All(deadLetters.Items, d =>
        {
            Assert.Equal("sink:elasticsearch", d.Stage);
            Assert.Equal("logs-netsec.alert-shop", d.Origin);
            Assert.Contains("HTTP 400 document_parsing_exception", d.Reason, StringComparison.Ordinal);
            Assert.Contains("\"kind\":\"alert\"", Encoding.UTF8.GetString(d.Payload.Span), StringComparison.Ordinal);
        });
        Assert.Equal(refused.Select(a => a.Id).Order(StringComparer.Ordinal),
            deadLetters.Items.Select(d => d.Reason[(d.Reason.LastIndexOf("_id ", StringComparison.Ordinal) + 4)..^1]).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task TenMinuteOutage_OnAJumpingClock_EndsInSeconds_NothingLost_NothingTwice(bool dropConnections)
    {
        // The sink's backoff (defaults: 200 ms doubling to 30 s) and the server's outage share one clock that jumps
        // whenever the sink waits: ten minutes of outage pass in as many retries as the backoff needs.
        var clock = new JumpingTimeProvider(new DateTimeOffset(2026, 11, 27, 9, 0, 0, TimeSpan.Zero));
        await using var server = await FakeElasticsearch.StartAsync(clock);
        await using var sink = new ElasticsearchSink(new ElasticsearchSinkOptions { Url = server.Url, MaxBatchDocuments = 250 }, _metrics, time: clock);
        await sink.StartAsync(CancellationToken.None);
        var started = clock.GetUtcNow();
        server.Faults.OutageDropsConnections = dropConnections;
        server.Faults.OutageUntil = started + TimeSpan.FromMinutes(10);
        var wall = System.Diagnostics.Stopwatch.StartNew();

        var alerts = Alerts(1000, "shop");
        var writes = alerts.Chunk(100).Select(chunk => sink.WriteAsync(chunk, CancellationToken.None).AsTask()).ToList();
        await Task.WhenAll(writes).WaitAsync(Patience);

        Assert.True(clock.GetUtcNow() - started >= TimeSpan.FromMinutes(10), $"the outage should have lasted 10 minutes on the clock, lasted {clock.GetUtcNow() - started}");
        Assert.True(wall.Elapsed < TimeSpan.FromSeconds(30), $"took {wall.Elapsed} of real time");
        Assert.Equal(1000, server.Documents("logs-netsec.alert-shop").Count);
        Assert.Equal(alerts.Select(a => a.Id).Order(StringComparer.Ordinal), server.Documents("logs-netsec.alert-shop").Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task TooLargeRequests_AreSplit_AndADocumentTooLargeAlone_IsDeadLettered()
    {
        var deadLetters = new MemoryDeadLetterSink();
        await using var sink = await StartedSink(deadLetters: deadLetters);
        var alerts = Alerts(64, "shop");
        _server.Faults.MaxBulkBodyBytes = 8 * EcsJsonLength(alerts[0]);
        var huge = new Alert
        {
            Id = "huge", Timestamp = alerts[0].Timestamp, Detector = "intel", RuleId = "rule-1", RuleName = "big", Severity = 1, RiskScore = 1,
            Explanation = new string('x', 64 * 1024), DedupeKey = "huge", Flow = alerts[0].Flow,
        };
        await sink.WriteAsync([.. alerts, huge], CancellationToken.None).AsTask().WaitAsync(Patience);

        AssertExactlyOnce(alerts);
        Assert.Contains("HTTP 413", Assert.Single(deadLetters.Items).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SlowResponses_TimeOut_AndAreRetried_WithoutDuplicates()
    {
        _server.Faults.BulkDelay = TimeSpan.FromSeconds(2);
        await using var sink = await StartedSink(o =>
        {
            o.RequestTimeout = TimeSpan.FromMilliseconds(300);
            o.InitialBackoff = TimeSpan.FromMilliseconds(50);
            o.MaxBackoff = TimeSpan.FromMilliseconds(200);
        });
        var alerts = Alerts(100, "shop");
        var write = sink.WriteAsync(alerts, CancellationToken.None).AsTask();
        await Task.Delay(1000);
        Assert.False(write.IsCompleted);
        _server.Faults.BulkDelay = TimeSpan.Zero;
        await write.WaitAsync(Patience);

        AssertExactlyOnce(alerts);
        Assert.True(_server.BulkRequests >= 2);
    }

    [Fact]
    public async Task Batches_AreCutByCount_AndByBytes()
    {
        await using (var byCount = await StartedSink(o => o.MaxBatchDocuments = 100))
        {
            await byCount.WriteAsync(Alerts(1000, "shop"), CancellationToken.None).AsTask().WaitAsync(Patience);
            Assert.Equal(10, byCount.BulkRequests);
        }

        await using var byBytes = await StartedSink(o => o.MaxBatchBytes = 16 * 1024);
        var alerts = Alerts(200, "bytes");
        await byBytes.WriteAsync(alerts, CancellationToken.None).AsTask().WaitAsync(Patience);
        long perDocument = EcsJsonLength(alerts[0]);
        Assert.True(byBytes.BulkRequests >= 200 * perDocument / (16 * 1024), $"{byBytes.BulkRequests} requests for {200 * perDocument} bytes");
        AssertExactlyOnce(alerts);
    }

    [Fact]
    public async Task ConcurrentWrites_ShareBulkRequests_WithinTheFlushInterval()
    {
        await using var sink = await StartedSink(o => o.FlushInterval = TimeSpan.FromMilliseconds(200));
        var alerts = Alerts(400, "shop");
        await Task.WhenAll(alerts.Chunk(10).Select(c => sink.WriteAsync(c, CancellationToken.None).AsTask())).WaitAsync(Patience);
        AssertExactlyOnce(alerts);
        Assert.True(sink.BulkRequests < 40, $"{sink.BulkRequests} bulk requests for 40 writes");
    }

    [Fact]
    public async Task StoppingDuringAnOutage_FailsThePendingWrite_SoNothingIsAcknowledged()
    {
        await using var sink = await StartedSink(o => o.InitialBackoff = TimeSpan.FromMilliseconds(20));
        _server.Faults.OutageUntil = DateTimeOffset.MaxValue;
        var write = sink.WriteAsync(Alerts(5, "shop"), CancellationToken.None).AsTask();
        await Task.Delay(300);
        using (var stop = new CancellationTokenSource(TimeSpan.FromMilliseconds(200)))
        {
            await sink.StopAsync(stop.Token);
        }

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => write.WaitAsync(Patience));
    }

    [Fact]
    public async Task HealthCheck_ReportsTheClusterStatus_AndAnUnreachableCluster()
    {
        await using var sink = await StartedSink();
        Assert.Equal(HealthStatus.Healthy, (await sink.CheckHealthAsync(new HealthCheckContext())).Status);
        await using var nowhere = new ElasticsearchSink(new ElasticsearchSinkOptions { Url = "http://127.0.0.1:1", InstallTemplates = false, RequestTimeout = TimeSpan.FromSeconds(2) }, _metrics);
        Assert.Equal(HealthStatus.Unhealthy, (await nowhere.CheckHealthAsync(new HealthCheckContext())).Status);
    }

    [Fact]
    public async Task StartingAgainstAnUnreachableCluster_DefersTheTemplates_UntilItIsBack()
    {
        _server.Faults.OutageUntil = DateTimeOffset.MaxValue;
        await using var sink = await StartedSink(o => o.InitialBackoff = TimeSpan.FromMilliseconds(20));
        Assert.Equal(0, _server.TemplatePuts);
        var write = sink.WriteAsync(Alerts(3, "shop"), CancellationToken.None).AsTask();
        await Task.Delay(200);
        _server.Faults.OutageUntil = DateTimeOffset.MinValue;
        await write.WaitAsync(Patience);
        Assert.Equal(3, _server.TemplatePuts);
        Assert.Equal(3, _server.Documents("logs-netsec.alert-shop").Count);
    }

    [Theory]
    [InlineData("shop", "shop")]
    [InlineData("Kube-System", "kube_system")]
    [InlineData("_+weird/ns*?", "weird_ns__")]
    [InlineData("", "")]
    public void Namespaces_AreSanitisedToDataStreamRules(string ns, string expected) => Assert.Equal(expected, DataStreams.Sanitise(ns));

    [Fact]
    public void LongAlertIds_AreHashedToFitTheIdLimit()
    {
        string id = DataStreams.AlertDocumentId(new string('x', 600));
        Assert.True(id.Length < 512);
        Assert.Equal(id, DataStreams.AlertDocumentId(new string('x', 600)));
        Assert.Equal("short", DataStreams.AlertDocumentId("short"));
    }

    [Fact]
    public void Options_AreValidated_WithMessagesNamingTheKey_AndUnknownKeysStopTheHost()
    {
        var failures = new ElasticsearchSinkOptionsValidator().Validate(null, new ElasticsearchSinkOptions
        {
            Url = "ftp://x",
            ApiKey = "k",
            Username = "u",
            MaxBatchDocuments = 0,
            DefaultNamespace = "Bad Namespace",
            CertificateAuthorityPath = "/no/such/ca.pem",
        }).Failures!.ToList();
        foreach (string key in new[] { "Url", "ApiKey", "Password", "MaxBatchDocuments", "DefaultNamespace", "CertificateAuthorityPath" })
        {
            Assert.Contains(failures, f => f.StartsWith("Sinks:Elasticsearch:", StringComparison.Ordinal) && f.Contains(key, StringComparison.Ordinal));
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Sinks:Elasticsearch:Url"] = "http://localhost:9200",
            ["Sinks:Elasticsearch:NoSuchSetting"] = "1",
        }).Build();
        using var provider = new ServiceCollection().AddElasticsearchSink(configuration.GetSection(ElasticsearchSinkOptions.SectionName)).BuildServiceProvider();
        Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<IOptions<ElasticsearchSinkOptions>>().Value);
    }

    private async Task<ElasticsearchSink> StartedSink(Action<ElasticsearchSinkOptions>? adjust = null, MemoryDeadLetterSink? deadLetters = null)
    {
        var options = new ElasticsearchSinkOptions
        {
            Url = _server.Url,
            InitialBackoff = TimeSpan.FromMilliseconds(5),
            MaxBackoff = TimeSpan.FromMilliseconds(50),
            FlushInterval = TimeSpan.Zero,
        };
        adjust?.Invoke(options);
        var sink = new ElasticsearchSink(options, _metrics) { DeadLetters = deadLetters };
        await sink.StartAsync(CancellationToken.None);
        return sink;
    }

    private void AssertExactlyOnce(List<Alert> alerts)
    {
        var streams = alerts.Select(a => DataStreams.AlertStream(a.Flow.Source.Namespace, "default")).ToHashSet(StringComparer.Ordinal);
        var stored = _server.AllDocuments().Where(d => streams.Contains(d.DataStream)).ToList();
        Assert.Equal(alerts.Count, stored.Count);
        Assert.Equal(alerts.Select(a => a.Id).Order(StringComparer.Ordinal), stored.Select(d => d.Id).Order(StringComparer.Ordinal));
    }

    private static long EcsJsonLength(Alert alert) => NetSecStream.Core.Ecs.EcsJson.SerializeAlert(alert).Length;

    private static int Number(Alert alert) => int.Parse(alert.Id.AsSpan(alert.Id.LastIndexOf('-') + 1), System.Globalization.CultureInfo.InvariantCulture);

    internal static List<Alert> Alerts(int count, string? ns) => [.. Enumerable.Range(0, count).Select(i => Alert($"{ns}-alert-{i}", ns))];

    internal static Alert Alert(string id, string? ns) => new()
    {
        Id = id,
        Timestamp = new DateTimeOffset(2026, 11, 27, 9, 0, 0, TimeSpan.Zero),
        Detector = "intel",
        RuleId = "rule-1",
        RuleName = "Known bad address",
        Severity = 3,
        RiskScore = 70,
        Explanation = "203.0.113.66 is on the feed",
        DedupeKey = id,
        Flow = Flows.Tcp("10.0.0.1", 1000, "203.0.113.66", 443, ns),
    };
}
