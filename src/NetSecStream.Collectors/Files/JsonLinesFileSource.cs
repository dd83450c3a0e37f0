using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Win32.SafeHandles;
using NetSecStream.Core.Components;
using NetSecStream.Core.Telemetry;

namespace NetSecStream.Collectors.Files;

/// <summary>
/// Reads a file of JSON lines (Hubble exporter output, <c>hubble observe -o jsonpb</c> captures) or standard input,
/// one <see cref="RawRecord"/> per non-blank line: the line's bytes without its newline, the path (or <c>stdin</c>)
/// as origin and the 1-based line number as position. With <see cref="HubbleFileSourceOptions.Follow"/> it keeps
/// reading like <c>tail -F</c>: it waits for the file, picks up appended lines, finishes a rotated file and then
/// reads its successor from the start, starts over after truncation, and ends cleanly when cancelled.
/// A record's payload stays valid for as long as the record is held. Lines longer than
/// <see cref="HubbleFileSourceOptions.MaxLineBytes"/> are skipped without being buffered and reported through
/// <see cref="OnRejected"/>, the log and <c>netsec_events_rejected{reason="oversized_line"}</c>.
/// </summary>
public sealed class JsonLinesFileSource : IRecordSource
{
    public const string ComponentId = "hubble_file";

    /// <summary>Origin of records read from standard input.</summary>
    public const string StdinOrigin = "stdin";

    private const string OversizedReason = "oversized_line";

    private readonly string _path;
    private readonly bool _follow;
    private readonly bool _startAtEnd;
    private readonly TimeSpan _pollInterval;
    private readonly int _maxLineBytes;
    private readonly ILogger _logger;
    private readonly NetSecMetrics? _metrics;
    private readonly Func<Stream> _openStdin;

    public JsonLinesFileSource(HubbleFileSourceOptions options, ILogger<JsonLinesFileSource>? logger = null, NetSecMetrics? metrics = null)
        : this(options, logger, metrics, Console.OpenStandardInput)
    {
    }

    /// <summary>For tests: <paramref name="openStdin"/> stands in for the process's standard input.</summary>
    internal JsonLinesFileSource(HubbleFileSourceOptions options, ILogger? logger, NetSecMetrics? metrics, Func<Stream> openStdin)
    {
        ArgumentNullException.ThrowIfNull(options);
        var validation = new HubbleFileSourceOptionsValidator().Validate(null, options);
        if (validation.Failed)
        {
            throw new OptionsValidationException(nameof(HubbleFileSourceOptions), typeof(HubbleFileSourceOptions), validation.Failures);
        }

        _path = options.Path;
        _follow = options.Follow;
        _startAtEnd = options.StartAtEnd;
        _pollInterval = options.PollInterval;
        _maxLineBytes = options.MaxLineBytes;
        _logger = logger ?? NullLogger.Instance;
        _metrics = metrics;
        _openStdin = openStdin;
    }

    public string Id => ComponentId;

    public ComponentKind Kind => ComponentKind.Source;

    /// <summary>The origin of every record: the configured path, or <c>stdin</c>.</summary>
    public string Origin => IsStdin ? StdinOrigin : _path;

    /// <summary>Called with the line number and the reason for each line that is skipped (too long).</summary>
    public Action<long, string>? OnRejected { get; set; }

    private bool IsStdin => _path == HubbleFileSourceOptions.StdinPath;

    /// <summary>Fails fast when a file that is read once (not followed) does not exist.</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!IsStdin && !_follow && !File.Exists(_path))
        {
            throw new FileNotFoundException($"{HubbleFileSourceOptions.SectionName}:Path '{_path}' does not exist", _path);
        }

