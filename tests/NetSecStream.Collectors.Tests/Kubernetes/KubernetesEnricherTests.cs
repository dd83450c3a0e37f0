using System.Net;
using NetSecStream.Collectors.Kubernetes;
using NetSecStream.Collectors.Tests.HubbleRelay;
using NetSecStream.Core.Components;
using NetSecStream.Core.Events;
using NetSecStream.Core.Telemetry;

namespace NetSecStream.Collectors.Tests.Kubernetes;

public sealed class KubernetesEnricherTests
{
    /// <summary>How long a test waits for a watch event to reach the index; a bound, not a measurement.</summary>
    private static readonly TimeSpan WaitBound = TimeSpan.FromSeconds(20);

    private static readonly Dictionary<string, string> WebLabels = new() { ["app"] = "web", ["pod-template-hash"] = "5d8f9c7b6d" };

    [Fact]
    public async Task Start_ListsPods_EnrichesOnlyEndpointsWithoutPodIdentity()
    {
        await using var server = await FakeApiServer.StartAsync();
        server.Add(Pods.Make("shop", "web-5d8f9c7b6d-x2x4z", "10.0.1.1", ("ReplicaSet", "web-5d8f9c7b6d"), WebLabels));
        server.Add(Pods.Make("kube-system", "kube-proxy-7kq2m", "10.9.0.1", ("DaemonSet", "kube-proxy"), hostNetwork: true));
        server.Add(Pods.Make("batch", "report-29000000-abcde", "10.0.1.9", ("Job", "report-29000000"), phase: "Succeeded"));
        server.Add(Pods.Make("shop", "pending-0", ip: null, ("StatefulSet", "pending"), phase: "Pending"));
        await using var enricher = await StartedEnricher(server, new KubernetesEnrichmentOptions());

        var flow = Flow("10.0.1.1", "10.9.0.1");
        enricher.Enrich(flow);

        Assert.Equal("shop", flow.Source.Namespace);
        Assert.Equal("web-5d8f9c7b6d-x2x4z", flow.Source.Pod);
        Assert.Equal("web", flow.Source.Workload);
        Assert.Equal("web", flow.Source.Labels!["app"]);
        Assert.Equal(40000, flow.Source.Port);
        Assert.Null(flow.Destination.Namespace);
        Assert.Null(flow.Destination.Pod);

        var finished = Flow("10.0.1.9", "10.0.1.1");
        enricher.Enrich(finished);
        Assert.Null(finished.Source.Pod);
        Assert.Equal("web-5d8f9c7b6d-x2x4z", finished.Destination.Pod);
        Assert.Equal(1, enricher.PodCount);
    }

    [Fact]
    public async Task Enrich_EndpointTheCollectorKnew_IsNeverOverwritten()
    {
        await using var server = await FakeApiServer.StartAsync();
        server.Add(Pods.Make("shop", "web-5d8f9c7b6d-x2x4z", "10.0.1.1", ("ReplicaSet", "web-5d8f9c7b6d"), WebLabels));
        await using var enricher = await StartedEnricher(server, new KubernetesEnrichmentOptions());
        var known = new FlowEndpoint { Ip = IPAddress.Parse("10.0.1.1"), Port = 80, Namespace = "elsewhere", Pod = "what-hubble-said" };
        var flow = new FlowEvent
        {
            Timestamp = DateTimeOffset.UnixEpoch,
            Source = known,
            Destination = new FlowEndpoint { Ip = IPAddress.Parse("::ffff:10.0.1.1"), Port = 80, Workload = "kept" },
            IpProtocol = 6,
        };

        enricher.Enrich(flow);

        Assert.Same(known, flow.Source);
        Assert.Equal("shop", flow.Destination.Namespace);
        Assert.Equal("kept", flow.Destination.Workload);
    }

