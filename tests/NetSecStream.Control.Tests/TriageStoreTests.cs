using Confluent.Kafka;
using Microsoft.Data.Sqlite;
using NetSecStream.Control.Ingest;
using NetSecStream.Control.Store;
using NetSecStream.Core.Ecs;
using NetSecStream.Core.Telemetry;
using NetSecStream.Kafka;
using static NetSecStream.Control.Tests.ControlHarness;

namespace NetSecStream.Control.Tests;

public sealed class TriageStoreTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "netsec-store-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Fact]
    public void Open_RunsMigrationsOnce_InWalMode_AndRefusesANewerSchema()
    {
        string path = Path.Combine(_dir, "t.db");
        var store = new TriageStore(path);
        store.Open();
        Assert.Equal(TriageStore.Migrations.Length, store.SchemaVersion);
        store.InsertAlerts([MakeAlert(1)]);

        var again = new TriageStore(path);
        again.Open();
        Assert.Equal(1, again.CountAlerts());

        using (var connection = new SqliteConnection($"Data Source={path}"))
        {
            connection.Open();
            using var mode = connection.CreateCommand();
            mode.CommandText = "PRAGMA journal_mode;";
            Assert.Equal("wal", mode.ExecuteScalar());
            using var versions = connection.CreateCommand();
            versions.CommandText = "SELECT COUNT(*) FROM schema_migrations;";
            Assert.Equal((long)TriageStore.Migrations.Length, versions.ExecuteScalar());
            using var future = connection.CreateCommand();
            future.CommandText = "INSERT INTO schema_migrations VALUES (99, 0);";
            future.ExecuteNonQuery();
        }

        var ex = Assert.Throws<InvalidOperationException>(() => new TriageStore(path).Open());
        Assert.Contains("schema version 99", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AlertList_UsesTheIndexes_ForEveryFilter()
    {
        var store = new TriageStore(Path.Combine(_dir, "t.db"));
        store.Open();
        using var connection = new SqliteConnection($"Data Source={store.Path}");
        connection.Open();
        foreach (string filter in new[] { "", "WHERE namespace = 'x'", "WHERE detector = 'x'", "WHERE severity = 1", "WHERE state = 'new'", "WHERE rule_id = 'r'" })
        {
            using var plan = connection.CreateCommand();
            plan.CommandText = $"EXPLAIN QUERY PLAN SELECT rowid FROM alerts {filter} ORDER BY ts DESC, rowid DESC LIMIT 50;";
            using var reader = plan.ExecuteReader();
            var steps = new List<string>();
            while (reader.Read())
            {
                steps.Add(reader.GetString(3));
            }

            string text = string.Join(" | ", steps);
            Assert.Contains("INDEX alerts_", text, StringComparison.Ordinal);
            Assert.DoesNotContain("USE TEMP B-TREE FOR ORDER BY", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Ingest_StoresEachAlertIdOnce_AcrossRedeliveries_AndConcurrentProducers()
    {
        var store = new TriageStore(Path.Combine(_dir, "t.db"));
        store.Open();
        using var metrics = new NetSecMetrics();
        await using (var ingest = new TriageIngest(store, new ControlOptions { IngestQueueCapacity = 64, IngestBatchSize = 50 }, metrics))
        {
            var sink = new TriageStoreSink(ingest);
            Assert.Equal("triage_store", sink.Id);
            var alerts = Enumerable.Range(0, 1000).Select(i => MakeAlert(i)).ToList();
            // Four producers, each writing every alert: a bounded queue smaller than one batch, duplicates everywhere.
            await Task.WhenAll(Enumerable.Range(0, 4).Select(p => Task.Run(async () =>
            {
                for (int i = 0; i < alerts.Count; i += 100)
                {
                    await sink.WriteAsync(alerts.GetRange(i, 100), CancellationToken.None);
                }
            })));
            Assert.Equal(1000, store.CountAlerts());
            Assert.Equal(1000, ingest.Stored);
            Assert.Equal(3000, ingest.Duplicates);
        }
    }

    [Fact]
    public async Task Readers_RunBesideTheWriter_AndTriageToo_WithoutBusyErrors()
    {
        var store = new TriageStore(Path.Combine(_dir, "t.db"));
        store.Open();
        store.InsertAlerts([.. Enumerable.Range(0, 500).Select(i => MakeAlert(i))]);
        using var metrics = new NetSecMetrics();
        await using var ingest = new TriageIngest(store, new ControlOptions { IngestBatchSize = 200 }, metrics);
        var writing = Task.Run(async () =>
        {
            for (int i = 500; i < 20_500; i += 500)
            {
                await ingest.WriteAsync([.. Enumerable.Range(i, 500).Select(n => MakeAlert(n))], CancellationToken.None);
            }
        });
        int lists = 0, moved = 0;
        while (!writing.IsCompleted)
        {
            var page = store.ListAlerts(new AlertFilter { Namespace = "shop" }, 50, null);
            Assert.Equal(50, page.Items.Count);
            Assert.True(page.Items.Zip(page.Items.Skip(1)).All(p => p.First.Timestamp >= p.Second.Timestamp));
            moved += store.Transition([$"a{lists % 500:D8}"], TriageStates.Acknowledged, "test", null, null).Count(r => r == TransitionResult.Done);
            lists++;
        }

        await writing;
        Assert.True(lists > 0);
        Assert.Equal(Math.Min(lists, 500), moved);
        Assert.Equal(20_500, store.CountAlerts());
    }

    [Fact]
    public async Task Ingest_StoreFailure_FailsTheProducer()
    {
        string path = Path.Combine(_dir, "t.db");
        var store = new TriageStore(path);
        store.Open();
        using (var connection = new SqliteConnection($"Data Source={path}"))
        {
            connection.Open();
            using var drop = connection.CreateCommand();
            drop.CommandText = "DROP TABLE alerts;";
            drop.ExecuteNonQuery();
        }

        using var metrics = new NetSecMetrics();
        await using var ingest = new TriageIngest(store, new ControlOptions(), metrics);
        await Assert.ThrowsAsync<SqliteException>(async () => await ingest.WriteAsync([MakeAlert(1)], CancellationToken.None));
    }

    [Fact]
    public async Task KafkaIngest_StoreFailing_CommitsNothing_AndStops()
    {
        var adminConfig = new AdminClientConfig { BootstrapServers = "mock-bootstrap:9092" };
        adminConfig.Set("test.mock.num.brokers", "1");
        using var admin = new AdminClientBuilder(adminConfig).Build();
        string brokers = string.Join(",", admin.GetMetadata(TimeSpan.FromSeconds(10)).Brokers.Select(b => $"{b.Host}:{b.Port}"));
        using (var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = brokers }).Build())
        {
            for (int i = 0; i < 20; i++)
            {
                await producer.ProduceAsync("netsec.alerts", new Message<byte[], byte[]> { Key = [(byte)i], Value = EcsJson.SerializeAlert(MakeAlert(i)) });
            }
        }

        string path = Path.Combine(_dir, "t.db");
        var store = new TriageStore(path);
        store.Open();
        using (var connection = new SqliteConnection($"Data Source={path}"))
        {
            connection.Open();
            using var drop = connection.CreateCommand();
            drop.CommandText = "DROP TABLE alerts;";
            drop.ExecuteNonQuery();
        }

        using var metrics = new NetSecMetrics();
        var options = new ControlOptions();
        await using var ingest = new TriageIngest(store, options, metrics);
        var kafka = new KafkaOptions { BootstrapServers = brokers, CommitInterval = TimeSpan.FromMilliseconds(20) };
        kafka.Properties["session.timeout.ms"] = "6000";
        using var consumer = new KafkaAlertIngest(kafka, options, ingest, metrics);
        await consumer.StartAsync(CancellationToken.None);
        await Assert.ThrowsAsync<SqliteException>(() => consumer.ExecuteTask!.WaitAsync(TimeSpan.FromSeconds(60)));
        await consumer.StopAsync(CancellationToken.None);
        Assert.Equal(0, consumer.Consumed);
        Assert.Equal(0, consumer.CommittedOffsets.Values.Sum());
    }

    [Fact]
    public async Task KafkaIngest_StoresTheAlertsTopic_SkipsGarbage_DropsRedeliveries_CommitsAfterStoring()
    {
        var adminConfig = new AdminClientConfig { BootstrapServers = "mock-bootstrap:9092" };
        adminConfig.Set("test.mock.num.brokers", "1");
        using var admin = new AdminClientBuilder(adminConfig).Build();
        string brokers = string.Join(",", admin.GetMetadata(TimeSpan.FromSeconds(10)).Brokers.Select(b => $"{b.Host}:{b.Port}"));
        var kafka = new KafkaOptions { BootstrapServers = brokers, AlertsTopic = "netsec.alerts" };
        kafka.Properties["session.timeout.ms"] = "6000";

        var alerts = Enumerable.Range(0, 300).Select(i => MakeAlert(i)).ToList();
        int produced = 0;
        using (var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = brokers }).Build())
        {
            foreach (var alert in alerts.Concat(alerts.Take(50)))
            {
                await producer.ProduceAsync("netsec.alerts", new Message<byte[], byte[]> { Key = System.Text.Encoding.UTF8.GetBytes(alert.DedupeKey), Value = EcsJson.SerializeAlert(alert) });
                produced++;
            }

            await producer.ProduceAsync("netsec.alerts", new Message<byte[], byte[]> { Key = [1], Value = "{\"not\":\"an alert\"}"u8.ToArray() });
            await producer.ProduceAsync("netsec.alerts", new Message<byte[], byte[]> { Key = [2], Value = "garbage"u8.ToArray() });
            produced += 2;
        }

        var store = new TriageStore(Path.Combine(_dir, "t.db"));
        store.Open();
        using var metrics = new NetSecMetrics();
        var options = new ControlOptions { IngestBatchSize = 64 };
        await using var ingest = new TriageIngest(store, options, metrics);
        using var consumer = new KafkaAlertIngest(kafka, options, ingest, metrics);
        await consumer.StartAsync(CancellationToken.None);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline && consumer.Consumed < produced)
        {
            await Task.Delay(100);
        }

        await consumer.StopAsync(CancellationToken.None);
        Assert.Equal(produced, consumer.Consumed);
        Assert.Equal(2, consumer.Rejected);
        Assert.Equal(300, store.CountAlerts());
        Assert.Equal(50, ingest.Duplicates);
        Assert.Equal(produced, consumer.CommittedOffsets.Values.Sum());
        var stored = store.GetAlert("a00000123")!;
        Assert.Equal("shop", stored.Alert.Namespace);
        Assert.Equal("1:cid123=", stored.Alert.CommunityId);
    }
}

