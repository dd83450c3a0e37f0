using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using NetSecStream.Collectors.Pcap;
using NetSecStream.Core.Components;
using NetSecStream.Core.Telemetry;
using NetSecStream.Testing;

namespace NetSecStream.Collectors.Tests.Pcap;

public sealed class PcapFlowSourceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("netsec-pcap-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task ReadAsync_PcapngWithSeveralLinkTypes_ExtractsDnsHttpAndTls()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Pcap", "mixed-links.pcapng");
        var (events, stats) = await PcapFiles.ReadAsync(path);
        Assert.Equal(MixedLinks.Packets, stats.Packets);
        Assert.Equal(0, stats.PacketsRejected);
        Assert.Equal(MixedLinks.DnsQueries, events.Count(e => e.Dns is not null));
        Assert.Contains(events, e => e.Tls?.Sni == MixedLinks.TlsServerName && e.Tls.Ja3 is { Length: 32 });
        foreach (string host in MixedLinks.HttpHosts)
        {
            Assert.Contains(events, e => e.Http?.Host == host);
        }

        Assert.All(events, e => Assert.Equal("pcap", e.CollectorId));
        Assert.Equal(stats.FlowsCreated, events.Count(e => e.Packets is not null));
    }

    [Fact]
    public async Task ReadAsync_RealCapture_PositionsAreNonDecreasingPacketNumbersAndOriginIsTheFile()
    {
        string path = TestData.Require("pcaps/zeek/ssh-bruteforce/sshguess.pcap");
        var source = new PcapFlowSource(new PcapOptions { File = path }, null);
        await source.StartAsync(CancellationToken.None);
        var items = new List<SourcedFlow>();
        await foreach (var item in source.ReadAsync(CancellationToken.None))
        {
            items.Add(item);
        }

        Assert.NotEmpty(items);
        Assert.All(items, i => Assert.Equal(path, i.Origin));
        Assert.True(items.Zip(items.Skip(1)).All(p => p.First.Position <= p.Second.Position));
        Assert.Equal(431, source.Statistics!.Packets);
        Assert.Equal(431, items.Sum(i => i.Flow.Packets ?? 0));
    }

    [Fact]
    public async Task ReadAsync_MalformedPacketsAndATruncatedFile_AreRejectedCountedAndReported()
    {
        var time = new DateTimeOffset(2025, 3, 1, 0, 0, 0, TimeSpan.Zero);
        var good = Packets.Udp("10.0.0.1", 40000, "10.0.0.53", 53, Packets.Dns(1, "ok.example"));
        var truncated = good[..40];
        var file = Packets.PcapFile([(time, good), (time, truncated), (time, good)]);
        string path = Path.Combine(_dir, "bad.pcap");
        await File.WriteAllBytesAsync(path, file[..^3]);

        using var metrics = new NetSecMetrics();
        var measurements = new List<(string Instrument, long Value, string? Reason)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter == metrics.Meter)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string? reason = null;
            foreach (var tag in tags)
            {
                reason = tag.Key == "reason" ? tag.Value as string : reason;
                if (tag.Key == "component")
                {
                    Assert.Equal("pcap", tag.Value);
                }
            }

            measurements.Add((instrument.Name, value, reason));
        });
        listener.Start();

        var source = new PcapFlowSource(new PcapOptions { File = path }, metrics);
        var rejected = new List<DeadLetter>();
        source.Rejected += rejected.Add;
        var events = new List<SourcedFlow>();
        await foreach (var item in source.ReadAsync(CancellationToken.None))
        {
            events.Add(item);
        }

        Assert.Equal("ok.example", Assert.Single(events).Flow.Dns!.Query);
        Assert.Equal(["truncated_transport_header", "truncated_file"], rejected.Select(r => r.Reason));
        Assert.Equal(2, rejected[0].Position);
        Assert.Equal(truncated, rejected[0].Payload.ToArray());
        Assert.Equal(2, measurements.Where(m => m.Instrument == "netsec_events_in").Sum(m => m.Value));
        Assert.Equal(1, measurements.Where(m => m.Instrument == "netsec_events_out").Sum(m => m.Value));
        Assert.Equal(["truncated_transport_header", "truncated_file"], measurements.Where(m => m.Instrument == "netsec_events_rejected").Select(m => m.Reason));
    }

    [Fact]
    public async Task StartAsync_MissingFile_FailsNamingTheKey()
    {
        var source = new PcapFlowSource(new PcapOptions { File = Path.Combine(_dir, "absent.pcap") }, null);
        var error = await Assert.ThrowsAsync<FileNotFoundException>(() => source.StartAsync(CancellationToken.None));
        Assert.StartsWith("Collectors:Pcap:File", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_FilterThatDoesNotCompile_FailsNamingTheKey()
    {
        string path = TestData.Require("pcaps/zeek/vnc-scanner/vnc-scanner.pcap");
        var source = new PcapFlowSource(new PcapOptions { File = path, Filter = "udp port banana" }, null);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => source.StartAsync(CancellationToken.None));
        Assert.StartsWith("Collectors:Pcap:Filter", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_NotACaptureFile_FailsWithTheReason()
    {
        string path = Path.Combine(_dir, "flows.jsonl");
        await File.WriteAllTextAsync(path, "{\"flow\":{}}\n");
        var source = new PcapFlowSource(new PcapOptions { File = path }, null);
        var error = await Assert.ThrowsAsync<InvalidDataException>(async () =>
        {
            await foreach (var _ in source.ReadAsync(CancellationToken.None))
            {
            }
        });
        Assert.Contains("not a pcap or pcapng file", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_WithABpfFilter_KeepsOnlyMatchingPackets()
    {
        string path = TestData.Require("pcaps/zeek/nmap-version-scan/nmap-vsn.pcap");
        var (all, _) = await PcapFiles.ReadAsync(path);
        var (dns, _) = await PcapFiles.ReadAsync(path, o => o.Filter = "udp port 53");
        Assert.True(dns.Count > 0 && dns.Count < all.Count, $"{dns.Count} of {all.Count}");
        Assert.All(dns, e => Assert.Equal(53, e.Destination.Port));
    }

    [Fact]
    public void Constructor_IsUsableAsTheLeadWiresIt()
    {
        using var metrics = new NetSecMetrics();
        var source = new PcapFlowSource(new PcapOptions { File = "x.pcap" }, metrics, null);
        Assert.IsAssignableFrom<IFlowEventSource>(source);
        Assert.Equal("pcap", source.Id);
        Assert.Equal(ComponentKind.Source, source.Kind);
    }

    [LiveCaptureFact]
    public async Task ReadAsync_LiveOnLoopback_ReportsDnsQueriesSentThere()
    {
        var source = new PcapFlowSource(
            new PcapOptions { Interface = "lo", Filter = "udp and dst port 53 and dst host 127.0.0.1", IdleTimeout = TimeSpan.FromSeconds(1) },
            null);
        await source.StartAsync(CancellationToken.None);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var query = Packets.Dns(0x4242, "live.example");
        var sending = Task.Run(async () =>
        {
            // A new socket (source port) each time: each query is a flow of its own that idles out after a second.
            while (!stop.IsCancellationRequested)
            {
                using var sender = new UdpClient();
                await sender.SendAsync(query, new IPEndPoint(IPAddress.Loopback, 53));
                await Task.Delay(200);
            }
        });
        string? seen = null;
        try
        {
            await foreach (var item in source.ReadAsync(stop.Token))
            {
                if (item.Flow.Dns?.Query is { } name)
                {
                    seen = name;
                    await stop.CancelAsync();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }

        await stop.CancelAsync();
        await sending;
        Assert.Equal("live.example", seen);
        Assert.Equal("pcap:lo", source.Origin);
    }
}

/// <summary>A fact that captures live on the loopback interface: it needs root (CAP_NET_RAW) and libpcap.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class LiveCaptureFactAttribute : FactAttribute
{
    public LiveCaptureFactAttribute()
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root")
        {
            Skip = "live capture needs Linux and root (CAP_NET_RAW) to open the loopback interface";
        }
        else if (!File.Exists("/usr/lib/x86_64-linux-gnu/libpcap.so.0.8") && !File.Exists("/usr/lib/aarch64-linux-gnu/libpcap.so.0.8"))
        {
            Skip = "libpcap is not installed (apt-get install libpcap0.8; test.sh installs it)";
        }
    }
}
