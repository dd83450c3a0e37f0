using System.Text.Json;
using System.Text.Unicode;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NetSecStream.Core.Components;
using NetSecStream.Core.Telemetry;

namespace NetSecStream.Sinks.Files;

/// <summary>
/// Dead letters as NDJSON in rotating <c>deadletter-*.ndjson</c> files, one line per record:
/// <c>{"time","stage","origin","position","reason","payload","payload_encoding","payload_bytes"[,"payload_truncated":true]}</c>.
/// The payload is UTF-8 text when it is valid UTF-8, else base64 (<c>payload_encoding</c> says which), cut to
/// <see cref="MaxPayloadBytes"/>. A write returns once the record is flushed to disk.
/// </summary>
public sealed class FileDeadLetterSink : IDeadLetterSink, INetSecComponent, IAsyncDisposable, IDisposable
{
    public const string ComponentId = "file_dead_letter";
    public const string FilePrefix = "deadletter";
    public const int MaxPayloadBytes = 64 * 1024;

    private static readonly Action<Utf8JsonWriter, DeadLetter> _writeRecord = WriteRecord;

    private readonly FileDeadLetterOptions _options;
    private readonly NetSecMetrics _metrics;
    private readonly ILogger _logger;
    private readonly RotatingNdjsonFile _file;
    private readonly NdjsonBatch _batch = new();
    private readonly SemaphoreSlim _gate = new(1, 1);
    private bool _stopped;

    public FileDeadLetterSink(FileDeadLetterOptions options, NetSecMetrics metrics, ILogger<FileDeadLetterSink>? logger = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(metrics);
        var validation = new FileDeadLetterOptionsValidator().Validate(null, options);
        if (validation.Failed)
        {
            throw new ArgumentException(validation.FailureMessage, nameof(options));
        }

        _options = options;
        _metrics = metrics;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _file = new RotatingNdjsonFile(options.Directory, FilePrefix, options.MaxFileBytes, options.MaxFileAge, options.FsyncOnWrite, time ?? TimeProvider.System, _logger, ComponentId);
    }

    public string Id => ComponentId;

    public ComponentKind Kind => ComponentKind.Sink;

    public Task StartAsync(CancellationToken cancellationToken)
    {
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

    public ValueTask WriteAsync(DeadLetter deadLetter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(deadLetter);
        return WriteAsync([deadLetter], cancellationToken);
    }

    /// <summary>Writes the dead letters as one batch: one write and one flush for all of them.</summary>
    public async ValueTask WriteAsync(IReadOnlyList<DeadLetter> deadLetters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(deadLetters);
        if (deadLetters.Count == 0)
        {
            return;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(_stopped, this);
            _metrics.EventsIn(ComponentId, deadLetters.Count);
            _batch.Clear();
            foreach (var deadLetter in deadLetters)
            {
                _batch.Add(deadLetter, _writeRecord);
            }

            try
            {
                _file.Write(_batch.Data, _batch.LineEnds);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                _metrics.SinkError(ComponentId);
                FileSinkLog.WriteFailed(_logger, ex, ComponentId, deadLetters.Count, _file.CurrentPath);
                throw;
            }

            _metrics.EventsOut(ComponentId, deadLetters.Count);
        }
        finally
        {
            _gate.Release();
        }
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

    internal static void WriteRecord(Utf8JsonWriter writer, DeadLetter deadLetter)
    {
        writer.WriteStartObject();
        writer.WriteString("time", deadLetter.Time.UtcDateTime);
        writer.WriteString("stage", deadLetter.Stage);
        writer.WriteString("origin", deadLetter.Origin);
        writer.WriteNumber("position", deadLetter.Position);
        writer.WriteString("reason", deadLetter.Reason);

        var payload = deadLetter.Payload.Span;
        bool truncated = payload.Length > MaxPayloadBytes;
        var kept = truncated ? payload[..MaxPayloadBytes] : payload;
        if (TryUtf8Prefix(kept, truncated, out var text))
        {
            writer.WriteString("payload", text);
            writer.WriteString("payload_encoding", "utf8");
        }
        else
        {
            writer.WriteBase64String("payload", kept);
            writer.WriteString("payload_encoding", "base64");
        }

        writer.WriteNumber("payload_bytes", payload.Length);
        if (truncated)
        {
            writer.WriteBoolean("payload_truncated", true);
        }

        writer.WriteEndObject();
    }

    // Valid UTF-8 as it is; when the cut fell inside a multi-byte character, the text up to that character.
    private static bool TryUtf8Prefix(ReadOnlySpan<byte> bytes, bool truncated, out ReadOnlySpan<byte> text)
    {
        text = bytes;
        if (Utf8.IsValid(bytes))
        {
            return true;
        }

        for (int cut = 1; truncated && cut <= 3 && cut < bytes.Length; cut++)
        {
            if (Utf8.IsValid(bytes[..^cut]))
            {
                text = bytes[..^cut];
                return true;
            }
        }

        return false;
    }

    private void Close()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        _file.Dispose();
        _batch.Dispose();
    }
}
