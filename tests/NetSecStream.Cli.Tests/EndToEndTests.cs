using System.Text;
using System.Text.Json;
using NetSecStream.Testing;

namespace NetSecStream.Cli.Tests;

/// <summary>The README's commands, run in-process exactly as a user types them.</summary>
[Collection(CliTests.Name)]
public sealed class EndToEndTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("netsec-e2e-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Task<int> Netsec(params string[] args) => NetSecCli.CreateRootCommand().Parse(args).InvokeAsync();

    [Fact]
    public async Task GenerateThenReplay_200kEvents_AlertsOnEveryC2AndMiningEpisode()
    {
        string events = Path.Combine(_dir, "x.jsonl");
        string outDir = Path.Combine(_dir, "o");
        string summaryPath = Path.Combine(_dir, "s.json");

        Assert.Equal(0, await Netsec("generate", "--events", "200000", "--seed", "7", "--out", events));
        Assert.Equal(0, await Netsec("replay", events, "--out", outDir, "--summary-json", summaryPath));

        using var summary = JsonDocument.Parse(await File.ReadAllTextAsync(summaryPath));
        var root = summary.RootElement;
        Assert.Equal(200_000, root.GetProperty("events_in").GetInt64());
        Assert.Equal(0, root.GetProperty("events_rejected").GetInt64());
        long alerts = root.GetProperty("alerts").GetInt64();
        Assert.True(alerts > 0);
        Assert.Equal(alerts, root.GetProperty("alerts_by_detector").GetProperty("intel").GetInt64());
        Assert.True(root.GetProperty("elapsed_s").GetDouble() > 0);
        Assert.True(root.GetProperty("events_per_s").GetDouble() > 0);

        // Every alert line is an ECS alert document; collect their community ids.
        var alerted = new HashSet<string>(StringComparer.Ordinal);
        long lines = 0;
        foreach (string file in Directory.EnumerateFiles(outDir, "alerts-*.ndjson"))
        {
            foreach (string line in File.ReadLines(file))
            {
                using var doc = JsonDocument.Parse(line);
                Assert.Equal("alert", doc.RootElement.GetProperty("event").GetProperty("kind").GetString());
                Assert.Equal("intel", doc.RootElement.GetProperty("netsec").GetProperty("detector").GetString());
                alerted.Add(doc.RootElement.GetProperty("network").GetProperty("community_id").GetString()!);
                lines++;
            }
        }

        Assert.Equal(alerts, lines);

        // Ground truth: every c2_beacon and crypto_mining episode has an alert on one of its events.
        var episodes = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (string line in File.ReadLines(events + ".labels.jsonl"))
        {
            using var label = JsonDocument.Parse(line);
            string kind = label.RootElement.GetProperty("label").GetString()!;
            if (kind is "c2_beacon" or "crypto_mining")
            {
                string episode = label.RootElement.GetProperty("episode").GetString()!;
                if (!episodes.TryGetValue(episode, out var ids))
                {
                    episodes[episode] = ids = new HashSet<string>(StringComparer.Ordinal);
                }

                ids.Add(label.RootElement.GetProperty("community_id").GetString()!);
            }
        }

        Assert.Contains(episodes.Keys, e => e.StartsWith("c2_beacon", StringComparison.Ordinal));
        Assert.Contains(episodes.Keys, e => e.StartsWith("crypto_mining", StringComparison.Ordinal));
        var missed = episodes.Where(e => !e.Value.Overlaps(alerted)).Select(e => e.Key).ToList();
        Assert.True(missed.Count == 0, "episodes without an intel alert: " + string.Join(", ", missed));
    }

    [Fact]
    public async Task Replay_DeadLettersMalformedLines_WithReasonAndLineNumber_AndProcessesTheRest()
    {
        string sample = TestData.Require("hubble/hubble-otel/basic-sample-10-flows.json");
        var lines = File.ReadAllLines(sample).ToList();
        lines.Insert(3, "{\"flow\": {\"time\": \"2021-06-16T16:52:13Z\", \"IP\": ");
        lines.Insert(6, "this is not json");
        lines.Insert(8, "{\"flow\":{\"time\":\"2021-06-16T16:52:13Z\",\"IP\":{\"source\":\"10.0.0.x\",\"destination\":\"10.0.0.2\"},\"l4\":{\"TCP\":{\"source_port\":1,\"destination_port\":2}}}}");
        string input = Path.Combine(_dir, "mixed.jsonl");
        await File.WriteAllLinesAsync(input, lines);
        string outDir = Path.Combine(_dir, "o");
        string summaryPath = Path.Combine(_dir, "s.json");

        Assert.Equal(0, await Netsec("replay", input, "--out", outDir, "--summary-json", summaryPath));

        using var summary = JsonDocument.Parse(await File.ReadAllTextAsync(summaryPath));
        Assert.Equal(13, summary.RootElement.GetProperty("events_in").GetInt64());
        Assert.Equal(3, summary.RootElement.GetProperty("events_rejected").GetInt64());
        var deadLetters = Directory.EnumerateFiles(Path.Combine(outDir, "deadletter"), "*.ndjson")
            .SelectMany(File.ReadLines)
            .Select(l => JsonDocument.Parse(l).RootElement)
            .OrderBy(d => d.GetProperty("position").GetInt64())
            .ToList();
        Assert.Equal([4L, 7L, 9L], deadLetters.Select(d => d.GetProperty("position").GetInt64()));
        Assert.All(deadLetters, d => Assert.False(string.IsNullOrWhiteSpace(d.GetProperty("reason").GetString())));
        Assert.Contains("10.0.0.x", deadLetters[2].GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.All(deadLetters, d => Assert.Equal(Path.GetFullPath(input), Path.GetFullPath(d.GetProperty("origin").GetString()!)));
    }

    [Theory]
    [InlineData("pcaps/dns-tunnel/iodine.pcap", "pcap")]
    [InlineData("netflow/akvorado-testdata/netflow/nfv5.pcap", "netflow")]
    public async Task Replay_CaptureFiles_AreToldApartByContent_AndGiveFlows(string relative, string expectedFormat)
    {
        string capture = TestData.Require(relative);
        string outDir = Path.Combine(_dir, expectedFormat);
        string summaryPath = Path.Combine(_dir, expectedFormat + ".json");

        Assert.Equal(expectedFormat == "netflow" ? Collectors.CaptureKind.NetFlow : Collectors.CaptureKind.Pcap, Collectors.CaptureFormat.Detect(capture));
        Assert.Equal(0, await Netsec("replay", capture, "--out", outDir, "--summary-json", summaryPath));

        using var summary = JsonDocument.Parse(await File.ReadAllTextAsync(summaryPath));
        Assert.True(summary.RootElement.GetProperty("events_in").GetInt64() > 0);
        Assert.Equal(0, summary.RootElement.GetProperty("events_rejected").GetInt64());
        Assert.Equal(Collectors.CaptureKind.Hubble, Collectors.CaptureFormat.Detect(TestData.Require("hubble/hubble-otel/basic-sample-10-flows.json")));
    }

    [Theory]
    [InlineData("pcap")]
    [InlineData("netflow")]
    public async Task Replay_NotACaptureFile_WithACaptureFormat_ExitsWithTheConfigurationCode(string format)
    {
        string input = Path.Combine(_dir, "garbage.bin");
        await File.WriteAllBytesAsync(input, [.. Enumerable.Range(0, 3000).Select(i => (byte)(i * 37 + 11))]);

        Assert.Equal(NetSecCli.ConfigurationErrorExitCode, await Netsec("replay", input, "--format", format, "--out", Path.Combine(_dir, format)));
    }

    [Fact]
    public async Task Replay_WithABadSetting_ExitsWithTheConfigurationCode()
    {
        string input = Path.Combine(_dir, "empty.jsonl");
        await File.WriteAllTextAsync(input, "");
        Assert.Equal(NetSecCli.ConfigurationErrorExitCode, await Netsec("replay", input, "--out", _dir, "--Pipeline:BachSize=3"));
        Assert.Equal(NetSecCli.ConfigurationErrorExitCode, await Netsec("replay", Path.Combine(_dir, "missing.jsonl"), "--out", _dir));
    }

    [Fact]
    public async Task Replay_WithAnEveSink_WritesSuricataAlertLines_OnePerAlert()
    {
        string events = Path.Combine(_dir, "x.jsonl");
        string outDir = Path.Combine(_dir, "o");
        string eveDir = Path.Combine(_dir, "eve");
        string summaryPath = Path.Combine(_dir, "s.json");
        Assert.Equal(0, await Netsec("generate", "--events", "20000", "--seed", "7", "--out", events));

        Assert.Equal(0, await Netsec("replay", events, "--out", outDir, "--sink", $"file://{eveDir}?format=eve", "--summary-json", summaryPath));

        using var summary = JsonDocument.Parse(await File.ReadAllTextAsync(summaryPath));
        long alerts = summary.RootElement.GetProperty("alerts").GetInt64();
        Assert.True(alerts > 0, "the demo indicator lists should give intel alerts");
        var ecsCommunityIds = Directory.EnumerateFiles(outDir, "alerts-*.ndjson").SelectMany(File.ReadLines)
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("network").GetProperty("community_id").GetString()).ToHashSet();
        string[] eveFiles = Directory.GetFiles(eveDir);
        Assert.NotEmpty(eveFiles);
        Assert.All(eveFiles, f => Assert.Matches(@"^eve-\d{8}-\d{6}-\d{3}\.json$", Path.GetFileName(f)));
        long lines = 0;
        foreach (string line in eveFiles.SelectMany(File.ReadLines))
        {
            using var doc = JsonDocument.Parse(line);
            var eve = doc.RootElement;
            Assert.Equal("alert", eve.GetProperty("event_type").GetString());
            Assert.Matches(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+0000$", eve.GetProperty("timestamp").GetString());
            Assert.True(eve.GetProperty("flow_id").GetInt64() > 0);
            Assert.False(string.IsNullOrEmpty(eve.GetProperty("src_ip").GetString()));
            Assert.False(string.IsNullOrEmpty(eve.GetProperty("dest_ip").GetString()));
            Assert.Contains(eve.GetProperty("proto").GetString(), new[] { "TCP", "UDP", "ICMP", "IPv6-ICMP", "SCTP" });
            Assert.Contains(eve.GetProperty("community_id").GetString(), ecsCommunityIds);
            var alert = eve.GetProperty("alert");
            Assert.Contains(alert.GetProperty("action").GetString(), new[] { "allowed", "blocked" });
            Assert.Equal(1, alert.GetProperty("gid").GetInt32());
            Assert.InRange(alert.GetProperty("signature_id").GetInt64(), 2_000_000_000, 2_099_999_999);
            Assert.False(string.IsNullOrEmpty(alert.GetProperty("signature").GetString()));
            Assert.InRange(alert.GetProperty("severity").GetInt32(), 1, 4);
            Assert.Equal("intel", alert.GetProperty("metadata").GetProperty("netsec_detector")[0].GetString());
            lines++;
        }

        Assert.Equal(alerts, lines);
    }

    [Fact]
    public async Task Replay_WithAnUnknownSinkFormat_ExitsWithTheConfigurationCode()
    {
        string input = Path.Combine(_dir, "empty.jsonl");
        await File.WriteAllTextAsync(input, "");
        var previous = Console.Error;
        var captured = new StringWriter();
        Console.SetError(captured);
        int code;
        try
        {
            code = await Netsec("replay", input, "--out", _dir, "--sink", $"file://{_dir}/eve?format=suricata");
        }
        finally
        {
            Console.SetError(previous);
        }

        Assert.Equal(NetSecCli.ConfigurationErrorExitCode, code);
        Assert.Contains("sink format 'suricata'", captured.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bench_PrintsTheDocumentedKeys_AndLosesNothing()
    {
        var previous = Console.Out;
        var captured = new StringWriter();
        Console.SetOut(captured);
        int code;
        try
        {
            code = await Netsec("bench", "--events", "20000", "--json");
        }
        finally
        {
            Console.SetOut(previous);
        }

        Assert.Equal(0, code);
        using var result = JsonDocument.Parse(captured.ToString().Trim().Split('\n')[^1]);
        var root = result.RootElement;
        foreach (string key in new[] { "events_per_s", "baseline_events_per_s", "p50_ms", "p99_ms", "peak_rss_mb", "lost" })
        {
            Assert.True(root.TryGetProperty(key, out _), "missing key " + key);
        }

        Assert.Equal(0, root.GetProperty("lost").GetInt64());
        Assert.Equal(20_000, root.GetProperty("events").GetInt64());
        Assert.True(root.GetProperty("alerts").GetInt64() > 0);
        Assert.True(root.GetProperty("events_per_s").GetDouble() > 0);
        Assert.True(root.GetProperty("p99_ms").GetDouble() >= root.GetProperty("p50_ms").GetDouble());
    }

    [Fact]
    public async Task BenchKafka_PrintsTheDocumentedKeys_MediansOfItsRounds_AndLosesNothing()
    {
        var previous = Console.Out;
        var captured = new StringWriter();
        Console.SetOut(captured);
        int code;
        try
        {
            code = await Netsec("bench", "--transport", "kafka", "--events", "3000", "--json");
        }
        finally
        {
            Console.SetOut(previous);
        }

        Assert.Equal(0, code);
        using var result = JsonDocument.Parse(captured.ToString().Trim().Split('\n')[^1]);
        var root = result.RootElement;
        foreach (string key in new[] { "events_per_s", "baseline_events_per_s", "p50_ms", "p99_ms", "peak_rss_mb", "lost" })
        {
            Assert.True(root.TryGetProperty(key, out _), "missing key " + key);
        }

        Assert.Equal(0, root.GetProperty("lost").GetInt64());
        Assert.True(root.GetProperty("events_per_s").GetDouble() > 0);
        Assert.True(root.GetProperty("baseline_events_per_s").GetDouble() > 0);
        string baseline = root.GetProperty("baseline").GetString()!;
        Assert.Contains("binary encoding", baseline, StringComparison.Ordinal);
        Assert.Contains($"medians of {Commands.KafkaBench.Rounds} alternating rounds", baseline, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_StreamsTheDemo_ServesMetricsAndHealth_WritesAlerts_AndStopsCleanly()
    {
        int port = FreePort();
        string dataDir = Path.Combine(_dir, "data");
        var run = Netsec("run", "--duration", "00:00:06", $"--Metrics:Listen=http://127.0.0.1:{port}",
            $"--Storage:DataDirectory={dataDir}", "--Sources:Demo:EventsPerSecond=2000", "--Control:Urls=http://127.0.0.1:0");

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        string metrics = "";
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline && !metrics.Contains("netsec_events_in_total{", StringComparison.Ordinal))
        {
            await Task.Delay(250);
            try
            {
                metrics = await http.GetStringAsync("/metrics");
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
        }

        Assert.Contains("netsec_events_in_total{", metrics, StringComparison.Ordinal);
        Assert.Contains("netsec_flows_inspected_total{", metrics, StringComparison.Ordinal);
        Assert.Contains("netsec_queue_depth{", metrics, StringComparison.Ordinal);
        Assert.Equal("Healthy", await http.GetStringAsync("/healthz"));
        Assert.Equal("Healthy", await http.GetStringAsync("/readyz"));

        Assert.Equal(0, await run);
        var alertFiles = Directory.GetFiles(Path.Combine(dataDir, "alerts"), "alerts-*.ndjson");
        Assert.NotEmpty(alertFiles);
        string firstLine = File.ReadLines(alertFiles[0]).First();
        using var doc = JsonDocument.Parse(Encoding.UTF8.GetBytes(firstLine));
        Assert.Equal("alert", doc.RootElement.GetProperty("event").GetProperty("kind").GetString());

        // The control plane ran in process: every alert the file sink wrote is in the triage store too.
        var store = new NetSecStream.Control.Store.TriageStore(Path.Combine(dataDir, "control", "triage.db"));
        store.Open();
        long written = alertFiles.Sum(f => File.ReadLines(f).LongCount());
        Assert.Equal(written, store.CountAlerts());
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }

    [Fact]
    public async Task Control_ConsumesTheAlertsTopic_AndServesThemToATokenItCreated()
    {
        var adminConfig = new Confluent.Kafka.AdminClientConfig { BootstrapServers = "127.0.0.1:1" };
        adminConfig.Set("test.mock.num.brokers", "1");
        using var admin = new Confluent.Kafka.AdminClientBuilder(adminConfig).Build();
        string brokers = string.Join(",", admin.GetMetadata(TimeSpan.FromSeconds(10)).Brokers.Select(b => $"{b.Host}:{b.Port}"));
        // Alerts as netsec process writes them: through the kafka_alerts sink.
        var kafka = new NetSecStream.Kafka.KafkaOptions { BootstrapServers = brokers };
        using var metrics = new NetSecStream.Core.Telemetry.NetSecMetrics();
        using var sink = new NetSecStream.Kafka.KafkaAlertSink(kafka, metrics);
        await sink.StartAsync(CancellationToken.None);
        var alerts = Enumerable.Range(0, 40).Select(i => new NetSecStream.Core.Events.Alert
        {
            Id = "kafka-alert-" + i,
            Timestamp = DateTimeOffset.UtcNow.AddSeconds(-i),
            Detector = "intel",
            RuleId = "intel:test",
            RuleName = "test",
            Severity = 2,
            RiskScore = 50,
            Explanation = "test",
            DedupeKey = "k" + i,
            Flow = NetSecStream.Testing.Flows.Tcp("10.0.0.1", 40000, "10.0.0.2", 443, sourceNamespace: "shop"),
        }).ToList();

        // One block-mode alert: an outside address attacking shop/cart. The control plane is the only writer of block rules.
        alerts.Add(new NetSecStream.Core.Events.Alert
        {
            Id = "kafka-alert-block",
            Timestamp = DateTimeOffset.UtcNow,
            Detector = "intel",
            RuleId = "intel:test",
            RuleName = "test",
            Severity = 1,
            RiskScore = 90,
            Explanation = "known scanner",
            DedupeKey = "block",
            Mode = NetSecStream.Core.Mode.Block,
            Flow = new NetSecStream.Core.Events.FlowEvent
            {
                Timestamp = DateTimeOffset.UtcNow,
                Source = new NetSecStream.Core.Events.FlowEndpoint { Ip = System.Net.IPAddress.Parse("203.0.113.9"), Port = 51000, ReservedEntity = "world" },
                Destination = new NetSecStream.Core.Events.FlowEndpoint
                {
                    Ip = System.Net.IPAddress.Parse("10.0.0.2"), Port = 443, Namespace = "shop", Workload = "cart",
                    Labels = new Dictionary<string, string> { ["app"] = "cart", ["pod-template-hash"] = "6d5f7" },
                },
                IpProtocol = 6,
                Direction = NetSecStream.Core.Events.TrafficDirection.Ingress,
                Verdict = NetSecStream.Core.Events.DataplaneVerdict.Forwarded,
                CollectorId = "test",
            },
        });
        await sink.WriteAsync(alerts, CancellationToken.None);
        await sink.StopAsync(CancellationToken.None);

        string dataDir = Path.Combine(_dir, "control");
        var output = new StringWriter();
        var original = Console.Out;
        Console.SetOut(output);
        try
        {
            Assert.Equal(0, await Netsec("control", "token", "create", "--role", "viewer", $"--Storage:DataDirectory={dataDir}"));
        }
        finally
        {
            Console.SetOut(original);
        }

        string token = output.ToString().TrimEnd().Split('\n')[^1].Trim();
        int port = FreePort();
        string gitOps = Path.Combine(_dir, "gitops");
        var control = Netsec("control", "--duration", "00:00:15", "--urls", $"http://127.0.0.1:{port}", "--Metrics:Enabled=false",
            $"--Storage:DataDirectory={dataDir}", $"--Kafka:BootstrapServers={brokers}", "--Kafka:Properties:session.timeout.ms=6000",
            "--Enforcement:Enabled=true", $"--Enforcement:GitOpsDirectory={gitOps}");
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        int seen = 0;
        var deadline = DateTime.UtcNow.AddSeconds(14);
        while (DateTime.UtcNow < deadline && seen < alerts.Count)
        {
            await Task.Delay(250);
            try
            {
                using var page = JsonDocument.Parse(await http.GetStringAsync("/api/alerts?namespace=shop&limit=100"));
                seen = page.RootElement.GetProperty("items").GetArrayLength();
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
        }

        Assert.Equal(alerts.Count, seen);

        // The block-mode alert became one block rule, written as a GitOps file and listed by the API.
        int blocks = 0;
        while (DateTime.UtcNow < deadline && blocks == 0)
        {
            using var active = JsonDocument.Parse(await http.GetStringAsync("/api/blocks"));
            blocks = active.RootElement.GetArrayLength();
            if (blocks == 0)
            {
                await Task.Delay(200);
            }
        }

        Assert.Equal(1, blocks);
        string file = Assert.Single(Directory.GetFiles(gitOps, "*.yaml", SearchOption.AllDirectories));
        string yaml = await File.ReadAllTextAsync(file);
        Assert.Contains("203.0.113.9/32", yaml, StringComparison.Ordinal);
        Assert.Contains("ingressDeny", yaml, StringComparison.Ordinal);
        using (var anonymous = new HttpClient { BaseAddress = http.BaseAddress })
        {
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/alerts")).StatusCode);
        }

        Assert.Equal(0, await control);
    }

    [Fact]
    public async Task Run_ControlPortBusy_IsAStartupErrorNamingControlUrls()
    {
        using var busy = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        busy.Start();
        int port = ((System.Net.IPEndPoint)busy.LocalEndpoint).Port;
        var error = new StringWriter();
        var original = Console.Error;
        Console.SetError(error);
        int exit;
        try
        {
            exit = await Netsec("run", "--duration", "00:00:05", "--Metrics:Enabled=false", $"--Storage:DataDirectory={Path.Combine(_dir, "busy")}",
                $"--Control:Urls=http://127.0.0.1:{port}");
        }
        finally
        {
            Console.SetError(original);
        }

        Assert.Equal(NetSecCli.ConfigurationErrorExitCode, exit);
        Assert.Contains($"Control:Urls 'http://127.0.0.1:{port}': cannot listen", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ControlTokenCreate_PrintsTheTokenLast_IntoTheStoreControlUses()
    {
        string dataDir = Path.Combine(_dir, "ctl");
        var output = new StringWriter();
        var original = Console.Out;
        Console.SetOut(output);
        int exit;
        try
        {
            exit = await Netsec("control", "token", "create", "--role", "admin", "--name", "ops", $"--Storage:DataDirectory={dataDir}");
        }
        finally
        {
            Console.SetOut(original);
        }

        Assert.Equal(0, exit);
        string token = output.ToString().TrimEnd().Split('\n')[^1].Trim();
        var store = new NetSecStream.Control.Store.TriageStore(Path.Combine(dataDir, "control", "triage.db"));
        store.Open();
        var info = store.FindToken(token);
        Assert.NotNull(info);
        Assert.Equal("admin", info.Role);
        Assert.Equal("ops", info.Name);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Assert.Equal(NetSecCli.ConfigurationErrorExitCode, await Netsec("control", "token", "create", "--role", "admin", "--name", "bad name", $"--Storage:DataDirectory={dataDir}"));
    }

    [Fact]
    public async Task CollectThenProcess_ThroughKafka_AlertsOnEveryC2Episode_AndCommitsEverything()
    {
        // librdkafka's mock cluster listens on real ports, so the commands connect to it as to any broker.
        var adminConfig = new Confluent.Kafka.AdminClientConfig { BootstrapServers = "127.0.0.1:1" };
        adminConfig.Set("test.mock.num.brokers", "1");
        using var admin = new Confluent.Kafka.AdminClientBuilder(adminConfig).Build();
        string brokers = string.Join(",", admin.GetMetadata(TimeSpan.FromSeconds(10)).Brokers.Select(b => $"{b.Host}:{b.Port}"));
        string[] kafka = [$"--Kafka:BootstrapServers={brokers}", "--Kafka:Properties:session.timeout.ms=6000", "--Metrics:Enabled=false",
            $"--Storage:DataDirectory={Path.Combine(_dir, "data")}"];
        string events = Path.Combine(_dir, "flows.jsonl");
        Assert.Equal(0, await Netsec("generate", "--events", "5000", "--seed", "11", "--out", events));

        Assert.Equal(0, await Netsec(["collect", "--input", events, "--once", .. kafka]));
        string alerts = Path.Combine(_dir, "alerts");
        Assert.Equal(0, await Netsec(["process", "--duration", "00:00:12", "--sink", new Uri(alerts + "/").AbsoluteUri, .. kafka]));

        // Every message was consumed and committed by the group.
        using var consumer = new Confluent.Kafka.ConsumerBuilder<byte[], byte[]>(new Confluent.Kafka.ConsumerConfig
        {
            BootstrapServers = brokers,
            GroupId = "netsec-process",
        }).Build();
        var partitions = admin.GetMetadata("netsec.flows", TimeSpan.FromSeconds(10)).Topics[0].Partitions
            .Select(p => new Confluent.Kafka.TopicPartition("netsec.flows", p.PartitionId)).ToList();
        long high = partitions.Sum(p => consumer.QueryWatermarkOffsets(p, TimeSpan.FromSeconds(10)).High.Value);
        long committed = consumer.Committed(partitions, TimeSpan.FromSeconds(10)).Sum(o => Math.Max(0, o.Offset.Value));
        Assert.Equal(5000, high);
        Assert.Equal(high, committed);

        // Alerts reached the extra file sink; every C2 episode has one.
        var alerted = Directory.EnumerateFiles(alerts, "alerts-*.ndjson").SelectMany(File.ReadLines)
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("network").GetProperty("community_id").GetString()!)
            .ToHashSet(StringComparer.Ordinal);
        var c2 = File.ReadLines(events + ".labels.jsonl").Select(l => JsonDocument.Parse(l).RootElement)
            .Where(l => l.GetProperty("label").GetString() == "c2_beacon")
            .GroupBy(l => l.GetProperty("episode").GetString()!, l => l.GetProperty("community_id").GetString()!)
            .ToList();
        Assert.NotEmpty(c2);
        Assert.All(c2, episode => Assert.True(episode.Any(alerted.Contains), $"episode {episode.Key} has no alert"));
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