    [Fact]
    public async Task Watch_AddsDeletesFinishedPodsAndReusedAddresses_FollowTheCluster()
    {
        await using var server = await FakeApiServer.StartAsync();
        var old = Pods.Make("shop", "cart-7f9b8c6d5f-aaaaa", "10.0.2.1", ("ReplicaSet", "cart-7f9b8c6d5f"), new Dictionary<string, string> { ["pod-template-hash"] = "7f9b8c6d5f" });
        server.Add(old);
        await using var enricher = await StartedEnricher(server, new KubernetesEnrichmentOptions());
        Assert.Equal("cart-7f9b8c6d5f-aaaaa", PodAt(enricher, "10.0.2.1"));

        // Added.
        var db = Pods.Make("data", "db-0", "10.0.2.2", ("StatefulSet", "db"));
        server.Add(db);
        await Eventually(() => PodAt(enricher, "10.0.2.2") == "db-0");
        var flow = Flow("10.0.2.2", "10.0.2.1");
        enricher.Enrich(flow);
        Assert.Equal("db", flow.Source.Workload);
        Assert.Equal("data", flow.Source.Namespace);

        // The old pod shuts down and a new one gets its address: the address is the new pod's.
        old.Metadata.DeletionTimestamp = new DateTime(2026, 1, 2, 0, 0, 0, DateTimeKind.Utc);
        server.Modify(old);
        var replacement = Pods.Make("shop", "cart-7f9b8c6d5f-bbbbb", "10.0.2.1", ("ReplicaSet", "cart-7f9b8c6d5f"), created: new DateTime(2026, 1, 2, 0, 0, 1, DateTimeKind.Utc));
        server.Add(replacement);
        await Eventually(() => PodAt(enricher, "10.0.2.1") == "cart-7f9b8c6d5f-bbbbb");
        server.Delete(old);

        // Deleted, and finished (a Job's pod that Succeeded keeps its object but not its address).
        server.Delete(db);
        var job = Pods.Make("batch", "report-29123456-zzzzz", "10.0.2.3", ("Job", "report-29123456"));
        server.Add(job);
        await Eventually(() => PodAt(enricher, "10.0.2.3") == "report-29123456-zzzzz");
        Assert.True(enricher.TryGetPod(IPAddress.Parse("10.0.2.3"), out var jobPod));
        Assert.Equal("report", jobPod.Workload);
        job.Status.Phase = "Succeeded";
        server.Modify(job);
        await Eventually(() => PodAt(enricher, "10.0.2.2") is null && PodAt(enricher, "10.0.2.3") is null);

        Assert.Equal("cart-7f9b8c6d5f-bbbbb", PodAt(enricher, "10.0.2.1"));
        Assert.Equal(1, enricher.PodCount);
    }

    [Fact]
    public async Task Watch_ResourceVersionGone_ListsAgainAndDropsWhatDisappeared()
    {
        await using var server = await FakeApiServer.StartAsync();
        var kept = Pods.Make("shop", "api-0", "10.0.3.1", ("StatefulSet", "api"));
        var removed = Pods.Make("shop", "worker-6c7d8f9b5c-qwxyz", "10.0.3.2", ("ReplicaSet", "worker-6c7d8f9b5c"));
        server.Add(kept);
        server.Add(removed);
        using var metrics = new NetSecMetrics();
        using var recorder = new MetricsRecorder(metrics);
        await using var enricher = await StartedEnricher(server, new KubernetesEnrichmentOptions(), metrics);
        Assert.Equal("worker-6c7d8f9b5c-qwxyz", PodAt(enricher, "10.0.3.2"));
        await Eventually(() => server.Requests.Any(r => r.StartsWith("watch ", StringComparison.Ordinal)));

        // Changes the open watch never hears of; then the server compacts past the enricher's version.
        server.ChangeSilently("DELETED", removed);
        server.ChangeSilently("ADDED", Pods.Make("shop", "new-0", "10.0.3.5", ("StatefulSet", "new")));
        server.Compact();

        try
        {
            await Eventually(() => PodAt(enricher, "10.0.3.5") == "new-0" && PodAt(enricher, "10.0.3.2") is null);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail(string.Join("\n", server.Requests));
        }

        Assert.Equal("api-0", PodAt(enricher, "10.0.3.1"));
        Assert.True(server.Requests.Count(r => r.StartsWith("list ", StringComparison.Ordinal)) >= 2);
        Assert.True(recorder.Total("netsec_source_errors", "gone") >= 1);
        Assert.True(recorder.Total("netsec_component_reloads") >= 2);

        // And it watches on from the new list's version.
        server.Add(Pods.Make("shop", "after-0", "10.0.3.6", ("StatefulSet", "after")));
        await Eventually(() => PodAt(enricher, "10.0.3.6") == "after-0");
    }

    [Fact]
    public async Task Watch_Closed_ResumesFromItsResourceVersionWithoutListingAgain()
    {
        await using var server = await FakeApiServer.StartAsync();
        server.Add(Pods.Make("shop", "api-0", "10.0.6.1", ("StatefulSet", "api")));
        await using var enricher = await StartedEnricher(server, new KubernetesEnrichmentOptions());
        server.Add(Pods.Make("shop", "api-1", "10.0.6.2", ("StatefulSet", "api")));
        await Eventually(() => PodAt(enricher, "10.0.6.2") == "api-1");

        server.CloseWatches();
        server.Add(Pods.Make("shop", "api-2", "10.0.6.3", ("StatefulSet", "api")));
        await Eventually(() => PodAt(enricher, "10.0.6.3") == "api-2");

        Assert.Single(server.Requests, r => r.StartsWith("list ", StringComparison.Ordinal));
        var watches = server.Requests.Where(r => r.StartsWith("watch ", StringComparison.Ordinal)).ToList();
        Assert.True(watches.Count >= 2, string.Join("\n", watches));
        Assert.Equal("watch /api/v1/pods rv=101", watches[0]);
        Assert.Equal("watch /api/v1/pods rv=102", watches[1]);
    }

