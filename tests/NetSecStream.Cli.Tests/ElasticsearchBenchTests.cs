using NetSecStream.Cli.Commands;

namespace NetSecStream.Cli.Tests;

/// <summary><c>netsec bench --collector elasticsearch</c> measures what it says: every alert stored, both rates positive.</summary>
public sealed class ElasticsearchBenchTests
{
    [Fact]
    public async Task SmallRun_StoresEveryAlert_AndReportsTheSinkBesideTheBaseline()
    {
        var run = await ElasticsearchBench.RunAsync(3000, 500, CancellationToken.None).WaitAsync(TimeSpan.FromMinutes(2));
        Assert.Equal(3000, run.Stored);
        Assert.Equal(6, run.BulkRequests);
        Assert.True(run.SinkPerSecond > 0 && run.SinkGzipPerSecond > 0 && run.BaselinePerSecond > 0);
    }
}
