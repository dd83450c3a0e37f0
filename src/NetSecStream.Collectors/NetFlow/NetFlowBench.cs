using System.Diagnostics;
using NetSecStream.Core.Events;

namespace NetSecStream.Collectors.NetFlow;

/// <summary>What one NetFlow decode benchmark run measured (single thread, records per second of wall time).</summary>
public sealed record NetFlowBenchResult(
    int CorpusDatagrams,
    int CorpusRecords,
    long Records,
    double DecodeRecordsPerSecond,
    double DecodeAndMapRecordsPerSecond,
    double BaselineRecordsPerSecond,
    long AllocatedBytesPerRecordDecode);

/// <summary>
/// The <c>netflow-decode</c> benchmark scenario: real NetFlow v5/v9/IPFIX datagrams (the captures under
/// <c>netflow/</c> of the shared test data, each capture group as its own exporter, templates learnt once before
/// timing) replicated until <c>records</c> flow records have been decoded, on one thread. Three figures from one run:
/// decode to <see cref="NetFlowRecord"/>s, decode plus mapping to <see cref="FlowEvent"/>s (what the sources do), and
/// the baseline, a pass that walks the same datagrams' headers, sets and record boundaries (same exporter, domain
/// and template lookups) without reading a field.
/// </summary>
public static class NetFlowBench
{
    /// <summary>Runs with the captures found through <c>NETSEC_TESTDATA</c> (or <c>../shared/data</c> from the working directory).</summary>
    public static NetFlowBenchResult Run(int records) => Run(records, FindCaptureFolder());

    public static NetFlowBenchResult Run(int records, string captureFolder)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(records, 1);
        var corpus = LoadCorpus(captureFolder);
        var decoder = new NetFlowDecoder(new NetFlowOptions());
        var buffer = new NetFlowRecordBuffer(1024);
        int corpusRecords = 0;
        foreach (var (exporter, payload) in corpus)
        {
            buffer.Clear();
            corpusRecords += decoder.Decode(payload, exporter, 0, buffer).Records;
        }

        if (corpusRecords == 0)
        {
            throw new InvalidOperationException($"no NetFlow records in the captures under {captureFolder}");
        }

        var mapper = new NetFlowEventMapper(applySampling: true);
        var flows = new List<FlowEvent>(1024);

        // Warm-up: one untimed pass of each loop so the timed passes run optimised code.
        Decode(decoder, corpus, buffer, corpusRecords * 20L);
        DecodeAndMap(decoder, mapper, corpus, buffer, flows, corpusRecords * 20L);
        Walk(decoder, corpus, corpusRecords * 20L);

        long before = GC.GetAllocatedBytesForCurrentThread();
        var watch = Stopwatch.StartNew();
        long decoded = Decode(decoder, corpus, buffer, records);
        double decodeRate = decoded / watch.Elapsed.TotalSeconds;
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        watch.Restart();
        long mapped = DecodeAndMap(decoder, mapper, corpus, buffer, flows, records);
        double mapRate = mapped / watch.Elapsed.TotalSeconds;

        watch.Restart();
        long walked = Walk(decoder, corpus, records);
        double walkRate = walked / watch.Elapsed.TotalSeconds;

