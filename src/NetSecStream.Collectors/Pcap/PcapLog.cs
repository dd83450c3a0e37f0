using Microsoft.Extensions.Logging;

namespace NetSecStream.Collectors.Pcap;

/// <summary>What the <c>pcap</c> source reports, one method per occurrence.</summary>
internal static partial class PcapLog
{
    [LoggerMessage(EventId = 1300, Level = LogLevel.Information, Message = "{Component}: reading {Origin} ({Format})")]
    public static partial void FileOpened(ILogger logger, string component, string origin, string format);

    [LoggerMessage(EventId = 1301, Level = LogLevel.Information, Message = "{Component}: capturing on {Interface} (filter '{Filter}', link type {LinkType})")]
    public static partial void CaptureStarted(ILogger logger, string component, string @interface, string filter, int linkType);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Warning, Message = "{Component}: {Origin} ends inside a packet after packet {Packets}; the packets before it were read")]
    public static partial void FileTruncated(ILogger logger, string component, string origin, long packets);

    [LoggerMessage(EventId = 1303, Level = LogLevel.Error, Message = "{Component}: {Origin} is corrupt after packet {Packets}; the rest of the file is skipped")]
    public static partial void FileCorrupt(ILogger logger, string component, string origin, long packets);

    [LoggerMessage(EventId = 1304, Level = LogLevel.Information, Message = "{Component}: finished {Origin}: {Packets} packets, {Flows} flows, {Events} events, {Rejected} packets rejected, {Evicted} flows evicted")]
    public static partial void InputFinished(ILogger logger, string component, string origin, long packets, long flows, long events, long rejected, long evicted);

    [LoggerMessage(EventId = 1305, Level = LogLevel.Error, Message = "{Component}: live capture on {Interface} failed")]
    public static partial void CaptureFailed(ILogger logger, string component, string @interface, Exception exception);
}
