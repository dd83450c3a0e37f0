using NetSecStream.Behaviour.Features;
using NetSecStream.Core.Events;
using static NetSecStream.Behaviour.Tests.Flows;

namespace NetSecStream.Behaviour.Tests;

public sealed class FeatureSchemaTests
{
    [Fact]
    public void Schema_is_version_1_with_unique_described_names_and_the_fixed_per_flow_names_first()
    {
        Assert.Equal("1", FeatureSchema.Version);
        string[] names = [.. FeatureSchema.Features.Select(f => f.Name)];
        Assert.Equal(names.Length, names.Distinct(StringComparer.Ordinal).Count());
        string[] fixedNames =
        [
            "flow.duration_s", "flow.bytes_out", "flow.bytes_in", "flow.packets_out", "flow.packets_in", "flow.mean_packet_bytes", "flow.src_port",
            "flow.dst_port", "flow.proto_tcp", "flow.proto_udp", "flow.proto_icmp", "flow.tcp_syn", "flow.tcp_ack", "flow.tcp_fin", "flow.tcp_rst",
            "flow.l7_dns", "flow.l7_http", "flow.l7_tls", "flow.dropped",
        ];
        Assert.Equal(fixedNames, names.Take(fixedNames.Length));
        Assert.All(FeatureSchema.Features, f => Assert.False(string.IsNullOrWhiteSpace(f.Group) || string.IsNullOrWhiteSpace(f.Description)));
        Assert.All(names, n => Assert.Equal(n, names[FeatureSchema.IndexOf(n)]));
        Assert.Equal(-1, FeatureSchema.IndexOf("no.such"));
        Assert.Equal(FeatureSchema.Count - 1, FeatureSchema.Index.PairErrorRate);
    }

    [Fact]
    public void Every_feature_is_documented_in_the_spec()
    {
        string spec = File.ReadAllText(Path.Combine(RepoRoot(), "docs", "specs", "features.md"));
        Assert.All(FeatureSchema.Features, f => Assert.Contains("`" + f.Name + "`", spec, StringComparison.Ordinal));
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "NetSecStream.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new DirectoryNotFoundException("repository root");
    }
}

public sealed class FeatureExtractorTests
{
    private static readonly FlowEndpoint Client = Pod("10.0.1.5", 41000);
    private static readonly FlowEndpoint Server = Pod("10.0.2.7", 8080, "catalog");

    [Fact]
    public void Unidirectional_events_fold_into_one_connection_oriented_from_the_originator()
    {
        var x = new FlowFeatureExtractor();
        x.Extract(Tcp(0, Client, Server, TcpFlags.Syn, reply: false, communityId: "c1"));
        x.Extract(Tcp(0.001, Server, Client, TcpFlags.Syn | TcpFlags.Ack, reply: true, communityId: "c1"));
        var last = x.Extract(Tcp(2.5, Client, Server, TcpFlags.Fin | TcpFlags.Ack, reply: false, communityId: "c1"));

        Assert.Equal(2f, last.Get("flow.packets_out"));
        Assert.Equal(1f, last.Get("flow.packets_in"));
        Assert.Equal(2.5f, last.Get("flow.duration_s"), 3);
        Assert.Equal((1f, 1f, 1f, 0f), (last.Get("flow.tcp_syn"), last.Get("flow.tcp_ack"), last.Get("flow.tcp_fin"), last.Get("flow.tcp_rst")));
        Assert.Equal((41000f, 8080f, 1f), (last.Get("flow.src_port"), last.Get("flow.dst_port"), last.Get("flow.proto_tcp")));
        Assert.Equal(1f, last.Get("src.connections"));
        Assert.Equal(("10.0.1.5", "shop/frontend", "shop/catalog:8080"), (last.SourceKey, last.WorkloadKey, last.DestinationKey));
    }

