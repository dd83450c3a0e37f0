using System.Diagnostics.Metrics;
using System.Net;
using NetSecStream.Core;
using NetSecStream.Core.Components;
using NetSecStream.Core.Events;
using NetSecStream.Core.Telemetry;
using NetSecStream.Pipeline.Decide;
using NetSecStream.Pipeline.Detectors.Intel;
using NetSecStream.Pipeline.Enrichment;
using NetSecStream.Pipeline.InProcess;
using NetSecStream.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace NetSecStream.Pipeline.Tests;

public sealed class ModeTableTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("netsec-modes-").FullName;
    private readonly NetSecMetrics _metrics = new();

    public void Dispose()
    {
        _metrics.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private static FlowEvent Flow(string ns, string? workload = null, params (string Key, string Value)[] labels) => new()
    {
        Timestamp = DateTimeOffset.UnixEpoch,
        Source = new FlowEndpoint
        {
            Ip = IPAddress.Parse("10.0.0.1"), Port = 40000, Namespace = ns, Workload = workload,
            Labels = labels.Length == 0 ? null : labels.ToDictionary(l => l.Key, l => l.Value),
        },
        Destination = new FlowEndpoint { Ip = IPAddress.Parse("10.0.0.2"), Port = 443 },
        IpProtocol = 6,
        Direction = TrafficDirection.Egress,
    };

    private static ModeOptions Table() => new()
    {
        Default = "log",
        Namespaces = { ["shop"] = "alert" },
        Workloads = { ["shop/checkout"] = "log" },
        Selectors =
        {
            new ModeSelectorOptions { Selector = "app=payments", Mode = "alert" },
            new ModeSelectorOptions { Namespace = "shop", Selector = "app=payments,tier in (db)", Mode = "block" },
            new ModeSelectorOptions { Selector = "app=payments", Mode = "log" },
            new ModeSelectorOptions { Selector = "team,!legacy", Mode = "block" },
        },
    };

    [Fact]
    public void Resolve_WorkloadByName_ThenNamespacedSelector_ThenClusterSelectorInOrder_ThenNamespace_ThenDefault()
    {
        var resolver = new ModeResolver(Table());

        // By name wins even where a selector matches.
        Assert.Equal(Mode.Log, resolver.Resolve(Flow("shop", "checkout", ("app", "payments"), ("tier", "db"))));
        // The shop-scoped selector beats the cluster-wide one written before it.
        Assert.Equal(Mode.Block, resolver.Resolve(Flow("shop", "pay", ("app", "payments"), ("tier", "db"))));
        // Outside shop the scoped one does not apply; of the cluster-wide ones the first written wins.
        Assert.Equal(Mode.Alert, resolver.Resolve(Flow("data", "pay", ("app", "payments"), ("tier", "db"))));
        Assert.Equal(Mode.Block, resolver.Resolve(Flow("data", "x", ("team", "a"))));
        Assert.Equal(Mode.Log, resolver.Resolve(Flow("data", "x", ("team", "a"), ("legacy", "true"))));
        // No selector matches: the namespace, then the default.
        Assert.Equal(Mode.Alert, resolver.Resolve(Flow("shop", "web", ("app", "web"))));
        Assert.Equal(Mode.Log, resolver.Resolve(Flow("data", "web", ("app", "web"))));
        Assert.Equal(Mode.Alert, resolver.Resolve(Flow("shop")));
    }

    [Fact]
    public void Validator_NamesTheKeyAndWhy_ForBadSelectorsAndModes()
    {
        var options = new ModeOptions
        {
            Selectors =
            {
                new ModeSelectorOptions { Selector = "app=web", Mode = "block" },
                new ModeSelectorOptions { Selector = "app in (a,b", Mode = "block" },
                new ModeSelectorOptions { Selector = "", Mode = "alert" },
                new ModeSelectorOptions { Namespace = " ", Selector = "app=x", Mode = "drop" },
            },
        };

        var result = new ModeOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        var failures = result.Failures!.ToList();
        Assert.Equal(4, failures.Count);
        Assert.Contains(failures, f => f.StartsWith("Modes:Selectors:1:Selector is not a label selector: selector 'app in (a,b'", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Modes:Selectors:2:Selector is missing", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Modes:Selectors:3:Namespace is blank", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Modes:Selectors:3:Mode 'drop' is not a mode", StringComparison.Ordinal));
        Assert.Throws<ArgumentException>(() => new ModeTable(options));
    }

    [Fact]
    public void Update_SwapsAtomically_RejectsInvalidTables_AndTellsListeners()
    {
        var table = new ModeTable(new ModeOptions { Default = "alert" });
        var resolver = new ModeResolver(table);
        var seen = new List<long>();
        table.Changed += snapshot => seen.Add(snapshot.Version);
        var payments = Flow("shop", "pay", ("app", "payments"));
        Assert.Equal(Mode.Alert, resolver.Resolve(payments));

        var errors = table.Update(new ModeOptions { Selectors = { new ModeSelectorOptions { Selector = "app in (a", Mode = "block" } } });
        Assert.Single(errors);
        Assert.StartsWith("Modes:Selectors:0:Selector", errors[0], StringComparison.Ordinal);
        Assert.Equal(1, table.Version);
        Assert.Empty(seen);

        Assert.Empty(table.Update(new ModeOptions { Default = "alert", Selectors = { new ModeSelectorOptions { Selector = "app=payments", Mode = "block" } } }));
        Assert.Equal(2, table.Version);
        Assert.Equal([2L], seen);
        Assert.Equal(Mode.Block, resolver.Resolve(payments));

        // An API reads the table in force, edits a copy, and sends it back.
        var edited = table.Current.ToOptions();
        Assert.Equal("app=payments", Assert.Single(edited.Selectors).Selector);
        edited.Selectors[0].Mode = "log";
        Assert.Equal(Mode.Block, resolver.Resolve(payments));
        Assert.Empty(table.Update(edited));
        Assert.Equal(Mode.Log, resolver.Resolve(payments));
        Assert.Equal(3, table.Version);
    }

    [Fact]
    public async Task Update_UnderConcurrentResolves_NeverShowsAMixedTable()
    {
        // Table A: default log, payments block. Table B: default block, payments log. A mix would give log/log or block/block.
        var a = new ModeOptions { Default = "log", Selectors = { new ModeSelectorOptions { Selector = "app=payments", Mode = "block" } } };
        var b = new ModeOptions { Default = "block", Selectors = { new ModeSelectorOptions { Selector = "app=payments", Mode = "log" } } };
        var table = new ModeTable(a);
        var payments = Flow("shop", "pay", ("app", "payments"));
        var other = Flow("shop", "web", ("app", "web"));
        using var stop = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var writer = Task.Run(() =>
        {
            for (int i = 0; !stop.IsCancellationRequested; i++)
            {
                Assert.Empty(table.Update(i % 2 == 0 ? b : a));
            }
        });
        long mixed = 0;
        while (!stop.IsCancellationRequested)
        {
            var snapshot = table.Current;
            if (snapshot.Resolve(payments) == snapshot.Resolve(other))
            {
                mixed++;
            }
        }

        await writer;
        Assert.Equal(0, mixed);
        Assert.True(table.Version > 2);
    }

    [Fact]
    public void SelectorCache_IsBounded_AndKeyedByLabelContentNotInstance()
    {
        // More selectors than are matched directly, so the cache is used.
        var options = new ModeOptions { Default = "alert", SelectorCacheSize = 16, Selectors = { new ModeSelectorOptions { Selector = "app=payments", Mode = "block" } } };
        for (int i = 0; i < 5; i++)
        {
            options.Selectors.Add(new ModeSelectorOptions { Selector = "app=none" + i, Mode = "log" });
        }

        var table = new ModeTable(options);
        // A few selectors are matched directly: nothing is cached.
        var few = new ModeTable(new ModeOptions { Selectors = { options.Selectors[0] } }).Current;
        Assert.Equal(0, few.MatchingSelector("shop", new Dictionary<string, string> { ["app"] = "payments" }));
        Assert.Equal(0, few.CachedLabelSets);
        for (int i = 0; i < 200; i++)
        {
            var flow = Flow("shop", "w" + i, ("app", i % 10 == 0 ? "payments" : "web"), ("pod-template-hash", "h" + i));
            Assert.Equal(i % 10 == 0 ? Mode.Block : Mode.Alert, table.Current.Resolve(flow));
            Assert.InRange(table.Current.CachedLabelSets, 1, 16);
        }

        var fresh = new ModeTable(options);
        var first = new Dictionary<string, string> { ["app"] = "payments", ["tier"] = "db" };
        var reordered = new Dictionary<string, string> { ["tier"] = "db", ["app"] = "payments" };
        Assert.Equal(0, fresh.Current.MatchingSelector("shop", first));
        Assert.Equal(0, fresh.Current.MatchingSelector("shop", reordered));
        Assert.Equal(1, fresh.Current.CachedLabelSets);
        // The cache holds a copy: changing the caller's dictionary afterwards changes nothing cached.
        first["app"] = "web";
        Assert.Equal(-1, fresh.Current.MatchingSelector("shop", first));
        Assert.Equal(0, fresh.Current.MatchingSelector("shop", reordered));
    }

    [Fact]
    public void ModeFile_ReadsYamlAndJson_AndReportsFileLineKey()
    {
        const string yaml = """
            default: log
            namespaces:
              shop: alert
            selectors:
              - namespace: shop
                selector: "app=payments,tier in (db)"
                mode: block
            """;
        var (options, errors) = ModeFile.Parse(yaml, "modes.yaml");
        Assert.Empty(errors);
        Assert.Equal(Mode.Block, new ModeResolver(options!).Resolve(Flow("shop", "p", ("app", "payments"), ("tier", "db"))));

        var (json, jsonErrors) = ModeFile.Parse("""{"Default": "block", "Workloads": {"shop/web": "log"}}""", "modes.json");
        Assert.Empty(jsonErrors);
        Assert.Equal("block", json!.Default);

        // The control plane writes its modes file (Control:ModesFile) in configuration form, under "Modes".
        var (control, controlErrors) = ModeFile.Parse("""{"Modes": {"Default": "log", "Namespaces": {"shop": "block"}}}""", "modes.json");
        Assert.Empty(controlErrors);
        Assert.Equal("log", control!.Default);
        Assert.Equal("block", control.Namespaces["shop"]);

        const string broken = """
            default: log
            selectors:
              - selector: "app in (a"
                mode: block
              - selector: app=x
                mode: drop
                colour: red
            """;
        var (none, problems) = ModeFile.Parse(broken, "modes.yaml");
        Assert.Null(none);
        Assert.Equal(3, problems.Count);
        Assert.Contains(problems, p => p.StartsWith("modes.yaml:7: Modes:Selectors:1: unknown key 'colour'", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("modes.yaml:3: Modes:Selectors:0:Selector is not a label selector", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("modes.yaml:6: Modes:Selectors:1:Mode 'drop'", StringComparison.Ordinal));
        Assert.Matches(@"^modes\.yaml:\d+: not valid YAML or JSON", ModeFile.Parse("a: [", "modes.yaml").Errors[0]);
    }

    [Fact]
    public void ModeFileWatcher_AppliesChanges_KeepsModesOnABrokenFile_AndCountsIt()
    {
        string path = Path.Combine(_dir, "modes.yaml");
        File.WriteAllText(path, "default: alert\n");
        long failed = 0, ok = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == "netsec_component_reloads")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            bool isModes = false;
            string? outcome = null;
            foreach (var tag in tags)
            {
                isModes |= tag.Key == "component" && Equals(tag.Value, ModeFileWatcher.ComponentId);
                outcome = tag.Key == "outcome" ? tag.Value as string : outcome;
            }

            if (isModes)
            {
                _ = outcome == "ok" ? Interlocked.Add(ref ok, value) : Interlocked.Add(ref failed, value);
            }
        });
        listener.Start();

        var options = new ModeOptions { Default = "log", File = path, ReloadInterval = TimeSpan.FromHours(1) };
        var (table, watcher) = ModeFileWatcher.Create(options, _metrics, NullLoggerFactory.Instance);
        using (watcher)
        {
            var resolver = new ModeResolver(table);
            var payments = Flow("shop", "pay", ("app", "payments"));
            Assert.Equal(Mode.Alert, resolver.Resolve(payments));
            Assert.False(watcher!.Poll());

            File.WriteAllText(path, "default: alert\nselectors:\n  - selector: app=payments\n    mode: block\n");
            Assert.True(watcher.Poll());
            Assert.Equal(Mode.Block, resolver.Resolve(payments));
            long version = table.Version;

            File.WriteAllText(path, "default: alert\nselectors:\n  - selector: \"app in (a\"\n    mode: block\n");
            Assert.False(watcher.Poll());
            File.Delete(path);
            Assert.False(watcher.Poll());
            Assert.Equal(Mode.Block, resolver.Resolve(payments));
            Assert.Equal(version, table.Version);
        }

        listener.RecordObservableInstruments();
        Assert.Equal(1, Interlocked.Read(ref ok));
        Assert.Equal(2, Interlocked.Read(ref failed));

        // At start a broken file is an error naming the key; a missing one leaves the section's modes in force.
        File.WriteAllText(path, "default: nope\n");
        var error = Assert.Throws<InvalidOperationException>(() => ModeFileWatcher.CreateTable(options, _metrics, NullLoggerFactory.Instance));
        Assert.Contains("modes.yaml:1: Modes:Default 'nope'", error.Message, StringComparison.Ordinal);
        File.Delete(path);
        Assert.Equal(Mode.Log, ModeFileWatcher.CreateTable(options, _metrics, NullLoggerFactory.Instance).Current.Default);
    }

    [Fact]
    public async Task EveryDetectorsAlerts_GoThroughTheSameModeDecision()
    {
        // Flows from 10.0.0.1-4 belong to the payments workload (labelled by the enricher below), the rest to web.
        var records = new List<byte[]>();
        for (int i = 0; i < 40; i++)
        {
            records.Add(CsvFlowDecoder.Record("10.0.0." + (1 + (i % 8)), 30000 + i, "203.0.113.7", 443, "shop", second: i));
        }

        var modes = new ModeOptions
        {
            Default = "log",
            Namespaces = { ["shop"] = "alert" },
            Selectors = { new ModeSelectorOptions { Namespace = "shop", Selector = "app=payments", Mode = "block" } },
        };
        string feed = Path.Combine(_dir, "feed.txt");
        File.WriteAllLines(feed, ["203.0.113.7"]);
        var sink = new RecordingSink();
        var pipeline = new FlowPipeline(new PipelineOptions { DedupeWindow = TimeSpan.Zero },
            new PipelineComponents(new MemoryRecordSource(records), new CsvFlowDecoder(), [new LabelEnricher(), new CommunityIdEnricher()],
                [new IntelDetector(new IntelOptions { Paths = [feed] }, _metrics), new KindDetector(DetectorKinds.Signature), new KindDetector(DetectorKinds.Behaviour),
                    new KindDetector(DetectorKinds.Policy)],
                [sink], new MemoryDeadLetterSink()),
            new ModeResolver(modes), _metrics);

        await pipeline.RunAsync(CancellationToken.None);

        var alerts = sink.Alerts.ToList();
        Assert.Equal([DetectorKinds.Behaviour, DetectorKinds.Intel, DetectorKinds.Policy, DetectorKinds.Signature],
            alerts.Select(a => a.Detector).Distinct().Order(StringComparer.Ordinal));
        foreach (var group in alerts.GroupBy(a => a.Detector))
        {
            Assert.Equal(40, group.Count());
            foreach (var alert in group)
            {
                bool payments = alert.Flow.Source.Labels!["app"] == "payments";
                // Block where the selector says so, for every detector (a finding that asks to block does; others alert).
                var expected = payments ? (alert.RequestsBlock == false ? Mode.Alert : Mode.Block) : Mode.Alert;
                Assert.Equal(expected, alert.Mode);
            }
        }

        Assert.Equal(20, alerts.Count(a => a.Mode == Mode.Block && a.Detector == DetectorKinds.Signature));
    }

    private sealed class LabelEnricher : IFlowEnricher
    {
        public string Id => "test_labels";

        public ComponentKind Kind => ComponentKind.Enricher;

        public void Enrich(FlowEvent flow)
        {
            int last = flow.Source.Ip.GetAddressBytes()[3];
            flow.Source = new FlowEndpoint
            {
                Ip = flow.Source.Ip, Port = flow.Source.Port, Namespace = flow.Source.Namespace,
                Labels = new Dictionary<string, string> { ["app"] = last <= 4 ? "payments" : "web", ["pod-template-hash"] = "abc" + last },
            };
        }
    }

    private sealed class KindDetector(string kind) : IDetector
    {
        public string Id => "test_" + kind;

        public ComponentKind Kind => ComponentKind.Detector;

        public string DetectorKind => kind;

        public void Detect(IReadOnlyList<FlowEvent> batch, ICollection<Alert> alerts)
        {
            foreach (var flow in batch)
            {
                alerts.Add(new Alert
                {
                    Id = kind + flow.Source.Port, Timestamp = flow.Timestamp, Detector = kind, RuleId = "1", RuleName = kind, Severity = 2, RiskScore = 50,
                    Explanation = "test", DedupeKey = kind + flow.Source.Port, Flow = flow,
                    // Signature findings ask to block (a drop rule); the others leave it to the mode.
                    RequestsBlock = kind == DetectorKinds.Signature ? true : null,
                });
            }
        }
    }
}
