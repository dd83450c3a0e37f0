using System.Diagnostics;
using NetSecStream.Collectors.Files;
using NetSecStream.Collectors.Hubble;
using Xunit.Abstractions;

namespace NetSecStream.Collectors.Tests.Hubble;

/// <summary>A measurement rather than a check: skipped unless NETSEC_BENCH=1, and it asserts outcomes, never timings.</summary>
public sealed class BenchmarkFactAttribute : FactAttribute
{
    public BenchmarkFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("NETSEC_BENCH") != "1")
        {
            Skip = "Throughput measurement: run with NETSEC_BENCH=1 (and -c Release) to see the numbers.";
        }
    }
}

public sealed class HubbleThroughputMeasurements(ITestOutputHelper output) : IDisposable
{
    private const int LineCount = 200_000;

    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [BenchmarkFact]
    public void Decode_SampleLinesRepeatedTo200k_ReportsFlowsPerSecond()
    {
        var samples = HubbleSamples.LineCounts.Keys.SelectMany(HubbleSamples.Lines).ToArray();
        var lines = Enumerable.Range(0, LineCount).Select(i => samples[i % samples.Length]).ToArray();
        long totalBytes = lines.Sum(line => (long)line.Length);
        var decoder = new HubbleFlowDecoder();
        foreach (var line in samples)
        {
            decoder.Decode(line);
        }

        for (int round = 1; round <= 3; round++)
        {
            long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            int gen0Before = GC.CollectionCount(0);
            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var watch = Stopwatch.StartNew();
            int decoded = 0;
            foreach (var line in lines)
            {
                decoded += decoder.Decode(line).IsSuccess ? 1 : 0;
            }

            watch.Stop();
            var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
            long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
            output.WriteLine(
                $"decode round {round}: {LineCount / watch.Elapsed.TotalSeconds:N0} flows/s wall, {LineCount / cpu.TotalSeconds:N0} flows per CPU-second, " +
                $"{totalBytes / watch.Elapsed.TotalSeconds / 1e6:N0} MB/s of JSON, {allocated / LineCount:N0} B allocated per flow, " +
                $"{GC.CollectionCount(0) - gen0Before} gen0 GCs ({LineCount:N0} lines of {totalBytes / LineCount:N0} B average)");
            Assert.Equal(LineCount, decoded);
        }
    }

    [BenchmarkFact]
    public async Task ReadFileAndDecode_200kLines_ReportsFlowsPerSecond()
    {
        var samples = HubbleSamples.LineCounts.Keys.SelectMany(file => File.ReadAllLines(HubbleSamples.PathOf(file))).ToArray();
        string path = _folder.File("bench.json");
        await File.WriteAllLinesAsync(path, Enumerable.Range(0, LineCount).Select(i => samples[i % samples.Length]));
        var decoder = new HubbleFlowDecoder();

        for (int round = 1; round <= 3; round++)
        {
            var source = new JsonLinesFileSource(new HubbleFileSourceOptions { Path = path });
            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var watch = Stopwatch.StartNew();
            int decoded = 0;
            await foreach (var record in source.ReadAsync())
            {
                decoded += decoder.Decode(record.Payload.Span).IsSuccess ? 1 : 0;
            }

            watch.Stop();
            var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
            output.WriteLine($"file source + decode round {round}: {LineCount / watch.Elapsed.TotalSeconds:N0} flows/s wall, {LineCount / cpu.TotalSeconds:N0} flows per CPU-second");
            Assert.Equal(LineCount, decoded);
        }
    }
}
