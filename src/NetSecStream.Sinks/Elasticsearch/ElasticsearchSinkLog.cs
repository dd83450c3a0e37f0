using Microsoft.Extensions.Logging;

namespace NetSecStream.Sinks.Elasticsearch;

/// <summary>What the <c>elasticsearch</c> sink logs, one method per occurrence (STYLE.md 4).</summary>
internal static partial class ElasticsearchSinkLog
{
    [LoggerMessage(EventId = 4200, Level = LogLevel.Information, Message = "elasticsearch: {Kind} {Name} installed ({Reason})")]
    public static partial void TemplateInstalled(ILogger logger, string kind, string name, string reason);

    [LoggerMessage(EventId = 4201, Level = LogLevel.Debug, Message = "elasticsearch: {Kind} {Name} is up to date")]
    public static partial void TemplateUpToDate(ILogger logger, string kind, string name);

    [LoggerMessage(EventId = 4202, Level = LogLevel.Warning, Message = "elasticsearch: bulk request of {Count} documents failed ({Reason}); retry {Attempt} in {Delay}")]
    public static partial void BulkRetry(ILogger logger, int count, string reason, int attempt, TimeSpan delay);

    [LoggerMessage(EventId = 4203, Level = LogLevel.Warning, Message = "elasticsearch: {Count} documents of a bulk request were refused for now ({Status}); retrying them in {Delay}")]
    public static partial void ItemsRetry(ILogger logger, int count, int status, TimeSpan delay);

    [LoggerMessage(EventId = 4204, Level = LogLevel.Error, Message = "elasticsearch: document {DocumentId} in {DataStream} rejected and dead-lettered: {Reason}")]
    public static partial void ItemRejected(ILogger logger, string documentId, string dataStream, string reason);

    [LoggerMessage(EventId = 4205, Level = LogLevel.Error, Message = "elasticsearch: {Kind} {EventId} cannot be serialised and is skipped: {Reason}")]
    public static partial void Unserialisable(ILogger logger, string kind, string eventId, string reason);

    [LoggerMessage(EventId = 4206, Level = LogLevel.Error, Message = "elasticsearch: no dead-letter sink; the rejected document {DocumentId} is only counted")]
    public static partial void NoDeadLetterSink(ILogger logger, string documentId);
}
