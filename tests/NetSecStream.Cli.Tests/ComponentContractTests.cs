using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Confluent.Kafka;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using NetSecStream.Behaviour.Detection;
using NetSecStream.Cli.Configuration;
using NetSecStream.Cli.Hosting;
using NetSecStream.Collectors.Files;
using NetSecStream.Collectors.Hubble;
using NetSecStream.Collectors.HubbleRelay;
using NetSecStream.Collectors.Kubernetes;
using NetSecStream.Collectors.NetFlow;
using NetSecStream.Collectors.Pcap;
using NetSecStream.Core.Components;
using NetSecStream.Core.Configuration;
using NetSecStream.Core.Ecs;
using NetSecStream.Core.Events;
using NetSecStream.Core.Telemetry;
using NetSecStream.Core.Wire;
using NetSecStream.Kafka;
using NetSecStream.Pipeline;
using NetSecStream.Pipeline.Decide;
using NetSecStream.Pipeline.Detectors.Intel;
using NetSecStream.Pipeline.Enrichment;
using NetSecStream.Pipeline.InProcess;
using NetSecStream.Policy.Audit;
using NetSecStream.Policy.Enforcement;
using NetSecStream.Sinks.Elasticsearch;
using NetSecStream.Sinks.Eve;
using NetSecStream.Signatures.Engine;
using NetSecStream.Sinks.Files;
using NetSecStream.Sinks.Hec;
using NetSecStream.Sinks.Syslog;
using NetSecStream.Sinks.Webhook;
using NetSecStream.Testing;
using NetSecStream.Testing.Elasticsearch;

namespace NetSecStream.Cli.Tests;

/// <summary>
/// Checks every component in <see cref="ComponentCatalog"/> against docs/specs/component.md: naming, options that
/// validate with messages naming their keys, unknown keys rejected, clean start and stop, bad input counted
/// without stopping the pipeline, metrics emitted under the component's id. A new component needs a probe here.
/// </summary>
public sealed partial class ComponentContractTests : IDisposable
{
    private const string GoodFlow = """{"flow":{"time":"2021-06-16T16:52:13.136834446Z","verdict":"FORWARDED","IP":{"source":"10.0.2.16","destination":"203.0.113.66","ipVersion":"IPv4"},"l4":{"TCP":{"source_port":42044,"destination_port":443}},"source":{"namespace":"shop","pod_name":"cart-1"},"destination":{"identity":2,"labels":["reserved:world"]},"traffic_direction":"EGRESS"},"node_name":"n1","time":"2021-06-16T16:52:13.136834446Z"}""";

    private readonly string _dir = Directory.CreateTempSubdirectory("netsec-contract-").FullName;

    // Fake servers (Kubernetes API, Hubble Relay) the probes started; stopped with the test.
    private static readonly ConcurrentBag<IAsyncDisposable> FakeServers = [];

    public void Dispose()
    {
        while (FakeServers.TryTake(out var api))
        {
            api.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        Directory.Delete(_dir, recursive: true);
    }

    public static TheoryData<string> ComponentIds => [.. ComponentCatalog.All.Select(c => c.Id)];

    [Fact]
    public void Ids_AreUnique_AndEveryComponentHasAProbe()
    {
        var ids = ComponentCatalog.All.Select(c => c.Id).ToList();
        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
        var probes = Probes(_dir);
        Assert.All(ids, id => Assert.True(probes.ContainsKey(id), $"component '{id}' has no contract probe in ComponentContractTests"));
    }

    [Theory]
    [MemberData(nameof(ComponentIds))]
    public async Task Component_MeetsTheContract(string id)
    {
        var descriptor = ComponentCatalog.Get(id);
        var probe = Probes(_dir)[id];

        // Naming.
        Assert.Matches(LowerSnakeCase(), id);

        // Options: valid ones pass; invalid ones fail with messages that start with the full key; unknown keys are rejected.
        object options = probe.ValidOptions();
        Assert.Empty(descriptor.Validate(options));
        if (descriptor.Section is { } section)
        {
            var failures = descriptor.Validate(probe.InvalidOptions!());
            Assert.NotEmpty(failures);
            Assert.All(failures, f => Assert.StartsWith(section + ":", f, StringComparison.Ordinal));
            var unknown = NetSecConfiguration.KeyValidator().FindUnknownKeys(
                new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [section + ":NoSuchSetting"] = "1" }).Build());
            Assert.Contains(unknown, e => e.Contains($"'{section}:NoSuchSetting'", StringComparison.Ordinal));
        }

