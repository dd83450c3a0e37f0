using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace NetSecStream.Kafka;

/// <summary>
/// Routes librdkafka's own log lines into the host's logging instead of stderr. Configuration notices (such as a
/// consumer-only property in <c>Kafka:Properties</c> seen by a producer) are debug-level: the same properties
/// section configures every client.
/// </summary>
internal static partial class KafkaLog
{
    public static void Forward(ILogger logger, LogMessage message)
    {
        var level = message.Level switch
        {
            SyslogLevel.Emergency or SyslogLevel.Alert or SyslogLevel.Critical or SyslogLevel.Error => LogLevel.Error,
            SyslogLevel.Warning when message.Facility != "CONFWARN" => LogLevel.Warning,
            _ => LogLevel.Debug,
        };
        if (logger.IsEnabled(level))
        {
            Librdkafka(logger, level, message.Name, message.Facility, message.Message);
        }
    }

    [LoggerMessage(EventId = 390, Message = "librdkafka {Client} {Facility}: {Message}")]
    private static partial void Librdkafka(ILogger logger, LogLevel level, string client, string facility, string message);
}