    [Fact]
    public void A_reply_seen_first_still_belongs_to_the_originator()
    {
        var x = new FlowFeatureExtractor();
        var reply = x.Extract(Tcp(0, Server, Client, TcpFlags.Ack, reply: true, bytes: 900, packets: 3, communityId: "c2"));
        Assert.Equal("shop/frontend", reply.WorkloadKey);
        Assert.Equal((0f, 900f, 3f), (reply.Get("flow.bytes_out"), reply.Get("flow.bytes_in"), reply.Get("flow.packets_in")));
    }

    [Fact]
    public void Bidirectional_records_count_bytes_each_way_and_summaries_carry_their_totals()
    {
        var x = new FlowFeatureExtractor();
        // NetFlow: one record per direction, no IsReply; the first one seen is the originator's.
        x.Extract(Tcp(0, Client, Server, TcpFlags.Syn | TcpFlags.Ack, bytes: 1200, packets: 10, communityId: "n1"));
        var back = x.Extract(Tcp(0.5, Server, Client, TcpFlags.Syn | TcpFlags.Ack, bytes: 64_000, packets: 50, communityId: "n1"));
        Assert.Equal((1200f, 64_000f, 10f, 50f), (back.Get("flow.bytes_out"), back.Get("flow.bytes_in"), back.Get("flow.packets_out"), back.Get("flow.packets_in")));
        Assert.Equal(65_200f / 60f, back.Get("flow.mean_packet_bytes"), 3);

        var summary = x.Extract(Tcp(1, Pod("10.0.1.6", 42000), Server, TcpFlags.Fin | TcpFlags.Ack, bytes: 5000, packets: 20, communityId: "s1", kind: FlowEventKind.Summary));
        Assert.Equal((5000f, 20f, 250f), (summary.Get("flow.bytes_out"), summary.Get("flow.packets_out"), summary.Get("flow.mean_packet_bytes")));
    }

    [Fact]
    public void Distinct_hosts_and_ports_are_counted_per_source_and_workload()
    {
        var x = new FlowFeatureExtractor();
        FlowFeatures last = null!;
        for (int i = 0; i < 6; i++)
        {
            var target = Pod($"10.0.3.{10 + i}", (ushort)(8000 + (i % 3)), "db", "data");
            last = x.Extract(Tcp(i, Pod("10.0.1.5", (ushort)(40000 + i)), target, communityId: "d" + i));
        }

        Assert.Equal((6f, 6f, 3f), (last.Get("src.connections"), last.Get("src.distinct_dst_hosts"), last.Get("src.distinct_dst_ports")));
        Assert.Equal((6f, 6f, 3f), (last.Get("wl.connections"), last.Get("wl.distinct_dst_hosts"), last.Get("wl.distinct_dst_ports")));

        // Another pod of the same workload shares the workload window, not the source window.
        var other = x.Extract(Tcp(7, Pod("10.0.1.99", 40100), Pod("10.0.3.99", 9000, "db", "data"), communityId: "d-other"));
        Assert.Equal((1f, 7f, 7f, 4f), (other.Get("src.connections"), other.Get("wl.connections"), other.Get("wl.distinct_dst_hosts"), other.Get("wl.distinct_dst_ports")));
    }

    [Fact]
    public void Windows_expire_in_event_time()
    {
        var x = new FlowFeatureExtractor(new FlowFeatureExtractorOptions { Window = TimeSpan.FromSeconds(60) });
        x.Extract(Tcp(0, Client, Server, communityId: "w1"));
        x.Extract(Tcp(30, Pod("10.0.1.5", 41001), Pod("10.0.2.8", 8081, "cart"), communityId: "w2"));
        Assert.Equal(3f, x.Extract(Tcp(59, Pod("10.0.1.5", 41002), Server, communityId: "w3")).Get("src.connections"));
        var late = x.Extract(Tcp(95, Pod("10.0.1.5", 41003), Server, communityId: "w4"));
        Assert.Equal(2f, late.Get("src.connections")); // w3 (59 s) and w4; w1 and w2 left the window
        Assert.Equal(1f, late.Get("src.distinct_dst_hosts"));
    }

