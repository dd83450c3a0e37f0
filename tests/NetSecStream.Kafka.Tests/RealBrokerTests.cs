using Testcontainers.Kafka;
using Xunit.Abstractions;

namespace NetSecStream.Kafka.Tests;

/// <summary>The end-to-end scenario against a real Kafka broker in a container, where Docker is available.</summary>
public sealed class RealBrokerTests(ITestOutputHelper output)
{
    private const string KafkaImage = "confluentinc/cp-kafka:7.5.12";

    [DockerFact]
    public async Task CollectProcessAlert_OnARealBroker_EveryEventProcessed_EveryEpisodeAlerts_GarbageDeadLettered_OffsetsCommitted()
    {
        await using var kafka = new KafkaBuilder(KafkaImage).Build();
        using (var starting = new CancellationTokenSource(TimeSpan.FromMinutes(3)))
        {
            await kafka.StartAsync(starting.Token);
        }

        using var cluster = new KafkaTestCluster(kafka.GetBootstrapAddress());
        await EndToEndScenario.RunAsync(cluster, 20_000, output);
    }
}