public sealed class ControlOptionsTests
{
    [Fact]
    public void Defaults_AreValid_AndBindToLoopback8080()
    {
        var options = new ControlOptions();
        Assert.True(new ControlOptionsValidator().Validate(null, options).Succeeded);
        Assert.Equal("http://127.0.0.1:8080", options.Urls);
    }

    [Theory]
    [InlineData("Urls", "nowhere", "Control:Urls 'nowhere'")]
    [InlineData("Urls", "ftp://x:1", "Control:Urls 'ftp://x:1'")]
    [InlineData("IngestQueueCapacity", "0", "Control:IngestQueueCapacity")]
    [InlineData("IngestBatchSize", "0", "Control:IngestBatchSize")]
    [InlineData("MaxPageSize", "0", "Control:MaxPageSize")]
    [InlineData("MaxBulkAlerts", "0", "Control:MaxBulkAlerts")]
    [InlineData("KafkaGroupId", " ", "Control:KafkaGroupId")]
    public void BadValues_AreRejected_NamingTheKey(string key, string value, string message)
    {
        var options = new ControlOptions();
        switch (key)
        {
            case "Urls": options.Urls = value; break;
            case "IngestQueueCapacity": options.IngestQueueCapacity = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
            case "IngestBatchSize": options.IngestBatchSize = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
            case "MaxPageSize": options.MaxPageSize = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
            case "MaxBulkAlerts": options.MaxBulkAlerts = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
            default: options.KafkaGroupId = value; break;
        }

        var result = new ControlOptionsValidator().Validate(null, options);
        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.Contains(message, StringComparison.Ordinal));
    }

    [Fact]
    public void Paths_DefaultUnderTheDataDirectory()
    {
        var paths = ControlPaths.Resolve(new ControlOptions(), "/var/lib/netsec");
        Assert.Equal("/var/lib/netsec/control/triage.db", paths.Database);
        Assert.Equal("/var/lib/netsec/control/rules", paths.RulesDirectory);
        Assert.Equal("/srv/t.db", ControlPaths.Resolve(new ControlOptions { Database = "/srv/t.db" }, "/x").Database);
    }
}