    [Fact]
    public void Errors_raise_the_error_rate_and_drops_are_flagged()
    {
        var x = new FlowFeatureExtractor();
        x.Extract(Tcp(0, Client, Server, communityId: "e1"));
        var rst = x.Extract(Tcp(0.1, Server, Client, TcpFlags.Rst | TcpFlags.Ack, reply: true, communityId: "e1"));
        Assert.Equal((1f, 1f), (rst.Get("flow.tcp_rst"), rst.Get("flow.error")));
        Assert.Equal(0.5f, rst.Get("src.error_rate"));
        Assert.Equal(0.5f, rst.Get("pair.error_rate"), 2); // one error in two events, 0.1 s apart: hardly decayed
        var dropped = x.Extract(Tcp(1, Pod("10.0.1.5", 41010), Pod("10.0.4.4", 5432, "postgres", "data"), communityId: "e2", verdict: DataplaneVerdict.Dropped));
        Assert.Equal((1f, 1f), (dropped.Get("flow.dropped"), dropped.Get("flow.error")));
    }

    [Fact]
    public void A_regular_beacon_has_a_low_coefficient_of_variation_and_random_traffic_a_high_one()
    {
        var x = new FlowFeatureExtractor(new FlowFeatureExtractorOptions { ConnectionIdle = TimeSpan.FromSeconds(10) });
        var c2 = Pod("203.0.113.5", 443, null, null);
        FlowFeatures beacon = null!;
        for (int i = 0; i < 12; i++)
        {
            beacon = x.Extract(Tcp(i * 60.0, Pod("10.0.1.5", (ushort)(50000 + i)), c2, communityId: "b" + i));
        }

        Assert.InRange(beacon.Get("pair.interarrival_cv"), 0f, 0.01f);
        Assert.Equal(11f, beacon.Get("pair.interarrival_count"));
        Assert.Equal(60f, beacon.Get("pair.interarrival_mean_s"), 3);
        Assert.Equal(1f, beacon.Get("flow.dst_external"));

        var random = new Random(7);
        double t = 0;
        FlowFeatures noisy = null!;
        for (int i = 0; i < 30; i++)
        {
            t += -Math.Log(1 - random.NextDouble()) * 60; // exponential gaps: CV about 1
            noisy = x.Extract(Tcp(1000 + t, Pod("10.0.1.7", (ushort)(50000 + i)), c2, communityId: "r" + i));
        }

        Assert.InRange(noisy.Get("pair.interarrival_cv"), 0.5f, 3f);
        Assert.Equal(16f, noisy.Get("pair.interarrival_count")); // bounded by MaxPairGaps
    }

    [Theory]
    [InlineData("aaaa", 0.0)]
    [InlineData("abcd", 2.0)]
    [InlineData("ab.ab", 1.0)]
    [InlineData("", 0.0)]
    public void Shannon_entropy_of_dns_names_ignores_dots(string name, double bits) =>
        Assert.Equal(bits, FlowFeatureExtractor.ShannonEntropy(name), 6);

    [Fact]
    public void Dns_names_give_length_entropy_and_window_maxima()
    {
        var x = new FlowFeatureExtractor();
        var plain = x.Extract(Dns(0, Client, "api.example.com"));
        Assert.Equal((15f, 1f, 1f), (plain.Get("flow.dns_query_length"), plain.Get("flow.l7_dns"), plain.Get("flow.proto_udp")));
        var tunnel = x.Extract(Dns(1, Client, "mzxw6ytboi2dsnrqgq3tmnzxhe4dcmrtgq2tmnzygiydambqgeyq.0001.t.example", 40001));
        Assert.True(tunnel.Get("flow.dns_query_entropy") > 4, $"entropy {tunnel.Get("flow.dns_query_entropy")}");
        Assert.True(tunnel.Get("flow.dns_query_entropy") > plain.Get("flow.dns_query_entropy") + 0.8);
        var after = x.Extract(Dns(2, Client, "api.example.com", 40002));
        Assert.Equal(tunnel.Get("flow.dns_query_length"), after.Get("src.dns_query_length_max"));
        Assert.Equal(tunnel.Get("flow.dns_query_entropy"), after.Get("wl.dns_entropy_max"));
        Assert.Equal("dns:api.example.com", after.DestinationKey);
        Assert.Equal(0f, after.Get("flow.dst_new")); // asked before
    }

