using System.Diagnostics;

namespace NetSecStream.Collectors.Pcap;

/// <summary>One measured run of <see cref="PcapBench.Run"/>.</summary>
/// <param name="Packets">Packets pushed through the flow table (the file's packets times the repeat count).</param>
/// <param name="Seconds">Wall time of those passes.</param>
/// <param name="PacketsPerSecond">Packets through decode, flow assembly, TCP reassembly and L7 extraction per second.</param>
/// <param name="Events">Flow events emitted over all passes.</param>
/// <param name="L7Transactions">DNS, HTTP and TLS transactions over all passes.</param>
/// <param name="BaselinePacketsPerSecond">The file's packets over tshark's wall time for one pass extracting the same
/// fields (process start included); null when tshark is not installed or failed.</param>
/// <param name="BaselineSeconds">tshark's wall time; null as above.</param>
/// <param name="CpuSeconds">CPU time the whole process used during the timed passes (all threads: GC, JIT).</param>
/// <param name="PacketsPerCpuSecond">Packets per CPU second: steadier than wall time on a machine shared with other work.</param>
public sealed record PcapBenchResult(
    long Packets,
    double Seconds,
    double PacketsPerSecond,
    long Events,
    long L7Transactions,
    double? BaselinePacketsPerSecond,
    double? BaselineSeconds,
    double CpuSeconds,
    double PacketsPerCpuSecond);

/// <summary>
/// Throughput of the pcap source's packet path (decode, flow table, TCP reassembly, DNS/HTTP/TLS extraction, flow
/// events), for <c>netsec bench</c>. The file is read into memory first so the disk is not measured; each pass starts
/// with an empty flow table and ends by flushing it. The baseline, measured in the same run, is
/// <c>tshark -r FILE -T fields -e dns.qry.name -e http.host -e http.request.uri -e tls.handshake.extensions_server_name</c>.
/// </summary>
public static class PcapBench
{
    public static PcapBenchResult Run(string pcapPath, int repeat, PcapOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(pcapPath);
        ArgumentOutOfRangeException.ThrowIfLessThan(repeat, 1);
        options ??= new PcapOptions { File = pcapPath };
        byte[] file = File.ReadAllBytes(pcapPath);

        // Untimed passes let tiered compilation (with dynamic PGO) reach the optimised code a long-running capture runs.
        // The JIT recompiles on a background thread, which this loop starves on a busy 2-core machine: the first timed
        // passes were measured at a third of the speed until the process had paused. So the warm-up pauses too.
        long filePackets = Pass(file, options, out _, out _);
        for (int round = 0; round < 6; round++)
        {
            var warmup = Stopwatch.StartNew();
            do
            {
                Pass(file, options, out _, out _);
            }
            while (warmup.Elapsed < TimeSpan.FromSeconds(0.5));
            Thread.Sleep(500);
        }

        long packets = 0;
        long events = 0;
        long transactions = 0;
        using var self = Process.GetCurrentProcess();
        var cpuBefore = self.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < repeat; i++)
        {
            packets += Pass(file, options, out long passEvents, out long passTransactions);
            events += passEvents;
            transactions += passTransactions;
        }

        double seconds = clock.Elapsed.TotalSeconds;
        self.Refresh();
        double cpuSeconds = (self.TotalProcessorTime - cpuBefore).TotalSeconds;
        double? baseline = TsharkSeconds(pcapPath);
        return new PcapBenchResult(
            packets,
            seconds,
            packets / Math.Max(seconds, 1e-9),
            events,
            transactions,
            baseline is { } b ? filePackets / b : null,
            baseline,
            cpuSeconds,
            packets / Math.Max(cpuSeconds, 1e-9));
    }

    private static long Pass(byte[] file, PcapOptions options, out long events, out long transactions)
    {
        var table = new FlowTable(options, options.File ?? "bench");
        var reader = new CaptureFileReader(new MemoryStream(file, writable: false));
        if (!reader.TryReadHeader(out string error))
        {
            throw new InvalidDataException(error);
        }

        long position = 0;
        while (reader.ReadNext(out var frame) == CaptureReadStatus.Packet)
        {
            table.Process(reader.LinkType, reader.TimestampTicks, frame, ++position);
            if (table.Output.Count > 1024)
            {
                table.Output.Clear();
            }
        }

        table.FlushAll(position);
        table.Output.Clear();
        events = table.Statistics.EventsEmitted;
        transactions = table.Statistics.L7Transactions;
        return position;
    }

    private static double? TsharkSeconds(string pcapPath)
    {
        try
        {
            var start = new ProcessStartInfo("tshark")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (string argument in new[]
            {
                "-r", pcapPath, "-n", "-T", "fields",
                "-e", "dns.qry.name", "-e", "http.host", "-e", "http.request.uri", "-e", "tls.handshake.extensions_server_name",
            })
            {
                start.ArgumentList.Add(argument);
            }

            var clock = Stopwatch.StartNew();
            using var process = Process.Start(start);
            if (process is null)
            {
                return null;
            }

            var stderr = process.StandardError.ReadToEndAsync();
            var buffer = new char[1 << 16];
            while (process.StandardOutput.Read(buffer, 0, buffer.Length) > 0)
            {
            }

            process.WaitForExit();
            _ = stderr.Result;
            return process.ExitCode == 0 ? clock.Elapsed.TotalSeconds : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
