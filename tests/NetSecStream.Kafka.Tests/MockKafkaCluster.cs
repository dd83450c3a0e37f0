using Confluent.Kafka;

namespace NetSecStream.Kafka.Tests;

/// <summary>
/// An in-process Kafka cluster: librdkafka's mock cluster (three brokers on 127.0.0.1), owned by an admin client
/// that lives as long as this fixture. A topic is created with 4 partitions the first time it is produced to
/// (ENVIRONMENT.md, "Kafka: librdkafka's mock cluster"). The helpers of <see cref="KafkaTestCluster"/> produce,
/// read watermarks and read a group's committed offsets.
/// </summary>
public sealed class MockKafkaCluster : KafkaTestCluster
{
    /// <summary>Partitions of every auto-created topic in the mock.</summary>
    public const int DefaultPartitions = 4;

    private readonly IAdminClient _owner;

    public MockKafkaCluster(int brokers = 3)
        : this(StartMock(brokers))
    {
    }

    private MockKafkaCluster((IAdminClient Owner, string BootstrapServers) mock)
        : base(mock.BootstrapServers) => _owner = mock.Owner;

    private static (IAdminClient Owner, string BootstrapServers) StartMock(int brokers)
    {
        var config = new AdminClientConfig { BootstrapServers = "mock-bootstrap:9092" };
        config.Set("test.mock.num.brokers", brokers.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var owner = new AdminClientBuilder(config).Build();
        try
        {
            var metadata = owner.GetMetadata(RequestTimeout);
            if (metadata.Brokers.Count != brokers)
            {
                throw new InvalidOperationException($"mock cluster reported {metadata.Brokers.Count} brokers, expected {brokers}");
            }

            return (owner, string.Join(",", metadata.Brokers.Select(b => $"{b.Host}:{b.Port}")));
        }
        catch
        {
            owner.Dispose();
            throw;
        }
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            _owner.Dispose();
        }
    }
}
