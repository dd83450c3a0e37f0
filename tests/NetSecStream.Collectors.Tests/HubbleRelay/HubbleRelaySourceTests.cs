using System.Net;
using System.Net.Sockets;
using NetSecStream.Collectors.Hubble;
using NetSecStream.Collectors.HubbleRelay;
using NetSecStream.Collectors.HubbleRelay.Protocol;
using NetSecStream.Collectors.Tests.Hubble;
using NetSecStream.Core.Components;
using NetSecStream.Core.Telemetry;

namespace NetSecStream.Collectors.Tests.HubbleRelay;

public sealed class HubbleRelaySourceTests
{
    [Theory]
    [MemberData(nameof(HubbleSamples.Files), MemberType = typeof(HubbleSamples))]
    public async Task Read_EverySampleServedOverGrpc_GivesTheFlowEventsOfTheJsonDecoder(string file)
    {
        var lines = HubbleSamples.Lines(file);
        var decoder = new HubbleFlowDecoder(new HubbleDecoderOptions { Cluster = "lab" });
        var observer = new FakeObserver([.. lines.Select(RelayJson.Parse)]);
        await using var server = await FakeRelayServer.StartAsync(observer);
        using var metrics = new NetSecMetrics();
        using var recorder = new MetricsRecorder(metrics);
        await using var source = new HubbleRelaySource(Options(server, follow: false, last: lines.Count, cluster: "lab"), metrics);
        await source.StartAsync(CancellationToken.None);

        var flows = await FlowSources.ReadAsync(source);

        Assert.Equal(lines.Count, flows.Count);
        for (int i = 0; i < lines.Count; i++)
        {
            var expected = decoder.Decode(lines[i]);
            Assert.True(expected.IsSuccess, expected.Error);
            FlowAssert.Equivalent(expected.Event!, flows[i].Flow);
            Assert.Equal(i + 1, flows[i].Position);
            Assert.Equal(server.Address, flows[i].Origin);
        }

        Assert.Equal(lines.Count, recorder.Total("netsec_events_in"));
        Assert.Equal(lines.Count, recorder.Total("netsec_events_out"));
        Assert.Equal(0, recorder.Total("netsec_events_rejected"));
        Assert.All(recorder.Measurements, m => Assert.Equal(HubbleRelaySource.ComponentId, m.Component));
        var request = Assert.Single(observer.Requests);
        Assert.False(request.Follow);
        Assert.Equal((ulong)lines.Count, request.Number);
        Assert.Null(request.Since);
    }

    [Fact]
    public async Task Read_StreamBrokenMidway_ResumesSinceTheLastFlowWithoutLossOrRepeats()
    {
        const int BreakAfter = 150;
        var responses = HubbleSamples.Lines("basic-sample-400-tcp-flows.json").Select(RelayJson.Parse)
            .OrderBy(r => FakeObserver.TimeOf(r)!.ToDateTimeOffset()).ToList();
        for (int i = 0; i < responses.Count; i++)
        {
            // A name per flow, to tell them apart in the FlowEvents.
#pragma warning disable CS0612
            responses[i].Flow.Summary = $"flow {i}";
#pragma warning restore CS0612
        }

        // Six flows share one timestamp around the break, so the resumed stream starts with flows already delivered.
        var shared = responses[BreakAfter - 3].Flow.Time;
        for (int i = BreakAfter - 3; i < BreakAfter + 3; i++)
        {
            responses[i].Flow.Time = shared.Clone();
            responses[i].Time = shared.Clone();
        }

        var observer = new FakeObserver(responses) { BreakFirstCallAfter = BreakAfter };
        await using var server = await FakeRelayServer.StartAsync(observer);
        using var metrics = new NetSecMetrics();
        using var recorder = new MetricsRecorder(metrics);
        var waits = new List<TimeSpan>();
        await using var source = new HubbleRelaySource(
            Options(server, follow: true, last: responses.Count), metrics, logger: null,
            delay: (wait, _) =>
            {
                waits.Add(wait);
                return Task.CompletedTask;
            },
            jitter: new Random(7));

        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        using var stop = new CancellationTokenSource(FlowSources.Timeout);
        await foreach (var flow in source.ReadAsync(stop.Token))
        {
            seen[flow.Flow.Summary!] = seen.GetValueOrDefault(flow.Flow.Summary!) + 1;
            if (seen.Count == responses.Count)
            {
                break;
            }
        }

        Assert.False(stop.IsCancellationRequested, $"timed out with {seen.Count} of {responses.Count} flows");
        int duplicates = seen.Values.Sum() - seen.Count;
        Assert.Equal(0, duplicates);
        Assert.Equal(responses.Count, seen.Count);

        Assert.True(observer.Requests.Count >= 2, "the source reconnected");
        var resumed = observer.Requests.ElementAt(1);
        Assert.True(resumed.Follow);
        Assert.Equal(0UL, resumed.Number);
        Assert.NotNull(resumed.Since);
        // Resumed at the newest flow it had, which is at most the last one the broken stream sent.
        Assert.True(resumed.Since.CompareTo(FakeObserver.TimeOf(responses[BreakAfter - 1])) <= 0);
        Assert.True(resumed.Since.CompareTo(FakeObserver.TimeOf(responses[0])) >= 0);
        Assert.NotEmpty(waits);
        Assert.True(recorder.Total("netsec_source_errors") >= 1);
        Assert.Equal(responses.Count, recorder.Total("netsec_events_out"));
    }

