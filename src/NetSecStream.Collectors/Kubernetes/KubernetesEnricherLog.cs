using Microsoft.Extensions.Logging;

namespace NetSecStream.Collectors.Kubernetes;

/// <summary>What the Kubernetes enricher reports, one method per occurrence.</summary>
internal static partial class KubernetesEnricherLog
{
    [LoggerMessage(EventId = 1300, Level = LogLevel.Information, Message = "{Component}: listed {Pods} pods of {Scope} at resourceVersion {ResourceVersion} ({Removed} gone since the last list)")]
    public static partial void Listed(ILogger logger, string component, int pods, string scope, string resourceVersion, int removed);

    [LoggerMessage(EventId = 1301, Level = LogLevel.Information, Message = "{Component}: the watch of {Scope} expired at resourceVersion {ResourceVersion} (410 Gone); listing again")]
    public static partial void WatchExpired(ILogger logger, string component, string scope, string resourceVersion);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Warning, Message = "{Component}: {Operation} of pods in {Scope} failed ({Reason}: {Detail}); retrying in {Delay}")]
    public static partial void RequestFailed(ILogger logger, string component, string operation, string scope, string reason, string detail, TimeSpan delay);

    [LoggerMessage(EventId = 1303, Level = LogLevel.Warning, Message = "{Component}: {Pods} pods indexed, MaxPods reached; pod {Namespace}/{Pod} is not indexed")]
    public static partial void IndexFull(ILogger logger, string component, int pods, string @namespace, string pod);

    [LoggerMessage(EventId = 1304, Level = LogLevel.Warning, Message = "{Component}: skipped a watch event of {Scope}: {Detail}")]
    public static partial void WatchEventSkipped(ILogger logger, string component, string scope, string detail);
}
