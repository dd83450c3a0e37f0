using Microsoft.Extensions.Logging;

namespace NetSecStream.Collectors.NetFlow;

/// <summary>What the NetFlow sources report, one method per occurrence.</summary>
internal static partial class NetFlowLog
{
    [LoggerMessage(EventId = 1300, Level = LogLevel.Information, Message = "{Component}: listening for NetFlow/IPFIX on udp {Endpoint}")]
    public static partial void Listening(ILogger logger, string component, string endpoint);

    [LoggerMessage(EventId = 1301, Level = LogLevel.Information, Message = "{Component}: stopped listening on udp {Endpoint} after {Datagrams} datagrams")]
    public static partial void StoppedListening(ILogger logger, string component, string endpoint, long datagrams);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Debug, Message = "{Component}: datagram {Position} from {Origin} rejected: {Reason}")]
    public static partial void DatagramRejected(ILogger logger, string component, string origin, long position, string reason);

    [LoggerMessage(EventId = 1303, Level = LogLevel.Warning, Message = "{Component}: receive failed on udp {Endpoint}; receiving again")]
    public static partial void ReceiveFailed(ILogger logger, string component, string endpoint, Exception exception);

    [LoggerMessage(EventId = 1304, Level = LogLevel.Information, Message = "{Component}: reading {Path}")]
    public static partial void PcapOpened(ILogger logger, string component, string path);

    [LoggerMessage(EventId = 1305, Level = LogLevel.Information, Message = "{Component}: finished {Path}: {Packets} packets, {Flows} flows, {Rejected} rejected")]
    public static partial void PcapFinished(ILogger logger, string component, string path, long packets, long flows, long rejected);

    [LoggerMessage(EventId = 1306, Level = LogLevel.Error, Message = "{Component}: stopped reading {Path} after packet {Packets}: {Reason}")]
    public static partial void PcapCorrupt(ILogger logger, string component, string path, long packets, string reason);
}