        // Lifecycle: start then stop with no data in between.
        using (var metrics = new NetSecMetrics())
        {
            var component = descriptor.Create(options, Services(metrics));
            Assert.Equal(id, component.Id);
            Assert.Equal(descriptor.Kind, component.Kind);
            await component.StartAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
            await component.StopAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
            (component as IDisposable)?.Dispose();
        }

        // Bad input: counted, under the component's id, and nothing crashes.
        using (var metrics = new NetSecMetrics())
        using (var recorder = new MetricRecorder(metrics))
        {
            await probe.FeedBadInput(descriptor, options, Services(metrics)).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True(recorder.Total(probe.CountedAs, id, probe.CountedComponent ?? id) > 0,
                $"{id}: expected {probe.CountedAs}{{component=\"{probe.CountedComponent ?? id}\"}} after bad input; saw: {recorder.Describe()}");
            Assert.True(recorder.Any(id), $"{id}: no metric carried component=\"{id}\"; saw: {recorder.Describe()}");
        }
    }

    private static ComponentServices Services(NetSecMetrics metrics) => new(metrics, NullLoggerFactory.Instance, TimeProvider.System);

    private sealed record Probe(
        Func<object> ValidOptions,
        Func<object>? InvalidOptions,
        Func<ComponentDescriptor, object, ComponentServices, Task> FeedBadInput,
        string CountedAs = "netsec_events_rejected",
        string? CountedComponent = null);

    private static Dictionary<string, Probe> Probes(string dir) => new(StringComparer.Ordinal)
    {
        [JsonLinesFileSource.ComponentId] = new(
            () =>
            {
                string path = Path.Combine(dir, "flows.jsonl");
                File.WriteAllText(path, GoodFlow + "\n" + new string('x', 4096) + "\n" + GoodFlow + "\n");
                return new HubbleFileSourceOptions { Path = path, MaxLineBytes = 2048 };
            },
            () => new HubbleFileSourceOptions { Path = "" },
            async (d, o, s) =>
            {
                var sink = new RecordingSink();
                await RunPipeline((IRecordSource)d.Create(o, s), s, sink);
                Assert.Equal(2, sink.Alerts.Count);
            }),
        [InProcessRecordSource.ComponentId] = new(
            () => new object(),
            null,
            async (d, o, s) =>
            {
                var transport = (InProcessRecordSource)d.Create(o, s);
                var sink = new RecordingSink();
                var run = RunPipeline(transport, s, sink);
                await transport.PublishAsync(new RawRecord(Encoding.UTF8.GetBytes("not json"), "t", 1), CancellationToken.None);
                await transport.PublishAsync(new RawRecord(Encoding.UTF8.GetBytes(GoodFlow), "t", 2), CancellationToken.None);
                transport.Complete();
                await run;
                Assert.Single(sink.Alerts);
                Assert.Equal(2, transport.CommittedPosition("t"));
            },
            CountedComponent: HubbleFlowDecoder.ComponentId),
        [HubbleFlowDecoder.ComponentId] = new(
            () => new HubbleDecoderOptions(),
            () => new HubbleDecoderOptions { MaxLineBytes = 0 },
            (d, o, s) =>
            {
                var decoder = (IFlowDecoder)d.Create(o, s);
                var result = decoder.Decode("{\"flow\":{\"IP\":{\"source\":\"nope\"}}}"u8);
                Assert.False(result.IsSuccess);
                Assert.False(string.IsNullOrWhiteSpace(result.Error));
                return Task.CompletedTask;
            }),
        [CommunityIdEnricher.ComponentId] = new(
            () => new object(),
            null,
            async (d, o, s) =>
            {
                var enricher = (IFlowEnricher)d.Create(o, s);
                var mixed = new FlowEvent
                {
                    Timestamp = DateTimeOffset.UnixEpoch,
                    Source = new FlowEndpoint { Ip = IPAddress.Parse("10.0.0.1") },
                    Destination = new FlowEndpoint { Ip = IPAddress.Parse("2001:db8::1") },
                    IpProtocol = 6,
                };
                enricher.Enrich(mixed);
                Assert.Null(mixed.CommunityId);

                // Through the pipeline, a record no decoder accepts is counted while the enricher still sees the rest.
                var transport = new InProcessRecordSource(s.Metrics);
                var run = RunPipeline(transport, s, new RecordingSink(), [enricher]);
                await transport.PublishAsync(new RawRecord(Encoding.UTF8.GetBytes("{]"), "t", 1), CancellationToken.None);
                await transport.PublishAsync(new RawRecord(Encoding.UTF8.GetBytes(GoodFlow), "t", 2), CancellationToken.None);
                transport.Complete();
                await run;
            },
            CountedComponent: HubbleFlowDecoder.ComponentId),
        [IntelDetector.ComponentId] = new(
            () =>
            {
                string path = Path.Combine(dir, "feed.txt");
                File.WriteAllText(path, "203.0.113.66\nthis is not an indicator!\n");
                return new IntelOptions { Paths = [path] };
            },
            () => new IntelOptions { Paths = [Path.Combine(dir, "missing.txt")] },
            async (d, o, s) =>
            {
                var detector = (IDetector)d.Create(o, s);
                await detector.StartAsync(CancellationToken.None);
                var alerts = new List<Alert>();
                detector.Detect([Flows.Tcp("10.0.0.1", 1000, "203.0.113.66", 443, "shop")], alerts);
                Assert.Single(alerts);
                await detector.StopAsync(CancellationToken.None);
            }),
        [PolicyDetector.ComponentId] = new(
            () =>
            {
                string folder = Path.Combine(dir, "policies");
                Directory.CreateDirectory(folder);
                File.WriteAllText(Path.Combine(folder, "deny-egress.yaml"), """
                    apiVersion: networking.k8s.io/v1
                    kind: NetworkPolicy
                    metadata: {name: deny-egress, namespace: shop}
                    spec: {podSelector: {}, policyTypes: [Egress]}
                    """);
                return new PolicyAuditOptions { Enabled = true, Paths = [folder], ReloadInterval = TimeSpan.FromMinutes(1) };
            },
            () => new PolicyAuditOptions { Enabled = true, Paths = [Path.Combine(dir, "no-policies")], Severity = 9 },
            async (d, o, s) =>
            {
                // A broken file arriving at a reload is counted and the policies in force keep auditing.
                var detector = (PolicyDetector)d.Create(o, s);
                await detector.StartAsync(CancellationToken.None);
                string broken = Path.Combine(((PolicyAuditOptions)o).Paths[0], "broken.yaml");
                File.WriteAllText(broken, "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: x}\nspec: {podSelector: {}, bogus: 1}\n");
                Assert.False(detector.Reload(force: false));
                var alerts = new List<Alert>();
                detector.Detect([Flows.Tcp("10.0.0.1", 1000, "203.0.113.66", 443, "shop")], alerts);
                Assert.Single(alerts);
                File.Delete(broken);
                await detector.StopAsync(CancellationToken.None);
                detector.Dispose();
            }),
        [BehaviourDetector.ComponentId] = new(
            () => new BehaviourOptions
            {
                Enabled = true,
                ModelPath = Path.Combine(TestData.RepoRoot, "models", "workload-baseline"),
                MaxSources = 4,
                MaxConnections = 8,
            },
            () => new BehaviourOptions { Enabled = true, ModelPath = Path.Combine(dir, "no-model"), Threshold = 0 },
            async (d, o, s) =>
            {
                // A flood of new peers beyond the bounded feature state: evicted and counted, every event still scored.
                var detector = (IDetector)d.Create(o, s);
                await detector.StartAsync(CancellationToken.None);
                var flood = Enumerable.Range(0, 100).Select(i => Flows.Tcp($"10.9.{i / 250}.{(i % 250) + 1}", (ushort)(40000 + i), "203.0.113.66", 4444, "shop")).ToList();
                var alerts = new List<Alert>();
                detector.Detect(flood, alerts);
                Assert.Single(((BehaviourDetector)detector).Origins);
                await detector.StopAsync(CancellationToken.None);
                (detector as IDisposable)?.Dispose();
            },
            CountedAs: "netsec_state_evicted"),
        [PolicySyncSink.ComponentId] = new(
            () => new EnforcementOptions { Enabled = true, GitOpsDirectory = Path.Combine(dir, "gitops"), AuditLogPath = Path.Combine(dir, "enforcement", "audit.jsonl") },
            () => new EnforcementOptions { Enabled = true, DefaultTtl = TimeSpan.Zero },
            async (d, o, s) =>
            {
                // A block-mode alert between two outside addresses: no workload to protect, refused, counted and audited.
                var sink = (IAlertSink)d.Create(o, s);
                await sink.StartAsync(CancellationToken.None);
                var flow = Flows.Tcp("198.51.100.1", 40000, "203.0.113.66", 443);
                await sink.WriteAsync([new Alert
                {
                    Id = "x1", Timestamp = flow.Timestamp, Detector = DetectorKinds.Intel, RuleId = "r", RuleName = "r", Severity = 1, RiskScore = 90,
                    Explanation = "e", DedupeKey = "k", Flow = flow, Mode = NetSecStream.Core.Mode.Block,
                }], CancellationToken.None);
                await sink.StopAsync(CancellationToken.None);
                await ((IAsyncDisposable)sink).DisposeAsync();
                Assert.Contains(JsonLinesEnforcementAudit.Read(((EnforcementOptions)o).AuditLogPath!), e => e.Action == AuditActions.SkipUnidentified);
            }),
        [FileSink.ComponentId] = new(
            () => new FileSinkOptions { Directory = Path.Combine(dir, "alerts") },
            () => new FileSinkOptions { Directory = "", MaxFileBytes = 0 },
            async (d, o, s) =>
            {
                var sink = (IAlertSink)d.Create(o, s);
                await sink.StartAsync(CancellationToken.None);
                var good = BadAndGoodAlert(double.NaN, out var bad);
                await sink.WriteAsync([bad, good], CancellationToken.None);
                await sink.StopAsync(CancellationToken.None);
                var written = Directory.GetFiles(((FileSinkOptions)o).Directory, "alerts-*.ndjson").SelectMany(File.ReadLines).ToList();
                Assert.Single(written);
            }),
        [EveFileSink.ComponentId] = new(
            () => new EveFileSinkOptions { Directory = Path.Combine(dir, "eve") },
            () => new EveFileSinkOptions { Directory = "", MaxFileBytes = 0 },
            async (d, o, s) =>
            {
                var sink = (IAlertSink)d.Create(o, s);
                await sink.StartAsync(CancellationToken.None);
                var good = BadAndGoodAlert(50, out var bad);
                bad = new Alert
                {
                    Id = bad.Id, Timestamp = bad.Timestamp, Detector = bad.Detector, RuleId = bad.RuleId, RuleName = bad.RuleName, Severity = bad.Severity,
                    RiskScore = bad.RiskScore, Explanation = bad.Explanation, DedupeKey = bad.DedupeKey, Flow = null!,
                };
                await sink.WriteAsync([bad, good], CancellationToken.None);
                await sink.StopAsync(CancellationToken.None);
                var written = Directory.GetFiles(((EveFileSinkOptions)o).Directory, "eve-*.json").SelectMany(File.ReadLines).ToList();
                Assert.Contains("\"event_type\":\"alert\"", Assert.Single(written), StringComparison.Ordinal);
            }),
        [ElasticsearchSink.ComponentId] = new(
            () =>
            {
                var server = FakeElasticsearch.StartAsync().GetAwaiter().GetResult();
                FakeServers.Add(server);
                return new ElasticsearchSinkOptions { Url = server.Url, FlushInterval = TimeSpan.Zero };
            },
            () => new ElasticsearchSinkOptions { Url = "ftp://nowhere", MaxBatchDocuments = 0 },
            async (d, o, s) =>
            {
                // An alert that cannot be serialised is counted and skipped; the good one is indexed.
                var sink = (IAlertSink)d.Create(o, s);
                await sink.StartAsync(CancellationToken.None);
                var good = BadAndGoodAlert(double.NaN, out var bad);
                await sink.WriteAsync([bad, good], CancellationToken.None);
                await sink.StopAsync(CancellationToken.None);
                var server = FakeServers.OfType<FakeElasticsearch>().Single(f => f.Url == ((ElasticsearchSinkOptions)o).Url);
                Assert.Equal(good.Id, Assert.Single(server.AllDocuments()).Id);
            }),
        [FileDeadLetterSink.ComponentId] = new(
            () => new FileDeadLetterOptions { Directory = Path.Combine(dir, "dead") },
            () => new FileDeadLetterOptions { Directory = "" },
            async (d, o, s) =>
            {
                var sink = (FileDeadLetterSink)d.Create(o, s);
                await sink.StartAsync(CancellationToken.None);
                await sink.WriteAsync(new DeadLetter("decode", "x", 1, "oversized", new byte[200_000], DateTimeOffset.UtcNow), CancellationToken.None);
                await sink.StopAsync(CancellationToken.None);
                string line = Directory.GetFiles(((FileDeadLetterOptions)o).Directory).SelectMany(File.ReadLines).Single();
                Assert.Contains("\"payload_truncated\":true", line, StringComparison.Ordinal);
            },
            CountedAs: "netsec_events_in"),
        [KafkaRecordSource.ComponentId] = new(
            () => KafkaProbeOptions(dir),
            InvalidKafkaOptions,
            async (d, o, s) =>
            {
                var options = (KafkaOptions)o;
                await using (var publisher = new KafkaFlowPublisher(options, s.Metrics))
                {
                    var flow = Flows.Tcp("10.0.0.1", 1000, "203.0.113.66", 443, "shop");
                    flow.CommunityId = CommunityId.Compute(flow);
                    await publisher.PublishAsync(flow, CancellationToken.None);
                    await publisher.FlushAsync(CancellationToken.None);
                }

                using (var producer = new ProducerBuilder<byte[], byte[]>(options.ProducerConfig()).Build())
                {
                    await producer.ProduceAsync(options.FlowsTopic, new Message<byte[], byte[]> { Value = "not json"u8.ToArray() });
                }

                var source = (KafkaRecordSource)d.Create(o, s);
                var sink = new RecordingSink();
                using var stop = new CancellationTokenSource();
                // The processor's decoder: reads the binary encoding collect publishes by default, and ECS JSON.
                var run = RunPipeline(source, s, sink, decoder: new FlowWireDecoder(null, s.Metrics), token: stop.Token);
                var deadline = DateTime.UtcNow.AddSeconds(30);
                while (source.CommittedOffsets.Values.Sum() < 2 && DateTime.UtcNow < deadline)
                {
                    await Task.Delay(50);
                }

                await stop.CancelAsync();
                await run;
                Assert.Equal(2, source.CommittedOffsets.Values.Sum());
                Assert.Single(sink.Alerts);
                source.Dispose();
            },
            CountedComponent: FlowWireDecoder.ComponentId),
        [KafkaFlowPublisher.ComponentId] = new(
            () => KafkaProbeOptions(dir),
            InvalidKafkaOptions,
            async (d, o, s) =>
            {
                var deadLetters = new MemoryDeadLetterSink();
                var options = (KafkaOptions)o;
                options.MaxMessageBytes = 1024;
                await using var publisher = new KafkaFlowPublisher(options, s.Metrics, deadLetters);
                var huge = Flows.Tcp("10.0.0.1", 1000, "203.0.113.66", 443, "shop", dnsQuery: new string('a', 2000));
                await publisher.PublishAsync(huge, CancellationToken.None);
                await publisher.PublishAsync(Flows.Tcp("10.0.0.1", 1001, "203.0.113.66", 443, "shop"), CancellationToken.None);
                await publisher.FlushAsync(CancellationToken.None);
                Assert.Equal(1, publisher.Delivered);
                Assert.Equal(1, publisher.Failed);
                Assert.Contains("exceeds Kafka:MaxMessageBytes", Assert.Single(deadLetters.Items).Reason, StringComparison.Ordinal);
            },
            CountedAs: "netsec_dead_letters"),
        [KafkaAlertSink.ComponentId] = new(
            () => KafkaProbeOptions(dir),
            InvalidKafkaOptions,
            async (d, o, s) =>
            {
                var sink = (IAlertSink)d.Create(o, s);
                await sink.StartAsync(CancellationToken.None);
                var good = BadAndGoodAlert(double.NaN, out var bad);
                await sink.WriteAsync([bad, good], CancellationToken.None);
                await sink.StopAsync(CancellationToken.None);
            }),
        [KafkaDeadLetterSink.ComponentId] = new(
            () => KafkaProbeOptions(dir),
            InvalidKafkaOptions,
            async (d, o, s) =>
            {
                var sink = (KafkaDeadLetterSink)d.Create(o, s);
                await sink.StartAsync(CancellationToken.None);
                await sink.WriteAsync(new DeadLetter("decode", "netsec.flows/3", 42, "bad", new byte[10], DateTimeOffset.UtcNow), CancellationToken.None);
                await sink.StopAsync(CancellationToken.None);
            },
            CountedAs: "netsec_events_out"),
        [EcsFlowDecoder.ComponentId] = new(
            () => new EcsDecoderOptions(),
            () => new EcsDecoderOptions { MaxRecordBytes = 0 },
            (d, o, s) =>
            {
                var decoder = (IFlowDecoder)d.Create(o, s);
                var result = decoder.Decode("{\"source\":{\"ip\":\"nope\"}}"u8);
                Assert.False(result.IsSuccess);
                Assert.False(string.IsNullOrWhiteSpace(result.Error));
                return Task.CompletedTask;
            }),
        [NetFlowUdpSource.ComponentId] = new(
            () => new NetFlowOptions { Listen = "127.0.0.1", Port = FreeUdpPort() },
            () => new NetFlowOptions { Port = 70000 },
            async (d, o, s) =>
            {
                var source = (NetFlowUdpSource)d.Create(o, s);
                var rejected = new ConcurrentQueue<DeadLetter>();
                source.Rejected += rejected.Enqueue;
                await source.StartAsync(CancellationToken.None);
                using (var sender = new System.Net.Sockets.UdpClient(System.Net.Sockets.AddressFamily.InterNetwork))
                {
                    sender.Connect(source.LocalEndPoint!);
                    await sender.SendAsync(new byte[] { 0, 42, 1, 2, 3 });
                }

                using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(3));
                var reading = Task.Run(async () =>
                {
                    await foreach (var _ in source.ReadAsync(stop.Token))
                    {
                    }
                });
                var deadline = DateTime.UtcNow.AddSeconds(10);
                while (rejected.IsEmpty && DateTime.UtcNow < deadline)
                {
                    await Task.Delay(20);
                }

                await stop.CancelAsync();
                await source.StopAsync(CancellationToken.None);
                await reading.ContinueWith(_ => { }, TaskScheduler.Default);
                Assert.Equal("unsupported_version", Assert.Single(rejected).Reason);
                await source.DisposeAsync();
            }),
        [PcapFlowSource.ComponentId] = new(
            () =>
            {
                // A classic pcap (Ethernet) whose only record claims 100 bytes and holds 10: a truncated capture.
                string path = Path.Combine(dir, "truncated.pcap");
                byte[] header = [0xD4, 0xC3, 0xB2, 0xA1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0, 0, 1, 0, 0, 0];
                byte[] record = [0, 0, 0, 0, 0, 0, 0, 0, 100, 0, 0, 0, 100, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
                File.WriteAllBytes(path, [.. header, .. record]);
                return new PcapOptions { File = path };
            },
            () => new PcapOptions { File = "x.pcap", MaxFlows = 0 },
            async (d, o, s) =>
            {
                var source = (PcapFlowSource)d.Create(o, s);
                var rejected = new ConcurrentQueue<DeadLetter>();
                source.Rejected += rejected.Enqueue;
                await source.StartAsync(CancellationToken.None);
                await foreach (var _ in source.ReadAsync(CancellationToken.None))
                {
                }

                await source.StopAsync(CancellationToken.None);
                Assert.NotEmpty(rejected);
            }),
        [HubbleRelaySource.ComponentId] = new(
            () =>
            {
                var relay = new GarbageTcpServer();
                FakeServers.Add(relay);
                return new HubbleRelayOptions
                {
                    Address = "http://127.0.0.1:" + relay.Port,
                ReconnectInitialBackoff = TimeSpan.FromMilliseconds(50),
                    ReconnectMaxBackoff = TimeSpan.FromMilliseconds(200),
                };
            },
            () => new HubbleRelayOptions { Address = "not a url" },
            async (d, o, s) =>
            {
                // The address accepts connections but answers garbage: every call fails, is counted and retried; the stream does not end.
                var source = (HubbleRelaySource)d.Create(o, s);
                await source.StartAsync(CancellationToken.None);
                using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                try
                {
                    await foreach (var _ in source.ReadAsync(stop.Token))
                    {
                    }
                }
                catch (OperationCanceledException)
                {
                    // Stopped by the probe.
                }

                await source.StopAsync(CancellationToken.None);
            },
            CountedAs: "netsec_source_errors"),
        [KubernetesEnricher.ComponentId] = new(
            () =>
            {
                string kubeconfig = Path.Combine(dir, "kubeconfig");
                FakeServers.Add(new FakeKubernetesApi(kubeconfig));
                return new KubernetesEnrichmentOptions { KubeconfigPath = kubeconfig };
            },
            () => new KubernetesEnrichmentOptions { MaxPods = 0 },
            async (d, o, s) =>
            {
                // A watch that answers 410 Gone: the pods are listed again (counted as a reload) and enrichment goes on.
                var enricher = (KubernetesEnricher)d.Create(o, s);
                await enricher.StartAsync(CancellationToken.None);
                var flow = Flows.Tcp("10.0.0.1", 1000, "203.0.113.66", 443, null);
                enricher.Enrich(flow);
                await Task.Delay(TimeSpan.FromSeconds(1));
                await enricher.StopAsync(CancellationToken.None);
            },
            CountedAs: "netsec_component_reloads"),
        ["signatures"] = new(
            () =>
            {
                // One rule that loads and matches, one with a keyword nobody knows: the second is counted, not skipped silently.
                string rules = Path.Combine(dir, "probe.rules");
                File.WriteAllLines(rules,
                [
                    "alert tcp any any -> any 443 (msg:\"probe\"; flow:to_server; sid:1000001; rev:1;)",
                    "alert tcp any any -> any any (msg:\"bad\"; frobnicate; sid:1000002; rev:1;)",
                ]);
                return new SignatureOptions { Paths = [rules] };
            },
            () => new SignatureOptions { Paths = [] },
            async (d, o, s) =>
            {
                var detector = (SignatureDetector)d.Create(o, s);
                await detector.StartAsync(CancellationToken.None);
                var alerts = new List<Alert>();
                detector.Detect([Flows.Tcp("10.0.0.1", 1000, "203.0.113.66", 443, "shop")], alerts);
                Assert.Equal("1000001", Assert.Single(alerts).RuleId);
                await detector.StopAsync(CancellationToken.None);
                detector.Dispose();
            }),
        [SyslogSink.ComponentId] = new(
            () => new SyslogSinkOptions { Host = "127.0.0.1", Port = FreeUdpPort(), Transport = SyslogTransport.Udp },
            () => new SyslogSinkOptions { Host = "", Facility = 99, MaxMessageBytes = 10 },
            async (d, o, s) =>
            {
                // An alert that cannot be formatted (NaN risk score) is counted and skipped; the good one is sent.
                using var receiver = new System.Net.Sockets.UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
                var options = (SyslogSinkOptions)o;
                options.Port = ((IPEndPoint)receiver.Client.LocalEndPoint!).Port;
                var sink = (IAlertSink)d.Create(options, s);
                await sink.StartAsync(CancellationToken.None);
                var good = BadAndGoodAlert(double.NaN, out var bad);
                await sink.WriteAsync([bad, good], CancellationToken.None);
                var datagram = await receiver.ReceiveAsync().WaitAsync(TimeSpan.FromSeconds(5));
                Assert.Contains("externalId=" + good.Id, Encoding.UTF8.GetString(datagram.Buffer), StringComparison.Ordinal);
                await sink.StopAsync(CancellationToken.None);
                (sink as IDisposable)?.Dispose();
            }),
        [HecSink.ComponentId] = new(
            () => new HecSinkOptions { Url = "http://127.0.0.1:1", Token = "probe-token", RetryTimeout = TimeSpan.FromSeconds(5) },
            () => new HecSinkOptions { Url = "ftp://x", Token = "", MaxRequestBytes = 0 },
            async (d, o, s) =>
            {
                await using var server = new RecordingHttpServer();
                var options = (HecSinkOptions)o;
                options.Url = server.Address;
                var sink = (IAlertSink)d.Create(options, s);
                await sink.StartAsync(CancellationToken.None);
                var good = BadAndGoodAlert(double.NaN, out var bad);
                await sink.WriteAsync([bad, good], CancellationToken.None);
                await sink.StopAsync(CancellationToken.None);
                (sink as IDisposable)?.Dispose();
                Assert.Equal("/services/collector/event", Assert.Single(server.Requests).Path);
            }),
        [WebhookSink.ComponentId] = new(
            () => new WebhookSinkOptions { Url = "http://127.0.0.1:1/hook", Secret = "probe", RetryTimeout = TimeSpan.FromSeconds(5) },
            () => new WebhookSinkOptions { Url = "", MaxSlackLines = 0 },
            async (d, o, s) =>
            {
                await using var server = new RecordingHttpServer();
                var options = (WebhookSinkOptions)o;
                options.Url = server.Address + "/hook";
                var sink = (IAlertSink)d.Create(options, s);
                await sink.StartAsync(CancellationToken.None);
                var good = BadAndGoodAlert(double.NaN, out var bad);
                await sink.WriteAsync([bad, good], CancellationToken.None);
                await sink.StopAsync(CancellationToken.None);
                (sink as IDisposable)?.Dispose();
                Assert.Contains(good.Id, Encoding.UTF8.GetString(Assert.Single(server.Requests).Body), StringComparison.Ordinal);
            }),
        [FlowWireDecoder.ComponentId] = new(
            () => new FlowWireDecoderOptions(),
            () => new FlowWireDecoderOptions { InternCapacity = 0 },
            (d, o, s) =>
            {
                var decoder = (IFlowDecoder)d.Create(o, s);
                Assert.False(decoder.Decode([0x00, 0x01, 0x00]).IsSuccess);
                var result = decoder.Decode("{\"source\":{\"ip\":\"nope\"}}"u8);
                Assert.False(result.IsSuccess);
                Assert.False(string.IsNullOrWhiteSpace(result.Error));
                return Task.CompletedTask;
            }),
    };

    private static readonly Lazy<(IAdminClient Admin, string Brokers)> MockKafka = new(() =>
    {
        // librdkafka's in-process mock cluster: the real wire protocol, no broker to install.
        var config = new AdminClientConfig { BootstrapServers = "127.0.0.1:1" };
        config.Set("test.mock.num.brokers", "1");
        var admin = new AdminClientBuilder(config).Build();
        var metadata = admin.GetMetadata(TimeSpan.FromSeconds(10));
        return (admin, string.Join(",", metadata.Brokers.Select(b => $"{b.Host}:{b.Port}")));
    });

    private static int FreeUdpPort()
    {
        using var probe = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    private static KafkaOptions KafkaProbeOptions(string dir) => new()
    {
        BootstrapServers = MockKafka.Value.Brokers,
        FlowsTopic = "contract.flows." + Path.GetFileName(dir),
        AlertsTopic = "contract.alerts",
        DeadLetterTopic = "contract.deadletter",
        GroupId = "contract-" + Path.GetFileName(dir),
        Properties = { ["session.timeout.ms"] = "6000" },
    };

    private static KafkaOptions InvalidKafkaOptions() => new() { BootstrapServers = "", FlowsTopic = "bad topic!", Properties = { ["no.such.property"] = "1" } };

    private static Alert BadAndGoodAlert(double badScore, out Alert bad)
    {
        Alert Make(double score) => new()
        {
            Id = Guid.NewGuid().ToString("N"),
            Timestamp = DateTimeOffset.UtcNow,
            Detector = DetectorKinds.Intel,
            RuleId = "r",
            RuleName = "r",
            Severity = 2,
            RiskScore = score,
            Explanation = "x",
            DedupeKey = "k",
            Flow = Flows.Tcp("10.0.0.1", 1, "10.0.0.2", 2),
        };
        bad = Make(badScore);
        return Make(50);
    }

    private static async Task RunPipeline(IRecordSource source, ComponentServices services, RecordingSink sink, IReadOnlyList<IFlowEnricher>? enrichers = null,
        IFlowDecoder? decoder = null, CancellationToken token = default)
    {
        string feed = Path.Combine(Path.GetTempPath(), "netsec-contract-feed-" + Guid.NewGuid().ToString("N") + ".txt");
        await File.WriteAllTextAsync(feed, "203.0.113.66\n", CancellationToken.None);
        try
        {
            var components = new PipelineComponents(source, decoder ?? new HubbleFlowDecoder(new HubbleDecoderOptions(), services.Metrics), enrichers ?? [],
                [new IntelDetector(new IntelOptions { Paths = [feed] }, services.Metrics)], [sink], new MemoryDeadLetterSink());
            await new FlowPipeline(new PipelineOptions { DedupeWindow = TimeSpan.Zero }, components, new ModeResolver(new ModeOptions()), services.Metrics).RunAsync(token);
        }
        finally
        {
            File.Delete(feed);
        }
    }

    [GeneratedRegex("^[a-z][a-z0-9]*(_[a-z0-9]+)*$")]
    private static partial Regex LowerSnakeCase();

    /// <summary>Records every measurement of one <see cref="NetSecMetrics"/> instance.</summary>
    private sealed class MetricRecorder : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentQueue<(string Instrument, long Value, Dictionary<string, object?> Tags)> _seen = new();

        public MetricRecorder(NetSecMetrics metrics)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (ReferenceEquals(instrument.Meter, metrics.Meter))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            {
                var map = new Dictionary<string, object?>(StringComparer.Ordinal);
                foreach (var tag in tags)
                {
                    map[tag.Key] = tag.Value;
                }

                _seen.Enqueue((instrument.Name, value, map));
            });
            _listener.Start();
        }

        public long Total(string instrument, string id, string component) =>
            _seen.Where(m => m.Instrument == instrument && Equals(m.Tags.GetValueOrDefault("component"), component)).Sum(m => m.Value);

        public bool Any(string id) => _seen.Any(m => Equals(m.Tags.GetValueOrDefault("component"), id));

        public string Describe() => string.Join("; ", _seen.GroupBy(m => $"{m.Instrument}{{component={m.Tags.GetValueOrDefault("component")}}}").Select(g => $"{g.Key}={g.Sum(m => m.Value)}"));

        public void Dispose() => _listener.Dispose();
    }
}
