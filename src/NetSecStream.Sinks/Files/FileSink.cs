using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NetSecStream.Core.Components;
using NetSecStream.Core.Ecs;
using NetSecStream.Core.Events;
using NetSecStream.Core.Telemetry;

namespace NetSecStream.Sinks.Files;

/// <summary>
/// The <c>file</c> sink: alerts (and, with <see cref="FileSinkOptions.IncludeFlows"/>, flows) as ECS NDJSON in
/// rotating files. A write returns only once its batch is on disk (fsync unless <see cref="FileSinkOptions.FsyncOnWrite"/>
/// is off), so the pipeline may commit after it; a failed write throws and is not acknowledged.
/// The fsync blocks the calling thread: run the sink stage on a dispatcher meant for blocking I/O.
/// </summary>
public sealed class FileSink : IAlertSink, IAsyncDisposable, IDisposable
{
    public const string ComponentId = "file";
    public const string AlertFilePrefix = "alerts";
    public const string FlowFilePrefix = "flows";

    private static readonly Action<System.Text.Json.Utf8JsonWriter, Alert> _writeAlert = EcsJson.WriteAlert;
    private static readonly Action<System.Text.Json.Utf8JsonWriter, FlowEvent> _writeFlow = EcsJson.WriteFlow;

    private readonly FileSinkOptions _options;
    private readonly RotatingNdjsonFile _alerts;
    private readonly RotatingNdjsonFile? _flows;
    private readonly NdjsonFileWriter _writer;

    public FileSink(FileSinkOptions options, NetSecMetrics metrics, ILogger<FileSink>? logger = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(metrics);
        var validation = new FileSinkOptionsValidator().Validate(null, options);
        if (validation.Failed)
        {
            throw new ArgumentException(validation.FailureMessage, nameof(options));
        }

        _options = options;
        var log = logger ?? (ILogger)NullLogger.Instance;
        time ??= TimeProvider.System;
        _alerts = new RotatingNdjsonFile(options.Directory, AlertFilePrefix, options.MaxFileBytes, options.MaxFileAge, options.FsyncOnWrite, time, log, ComponentId);
        if (options.IncludeFlows)
        {
            _flows = new RotatingNdjsonFile(options.Directory, FlowFilePrefix, options.MaxFileBytes, options.MaxFileAge, options.FsyncOnWrite, time, log, ComponentId);
        }

        _writer = new NdjsonFileWriter(ComponentId, metrics, log, _flows is null ? [_alerts] : [_alerts, _flows]);
    }

    public string Id => ComponentId;

    public ComponentKind Kind => ComponentKind.Sink;

    /// <summary>The alert file being written, if any (for diagnostics and tests).</summary>
    public string? CurrentAlertFile => _alerts.CurrentPath;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Fail at start-up, not at the first alert, when the folder cannot be created.
        Directory.CreateDirectory(_options.Directory);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => _writer.StopAsync(cancellationToken);

    public ValueTask WriteAsync(IReadOnlyList<Alert> alerts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alerts);
        return alerts.Count == 0 ? ValueTask.CompletedTask : _writer.WriteAsync(alerts, _writeAlert, _alerts, "alert", static a => a.Id, this, cancellationToken);
    }

    public ValueTask WriteFlowsAsync(IReadOnlyList<FlowEvent> flows, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(flows);
        return _flows is null || flows.Count == 0
            ? ValueTask.CompletedTask
            : _writer.WriteAsync(flows, _writeFlow, _flows, "flow", static f => f.CommunityId ?? "", this, cancellationToken);
    }

    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None);

    public void Dispose() => _writer.Dispose();
}
