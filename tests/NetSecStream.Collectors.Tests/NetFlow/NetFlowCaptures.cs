using Xunit.Abstractions;
using NetSecStream.Collectors.NetFlow;
using NetSecStream.Testing;

namespace NetSecStream.Collectors.Tests.NetFlow;

/// <summary>One UDP datagram from a capture: who sent it, when, and its payload.</summary>
internal sealed record CapturedDatagram(string File, int Packet, NetFlowAddress Exporter, long TimestampMs, byte[] Payload);

/// <summary>The NetFlow/IPFIX captures in shared/data/netflow and a way to read their datagrams.</summary>
internal static class NetFlowCaptures
{
    public const string Folder = "netflow";

    /// <summary>The data folder, or null (with the reason printed) when the shared test data is absent.</summary>
    public static string? RootOrSkip(ITestOutputHelper output, string relative = Folder)
    {
        string? root = TestData.Root;
        string? path = root is null ? null : Path.Combine(root, relative);
        if (path is null || !Directory.Exists(path))
        {
            output.WriteLine($"SKIPPED: shared test data folder '{relative}' not found (set NETSEC_TESTDATA to the shared/data folder; default ../shared/data beside the clone)");
            return null;
        }

        return path;
    }

    /// <summary>Every UDP datagram of a capture, in file order.</summary>
    public static List<CapturedDatagram> Read(string path)
    {
        var datagrams = new List<CapturedDatagram>();
        using var reader = PcapReader.Open(path, 256 * 1024);
        int packet = 0;
        while (reader.TryRead(out int linkType, out long timestampMs, out var frame))
        {
            packet++;
            var skip = UdpFrame.TryGetUdp(frame, linkType, out var exporter, out _, out var payload);
            if (skip != FrameSkip.None)
            {
                throw new InvalidDataException($"{Path.GetFileName(path)} packet {packet}: {skip}");
            }

            datagrams.Add(new CapturedDatagram(Path.GetFileName(path), packet, exporter, timestampMs, payload.ToArray()));
        }

        Assert.Null(reader.Error);
        return datagrams;
    }

    /// <summary>
    /// The akvorado NetFlow captures grouped so that templates come before the data that needs them: a group is a
    /// name prefix (<c>icmp-template.pcap</c>, <c>icmp-data.pcap</c>), template files first, then options data, then data.
    /// </summary>
    public static List<(string Group, List<string> Files)> AkvoradoGroups(string folder)
    {
        var groups = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (string file in Directory.GetFiles(folder, "*.pcap"))
        {
            string name = Path.GetFileNameWithoutExtension(file);
            string group = name;
            foreach (string suffix in new[] { "-options-template", "-options-data", "-templates", "-template", "-data" })
            {
                if (name.EndsWith(suffix, StringComparison.Ordinal))
                {
                    group = name[..^suffix.Length];
                    break;
                }
            }

            if (name is "data" or "template")
            {
                group = "(data+template)";
            }

            if (!groups.TryGetValue(group, out var files))
            {
                groups[group] = files = [];
            }

            files.Add(file);
        }

        return [.. groups.Select(g => (g.Key, g.Value.OrderBy(Rank).ThenBy(f => f, StringComparer.Ordinal).ToList()))];
    }

    private static int Rank(string file)
    {
        string name = Path.GetFileNameWithoutExtension(file);
        return name.EndsWith("options-template", StringComparison.Ordinal) ? 0
            : name.EndsWith("template", StringComparison.Ordinal) || name.EndsWith("templates", StringComparison.Ordinal) ? 1
            : name.EndsWith("options-data", StringComparison.Ordinal) ? 2
            : 3;
    }
}
