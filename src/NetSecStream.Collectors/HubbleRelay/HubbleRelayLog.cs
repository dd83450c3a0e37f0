using Microsoft.Extensions.Logging;

namespace NetSecStream.Collectors.HubbleRelay;

/// <summary>What the Hubble Relay source reports, one method per occurrence.</summary>
internal static partial class HubbleRelayLog
{
    [LoggerMessage(EventId = 1200, Level = LogLevel.Information, Message = "{Component}: requesting flows from {Address} ({Resume})")]
    public static partial void Connecting(ILogger logger, string component, string address, string resume);

    [LoggerMessage(EventId = 1201, Level = LogLevel.Warning, Message = "{Component}: the flow stream from {Address} broke ({Reason}: {Detail}); reconnecting in {Delay}")]
    public static partial void StreamFailed(ILogger logger, string component, string address, string reason, string detail, TimeSpan delay);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Warning, Message = "{Component}: skipped message {Position} from {Origin}: {Reason}")]
    public static partial void FlowRejected(ILogger logger, string component, string origin, long position, string reason);

    [LoggerMessage(EventId = 1203, Level = LogLevel.Information, Message = "{Component}: relay reports nodes {Nodes} {State} {Detail}")]
    public static partial void NodeStatus(ILogger logger, string component, string nodes, string state, string detail);

    [LoggerMessage(EventId = 1204, Level = LogLevel.Warning, Message = "{Component}: Hubble lost {Count} events before they reached the relay ({LostAt})")]
    public static partial void EventsLost(ILogger logger, string component, ulong count, string lostAt);

    [LoggerMessage(EventId = 1205, Level = LogLevel.Error, Message = "{Component}: a message larger than MaxMessageBytes ({MaxMessageBytes}) came again after {Since}; resuming from {Now}, flows in between are skipped")]
    public static partial void OversizedSkipped(ILogger logger, string component, int maxMessageBytes, DateTimeOffset since, DateTimeOffset now);

    [LoggerMessage(EventId = 1206, Level = LogLevel.Information, Message = "{Component}: the flow stream from {Address} ended after {Messages} messages")]
    public static partial void StreamFinished(ILogger logger, string component, string address, long messages);
}
