using NetSecStream.Collectors.NetFlow;
using Xunit.Abstractions;

namespace NetSecStream.Collectors.Tests.NetFlow;

/// <summary>The benchmark scenario runs end to end on a small count (no timing is asserted: this machine is shared).</summary>
public sealed class NetFlowBenchTests(ITestOutputHelper output)
{
    [Fact]
    public void Run_SmallCount_DecodesAtLeastThatManyRecords()
    {
        string? folder = NetFlowCaptures.RootOrSkip(output);
        if (folder is null)
        {
            return;
        }

        var result = NetFlowBench.Run(20_000, folder);

        output.WriteLine(result.ToString());
        Assert.True(result.Records >= 20_000);
        Assert.True(result.CorpusRecords > 100);
        Assert.True(result.DecodeRecordsPerSecond > 0 && result.DecodeAndMapRecordsPerSecond > 0 && result.BaselineRecordsPerSecond > 0);
        Assert.Equal(0, result.AllocatedBytesPerRecordDecode);
    }
}
