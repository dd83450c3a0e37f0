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
    private readonly NetSecMetrics _metrics;
    private readonly ILogger _logger;
    private readonly RotatingNdjsonFile _alerts;
    private readonly RotatingNdjsonFile? _flows;
    private readonly NdjsonBatch _batch = new();
    private readonly SemaphoreSlim _gate = new(1, 1);
    private bool _stopped;

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
        _metrics = metrics;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        time ??= TimeProvider.System;
        _alerts = new RotatingNdjsonFile(options.Directory, AlertFilePrefix, options.MaxFileBytes, options.MaxFileAge, options.FsyncOnWrite, time, _logger, ComponentId);
        if (options.IncludeFlows)
        {
            _flows = new RotatingNdjsonFile(options.Directory, FlowFilePrefix, options.MaxFileBytes, options.MaxFileAge, options.FsyncOnWrite, time, _logger, ComponentId);
        }
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

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            Close();
        }
        finally
        {
            _gate.Release();
        }
    }

    public ValueTask WriteAsync(IReadOnlyList<Alert> alerts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alerts);
        return alerts.Count == 0 ? ValueTask.CompletedTask : WriteAsync(alerts, _writeAlert, _alerts, "alert", static a => a.Id, cancellationToken);
    }

    public ValueTask WriteFlowsAsync(IReadOnlyList<FlowEvent> flows, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(flows);
        return _flows is null || flows.Count == 0
            ? ValueTask.CompletedTask
            : WriteAsync(flows, _writeFlow, _flows, "flow", static f => f.CommunityId ?? "", cancellationToken);
    }

    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None);

    public void Dispose()
    {
        _gate.Wait();
        try
        {
            Close();
        }
        finally
        {
            _gate.Release();
        }
    }

    private void Close()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        _alerts.Dispose();
        _flows?.Dispose();
        _batch.Dispose();
    }

    private async ValueTask WriteAsync<T>(IReadOnlyList<T> items, Action<System.Text.Json.Utf8JsonWriter, T> write, RotatingNdjsonFile file, string kind, Func<T, string> describe, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(_stopped, this);
            _metrics.EventsIn(ComponentId, items.Count);
            _batch.Clear();
            for (int i = 0; i < items.Count; i++)
            {
                try
                {
                    _batch.Add(items[i], write);
                }
#pragma warning disable CA1031 // One event that cannot be serialised must not block the whole stream forever.
                catch (Exception ex) when (ex is not OutOfMemoryException)
#pragma warning restore CA1031
                {
                    _metrics.EventRejected(ComponentId, "unserialisable");
                    FileSinkLog.EventUnserialisable(_logger, ex, ComponentId, kind, items[i] is null ? "null" : describe(items[i]));
                }
            }

            try
            {
                file.Write(_batch.Data, _batch.LineEnds);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                _metrics.SinkError(ComponentId);
                FileSinkLog.WriteFailed(_logger, ex, ComponentId, items.Count, file.CurrentPath);
                throw;
            }

            _metrics.EventsOut(ComponentId, _batch.Count);
        }
        finally
        {
            _gate.Release();
        }
    }
}
