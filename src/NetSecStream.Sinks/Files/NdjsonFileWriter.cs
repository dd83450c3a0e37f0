using System.Text.Json;
using Microsoft.Extensions.Logging;
using NetSecStream.Core.Telemetry;

namespace NetSecStream.Sinks.Files;

/// <summary>
/// What every NDJSON file sink does on a write: serialise a batch (skipping and counting records that cannot be
/// serialised), append it to a <see cref="RotatingNdjsonFile"/> and flush it before returning, counting in, out and
/// errors under the sink's id. Calls are serialised; after <see cref="StopAsync"/> a write throws.
/// </summary>
internal sealed class NdjsonFileWriter : IDisposable
{
    private readonly string _componentId;
    private readonly NetSecMetrics _metrics;
    private readonly ILogger _logger;
    private readonly IReadOnlyList<RotatingNdjsonFile> _files;
    private readonly NdjsonBatch _batch = new();
    private readonly SemaphoreSlim _gate = new(1, 1);
    private bool _stopped;

    /// <param name="componentId">The sink's id, the <c>component</c> tag of its metrics and log lines.</param>
    /// <param name="metrics">Where events in, out, rejected and sink errors are counted.</param>
    /// <param name="logger">Where failures are logged.</param>
    /// <param name="files">The files this writer appends to; closed when it stops.</param>
    public NdjsonFileWriter(string componentId, NetSecMetrics metrics, ILogger logger, IReadOnlyList<RotatingNdjsonFile> files)
    {
        _componentId = componentId;
        _metrics = metrics;
        _logger = logger;
        _files = files;
    }

    public async ValueTask WriteAsync<T>(IReadOnlyList<T> items, Action<Utf8JsonWriter, T> write, RotatingNdjsonFile file, string kind, Func<T, string> describe,
        object owner, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(_stopped, owner);
            _metrics.EventsIn(_componentId, items.Count);
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
                    _metrics.EventRejected(_componentId, "unserialisable");
                    FileSinkLog.EventUnserialisable(_logger, ex, _componentId, kind, items[i] is null ? "null" : describe(items[i]));
                }
            }

            try
            {
                file.Write(_batch.Data, _batch.LineEnds);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                _metrics.SinkError(_componentId);
                FileSinkLog.WriteFailed(_logger, ex, _componentId, items.Count, file.CurrentPath);
                throw;
            }

            _metrics.EventsOut(_componentId, _batch.Count);
        }
        finally
        {
            _gate.Release();
        }
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
        foreach (var file in _files)
        {
            file.Dispose();
        }

        _batch.Dispose();
    }
}