    [Fact]
    public async Task Namespaces_OnlyThoseAreListedWatchedAndIndexed()
    {
        await using var server = await FakeApiServer.StartAsync();
        server.Add(Pods.Make("shop", "web-0", "10.0.4.1", ("StatefulSet", "web")));
        server.Add(Pods.Make("other", "web-0", "10.0.4.2", ("StatefulSet", "web")));
        await using var enricher = await StartedEnricher(server, new KubernetesEnrichmentOptions { Namespaces = ["shop"] });

        server.Add(Pods.Make("other", "late-0", "10.0.4.3", ("StatefulSet", "late")));
        server.Add(Pods.Make("shop", "late-0", "10.0.4.4", ("StatefulSet", "late")));
        await Eventually(() => PodAt(enricher, "10.0.4.4") == "late-0");

        Assert.Equal("web-0", PodAt(enricher, "10.0.4.1"));
        Assert.Null(PodAt(enricher, "10.0.4.2"));
        Assert.Null(PodAt(enricher, "10.0.4.3"));
        Assert.All(server.Requests, request => Assert.Contains("/api/v1/namespaces/shop/pods", request, StringComparison.Ordinal));
    }

    [Fact]
    public async Task MaxPods_BoundsTheIndexAndCountsWhatDidNotFit()
    {
        await using var server = await FakeApiServer.StartAsync();
        for (int i = 1; i <= 3; i++)
        {
            server.Add(Pods.Make("shop", $"web-{i}", $"10.0.5.{i}"));
        }

        using var metrics = new NetSecMetrics();
        using var recorder = new MetricsRecorder(metrics);
        await using var enricher = await StartedEnricher(server, new KubernetesEnrichmentOptions { MaxPods = 2 }, metrics);

        Assert.Equal(2, enricher.PodCount);
        Assert.Equal(1, recorder.Total("netsec_events_rejected", "cache_full"));
        Assert.True(enricher.TryGetPod(IPAddress.Parse("10.0.5.1"), out var bare));
        Assert.Equal("web-1", bare.Workload);
    }

    [Fact]
    public async Task Start_ApiServerRefuses_FailsNamingTheSection()
    {
        await using var server = await FakeApiServer.StartAsync();
        server.FailWith = HttpStatusCode.Forbidden;
        await using var enricher = new KubernetesEnricher(new KubernetesEnrichmentOptions(), null, null, server.Client(), (_, _) => Task.CompletedTask, new Random(1));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => enricher.StartAsync(CancellationToken.None));

        Assert.StartsWith("Enrichers:Kubernetes: cannot list the pods of all namespaces", error.Message, StringComparison.Ordinal);
        Assert.True(error.Message.Contains("403", StringComparison.Ordinal), error.Message);
    }

    [Fact]
    public async Task Stop_EndsTheWatchAndIgnoresLaterChanges()
    {
        await using var server = await FakeApiServer.StartAsync();
        server.Add(Pods.Make("shop", "api-0", "10.0.7.1", ("StatefulSet", "api")));
        var enricher = await StartedEnricher(server, new KubernetesEnrichmentOptions());
        await Eventually(() => server.OpenWatches == 1);

        await enricher.StopAsync(CancellationToken.None);

        await Eventually(() => server.OpenWatches == 0);
        int requests = server.Requests.Count;
        server.Add(Pods.Make("shop", "api-1", "10.0.7.2", ("StatefulSet", "api")));
        Assert.Null(PodAt(enricher, "10.0.7.2"));
        Assert.Equal(requests, server.Requests.Count);
        Assert.Equal("api-0", PodAt(enricher, "10.0.7.1"));
    }

    [Fact]
    public async Task StartThenStop_WithNoPods_Succeeds()
    {
        await using var server = await FakeApiServer.StartAsync();
        var enricher = new KubernetesEnricher(new KubernetesEnrichmentOptions(), null, null, server.Client(), (_, _) => Task.CompletedTask, new Random(1));

        await enricher.StartAsync(CancellationToken.None);
        await enricher.StopAsync(CancellationToken.None);

        Assert.Equal("kubernetes", enricher.Id);
        Assert.Equal(ComponentKind.Enricher, enricher.Kind);
        Assert.Equal(0, enricher.PodCount);
    }

    private static async Task<KubernetesEnricher> StartedEnricher(FakeApiServer server, KubernetesEnrichmentOptions options, NetSecMetrics? metrics = null)
    {
        var enricher = new KubernetesEnricher(options, metrics, null, server.Client(), (_, token) => Task.Delay(10, token), new Random(1));
        await enricher.StartAsync(CancellationToken.None);
        return enricher;
    }

    private static string? PodAt(KubernetesEnricher enricher, string ip) =>
        enricher.TryGetPod(IPAddress.Parse(ip), out var pod) ? pod.Name : null;

    private static FlowEvent Flow(string source, string destination) => new()
    {
        Timestamp = DateTimeOffset.UnixEpoch,
        Source = new FlowEndpoint { Ip = IPAddress.Parse(source), Port = 40000 },
        Destination = new FlowEndpoint { Ip = IPAddress.Parse(destination), Port = 443 },
        IpProtocol = 6,
        CollectorId = "netflow",
    };

    private static async Task Eventually(Func<bool> condition)
    {
        using var bound = new CancellationTokenSource(WaitBound);
        while (!condition())
        {
            await Task.Delay(20, bound.Token);
        }
    }
}