    [Fact]
    public void New_destinations_are_flagged_against_the_workload_history_and_known_ones_are_not()
    {
        var known = new Dictionary<string, IReadOnlySet<string>> { ["shop/frontend"] = new HashSet<string> { "shop/catalog:8080" } };
        var x = new FlowFeatureExtractor(new FlowFeatureExtractorOptions { KnownDestinations = known });
        Assert.Equal(0f, x.Extract(Tcp(0, Client, Server, communityId: "k1")).Get("flow.dst_new"));
        var fresh = x.Extract(Tcp(1, Pod("10.0.1.5", 41001), Pod("10.0.4.4", 5432, "postgres", "data"), communityId: "k2"));
        Assert.Equal((1f, 0.5f), (fresh.Get("flow.dst_new"), fresh.Get("wl.new_dst_fraction")));
        Assert.Equal(0f, x.Extract(Tcp(2, Pod("10.0.1.5", 41002), Pod("10.0.4.4", 5432, "postgres", "data"), communityId: "k3")).Get("flow.dst_new"));
    }

    [Fact]
    public void Bounded_state_evicts_least_recently_used_keys_and_counts_it()
    {
        var x = new FlowFeatureExtractor(new FlowFeatureExtractorOptions { MaxSources = 2, MaxConnections = 3, MaxWindowEntries = 4, MaxHistoryPerWorkload = 2 });
        for (int i = 0; i < 6; i++)
        {
            x.Extract(Tcp(i, Pod($"10.0.1.{i % 3}", (ushort)(40000 + i)), Pod($"10.0.5.{i}", 80, "web" + i), communityId: "b" + i));
        }

        var (connections, sources, _, _) = x.StateSize("");
        Assert.Equal((3, 2), (connections, sources));
        var evictions = x.Evictions;
        Assert.Equal(3, evictions.Connections);
        Assert.Equal(4, evictions.Sources); // three addresses cycling through two slots: every new one evicts
        Assert.Equal(4, evictions.HistoryEntries); // one workload, six destinations, two remembered
        Assert.Equal(2, evictions.WindowEntries); // the workload window holds four of its six connections
        var last = x.Extract(Tcp(7, Pod("10.0.1.0", 41000), Pod("10.0.5.9", 80, "web9"), communityId: "b9"));
        Assert.Equal(4f, last.Get("wl.connections"));
        Assert.True(x.Evictions.Total > evictions.Total);
    }

    [Fact]
    public void Dropping_an_owner_discards_its_state_and_keeps_the_others()
    {
        var x = new FlowFeatureExtractor();
        x.Extract(Tcp(0, Client, Server, communityId: "p1"), owner: "flows-0");
        x.Extract(Tcp(1, Pod("10.0.1.5", 41001), Server, communityId: "p2"), owner: "flows-0");
        x.Extract(Tcp(0, Client, Server, communityId: "p1"), owner: "flows-1");
        Assert.Equal(2, x.StateSize("flows-0").Connections);

        Assert.True(x.DropOwner("flows-0"));
        Assert.False(x.DropOwner("flows-0"));
        Assert.Equal(["flows-1"], x.Owners);
        Assert.Equal(default, x.StateSize("flows-0"));
        Assert.Equal(1, x.StateSize("flows-1").Connections);

        // The partition comes back: it starts from nothing.
        var again = x.Extract(Tcp(2, Pod("10.0.1.5", 41002), Server, communityId: "p3"), owner: "flows-0");
        Assert.Equal(1f, again.Get("src.connections"));
    }
}
