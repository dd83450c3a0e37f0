using Microsoft.Extensions.Logging;

namespace NetSecStream.Sinks.Siem;

/// <summary>What the syslog, HEC and webhook sinks log, one method per occurrence (STYLE.md 4).</summary>
internal static partial class SiemSinkLog
{
    [LoggerMessage(EventId = 4200, Level = LogLevel.Information, Message = "Sink {Sink} connected to {Endpoint}")]
    public static partial void Connected(ILogger logger, string sink, string endpoint);

    [LoggerMessage(EventId = 4201, Level = LogLevel.Warning, Message = "Sink {Sink} lost or could not reach {Endpoint} (attempt {Attempt}); retrying in {Backoff}: {Reason}")]
    public static partial void ConnectionFailed(ILogger logger, string sink, string endpoint, int attempt, TimeSpan backoff, string reason);

    [LoggerMessage(EventId = 4202, Level = LogLevel.Information, Message = "Sink {Sink} sends {Count} messages again after reconnecting (at-least-once around a broken connection)")]
    public static partial void Resending(ILogger logger, string sink, int count);

    [LoggerMessage(EventId = 4203, Level = LogLevel.Error, Message = "Sink {Sink} could not format alert {AlertId}; it is skipped")]
    public static partial void AlertUnformattable(ILogger logger, Exception exception, string sink, string alertId);

    [LoggerMessage(EventId = 4204, Level = LogLevel.Warning, Message = "Sink {Sink} truncated alert {AlertId} to {Bytes} bytes (the datagram size bound)")]
    public static partial void Truncated(ILogger logger, string sink, string alertId, int bytes);

    [LoggerMessage(EventId = 4205, Level = LogLevel.Error, Message = "Sink {Sink} gave up on {Count} alerts after {Attempts} attempts: {Reason}")]
    public static partial void GaveUp(ILogger logger, string sink, int count, int attempts, string reason);

    [LoggerMessage(EventId = 4206, Level = LogLevel.Warning, Message = "Sink {Sink}: {Endpoint} answered {Status}; retrying in {Backoff} (attempt {Attempt})")]
    public static partial void HttpRetry(ILogger logger, string sink, string endpoint, int status, TimeSpan backoff, int attempt);
}
