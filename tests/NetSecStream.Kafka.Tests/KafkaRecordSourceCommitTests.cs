using System.Text;
using NetSecStream.Core.Telemetry;

namespace NetSecStream.Kafka.Tests;

/// <summary>When the topic goes quiet, what the pipeline finished is committed at once, not at the next interval.</summary>
public sealed class KafkaRecordSourceCommitTests
{
    [Fact]
    public async Task QuietTopic_DoneOffsetsCommittedWithoutWaitingForTheCommitInterval()
    {
        // Arrange: 500 messages, and a commit interval far longer than the test may take.
        using var cluster = new MockKafkaCluster();
        const string Topic = "idle-commit";
        const string Group = "idle-commit-group";
        cluster.Produce(Topic, Enumerable.Range(0, 500).Select(i => (Encoding.UTF8.GetBytes("k" + i), Encoding.UTF8.GetBytes("v" + i))));
        var options = new KafkaOptions
        {
            BootstrapServers = cluster.BootstrapServers,
            FlowsTopic = Topic,
            GroupId = Group,
            CommitInterval = TimeSpan.FromMinutes(1),
            Properties = { ["session.timeout.ms"] = "6000", ["heartbeat.interval.ms"] = "500" },
        };
        using var metrics = new NetSecMetrics();
        using var source = new KafkaRecordSource(options, metrics);
        await source.StartAsync(CancellationToken.None);
        using var read = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        // Act: the pipeline's part, done by hand: every record read is reported done.
        int seen = 0;
        await foreach (var batch in source.ReadBatchesAsync(128, TimeSpan.FromMilliseconds(2), read.Token))
        {
            foreach (var record in batch)
            {
                await source.CommitAsync(record.Origin, record.Position, CancellationToken.None);
            }

            seen += batch.Count;
            if (seen >= 500)
            {
                break;
            }
        }

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (source.CommittedOffsets.Values.Sum() < 500 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        // Assert: committed by the member while it runs (long before the 1-minute interval), as the broker sees it too.
        Assert.Equal(500, seen);
        Assert.Equal(500, source.CommittedOffsets.Values.Sum());
        Assert.Equal(500, cluster.CommittedOffsets(Group, Topic).Values.Sum());
        await source.StopAsync(CancellationToken.None);
    }
}