    [Fact]
    public async Task Read_MessageOverMaxMessageBytes_IsCountedAndSkippedOnceItComesAgain()
    {
        var responses = HubbleSamples.Lines("basic-sample-10-flows.json").Select(RelayJson.Parse).ToList();
#pragma warning disable CS0612
        responses[4].Flow.Summary = new string('x', 64 * 1024);
#pragma warning restore CS0612
        var observer = new FakeObserver(responses);
        await using var server = await FakeRelayServer.StartAsync(observer);
        using var metrics = new NetSecMetrics();
        using var recorder = new MetricsRecorder(metrics);
        var options = Options(server, follow: true, last: responses.Count);
        options.MaxMessageBytes = 4096;
        using var stop = new CancellationTokenSource();
        await using var source = new HubbleRelaySource(options, metrics, logger: null, delay: (_, _) => Task.CompletedTask, jitter: new Random(5));
        var rejected = new List<DeadLetter>();
        source.Rejected += rejected.Add;
        var flows = new List<SourcedFlow>();
        var reading = Task.Run(async () =>
        {
            await foreach (var flow in source.ReadAsync(stop.Token))
            {
                flows.Add(flow);
            }
        });

        // The third connection is the one that skipped past the oversized message.
        using (var bound = new CancellationTokenSource(FlowSources.Timeout))
        {
            while (observer.Calls < 3)
            {
                await Task.Delay(20, bound.Token);
            }
        }

        await stop.CancelAsync();
        await reading.WaitAsync(FlowSources.Timeout);

        Assert.Equal(4, flows.Count);
        Assert.Equal(2, recorder.Total("netsec_events_rejected", "oversized"));
        Assert.Equal(2, rejected.Count);
        Assert.All(rejected, d => Assert.StartsWith("relay message larger than MaxMessageBytes (4096)", d.Reason, StringComparison.Ordinal));
        var third = observer.Requests.ElementAt(2);
        Assert.True(third.Since.ToDateTimeOffset() > DateTimeOffset.UtcNow.AddHours(-1), "resumed from the present, past the oversized message");
    }

    [Fact]
    public async Task Read_AllowAndDenyLists_ReachTheRelayAsFlowFilters()
    {
        var observer = new FakeObserver([.. HubbleSamples.Lines("basic-sample-10-flows.json").Take(1).Select(RelayJson.Parse)]);
        await using var server = await FakeRelayServer.StartAsync(observer);
        var options = Options(server, follow: false, last: 1);
        options.Allow.Namespaces.Add("bookinfo");
        options.Allow.PodPrefixes.Add("kube-system/coredns-");
        options.Allow.Verdicts.AddRange(["forwarded", "DROPPED"]);
        options.Allow.Protocols.Add("TCP");
        options.Deny.Labels.Add("k8s:app=noisy");
        options.Deny.NodeNames.Add("spot-*");
        await using var source = new HubbleRelaySource(options, new NetSecMetrics());

        Assert.Single(await FlowSources.ReadAsync(source));

        var request = Assert.Single(observer.Requests);
        Assert.Equal(2, request.Whitelist.Count);
        var bySource = request.Whitelist[0];
        var byDestination = request.Whitelist[1];
        Assert.Equal(["bookinfo/", "kube-system/coredns-"], bySource.SourcePod);
        Assert.Empty(bySource.DestinationPod);
        Assert.Equal(["bookinfo/", "kube-system/coredns-"], byDestination.DestinationPod);
        Assert.Empty(byDestination.SourcePod);
        Assert.All(request.Whitelist, filter =>
        {
            Assert.Equal([Verdict.Forwarded, Verdict.Dropped], filter.Verdict);
            Assert.Equal(["tcp"], filter.Protocol);
        });
        Assert.Equal(2, request.Blacklist.Count);
        Assert.Equal(["k8s:app=noisy"], request.Blacklist[0].SourceLabel);
        Assert.Equal(["k8s:app=noisy"], request.Blacklist[1].DestinationLabel);
        Assert.All(request.Blacklist, filter => Assert.Equal(["spot-*"], filter.NodeName));
    }

