using NetSecStream.Collectors.Pcap;
using NetSecStream.Core.Events;
using NetSecStream.Testing;

namespace NetSecStream.Collectors.Tests.Pcap;

/// <summary>The capture files of the shared test data, and a helper that runs one through the pcap source.</summary>
internal static class PcapFiles
{
    /// <summary>pcaps/ (dns-tunnel, zeek) and the suricata-verify test pcaps, relative to the data root.</summary>
    public static IReadOnlyList<string> All()
    {
        string root = TestData.Root ?? throw new InvalidOperationException(
            "Shared test data not found: set NETSEC_TESTDATA to the shared/data folder (default ../shared/data beside the clone).");
        var files = new List<string>();
        foreach (string folder in new[] { "pcaps", "suricata-verify" })
        {
            string path = Path.Combine(root, folder);
            if (Directory.Exists(path))
            {
                files.AddRange(Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
                    .Where(f => f.EndsWith(".pcap", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".pcapng", StringComparison.OrdinalIgnoreCase)));
            }
        }

        files.Sort(StringComparer.Ordinal);
        return files;
    }

    public static string Relative(string path) => Path.GetRelativePath(TestData.Root ?? "", path);

    public static async Task<(List<FlowEvent> Events, PcapStatistics Statistics)> ReadAsync(string path, Action<PcapOptions>? configure = null)
    {
        var options = new PcapOptions { File = path };
        configure?.Invoke(options);
        var source = new PcapFlowSource(options, null);
        await source.StartAsync(CancellationToken.None);
        var events = new List<FlowEvent>();
        await foreach (var item in source.ReadAsync(CancellationToken.None))
        {
            events.Add(item.Flow);
        }

        await source.StopAsync(CancellationToken.None);
        return (events, source.Statistics!);
    }
}
