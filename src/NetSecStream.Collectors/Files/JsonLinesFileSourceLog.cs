using Microsoft.Extensions.Logging;

namespace NetSecStream.Collectors.Files;

/// <summary>What the line-file source reports, one method per occurrence.</summary>
internal static partial class JsonLinesFileSourceLog
{
    [LoggerMessage(EventId = 1100, Level = LogLevel.Information, Message = "{Component}: reading {Origin} from byte {Offset}")]
    public static partial void InputOpened(ILogger logger, string component, string origin, long offset);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "{Component}: waiting for {Path} to appear")]
    public static partial void WaitingForFile(ILogger logger, string component, string path);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Information, Message = "{Component}: {Path} was rotated after line {Lines}; reading the new file from the start")]
    public static partial void FileRotated(ILogger logger, string component, string path, long lines);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Warning, Message = "{Component}: {Path} was truncated after line {Lines}; reading again from the start")]
    public static partial void FileTruncated(ILogger logger, string component, string path, long lines);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Warning, Message = "{Component}: skipped line {Line} of {Origin}: {Reason}")]
    public static partial void LineRejected(ILogger logger, string component, string origin, long line, string reason);

    [LoggerMessage(EventId = 1105, Level = LogLevel.Information, Message = "{Component}: finished {Origin} at line {Lines}")]
    public static partial void InputFinished(ILogger logger, string component, string origin, long lines);
}