    [Fact]
    public async Task Read_NoFilters_SendsNoFilterLists()
    {
        var observer = new FakeObserver([.. HubbleSamples.Lines("basic-sample-10-flows.json").Take(1).Select(RelayJson.Parse)]);
        await using var server = await FakeRelayServer.StartAsync(observer);
        await using var source = new HubbleRelaySource(Options(server, follow: false, last: 1));

        Assert.Single(await FlowSources.ReadAsync(source));

        var request = Assert.Single(observer.Requests);
        Assert.Empty(request.Whitelist);
        Assert.Empty(request.Blacklist);
    }

    [Fact]
    public async Task Read_MalformedFlowsAndNotices_AreRejectedOrSkippedAndTheStreamGoesOn()
    {
        var good = HubbleSamples.Lines("basic-sample-10-flows.json").Take(2).Select(RelayJson.Parse).ToList();
        var noAddresses = good[0].Clone();
        noAddresses.Flow.IP = null;
        var badAddress = good[0].Clone();
        badAddress.Flow.IP.Source = "10.0.0";
        var nodeStatus = new GetFlowsResponse
        {
            NodeStatus = new NodeStatusEvent { StateChange = NodeState.NodeUnavailable, NodeNames = { "worker-2" }, Message = "connection refused" },
            Time = good[0].Time,
        };
        var lost = new GetFlowsResponse { LostEvents = new LostEvent { Source = LostEventSource.HubbleRingBuffer, NumEventsLost = 12 }, Time = good[0].Time };
        var badPort = good[1].Clone();
        badPort.Flow.L4.TCP.SourcePort = 70000;
        var observer = new FakeObserver([good[0], noAddresses, badAddress, nodeStatus, lost, badPort, good[1]]);
        await using var server = await FakeRelayServer.StartAsync(observer);
        using var metrics = new NetSecMetrics();
        using var recorder = new MetricsRecorder(metrics);
        await using var source = new HubbleRelaySource(Options(server, follow: false, last: 7), metrics);
        var rejected = new List<DeadLetter>();
        source.Rejected += rejected.Add;

        var flows = await FlowSources.ReadAsync(source);

        Assert.Equal([1L, 7L], flows.Select(f => f.Position));
        Assert.Equal([2L, 3L, 6L], rejected.Select(d => d.Position));
        Assert.Equal("flow.IP missing", rejected[0].Reason);
        Assert.Equal("flow.IP.source '10.0.0' is not an IP address", rejected[1].Reason);
        Assert.Equal("flow.l4.TCP.source_port 70000 is out of range (0-65535)", rejected[2].Reason);
        Assert.All(rejected, d =>
        {
            Assert.Equal(HubbleRelaySource.ComponentId, d.Stage);
            Assert.Equal(server.Address, d.Origin);
        });
        Assert.Equal(badAddress, GetFlowsResponse.Parser.ParseFrom(rejected[1].Payload.Span));
        Assert.Equal(5, recorder.Total("netsec_events_in"));
        Assert.Equal(2, recorder.Total("netsec_events_out"));
        Assert.Equal(1, recorder.Total("netsec_events_rejected", "missing_field"));
        Assert.Equal(2, recorder.Total("netsec_events_rejected", "invalid_value"));
    }

