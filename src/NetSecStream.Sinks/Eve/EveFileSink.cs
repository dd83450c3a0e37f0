using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NetSecStream.Core.Components;
using NetSecStream.Core.Events;
using NetSecStream.Core.Telemetry;
using NetSecStream.Sinks.Files;

namespace NetSecStream.Sinks.Eve;

/// <summary>
/// The <c>eve_file</c> sink: alerts as Suricata EVE JSON lines (<see cref="EveJson"/>) in rotating
/// <c>eve-YYYYMMDD-HHmmss-NNN.json</c> files, for EveBox, Filebeat's Suricata module and other Suricata tooling.
/// Rotation, fsync and failure handling are the <c>file</c> sink's: a write returns only once its batch is on disk.
/// </summary>
public sealed class EveFileSink : IAlertSink, IAsyncDisposable, IDisposable
{
    public const string ComponentId = "eve_file";
    public const string FilePrefix = "eve";
    public const string FileExtension = "json";

    private static readonly Action<System.Text.Json.Utf8JsonWriter, Alert> _writeAlert = EveJson.WriteAlert;

    private readonly EveFileSinkOptions _options;
    private readonly RotatingNdjsonFile _file;
    private readonly NdjsonFileWriter _writer;

    public EveFileSink(EveFileSinkOptions options, NetSecMetrics metrics, ILogger<EveFileSink>? logger = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(metrics);
        var validation = new EveFileSinkOptionsValidator().Validate(null, options);
        if (validation.Failed)
        {
            throw new ArgumentException(validation.FailureMessage, nameof(options));
        }

        _options = options;
        var log = logger ?? (ILogger)NullLogger.Instance;
        _file = new RotatingNdjsonFile(options.Directory, FilePrefix, options.MaxFileBytes, options.MaxFileAge, options.FsyncOnWrite,
            time ?? TimeProvider.System, log, ComponentId, FileExtension);
        _writer = new NdjsonFileWriter(ComponentId, metrics, log, [_file]);
    }

    public string Id => ComponentId;

    public ComponentKind Kind => ComponentKind.Sink;

    /// <summary>The file being written, if any (for diagnostics and tests).</summary>
    public string? CurrentFile => _file.CurrentPath;

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
        return alerts.Count == 0 ? ValueTask.CompletedTask : _writer.WriteAsync(alerts, _writeAlert, _file, "alert", static a => a.Id, this, cancellationToken);
    }

    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None);

    public void Dispose() => _writer.Dispose();
}
