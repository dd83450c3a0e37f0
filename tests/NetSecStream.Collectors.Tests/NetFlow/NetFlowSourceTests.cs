using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using NetSecStream.Collectors.NetFlow;
using NetSecStream.Core.Components;
using NetSecStream.Core.Telemetry;
using Xunit.Abstractions;

namespace NetSecStream.Collectors.Tests.NetFlow;

public sealed class NetFlowSourceTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task UdpSource_StartThenStopWithNoData_Succeeds()
    {
        await using var source = new NetFlowUdpSource(new NetFlowOptions { Listen = "127.0.0.1", Port = 0 });

        await source.StartAsync(CancellationToken.None);
        Assert.NotNull(source.LocalEndPoint);
        await source.StopAsync(CancellationToken.None);

        Assert.Equal("netflow", source.Id);
        Assert.Equal(ComponentKind.Source, source.Kind);
    }

    [Fact]
    public async Task UdpSource_DecodesDatagrams_CountsThem_AndReportsRejectedOnes()
    {
        using var metrics = new NetSecMetrics();
        var counts = new Dictionary<string, long>();
        using var listener = Listen(metrics, counts);
        await using var source = new NetFlowUdpSource(new NetFlowOptions { Listen = "127.0.0.1", Port = 0 }, metrics);
        var rejected = new List<DeadLetter>();
        ((IFlowEventSource)source).Rejected += rejected.Add; // as the pipeline's adapter subscribes
        await source.StartAsync(CancellationToken.None);
        using var sender = new UdpClient(AddressFamily.InterNetwork);
        sender.Connect(source.LocalEndPoint!);

        await sender.SendAsync(new byte[] { 0, 42, 1, 2, 3 });
        await sender.SendAsync(NetFlowPackets.V5(100_000, 1_700_000_000, 0, records: 4));

        using var stop = new CancellationTokenSource(Timeout);
        var flows = new List<SourcedFlow>();
        await foreach (var flow in source.ReadAsync(stop.Token))
        {
            flows.Add(flow);
            if (flows.Count == 4)
            {
                break;
            }
        }

        Assert.Equal(4, flows.Count);
        Assert.All(flows, f => Assert.Equal("127.0.0.1", f.Origin));
        Assert.All(flows, f => Assert.Equal(2, f.Position));
        Assert.Equal("10.0.0.4", flows[3].Flow.Source.Ip.ToString());
        Assert.Equal("netflow", flows[3].Flow.CollectorId);
        var dead = Assert.Single(rejected);
        Assert.Equal("unsupported_version", dead.Reason);
        Assert.Equal(1, dead.Position);
        Assert.Equal(5, dead.Payload.Length);

        listener.RecordObservableInstruments();
        Assert.Equal(2, counts.GetValueOrDefault("netsec_events_in"));
        Assert.Equal(4, counts.GetValueOrDefault("netsec_events_out"));
        Assert.Equal(1, counts.GetValueOrDefault("netsec_events_rejected:unsupported_version"));
        await source.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task UdpSource_StopWhileReading_EndsTheRead()
    {
        await using var source = new NetFlowUdpSource(new NetFlowOptions { Listen = "127.0.0.1", Port = 0 });
        await source.StartAsync(CancellationToken.None);
        var reading = Task.Run(async () =>
        {
            int flows = 0;
            await foreach (var _ in source.ReadAsync(CancellationToken.None))
            {
                flows++;
            }

            return flows;
        });

        await source.StopAsync(CancellationToken.None);

        Assert.Equal(0, await reading.WaitAsync(Timeout));
    }

    [Fact]
    public async Task UdpSource_PortInUse_FailsAtStartWithTheKey()
    {
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        int port = ((IPEndPoint)taken.LocalEndPoint!).Port;
        await using var source = new NetFlowUdpSource(new NetFlowOptions { Listen = "127.0.0.1", Port = port });

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => source.StartAsync(CancellationToken.None));
        Assert.StartsWith("Collectors:NetFlow:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Sources_InvalidOptions_AreRefusedAtConstruction()
    {
        Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => new NetFlowUdpSource(new NetFlowOptions { Port = 70000 }));
        Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => new NetFlowPcapSource("x.pcap", new NetFlowOptions { MaxExporters = 0 }));
    }

    [Fact]
    public async Task PcapSource_ReadsTheExportDatagramsOfACapture()
    {
        string? folder = NetFlowCaptures.RootOrSkip(output, "netflow/pmacct-tests/101-NFv9-CISCO-cust_primitives");
        if (folder is null)
        {
            return;
        }

        string path = Path.Combine(folder, "traffic-00.pcap");
        var source = new NetFlowPcapSource(path, new NetFlowOptions { TemplateTimeout = TimeSpan.FromDays(1) });
        var rejected = new List<DeadLetter>();
        source.Rejected += rejected.Add;
        await source.StartAsync(CancellationToken.None);

        var flows = new List<SourcedFlow>();
        await foreach (var flow in source.ReadAsync(CancellationToken.None))
        {
            flows.Add(flow);
        }

        Assert.Equal(51, flows.Count);
        Assert.Empty(rejected);
        Assert.All(flows, f => Assert.Equal(path, f.Origin));
        Assert.True(flows.Zip(flows.Skip(1)).All(p => p.First.Position <= p.Second.Position));
        Assert.Equal(40, source.Packets);
        Assert.All(flows, f => Assert.Equal("netflow", f.Flow.CollectorId));
    }

    [Fact]
    public async Task PcapSource_MissingOrForeignFile_FailsAtStart()
    {
        var missing = new NetFlowPcapSource("/nonexistent/capture.pcap", new NetFlowOptions());
        await Assert.ThrowsAsync<FileNotFoundException>(() => missing.StartAsync(CancellationToken.None));

        string notPcap = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(notPcap, "this is not a capture, just some text long enough");
            var foreign = new NetFlowPcapSource(notPcap, new NetFlowOptions());
            await Assert.ThrowsAsync<InvalidDataException>(() => foreign.StartAsync(CancellationToken.None));
        }
        finally
        {
            File.Delete(notPcap);
        }
    }

    [Fact]
    public async Task PcapSource_TruncatedCapture_EndsTheReadAndCountsBadPcap()
    {
        string? folder = NetFlowCaptures.RootOrSkip(output, "netflow/pmacct-tests/101-NFv9-CISCO-cust_primitives");
        if (folder is null)
        {
            return;
        }

        byte[] capture = await File.ReadAllBytesAsync(Path.Combine(folder, "traffic-00.pcap"));
        string cut = Path.GetTempFileName();
        try
        {
            await File.WriteAllBytesAsync(cut, capture[..(capture.Length / 2)]);
            using var metrics = new NetSecMetrics();
            var counts = new Dictionary<string, long>();
            using var listener = Listen(metrics, counts);
            var source = new NetFlowPcapSource(cut, new NetFlowOptions { TemplateTimeout = TimeSpan.FromDays(1) }, metrics);
            int flows = 0;
            await foreach (var _ in source.ReadAsync(CancellationToken.None))
            {
                flows++;
            }

            Assert.InRange(flows, 1, 50);
            Assert.Equal(1, counts.GetValueOrDefault("netsec_events_rejected:bad_pcap"));
        }
        finally
        {
            File.Delete(cut);
        }
    }

    /// <summary>Sums the NetSecStream meter's counters for this metrics instance: name, or name:reason for rejections.</summary>
    private static MeterListener Listen(NetSecMetrics metrics, Dictionary<string, long> counts)
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (ReferenceEquals(instrument.Meter, metrics.Meter))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string key = instrument.Name;
            foreach (var tag in tags)
            {
                if (tag.Key == "reason")
                {
                    key += ":" + tag.Value;
                }
            }

            lock (counts)
            {
                counts[key] = counts.GetValueOrDefault(key) + value;
            }
        });
        listener.Start();
        return listener;
    }
}
