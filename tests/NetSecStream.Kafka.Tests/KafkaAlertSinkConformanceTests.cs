using System.Text;
using Confluent.Kafka;
using NetSecStream.Core.Components;
using NetSecStream.Core.Telemetry;
using NetSecStream.Testing;

namespace NetSecStream.Kafka.Tests;

/// <summary>
/// The sink conformance suite against <c>kafka_alerts</c> on librdkafka's mock cluster. The mock's brokers cannot be
/// stopped from .NET, so the outage test does not apply here; RealBrokerTests covers broker restarts where Docker is.
/// </summary>
public sealed class KafkaAlertSinkConformanceTests : SinkConformanceTests
{
    private readonly MockKafkaCluster _cluster = new();
    private readonly NetSecMetrics _metrics = new();
    private readonly string _topic = "conformance.alerts." + Guid.NewGuid().ToString("N")[..8];

    protected override IAlertSink CreateSink() => new KafkaAlertSink(new KafkaOptions
    {
        BootstrapServers = _cluster.BootstrapServers,
        AlertsTopic = _topic,
    }, _metrics);

    protected override Task<IReadOnlyList<string>> ReadDeliveredAsync()
    {
        try
        {
            return Task.FromResult<IReadOnlyList<string>>([.. _cluster.ReadAll(_topic, TimeSpan.FromSeconds(10)).Select(m => Encoding.UTF8.GetString(m.Message.Value))]);
        }
        catch (KafkaException)
        {
            // The topic does not exist until the first message.
            return Task.FromResult<IReadOnlyList<string>>([]);
        }
    }

    protected override bool IsClearRefusal(Exception exception) => exception is KafkaException || base.IsClearRefusal(exception);

    protected override void Dispose(bool disposing)
    {
        _metrics.Dispose();
        _cluster.Dispose();
        base.Dispose(disposing);
    }
}
