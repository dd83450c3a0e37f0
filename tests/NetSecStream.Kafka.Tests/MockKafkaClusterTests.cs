using System.Text;
using Confluent.Kafka;

namespace NetSecStream.Kafka.Tests;

/// <summary>The fixture itself: the mock cluster takes produce, group consume and explicit commits.</summary>
public sealed class MockKafkaClusterTests
{
    [Fact]
    public void MockCluster_ProducesToFourPartitions_ConsumesAsAGroup_AndReportsTheCommittedOffsets()
    {
        // Arrange: 1,000 keyed messages to a topic that does not exist yet.
        using var cluster = new MockKafkaCluster();
        const string Topic = "smoke";
        const string Group = "smoke-group";
        Assert.Equal(3, cluster.BootstrapServers.Split(',').Length);
        var messages = Enumerable.Range(0, 1000)
            .Select(i => (Encoding.UTF8.GetBytes("key-" + i), Encoding.UTF8.GetBytes("value-" + i)))
            .ToList();

        // Act: produce, then consume everything as a group member committing explicitly.
        var landed = cluster.Produce(Topic, messages);
        var high = cluster.HighWatermarks(Topic);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var config = new ConsumerConfig
        {
            BootstrapServers = cluster.BootstrapServers,
            GroupId = Group,
            EnableAutoCommit = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            SessionTimeoutMs = 6000,
            HeartbeatIntervalMs = 500,
        };
        using (var consumer = new ConsumerBuilder<byte[], byte[]>(config).Build())
        {
            consumer.Subscribe(Topic);
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (seen.Count < messages.Count)
            {
                Assert.True(DateTime.UtcNow < deadline, $"consumed {seen.Count} of {messages.Count} messages in 30 s");
                var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
                if (result is not null)
                {
                    seen.Add(Encoding.UTF8.GetString(result.Message.Value));
                }
            }

            consumer.Commit();
            consumer.Close();
        }

        // Assert: the topic was auto-created with four partitions, keys spread the messages over all of them, and
        // the group's committed offsets are the high watermarks.
        Assert.Equal(1000, landed.Count);
        Assert.Equal(MockKafkaCluster.DefaultPartitions, high.Count);
        Assert.All(high, h => Assert.Equal(h.Value, landed.Count(l => l.TopicPartition == h.Key)));
        Assert.All(high.Values, h => Assert.True(h > 0, "a partition got no message: " + string.Join(", ", high.Values)));
        Assert.Equal(1000, high.Values.Sum());
        Assert.Equal(messages.Count, seen.Count);
        Assert.Equal(high, cluster.CommittedOffsets(Group, Topic));
        Assert.True(cluster.GroupCaughtUp(Group, Topic));
        Assert.All(cluster.CommittedOffsets("a-group-that-never-committed", Topic).Values, c => Assert.Equal(Offset.Unset.Value, c));
        Assert.Equal(1000, cluster.ReadAll(Topic, TimeSpan.FromSeconds(20)).Count);
    }
}