        return new NetFlowBenchResult(corpus.Count, corpusRecords, decoded, decodeRate, mapRate, walkRate, allocated / Math.Max(decoded, 1));
    }

    private static long Decode(NetFlowDecoder decoder, List<(NetFlowAddress Exporter, byte[] Payload)> corpus, NetFlowRecordBuffer buffer, long target)
    {
        long done = 0;
        while (done < target)
        {
            foreach (var (exporter, payload) in corpus)
            {
                buffer.Clear();
                done += decoder.Decode(payload, exporter, 0, buffer).Records;
            }
        }

        return done;
    }

    private static long DecodeAndMap(NetFlowDecoder decoder, NetFlowEventMapper mapper, List<(NetFlowAddress Exporter, byte[] Payload)> corpus, NetFlowRecordBuffer buffer, List<FlowEvent> flows, long target)
    {
        long done = 0;
        while (done < target)
        {
            foreach (var (exporter, payload) in corpus)
            {
                buffer.Clear();
                flows.Clear();
                done += decoder.Decode(payload, exporter, 0, buffer).Records;
                foreach (ref readonly var record in buffer.AsSpan())
                {
                    if (mapper.Map(in record) is { } flow)
                    {
                        flows.Add(flow);
                    }
                }
            }
        }

        return done;
    }

    private static long Walk(NetFlowDecoder decoder, List<(NetFlowAddress Exporter, byte[] Payload)> corpus, long target)
    {
        long done = 0;
        while (done < target)
        {
            foreach (var (exporter, payload) in corpus)
            {
                done += decoder.WalkRecords(payload, exporter);
            }
        }

        return done;
    }

    /// <summary>
    /// Every UDP datagram of the NetFlow captures (sFlow ones left out), capture group by capture group with template
    /// files first; each group gets its own exporter address so groups that reuse template ids do not collide.
    /// </summary>
    internal static List<(NetFlowAddress Exporter, byte[] Payload)> LoadCorpus(string folder)
    {
        var files = Directory.GetFiles(folder, "*.pcap", SearchOption.AllDirectories)
            .Where(f => !f.Contains("sflow", StringComparison.OrdinalIgnoreCase))
            .ToList();
        var groups = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (string file in files)
        {
            string group = GroupOf(file);
            if (!groups.TryGetValue(group, out var list))
            {
                groups[group] = list = [];
            }

            list.Add(file);
        }

        var corpus = new List<(NetFlowAddress, byte[])>();
        uint groupNumber = 0;
        foreach (var (_, list) in groups)
        {
            groupNumber++;
            list.Sort((a, b) => TemplateRank(a).CompareTo(TemplateRank(b)) is var c and not 0 ? c : string.CompareOrdinal(a, b));
            var exporters = new Dictionary<NetFlowAddress, NetFlowAddress>();
            foreach (string file in list)
            {
                using var reader = PcapReader.Open(file, 256 * 1024);
                while (reader.TryRead(out int linkType, out _, out var frame))
                {
                    if (UdpFrame.TryGetUdp(frame, linkType, out var source, out _, out var payload) != FrameSkip.None)
                    {
                        continue;
                    }

                    if (!exporters.TryGetValue(source, out var exporter))
                    {
                        // 198.18.0.0/15 (benchmarking range): group number and exporter number within the group.
                        exporter = NetFlowAddress.FromIPv4(0xC6120000u | (groupNumber << 8) | (uint)(exporters.Count + 1));
                        exporters[source] = exporter;
                    }

                    corpus.Add((exporter, payload.ToArray()));
                }
            }
        }

        return corpus;
    }

    private static string GroupOf(string file)
    {
        string directory = Path.GetDirectoryName(file) ?? "";
        string name = Path.GetFileNameWithoutExtension(file);
        if (!directory.Contains("akvorado", StringComparison.OrdinalIgnoreCase))
        {
            return directory; // a pmacct test: all its captures share one collector
        }

        foreach (string suffix in (string[])["-options-template", "-options-data", "-templates", "-template", "-data"])
        {
            if (name.EndsWith(suffix, StringComparison.Ordinal))
            {
                return Path.Combine(directory, name[..^suffix.Length]);
            }
        }

        return Path.Combine(directory, name is "data" or "template" ? "" : name);
    }

    private static int TemplateRank(string file)
    {
        string name = Path.GetFileNameWithoutExtension(file);
        return name.EndsWith("options-template", StringComparison.Ordinal) ? 0
            : name.EndsWith("template", StringComparison.Ordinal) || name.EndsWith("templates", StringComparison.Ordinal) ? 1
            : name.EndsWith("options-data", StringComparison.Ordinal) ? 2
            : 3;
    }

    private static string FindCaptureFolder()
    {
        string? root = Environment.GetEnvironmentVariable("NETSEC_TESTDATA");
        if (string.IsNullOrEmpty(root))
        {
            root = Path.GetFullPath(Path.Combine("..", "shared", "data"));
        }

        string folder = Path.Combine(root, "netflow");
        return Directory.Exists(folder)
            ? folder
            : throw new DirectoryNotFoundException($"NetFlow captures not found at {folder}: set NETSEC_TESTDATA to the shared/data folder");
    }
}
