using Confluent.Kafka;

namespace NetSecStream.Kafka.Tests;

/// <summary>
/// Test helpers over any Kafka cluster (the librdkafka mock or a real broker): produce, read watermarks, read what a
/// consumer group has committed, and read a topic back, so tests can check what a consumer group has made durable.
/// Every call is bounded by a timeout.
/// </summary>
public class KafkaTestCluster(string bootstrapServers) : IDisposable
{
    protected static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);

    private readonly IAdminClient _admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrapServers }).Build();

    /// <summary>The brokers' addresses, for any client's <c>bootstrap.servers</c>.</summary>
    public string BootstrapServers { get; } = bootstrapServers;

    /// <summary>
    /// Produces the messages in order and waits until every one is acknowledged; returns where each landed, in the
    /// order given.
    /// </summary>
    public IReadOnlyList<TopicPartitionOffset> Produce(string topic, IEnumerable<(byte[] Key, byte[] Value)> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var config = new ProducerConfig { BootstrapServers = BootstrapServers, Acks = Acks.All, LingerMs = 5 };
        using var producer = new ProducerBuilder<byte[], byte[]>(config).Build();
        var landed = new List<TopicPartitionOffset?>();
        Error? firstError = null;
        foreach (var (key, value) in messages)
        {
            int index = landed.Count;
            landed.Add(null);
            var message = new Message<byte[], byte[]> { Key = key, Value = value };
            while (true)
            {
                try
                {
                    producer.Produce(topic, message, report =>
                    {
                        if (report.Error.IsError)
                        {
                            Interlocked.CompareExchange(ref firstError, report.Error, null);
                        }
                        else
                        {
                            lock (landed)
                            {
                                landed[index] = report.TopicPartitionOffset;
                            }
                        }
                    });
                    break;
                }
                catch (ProduceException<byte[], byte[]> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull)
                {
                    producer.Poll(TimeSpan.FromMilliseconds(50));
                }
            }
        }

        int left = producer.Flush(TimeSpan.FromSeconds(30));
        if (left > 0)
        {
            throw new TimeoutException($"{left} of {landed.Count} messages to '{topic}' were not acknowledged within 30 s");
        }

        if (firstError is not null)
        {
            throw new KafkaException(firstError);
        }

        lock (landed)
        {
            return landed.Select(l => l ?? throw new InvalidOperationException("a message was flushed without a delivery report")).ToList();
        }
    }

    /// <summary>The partitions of a topic (it must exist: produce to it first).</summary>
    public IReadOnlyList<TopicPartition> Partitions(string topic)
    {
        var metadata = _admin.GetMetadata(topic, RequestTimeout);
        var topicMetadata = metadata.Topics.Single(t => t.Topic == topic);
        if (topicMetadata.Error.IsError)
        {
            throw new KafkaException(topicMetadata.Error);
        }

        return topicMetadata.Partitions.Select(p => new TopicPartition(topic, p.PartitionId)).OrderBy(p => p.Partition.Value).ToList();
    }

    /// <summary>The high watermark (next offset to be written) of every partition of a topic.</summary>
    public IReadOnlyDictionary<TopicPartition, long> HighWatermarks(string topic)
    {
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig
        {
            BootstrapServers = BootstrapServers,
            GroupId = "netsec-tests-watermarks",
        }).Build();
        return Partitions(topic).ToDictionary(p => p, p => consumer.QueryWatermarkOffsets(p, RequestTimeout).High.Value);
    }

    /// <summary>Messages in the topic: the sum of the high watermarks (nothing is deleted in the mock).</summary>
    public long MessageCount(string topic) => HighWatermarks(topic).Values.Sum();

    /// <summary>
    /// The offsets a consumer group has committed for every partition of a topic (the next offset to read);
    /// <see cref="Offset.Unset"/> (-1001) where it has committed nothing. Read with OffsetFetch, without joining the group.
    /// (The admin client's ListConsumerGroupOffsets for all partitions returns an empty list on the mock.)
    /// </summary>
    public IReadOnlyDictionary<TopicPartition, long> CommittedOffsets(string groupId, string topic)
    {
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig
        {
            BootstrapServers = BootstrapServers,
            GroupId = groupId,
            EnableAutoCommit = false,
        }).Build();
        return consumer.Committed(Partitions(topic), RequestTimeout).ToDictionary(o => o.TopicPartition, o => o.Offset.Value);
    }

    /// <summary>True when the group has committed, on every partition, exactly up to the high watermark.</summary>
    public bool GroupCaughtUp(string groupId, string topic)
    {
        var high = HighWatermarks(topic);
        var committed = CommittedOffsets(groupId, topic);
        return high.All(h => h.Value == 0 || (committed.TryGetValue(h.Key, out long c) && c == h.Value));
    }

    /// <summary>
    /// Reads every message of a topic from the beginning, without a group, until it has read up to the high
    /// watermarks it saw at the start; fails if that takes longer than <paramref name="timeout"/>.
    /// </summary>
    public IReadOnlyList<ConsumeResult<byte[], byte[]>> ReadAll(string topic, TimeSpan timeout)
    {
        var high = HighWatermarks(topic);
        var results = new List<ConsumeResult<byte[], byte[]>>();
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
        {
            BootstrapServers = BootstrapServers,
            GroupId = "netsec-tests-reader",
            EnableAutoCommit = false,
            EnablePartitionEof = true,
        }).Build();
        var pending = high.Where(h => h.Value > 0).Select(h => h.Key).ToHashSet();
        consumer.Assign(pending.Select(p => new TopicPartitionOffset(p, Offset.Beginning)));
        var deadline = DateTime.UtcNow + timeout;
        while (pending.Count > 0)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"reading '{topic}' back: {results.Count} messages read, partitions {string.Join(", ", pending.Select(p => p.Partition.Value))} not read to their high watermark within {timeout}");
            }

            var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (result is null)
            {
                continue;
            }

            if (!result.IsPartitionEOF)
            {
                results.Add(result);
            }

            if (result.Offset.Value + (result.IsPartitionEOF ? 0 : 1) >= high[result.TopicPartition])
            {
                pending.Remove(result.TopicPartition);
            }
        }

        consumer.Close();
        return results;
    }

    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            _admin.Dispose();
        }
    }
}