        return Task.CompletedTask;
    }

    public async IAsyncEnumerable<RawRecord> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var splitter = new LineSplitter(_maxLineBytes);
        LineInput? input = IsStdin ? new StreamLineInput(_openStdin()) : await OpenFirstFileAsync(splitter, cancellationToken);
        if (input is null)
        {
            yield break;
        }

        string origin = Origin;
        long linesIn = 0;
        long linesOut = 0;
        FileLineInput? successor = null;
        bool replacementSeen = false;
        try
        {
            while (true)
            {
                LineStatus status;
                while ((status = splitter.TryTakeLine(out var line, out long lineNumber)) != LineStatus.NeedMoreData)
                {
                    linesIn++;
                    if (status == LineStatus.Oversized)
                    {
                        Reject(origin, lineNumber);
                        continue;
                    }

                    linesOut++;
                    yield return new RawRecord(line, origin, lineNumber);
                }

                ReportCounts(ref linesIn, ref linesOut);
                int read = await input.ReadAsync(splitter.GetReadBuffer(), cancellationToken);
                if (read < 0)
                {
                    yield break;
                }

                if (read > 0)
                {
                    splitter.Advance(read);
                    continue;
                }

                // End of the data there is now. Decide what comes next; the end of one input finishes its last line.
                var next = EndOfData.Stop;
                if (input is FileLineInput file && _follow)
                {
                    next = CheckFollowedFile(file, ref replacementSeen, out successor);
                }

                if (next == EndOfData.Wait)
                {
                    if (!await DelayAsync(cancellationToken))
                    {
                        yield break;
                    }

                    continue;
                }

                if (next == EndOfData.ReadAgain)
                {
                    continue;
                }

                status = splitter.TakeRemainder(out var last, out long lastNumber);
                if (status != LineStatus.NeedMoreData)
                {
                    linesIn++;
                    if (status == LineStatus.Oversized)
                    {
                        Reject(origin, lastNumber);
                    }
                    else
                    {
                        linesOut++;
                        yield return new RawRecord(last, origin, lastNumber);
                    }
                }

                if (next == EndOfData.Stop)
                {
                    JsonLinesFileSourceLog.InputFinished(_logger, ComponentId, origin, splitter.LineNumber);
                    yield break;
                }

                if (next == EndOfData.Rewind)
                {
                    JsonLinesFileSourceLog.FileTruncated(_logger, ComponentId, _path, splitter.LineNumber);
                    ((FileLineInput)input).Rewind();
                }
                else
                {
                    JsonLinesFileSourceLog.FileRotated(_logger, ComponentId, _path, splitter.LineNumber);
                    input.Dispose();
                    input = successor!;
                    successor = null;
                    replacementSeen = false;
                    JsonLinesFileSourceLog.InputOpened(_logger, ComponentId, _path, 0);
                }

                splitter.Reset();
            }
        }
        finally
        {
            ReportCounts(ref linesIn, ref linesOut);
            successor?.Dispose();
            input.Dispose();
        }
    }

    private enum EndOfData
    {
        Stop,
        Wait,
        ReadAgain,
        Rewind,
        SwitchFile,
    }

    private EndOfData CheckFollowedFile(FileLineInput file, ref bool replacementSeen, out FileLineInput? successor)
    {
        successor = null;
        if (replacementSeen)
        {
            // The old file was read to its end once more after the replacement was seen: move on to the new one.
            successor = TryOpen(_path);
            return successor is null ? EndOfData.Wait : EndOfData.SwitchFile;
        }

        switch (file.CheckChange())
        {
            case FileChange.Replaced:
                // A writer may still have appended to the old file just before it was rotated: read it to the end.
                replacementSeen = true;
                return EndOfData.ReadAgain;
            case FileChange.Truncated:
                return EndOfData.Rewind;
            default:
                return EndOfData.Wait;
        }
    }

    private async Task<LineInput?> OpenFirstFileAsync(LineSplitter splitter, CancellationToken cancellationToken)
    {
        if (!_follow)
        {
            var once = FileLineInput.Open(_path);
            JsonLinesFileSourceLog.InputOpened(_logger, ComponentId, _path, 0);
            return once;
        }

        bool waitingLogged = false;
        while (true)
        {
            var file = TryOpen(_path);
            if (file is not null)
            {
                if (_startAtEnd && !waitingLogged && file.SeekToEnd())
                {
                    // The file ended mid-line: the rest of that line is not ours to read.
                    splitter.SkipToNextLine();
                }

                JsonLinesFileSourceLog.InputOpened(_logger, ComponentId, _path, file.Offset);
                return file;
            }

            if (!waitingLogged)
            {
                JsonLinesFileSourceLog.WaitingForFile(_logger, ComponentId, _path);
                waitingLogged = true;
            }

            if (!await DelayAsync(cancellationToken))
            {
                return null;
            }
        }
    }

    private static FileLineInput? TryOpen(string path)
    {
        try
        {
            return FileLineInput.Open(path);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
    }

    private async Task<bool> DelayAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(_pollInterval, cancellationToken);
            return true;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private void Reject(string origin, long lineNumber)
    {
        string reason = $"line longer than MaxLineBytes ({_maxLineBytes} bytes)";
        _metrics?.EventRejected(ComponentId, OversizedReason);
        JsonLinesFileSourceLog.LineRejected(_logger, ComponentId, origin, lineNumber, reason);
        OnRejected?.Invoke(lineNumber, reason);
    }

    private void ReportCounts(ref long linesIn, ref long linesOut)
    {
        if (linesIn > 0)
        {
            _metrics?.EventsIn(ComponentId, linesIn);
            linesIn = 0;
        }

        if (linesOut > 0)
        {
            _metrics?.EventsOut(ComponentId, linesOut);
            linesOut = 0;
        }
    }

    private enum FileChange
    {
        None,
        Truncated,
        Replaced,
    }

    /// <summary>Where lines come from: a file read at explicit offsets, or a stream.</summary>
    private abstract class LineInput : IDisposable
    {
        /// <summary>Bytes read; 0 at the end of the data; -1 when cancelled.</summary>
        public abstract ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken);

        public abstract void Dispose();
    }

    private sealed class FileLineInput : LineInput
    {
        private readonly string _path;
        private readonly SafeFileHandle _handle;
        private readonly FileIdentity _identity;

        private FileLineInput(string path, SafeFileHandle handle)
        {
            _path = path;
            _handle = handle;
            _identity = FileIdentity.Capture(path, handle);
        }

        public long Offset { get; private set; }

        public static FileLineInput Open(string path)
        {
            // Share everything so writers can keep appending and rotate (rename, delete) under us.
            var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, FileOptions.SequentialScan);
            try
            {
                return new FileLineInput(path, handle);
            }
            catch
            {
                handle.Dispose();
                throw;
            }
        }

        /// <summary>Moves to the end of the file; true when the file ends inside a line.</summary>
        public bool SeekToEnd()
        {
            Offset = RandomAccess.GetLength(_handle);
            if (Offset == 0)
            {
                return false;
            }

            Span<byte> last = stackalloc byte[1];
            return RandomAccess.Read(_handle, last, Offset - 1) == 1 && last[0] != '\n';
        }

        public void Rewind() => Offset = 0;

        public FileChange CheckChange()
        {
            if (_identity.IsReplaced(_handle))
            {
                return File.Exists(_path) ? FileChange.Replaced : FileChange.None;
            }

            return RandomAccess.GetLength(_handle) < Offset ? FileChange.Truncated : FileChange.None;
        }

        // Regular-file reads are served from the page cache and return at once; reading synchronously lets the
        // pipeline's batching see a steady stream of ready records (an asynchronous read on Linux is a thread-pool
        // hop per slab, which cut batches to one slab each).
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                return ValueTask.FromResult(-1);
            }

            int read = RandomAccess.Read(_handle, buffer.Span, Offset);
            Offset += read;
            return ValueTask.FromResult(read);
        }

        public override void Dispose() => _handle.Dispose();
    }

    private sealed class StreamLineInput(Stream stream) : LineInput
    {
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
        {
            try
            {
                // Console input streams ignore cancellation once a read has started; stop waiting for it regardless.
                return await stream.ReadAsync(buffer, cancellationToken).AsTask().WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return -1;
            }
        }

        public override void Dispose() => stream.Dispose();
    }
}
