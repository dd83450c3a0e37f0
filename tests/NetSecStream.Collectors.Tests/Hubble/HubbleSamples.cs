using System.Text;
using NetSecStream.Testing;

namespace NetSecStream.Collectors.Tests.Hubble;

/// <summary>The Hubble flow samples of the hubble-otel project (shared/data/hubble/hubble-otel), with their line counts.</summary>
internal static class HubbleSamples
{
    public const string Folder = "hubble/hubble-otel";

    public static readonly IReadOnlyDictionary<string, int> LineCounts = new Dictionary<string, int>
    {
        ["basic-sample-10-flows.json"] = 10,
        ["basic-sample-330-dns-flows.json"] = 330,
        ["basic-sample-348-http-flows.json"] = 348,
        ["basic-sample-400-icmpv4-flows.json"] = 18,
        ["basic-sample-400-l7-redirected-flows.json"] = 400,
        ["basic-sample-400-tcp-flows.json"] = 400,
        ["basic-sample-400-udp-flows.json"] = 400,
        ["basic-sample-5-dns-flows.json"] = 5,
        ["basic-sample-5-http-flows.json"] = 5,
    };

    public static TheoryData<string> Files => [.. LineCounts.Keys];

    public static string PathOf(string file) => TestData.Require(Folder + "/" + file);

    /// <summary>The lines of a sample file, as UTF-8 bytes without newline.</summary>
    public static IReadOnlyList<byte[]> Lines(string file) =>
        [.. File.ReadAllLines(PathOf(file)).Where(line => line.Length > 0).Select(Encoding.UTF8.GetBytes)];

    /// <summary>The text of one sample line (1-based).</summary>
    public static string Line(string file, int number) => File.ReadLines(PathOf(file)).Skip(number - 1).First();
}
