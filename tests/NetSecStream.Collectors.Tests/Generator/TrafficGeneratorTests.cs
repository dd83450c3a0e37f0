using System.Net;
using System.Text;
using System.Text.Json;
using NetSecStream.Collectors.Generator;
using NetSecStream.Core.Events;
using NetSecStream.Testing;

namespace NetSecStream.Collectors.Tests.Generator;

public sealed class TrafficGeneratorTests : IClassFixture<DemoRunFixture>, IDisposable
{
    private readonly DemoRunFixture _demo;
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "netsec-gen-" + Guid.NewGuid().ToString("N"));

    public TrafficGeneratorTests(DemoRunFixture demo)
    {
        _demo = demo;
        Directory.CreateDirectory(_directory);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Scenarios_AreDemoQuietAndAttackHeavy()
    {
        Assert.Equal(["demo", "quiet", "attack-heavy"], TrafficGenerator.Scenarios);
    }

    [Fact]
    public void Generate_UnknownScenario_ThrowsNamingTheChoices()
    {
        var ex = Assert.Throws<ArgumentException>(() => new TrafficGenerator().Generate(new GeneratorOptions("noisy")));
        Assert.Contains("attack-heavy", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Generate_NegativeEvents_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new TrafficGenerator().Generate(new GeneratorOptions(Events: -1)));
    }

    [Fact]
    public void Generate_SameSeed_IsByteIdentical()
    {
        var options = new GeneratorOptions("demo", 6000, Seed: 42);
        var first = new TrafficGenerator().Generate(options).ToList();
        var second = new TrafficGenerator().Generate(options).ToList();

        Assert.Equal(6000, first.Count);
        Assert.Equal(first.Count, second.Count);
        for (int i = 0; i < first.Count; i++)
        {
            Assert.Equal(first[i].Json, second[i].Json);
            Assert.Equal(first[i].Label, second[i].Label);
            Assert.Equal(first[i].Episode, second[i].Episode);
            Assert.Equal(first[i].CommunityId, second[i].CommunityId);
        }
    }

    [Fact]
    public void Generate_DifferentSeed_DiffersAndKeepsTheShape()
    {
        var a = new TrafficGenerator().Generate(new GeneratorOptions("demo", 2000, Seed: 1)).ToList();
        var b = new TrafficGenerator().Generate(new GeneratorOptions("demo", 2000, Seed: 2)).ToList();

        Assert.Equal(a.Count, b.Count);
        int identical = a.Zip(b).Count(p => p.First.Json.AsSpan().SequenceEqual(p.Second.Json));
        Assert.True(identical < a.Count / 100, $"{identical} of {a.Count} lines identical across seeds");
    }

    [Fact]
    public void Generate_LinesAreNumberedFromOne()
    {
        Assert.Equal(Enumerable.Range(1, DemoRunFixture.Events).Select(i => (long)i), _demo.Generated.Select(e => e.Line));
    }

    [Fact]
    public void EveryLine_HasTheHubbleExporterShape()
    {
        foreach (var generated in _demo.Generated)
        {
            using var doc = JsonDocument.Parse(generated.Json);
            var root = doc.RootElement;
            var flow = root.GetProperty("flow");
            string where = "line " + generated.Line;

            Assert.Equal(flow.GetProperty("time").GetString(), root.GetProperty("time").GetString());
            Assert.Equal(flow.GetProperty("node_name").GetString(), root.GetProperty("node_name").GetString());
            Assert.StartsWith("gke-prod-eu1-default-pool-", root.GetProperty("node_name").GetString(), StringComparison.Ordinal);
            Assert.True(DateTimeOffset.TryParse(flow.GetProperty("time").GetString(), out _), where);

            var ip = flow.GetProperty("IP");
            Assert.True(IPAddress.TryParse(ip.GetProperty("source").GetString(), out _), where);
            Assert.True(IPAddress.TryParse(ip.GetProperty("destination").GetString(), out _), where);
            Assert.Equal("IPv4", ip.GetProperty("ipVersion").GetString());

            var l4 = flow.GetProperty("l4").EnumerateObject().ToList();
            Assert.Single(l4);
            Assert.Contains(l4[0].Name, new[] { "TCP", "UDP", "ICMPv4" });
            if (l4[0].Name != "ICMPv4")
            {
                Assert.InRange(l4[0].Value.GetProperty("source_port").GetInt32(), 1, 65535);
                Assert.InRange(l4[0].Value.GetProperty("destination_port").GetInt32(), 1, 65535);
            }

            foreach (string side in new[] { "source", "destination" })
            {
                var endpoint = flow.GetProperty(side);
                Assert.True(endpoint.GetProperty("identity").GetUInt32() > 0, where);
                var labels = endpoint.GetProperty("labels").EnumerateArray().Select(l => l.GetString()!).ToList();
                Assert.NotEmpty(labels);
                Assert.All(labels, l => Assert.True(l.StartsWith("k8s:", StringComparison.Ordinal) || l.StartsWith("reserved:", StringComparison.Ordinal), l));
                if (endpoint.TryGetProperty("pod_name", out _))
                {
                    string ns = endpoint.GetProperty("namespace").GetString()!;
                    Assert.Contains("k8s:io.kubernetes.pod.namespace=" + ns, labels);
                    Assert.Single(endpoint.GetProperty("workloads").EnumerateArray());
                }
            }

            string type = flow.GetProperty("Type").GetString()!;
            string verdict = flow.GetProperty("verdict").GetString()!;
            Assert.Contains(verdict, new[] { "FORWARDED", "DROPPED" });
            if (verdict == "DROPPED")
            {
                Assert.Equal("POLICY_DENIED", flow.GetProperty("drop_reason_desc").GetString());
                Assert.Equal(1, flow.GetProperty("event_type").GetProperty("type").GetInt32());
            }

            Assert.Contains(flow.GetProperty("traffic_direction").GetString(), new[] { "INGRESS", "EGRESS" });
            Assert.False(string.IsNullOrEmpty(flow.GetProperty("Summary").GetString()), where);
            _ = flow.GetProperty("is_reply").GetBoolean();
            if (type == "L7")
            {
                var l7 = flow.GetProperty("l7");
                Assert.Contains(l7.GetProperty("type").GetString(), new[] { "REQUEST", "RESPONSE" });
                Assert.True(l7.TryGetProperty("dns", out _) || l7.TryGetProperty("http", out _), where);
                Assert.Equal(129, flow.GetProperty("event_type").GetProperty("type").GetInt32());
            }
            else
            {
                Assert.Equal("L3_L4", type);
                Assert.False(flow.TryGetProperty("l7", out _), where);
            }
        }
    }

    [Fact]
    public void GeneratedFlowFields_AreFieldsRealHubbleFlowsCarry()
    {
        // Every top-level flow field we write must be one real Hubble exports: the recorded samples show most;
        // the rest (drops, DNS-derived names, services, workloads) are in Hubble's flow.proto.
        var known = new HashSet<string>(StringComparer.Ordinal)
        {
            "drop_reason", "drop_reason_desc", "source_names", "destination_names", "source_service", "destination_service",
        };
        foreach (string file in Directory.EnumerateFiles(TestData.Require("hubble/hubble-otel"), "*.json"))
        {
            foreach (string line in File.ReadLines(file).Where(l => l.Length > 0))
            {
                using var sample = JsonDocument.Parse(line);
                known.UnionWith(sample.RootElement.GetProperty("flow").EnumerateObject().Select(p => p.Name));
            }
        }

        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var generated in _demo.Generated)
        {
            using var doc = JsonDocument.Parse(generated.Json);
            used.UnionWith(doc.RootElement.GetProperty("flow").EnumerateObject().Select(p => p.Name));
        }

        Assert.Empty(used.Except(known));
        Assert.Superset(new HashSet<string> { "time", "verdict", "IP", "l4", "source", "destination", "Type", "node_name", "l7", "event_type", "traffic_direction", "is_reply", "Summary" }, used);
    }

    [Fact]
    public void Demo_ContainsSeveralEpisodesOfEveryAttack()
    {
        var episodes = _demo.Parsed.Where(f => f.Episode is not null).GroupBy(f => f.Label)
            .ToDictionary(g => g.Key, g => g.Select(f => f.Episode).Distinct().Count());
        foreach (string label in TrafficLabels.Attacks)
        {
            Assert.True(episodes.TryGetValue(label, out int count) && count >= 2, $"{label}: {count} episodes");
        }

        double attackShare = _demo.Parsed.Count(f => f.Label != TrafficLabels.Normal) / (double)_demo.Parsed.Count;
        Assert.InRange(attackShare, 0.02, 0.3);
    }

    [Fact]
    public void Labels_AreConsistentWithEpisodes()
    {
        foreach (var flow in _demo.Parsed)
        {
            Assert.Contains(flow.Label, TrafficLabels.All);
            if (flow.Label == TrafficLabels.Normal)
            {
                Assert.Null(flow.Episode);
            }
            else
            {
                Assert.Matches("^" + flow.Label + "-[1-9][0-9]*$", flow.Episode!);
            }
        }
    }

    [Fact]
    public void SmallDemoRun_StillHasEveryAttack()
    {
        var labels = new TrafficGenerator().Generate(new GeneratorOptions("demo", 1000, Seed: 3)).Select(e => e.Label).ToHashSet();
        Assert.Superset(TrafficLabels.Attacks.ToHashSet(), labels);
    }

    [Fact]
    public void Quiet_HasNoAttacks()
    {
        var events = new TrafficGenerator().Generate(new GeneratorOptions("quiet", 15_000, Seed: 7)).ToList();
        Assert.Equal(15_000, events.Count);
        Assert.All(events, e =>
        {
            Assert.Equal(TrafficLabels.Normal, e.Label);
            Assert.Null(e.Episode);
        });
    }

    [Fact]
    public void AttackHeavy_HasAHigherAttackShareThanDemo()
    {
        double Share(string scenario) => new TrafficGenerator().Generate(new GeneratorOptions(scenario, 10_000, Seed: 5))
            .Count(e => e.Label != TrafficLabels.Normal) / 10_000.0;

        Assert.True(Share("attack-heavy") > Share("demo") * 2);
    }

    [Fact]
    public void CommunityId_MatchesTheParsedFiveTuple()
    {
        foreach (var flow in _demo.Parsed)
        {
            Assert.Equal(CommunityId.Compute(flow.ToFlowEvent()), flow.CommunityId);
        }
    }

    [Fact]
    public void Time_NeverGoesBackwards()
    {
        for (int i = 1; i < _demo.Parsed.Count; i++)
        {
            Assert.True(_demo.Parsed[i].Time >= _demo.Parsed[i - 1].Time, $"line {i + 1} is earlier than line {i}");
        }

        Assert.Equal(TrafficGenerator.DefaultStart.Date, _demo.Parsed[0].Time.UtcDateTime.Date);
    }

    [Fact]
    public void Start_SetsTheFirstTimestamp()
    {
        var start = new DateTimeOffset(2024, 3, 4, 5, 6, 7, TimeSpan.Zero);
        var first = ParsedFlow.From(new TrafficGenerator().Generate(new GeneratorOptions("quiet", 1, Start: start)).Single());
        Assert.InRange(first.Time, start, start.AddMinutes(1));
    }

    [Fact]
    public void Volume_FollowsTheTimeOfDay()
    {
        // The same number of events covers much more simulated time at night than in the afternoon.
        TimeSpan Span(int hour)
        {
            var start = new DateTimeOffset(2025, 6, 3, hour, 0, 0, TimeSpan.Zero);
            var events = new TrafficGenerator().Generate(new GeneratorOptions("quiet", 8000, Seed: 11, Start: start)).ToList();
            return ParsedFlow.From(events[^1]).Time - ParsedFlow.From(events[0]).Time;
        }

        Assert.True(Span(3) > Span(15) * 1.8, $"night {Span(3)} vs afternoon {Span(15)}");
    }

    [Fact]
    public void NormalTraffic_LooksLikeTheCluster()
    {
        var normal = _demo.Parsed.Where(f => f.Label == TrafficLabels.Normal).ToList();
        var http = normal.Where(f => f.HttpCode is not null).ToList();
        Assert.True(http.Count > 1000);
        double ok = http.Count(f => f.HttpCode is >= 200 and < 400) / (double)http.Count;
        Assert.InRange(ok, 0.9, 0.999);
        Assert.Contains(http, f => f.HttpCode is >= 400 and < 500);
        Assert.Contains(normal, f => f.DnsQuery == "cart.shop.svc.cluster.local.");
        Assert.Contains(normal, f => f.DnsQuery == "api.stripe.com.");
        Assert.Contains(normal, f => f.Verdict == "DROPPED");
        Assert.Contains(normal, f => f.Protocol == 1);
        Assert.Contains(normal, f => f.Flags == (TcpFlags.Syn | TcpFlags.Ack));
        Assert.Contains(normal, f => f.Flags == (TcpFlags.Fin | TcpFlags.Ack));
        double dropped = normal.Count(f => f.Verdict == "DROPPED") / (double)normal.Count;
        Assert.InRange(dropped, 0.0005, 0.03);
    }

    [Fact]
    public void C2Beacons_ArePeriodicWithSmallJitter()
    {
        var episodes = _demo.Parsed
            .Where(f => f.Label == TrafficLabels.C2Beacon && f.Flags == TcpFlags.Syn && f.DestinationIsWorld)
            .GroupBy(f => f.Episode)
            .Where(g => g.Count() >= 4)
            .ToList();
        Assert.NotEmpty(episodes);
        foreach (var episode in episodes)
        {
            var gaps = episode.Zip(episode.Skip(1), (a, b) => (b.Time - a.Time).TotalSeconds).ToList();
            double mean = gaps.Average();
            Assert.InRange(mean, 25, 100);
            Assert.All(gaps, g => Assert.InRange(g, mean * 0.6, mean * 1.4));
        }
    }

    [Fact]
    public void PortScans_ProbeManyPortsOrHosts()
    {
        foreach (var episode in _demo.Parsed.Where(f => f.Label == TrafficLabels.PortScan && !f.IsReply).GroupBy(f => f.Episode))
        {
            Assert.Single(episode.Select(f => f.Source).Distinct());
            Assert.True(episode.Select(f => (f.Destination, f.DestinationPort)).Distinct().Count() >= 10, episode.Key);
        }
    }

    [Fact]
    public void DnsTunnels_QueryLongRandomNamesOfOneDomain()
    {
        foreach (var episode in _demo.Parsed.Where(f => f.Label == TrafficLabels.DnsTunnel && f.DnsQuery is not null).GroupBy(f => f.Episode))
        {
            var queries = episode.Select(f => f.DnsQuery!).Distinct().ToList();
            Assert.True(queries.Count >= 10);
            Assert.Single(queries.Select(q => string.Join('.', q.TrimEnd('.').Split('.')[^3..])).Distinct());
            Assert.All(queries, q => Assert.True(q.Length > 60, q));
        }
    }

    [Fact]
    public void LateralMovement_ReachesNamespacesTheSourceNeverTalksTo()
    {
        static bool IsDns(ParsedFlow f) => f.DestinationPort == 53 || f.SourcePort == 53;
        var normalReach = _demo.Parsed
            .Where(f => f.Label == TrafficLabels.Normal && !f.IsReply && f.SourcePod is not null && !IsDns(f))
            .Select(f => (f.SourcePod, f.DestinationZone))
            .ToHashSet();
        var lateral = _demo.Parsed.Where(f => f.Label == TrafficLabels.LateralMovement && !f.IsReply && !IsDns(f)).ToList();
        Assert.NotEmpty(lateral);
        Assert.All(lateral, f => Assert.DoesNotContain((f.SourcePod, f.DestinationZone), normalReach));
    }

    [Fact]
    public void Exfiltration_SendsBulkToOneOutsideAddress()
    {
        foreach (var episode in _demo.Parsed.Where(f => f.Label == TrafficLabels.Exfiltration && f.DestinationIsWorld && !f.IsReply).GroupBy(f => f.Episode))
        {
            Assert.Single(episode.Select(f => f.Destination).Distinct());
            long posted = episode.Where(f => f.HttpMethod == "POST" && f.HttpCode is null).Sum(f => f.ContentLength ?? 0);
            int pushes = episode.Count(f => f.Flags == (TcpFlags.Psh | TcpFlags.Ack));
            Assert.True(posted >= 20L * 1024 * 1024 || pushes >= 20, $"{episode.Key}: {posted} bytes posted, {pushes} pushes");
        }
    }

    [Fact]
    public void BruteForce_MakesManyShortAttempts()
    {
        foreach (var episode in _demo.Parsed.Where(f => f.Label == TrafficLabels.BruteForce).GroupBy(f => f.Episode))
        {
            int connections = episode.Count(f => f.Flags == TcpFlags.Syn && !f.IsReply);
            int rejected = episode.Count(f => f.HttpCode == 401);
            Assert.True(connections >= 6 || rejected >= 10, $"{episode.Key}: {connections} connections, {rejected} rejections");
        }
    }

    [Fact]
    public void CryptoMining_UsesStratumPorts()
    {
        var mining = _demo.Parsed.Where(f => f.Label == TrafficLabels.CryptoMining && f.Protocol == 6 && f.DestinationIsWorld).ToList();
        Assert.NotEmpty(mining);
        Assert.All(mining, f => Assert.Contains((int)f.DestinationPort, DemoIndicators.StratumPorts));
    }

    [Fact]
    public void BadAddresses_OfC2AndMiningEpisodes_AreInTheShippedIndicatorFiles()
    {
        var indicators = ShippedIndicators();
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var flow in _demo.Parsed.Where(f => f.Label is TrafficLabels.C2Beacon or TrafficLabels.CryptoMining))
        {
            if (flow.DestinationIsWorld)
            {
                used.Add(flow.Destination.ToString());
            }

            used.UnionWith(flow.DnsIps);
            if (flow.DnsQuery is { } query && !query.EndsWith(".cluster.local.", StringComparison.Ordinal))
            {
                used.Add(query.TrimEnd('.'));
            }
        }

        Assert.Contains(used, u => IPAddress.TryParse(u, out _));
        Assert.Contains(used, u => !IPAddress.TryParse(u, out _));
        Assert.All(used, u => Assert.True(indicators.Matches(u), u + " is not in deploy/intel"));
    }

    [Fact]
    public void DemoIndicators_AreAllInTheShippedFiles()
    {
        var indicators = ShippedIndicators();
        string[] all =
        [
            .. DemoIndicators.C2Addresses, .. DemoIndicators.C2Domains, DemoIndicators.C2CidrMember,
            .. DemoIndicators.MiningPoolAddresses, .. DemoIndicators.MiningPoolDomains, DemoIndicators.MiningPoolCidrMember,
        ];
        Assert.All(all, i => Assert.True(indicators.Matches(i), i));
        Assert.Contains(DemoIndicators.C2Cidr, indicators.Networks.Select(n => n.ToString()));
        Assert.Contains(DemoIndicators.MiningPoolCidr, indicators.Networks.Select(n => n.ToString()));

        // Only documentation ranges: the demo feed must never name a real host.
        IPNetwork[] documentation = [IPNetwork.Parse("192.0.2.0/24"), IPNetwork.Parse("198.51.100.0/24"), IPNetwork.Parse("203.0.113.0/24")];
        Assert.All(indicators.Addresses, a => Assert.Contains(documentation, d => d.Contains(a)));
        Assert.All(indicators.Networks, n => Assert.Contains(documentation, d => d.Contains(n.BaseAddress)));
        Assert.All(indicators.Domains, d => Assert.EndsWith(".example", d, StringComparison.Ordinal));
    }

    [Fact]
    public async Task WriteAsync_WritesAlignedEventsAndLabels()
    {
        string path = Path.Combine(_directory, "flows.json");
        var reported = new List<long>();
        var summary = await TrafficGenerator.WriteAsync(new GeneratorOptions("demo", 25_000, Seed: 9), path, new SyncProgress(reported.Add), CancellationToken.None);

        string[] events = await File.ReadAllLinesAsync(path);
        string[] labels = await File.ReadAllLinesAsync(path + ".labels.jsonl");
        Assert.Equal(25_000, events.Length);
        Assert.Equal(events.Length, labels.Length);
        Assert.Equal(path + ".labels.jsonl", summary.LabelsPath);

        var expected = new TrafficGenerator().Generate(new GeneratorOptions("demo", 25_000, Seed: 9)).ToList();
        var counts = new Dictionary<string, long>();
        for (int i = 0; i < events.Length; i++)
        {
            Assert.Equal(Encoding.UTF8.GetString(expected[i].Json), events[i]);
            using var label = JsonDocument.Parse(labels[i]);
            var root = label.RootElement;
            Assert.Equal(i + 1, root.GetProperty("line").GetInt64());
            string name = root.GetProperty("label").GetString()!;
            Assert.Equal(expected[i].Label, name);
            var episode = root.GetProperty("episode");
            Assert.Equal(expected[i].Episode, episode.ValueKind == JsonValueKind.Null ? null : episode.GetString());
            var parsed = ParsedFlow.From(new GeneratedEvent(i + 1, Encoding.UTF8.GetBytes(events[i]), name, null, ""));
            Assert.Equal(CommunityId.Compute(parsed.ToFlowEvent()), root.GetProperty("community_id").GetString());
            counts[name] = counts.GetValueOrDefault(name) + 1;
        }

        Assert.Equal(25_000, summary.Events);
        foreach (string name in TrafficLabels.All)
        {
            Assert.Equal(counts.GetValueOrDefault(name), summary.EventsByLabel[name]);
        }

        Assert.Equal(expected.Where(e => e.Episode is not null).Select(e => e.Episode).Distinct().Count(), summary.Episodes);
        Assert.Equal(summary.Episodes, summary.EpisodesByLabel.Values.Sum());
        Assert.Equal(ParsedFlow.From(expected[0]).Time, summary.FirstEventTime);
        Assert.Equal(ParsedFlow.From(expected[^1]).Time, summary.LastEventTime);
        Assert.Equal([10_000L, 20_000L, 25_000L], reported);
    }

    [Fact]
    public async Task WriteAsync_Cancelled_Throws()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            TrafficGenerator.WriteAsync(new GeneratorOptions(Events: 1000), Path.Combine(_directory, "x.json"), null, cts.Token));
    }

    [Fact]
    public void Generate_WithPacing_KeepsThePace()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int count = new TrafficGenerator().Generate(new GeneratorOptions("quiet", 60, EventsPerSecond: 200)).Count();
        Assert.Equal(60, count);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(250), clock.Elapsed.ToString());
    }

    private static IndicatorSet ShippedIndicators()
    {
        string intel = Path.Combine(TestData.RepoRoot, "deploy", "intel");
        var set = new IndicatorSet();
        foreach (string line in File.ReadLines(Path.Combine(intel, DemoIndicators.C2FeedFile)))
        {
            string entry = line.Trim();
            if (entry.Length > 0 && !entry.StartsWith('#'))
            {
                set.Add(entry);
            }
        }

        string[] csv = File.ReadAllLines(Path.Combine(intel, DemoIndicators.MiningFeedFile));
        Assert.Equal("indicator,type,category,severity,description", csv[0]);
        foreach (string row in csv.Skip(1).Where(r => r.Length > 0))
        {
            string[] columns = row.Split(',');
            Assert.Equal(5, columns.Length);
            Assert.Contains(columns[1], new[] { "ip", "cidr", "domain" });
            Assert.Contains(columns[3], new[] { "low", "medium", "high", "critical" });
            set.Add(columns[0]);
            Assert.Equal(columns[1], IndicatorSet.KindOf(columns[0]));
        }

        return set;
    }

    private sealed class IndicatorSet
    {
        public List<IPAddress> Addresses { get; } = [];

        public List<IPNetwork> Networks { get; } = [];

        public List<string> Domains { get; } = [];

        public void Add(string indicator)
        {
            switch (KindOf(indicator))
            {
                case "cidr":
                    Networks.Add(IPNetwork.Parse(indicator));
                    break;
                case "ip":
                    Addresses.Add(IPAddress.Parse(indicator));
                    break;
                default:
                    Domains.Add(indicator.ToLowerInvariant());
                    break;
            }
        }

        public static string KindOf(string indicator) =>
            indicator.Contains('/', StringComparison.Ordinal) ? "cidr" : IPAddress.TryParse(indicator, out _) ? "ip" : "domain";

        public bool Matches(string value)
        {
            if (IPAddress.TryParse(value, out var ip))
            {
                return Addresses.Contains(ip) || Networks.Any(n => n.Contains(ip));
            }

            string name = value.ToLowerInvariant();
            return Domains.Any(d => name == d || name.EndsWith("." + d, StringComparison.Ordinal));
        }
    }

    private sealed class SyncProgress(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }
}
