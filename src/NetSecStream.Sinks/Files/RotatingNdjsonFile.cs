using System.Globalization;
using Microsoft.Extensions.Logging;

namespace NetSecStream.Sinks.Files;

/// <summary>
/// Appends complete NDJSON lines to <c>{prefix}-YYYYMMDD-HHmmss-NNN.{extension}</c> files (UTC; extension <c>ndjson</c> unless told), starting a new file before
/// one would pass its size limit or once it is older than its age limit. Files are only ever created new and
/// appended to, and a failed write is cut back out, so a crash or error can at worst leave one incomplete last line
/// in a file, never damage a line before it or glue a later line to it. Not thread-safe; the owner serialises calls.
/// </summary>
internal sealed class RotatingNdjsonFile : IDisposable
{
    private readonly string _directory;
    private readonly string _prefix;
    private readonly long _maxBytes;
    private readonly TimeSpan _maxAge;
    private readonly bool _fsync;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _sink;
    private readonly string _extension;

    private FileStream? _stream;
    private string? _path;
    private long _length;
    private DateTimeOffset _openedAt;
    private string _lastStamp = "";
    private int _sequence;

    public RotatingNdjsonFile(string directory, string prefix, long maxBytes, TimeSpan maxAge, bool fsync, TimeProvider time, ILogger logger, string sink, string extension = "ndjson")
    {
        _directory = directory;
        _prefix = prefix;
        _maxBytes = maxBytes;
        _maxAge = maxAge;
        _fsync = fsync;
        _time = time;
        _logger = logger;
        _sink = sink;
        _extension = extension;
    }

    /// <summary>The file being written, if one is open.</summary>
    public string? CurrentPath => _path;

    /// <summary>
    /// Writes <paramref name="data"/>, whose lines end at the offsets in <paramref name="lineEnds"/>, and flushes
    /// before returning. Lines are never split across files; a line larger than the size limit gets a file of its own.
    /// </summary>
    public void Write(ReadOnlySpan<byte> data, ReadOnlySpan<int> lineEnds)
    {
        int start = 0;
        int next = 0;
        while (next < lineEnds.Length)
        {
            var now = _time.GetUtcNow();
            if (_stream is not null && now - _openedAt >= _maxAge)
            {
                Close("age");
            }

            if (_stream is null)
            {
                Open(now);
            }

            // As many whole lines as fit; at least one when the file is empty.
            long room = _maxBytes - _length;
            int end = start;
            while (next < lineEnds.Length && (lineEnds[next] - start <= room || (end == start && _length == 0)))
            {
                end = lineEnds[next];
                next++;
            }

            if (end == start)
            {
                Close("size");
                continue;
            }

            Append(data[start..end]);
            start = end;
            if (_length >= _maxBytes)
            {
                Close("size");
            }
        }
    }

    public void Dispose() => Close("stopped");

    private void Append(ReadOnlySpan<byte> chunk)
    {
        var stream = _stream!;
        long before = _length;
        try
        {
            stream.Write(chunk);
            stream.Flush(_fsync);
            _length += chunk.Length;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Rollback(stream, before);
            throw;
        }
    }

    // Cut a partly written chunk back out, so the next write does not continue a broken line.
    private void Rollback(FileStream stream, long length)
    {
        try
        {
            stream.SetLength(length);
            stream.Position = length;
            stream.Flush(_fsync);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            FileSinkLog.FileAbandoned(_logger, ex, _sink, _path ?? "");
            Close("abandoned after a failed write");
        }
    }

    private void Open(DateTimeOffset now)
    {
        Directory.CreateDirectory(_directory);
        string stamp = now.UtcDateTime.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        _sequence = stamp == _lastStamp ? _sequence + 1 : 0;
        _lastStamp = stamp;
        while (true)
        {
            string path = Path.Combine(_directory, $"{_prefix}-{stamp}-{_sequence.ToString("D3", CultureInfo.InvariantCulture)}.{_extension}");
            try
            {
                // CreateNew: an earlier run's file (perhaps ending in a torn line) is never appended to.
                // No FileStream buffer: batches arrive whole and are flushed at once.
                _stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, bufferSize: 0);
                _path = path;
                _length = 0;
                _openedAt = now;
                FileSinkLog.FileOpened(_logger, _sink, path);
                return;
            }
            catch (IOException) when (File.Exists(path))
            {
                _sequence++;
            }
        }
    }

    private void Close(string reason)
    {
        if (_stream is null)
        {
            return;
        }

        try
        {
            _stream.Dispose();
        }
        catch (IOException)
        {
            // Everything written was flushed already; a failing close loses nothing acknowledged.
        }

        FileSinkLog.FileClosed(_logger, _sink, _path!, _length, reason);
        _stream = null;
        _path = null;
        _length = 0;
    }
}
