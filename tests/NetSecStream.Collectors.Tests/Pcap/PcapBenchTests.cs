using NetSecStream.Collectors.Pcap;
using NetSecStream.Testing;
using Xunit.Abstractions;

namespace NetSecStream.Collectors.Tests.Pcap;

/// <summary>The benchmark entry point runs and counts what it did; its timings are printed, never asserted.</summary>
public sealed class PcapBenchTests(ITestOutputHelper output)
{
    [Fact]
    public void Run_SmallCapture_CountsEveryPacketOfEveryPass()
    {
        string path = TestData.Require("pcaps/dns-tunnel/sods.pcap");
        var result = PcapBench.Run(path, 3);
        output.WriteLine(result.ToString());
        Assert.Equal(3 * 986, result.Packets);
        Assert.True(result.L7Transactions >= 3 * 493, $"{result.L7Transactions} transactions");
        Assert.True(result.PacketsPerSecond > 0);
    }
}