    [Fact]
    public async Task Read_RelayUnreachable_CountsEachFailureAndRetriesWithBoundedBackoff()
    {
        using var metrics = new NetSecMetrics();
        using var recorder = new MetricsRecorder(metrics);
        using var stop = new CancellationTokenSource(FlowSources.Timeout);
        var waits = new List<TimeSpan>();
        var options = new HubbleRelayOptions
        {
            Address = $"http://127.0.0.1:{UnusedPort()}",
            ReconnectInitialBackoff = TimeSpan.FromMilliseconds(100),
            ReconnectMaxBackoff = TimeSpan.FromMilliseconds(400),
        };
        await using var source = new HubbleRelaySource(options, metrics, logger: null,
            delay: (wait, _) =>
            {
                waits.Add(wait);
                if (waits.Count == 5)
                {
                    stop.Cancel();
                }

                return Task.CompletedTask;
            },
            jitter: new Random(3));

        await foreach (var _ in source.ReadAsync(stop.Token))
        {
            Assert.Fail("no flow can come from an unreachable relay");
        }

        Assert.Equal(5, waits.Count);
        double[] ceilings = [100, 200, 400, 400, 400];
        for (int i = 0; i < waits.Count; i++)
        {
            Assert.InRange(waits[i].TotalMilliseconds, ceilings[i] / 2, ceilings[i]);
        }

        Assert.Equal(5, recorder.Total("netsec_source_errors", "unavailable"));
    }

    [Fact]
    public void Backoff_DoublesFromTheInitialWaitWithJitterAndNeverExceedsTheMaximum()
    {
        var options = new HubbleRelayOptions { ReconnectInitialBackoff = TimeSpan.FromSeconds(1), ReconnectMaxBackoff = TimeSpan.FromSeconds(30) };
        var source = new HubbleRelaySource(options, null, null, (_, _) => Task.CompletedTask, new Random(11));
        var waits = Enumerable.Range(1, 40).Select(source.Backoff).ToList();

        for (int attempt = 1; attempt <= waits.Count; attempt++)
        {
            double ceiling = Math.Min(30_000, 1_000 * Math.Pow(2, attempt - 1));
            Assert.InRange(waits[attempt - 1].TotalMilliseconds, ceiling / 2, ceiling);
        }

        Assert.True(waits.Skip(10).Distinct().Count() > 1, "waits at the cap are jittered, not all equal");
    }

    [Fact]
    public void BuildRequest_Initially_AsksForTheLastFlowsThenFollows()
    {
        var source = new HubbleRelaySource(new HubbleRelayOptions { Last = 50 });

        var request = source.BuildRequest();

        Assert.True(request.Follow);
        Assert.Equal(50UL, request.Number);
        Assert.Null(request.Since);
    }

    [Fact]
    public async Task StartThenStop_WithNoData_Succeeds()
    {
        await using var server = await FakeRelayServer.StartAsync(new FakeObserver([]));
        var source = new HubbleRelaySource(new HubbleRelayOptions { Address = server.Address }, new NetSecMetrics());

        await source.StartAsync(CancellationToken.None);
        await source.StopAsync(CancellationToken.None);

        Assert.Equal("hubble_relay", source.Id);
        Assert.Equal(ComponentKind.Source, source.Kind);
    }

    [Fact]
    public async Task Start_RelayUnreachable_FailsNamingTheKey()
    {
        var source = new HubbleRelaySource(new HubbleRelayOptions { Address = $"http://127.0.0.1:{UnusedPort()}" })
        {
            StartTimeout = TimeSpan.FromSeconds(2),
        };

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => source.StartAsync(CancellationToken.None));

        Assert.StartsWith("Collectors:HubbleRelay:Address: cannot connect to Hubble Relay at http://127.0.0.1:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_CaFileMissing_FailsNamingTheKey()
    {
        var options = new HubbleRelayOptions
        {
            Address = "https://hubble-relay.kube-system.svc:443",
            Tls = new HubbleRelayTlsOptions { Enabled = true, CaCertificatePath = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N") + ".pem") },
        };
        var source = new HubbleRelaySource(options);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => source.StartAsync(CancellationToken.None));

        Assert.StartsWith("Collectors:HubbleRelay:Tls:CaCertificatePath", error.Message, StringComparison.Ordinal);
    }

    private static HubbleRelayOptions Options(FakeRelayServer server, bool follow, int last, string? cluster = null) => new()
    {
        Address = server.Address,
        Follow = follow,
        Last = (ulong)last,
        Cluster = cluster,
        ReconnectInitialBackoff = TimeSpan.FromMilliseconds(10),
        ReconnectMaxBackoff = TimeSpan.FromMilliseconds(50),
    };

    private static int UnusedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
