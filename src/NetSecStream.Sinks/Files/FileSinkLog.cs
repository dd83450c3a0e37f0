using Microsoft.Extensions.Logging;

namespace NetSecStream.Sinks.Files;

/// <summary>What the file sinks log, one method per occurrence (STYLE.md 4).</summary>
internal static partial class FileSinkLog
{
    [LoggerMessage(EventId = 4100, Level = LogLevel.Information, Message = "Sink {Sink} opened {Path}")]
    public static partial void FileOpened(ILogger logger, string sink, string path);

    [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "Sink {Sink} closed {Path} after {Bytes} bytes ({Reason})")]
    public static partial void FileClosed(ILogger logger, string sink, string path, long bytes, string reason);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Error, Message = "Sink {Sink} failed to write {Count} records to {Path}; nothing of the batch is acknowledged")]
    public static partial void WriteFailed(ILogger logger, Exception exception, string sink, int count, string? path);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Error, Message = "Sink {Sink} could not serialise {Kind} {EventId}; it is skipped")]
    public static partial void EventUnserialisable(ILogger logger, Exception exception, string sink, string kind, string eventId);

    [LoggerMessage(EventId = 4104, Level = LogLevel.Warning, Message = "Sink {Sink} could not cut a failed write back out of {Path}; the file is closed and the next write starts a new one")]
    public static partial void FileAbandoned(ILogger logger, Exception exception, string sink, string path);
}
