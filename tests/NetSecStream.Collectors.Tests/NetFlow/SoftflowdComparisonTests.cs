using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using NetSecStream.Collectors.NetFlow;
using NetSecStream.Core.Telemetry;
using Xunit.Abstractions;

namespace NetSecStream.Collectors.Tests.NetFlow;

/// <summary>
/// A real exporter against a real collector: softflowd turns every pcap in shared/data/pcaps into NetFlow v5, v9 and
/// IPFIX and exports it twice, once to nfdump's nfcapd and once to <see cref="NetFlowUdpSource"/>; per version the
/// totals of flows, packets and bytes must equal what <c>nfdump -R</c> reports from nfcapd's files.
/// </summary>
public sealed partial class SoftflowdComparisonTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [NetFlowToolsFact]
    public async Task SoftflowdExport_TotalsEqualNfdump_ForV5V9AndIpfix()
    {
        var missing = NetFlowToolsFactAttribute.MissingTools();
        Assert.True(missing.Count == 0, $"CI=true but {string.Join(", ", missing)} missing: test.sh must install softflowd and nfdump");
        string? folder = NetFlowCaptures.RootOrSkip(output, "pcaps");
        if (folder is null)
        {
            return;
        }

        var pcaps = Directory.GetFiles(folder, "*.pcap", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        Assert.NotEmpty(pcaps);
        var failures = new List<string>();
        foreach (int version in new[] { 5, 9, 10 })
        {
            var reference = await ExportToNfcapdAsync(pcaps, version);
            var ours = await ExportToSourceAsync(pcaps, version, reference.Flows);
            output.WriteLine($"v{version}: nfdump flows={reference.Flows} packets={reference.Packets} bytes={reference.Bytes}; " +
                $"netflow source flows={ours.Flows} packets={ours.Packets} bytes={ours.Bytes} rejected={ours.Rejected}");
            if (ours != reference with { Rejected = 0 })
            {
                failures.Add($"v{version}: nfdump {reference}, ours {ours}");
            }
        }

        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    private readonly record struct Totals(long Flows, long Packets, long Bytes, long Rejected);

    private static async Task<Totals> ExportToNfcapdAsync(List<string> pcaps, int version)
    {
        string dir = Path.Combine(Path.GetTempPath(), "netsec-nfcapd-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            int port = FreeUdpPort();
            using var nfcapd = Start(NetFlowToolsFactAttribute.Find("nfcapd")!, $"-b 127.0.0.1 -p {port} -w {dir} -t 3600");
            await WaitForUdpListenerAsync(port);
            foreach (string pcap in pcaps)
            {
                await RunSoftflowdAsync(pcap, port, version);
            }

            // SIGTERM makes nfcapd flush and close its file; give it a moment to take the last datagrams first.
            await Task.Delay(500);
            await TerminateAsync(nfcapd);
            string all = await RunAsync(NetFlowToolsFactAttribute.Find("nfdump")!, $"-R {dir} -N");
            var match = SummaryLine().Match(all);
            Assert.True(match.Success, "no summary in nfdump output:\n" + all);
            return new Totals(
                long.Parse(match.Groups["flows"].Value, CultureInfo.InvariantCulture),
                long.Parse(match.Groups["packets"].Value, CultureInfo.InvariantCulture),
                long.Parse(match.Groups["bytes"].Value, CultureInfo.InvariantCulture),
                0);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task<Totals> ExportToSourceAsync(List<string> pcaps, int version, long expectedFlows)
    {
        using var metrics = new NetSecMetrics();

        // Port 0: the kernel picks a free port at bind, so no other test can take it between a probe and the bind.
        await using var source = new NetFlowUdpSource(new NetFlowOptions { Listen = "127.0.0.1", Port = 0 }, metrics);
        await source.StartAsync(CancellationToken.None);
        int port = source.LocalEndPoint!.Port;
        using var stop = new CancellationTokenSource();
        long flows = 0, packets = 0, bytes = 0;
        var reader = Task.Run(async () =>
        {
            await foreach (var sourced in source.ReadAsync(stop.Token))
            {
                Interlocked.Increment(ref flows);
                Interlocked.Add(ref packets, sourced.Flow.Packets ?? 0);
                Interlocked.Add(ref bytes, sourced.Flow.Bytes ?? 0);
            }
        });

        foreach (string pcap in pcaps)
        {
            await RunSoftflowdAsync(pcap, port, version);
        }

        var waited = Stopwatch.StartNew();
        while (Interlocked.Read(ref flows) < expectedFlows && waited.Elapsed < Patience)
        {
            await Task.Delay(50);
        }

        await Task.Delay(200); // anything beyond nfdump's count would show up now
        await stop.CancelAsync();
        await reader.WaitAsync(Patience);
        await source.StopAsync(CancellationToken.None);
        return new Totals(flows, packets, bytes, source.Decoder.Telemetry.TotalRejected + source.Ingest.RecordsWithoutAddress);
    }

    private static async Task RunSoftflowdAsync(string pcap, int port, int version)
    {
        string pidFile = Path.Combine(Path.GetTempPath(), "netsec-softflowd-" + Guid.NewGuid().ToString("N") + ".pid");
        string timestamps = version == 10 ? " -A milli" : "";
        // -c none: without it -r waits forever on its control socket (ENVIRONMENT.md).
        await RunAsync(NetFlowToolsFactAttribute.Find("softflowd")!, $"-d -r {pcap} -n 127.0.0.1:{port} -v {version}{timestamps} -c none -p {pidFile}");
        File.Delete(pidFile);
    }

    private static Process Start(string file, string arguments)
    {
        var info = new ProcessStartInfo(file, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start " + file);
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task<string> RunAsync(string file, string arguments)
    {
        var info = new ProcessStartInfo(file, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start " + file);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Patience);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw new TimeoutException($"{file} {arguments} did not finish within {Patience}");
        }

        string text = await stdout;
        Assert.True(process.ExitCode == 0, $"{file} {arguments} exited {process.ExitCode}: {await stderr}{text}");
        return text;
    }

    private static async Task TerminateAsync(Process process)
    {
        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill!.WaitForExitAsync();
        }

        using var timeout = new CancellationTokenSource(Patience);
        await process.WaitForExitAsync(timeout.Token);
    }

    /// <summary>nfcapd has bound its port once the port shows in /proc/net/udp.</summary>
    private static async Task WaitForUdpListenerAsync(int port)
    {
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < Patience)
        {
            if (File.ReadAllText("/proc/net/udp").Contains(":" + port.ToString("X4", CultureInfo.InvariantCulture) + " ", StringComparison.Ordinal))
            {
                return;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"nothing listens on udp port {port}");
    }

    private static int FreeUdpPort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    [GeneratedRegex(@"Summary: total flows: (?<flows>\d+), total bytes: (?<bytes>\d+), total packets: (?<packets>\d+)")]
    private static partial Regex SummaryLine();
}
