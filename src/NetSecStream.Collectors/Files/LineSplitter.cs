namespace NetSecStream.Collectors.Files;

internal enum LineStatus
{
    /// <summary>No complete line is buffered: read more.</summary>
    NeedMoreData,
    Line,
    Oversized,
}

/// <summary>
/// Splits a byte stream into lines without copying them. Data is read into large slabs and each line is handed out
/// as a slice of its slab; a slab is never written again where a handed-out line lies, so a line stays valid for
/// as long as its holder keeps it, and a new slab is taken when one fills. Lines end at <c>\n</c> (a <c>\r</c>
/// before it is dropped); blank lines are skipped but counted. A line longer than the limit is dropped while it
/// streams in, so memory stays bounded by the limit whatever the input. Slabs are not zeroed: only bytes that
/// were read into them are ever handed out.
/// </summary>
internal sealed class LineSplitter
{
    // Slabs stay below the large-object threshold (85,000 bytes) so they die young in gen0 like the records
    // that point into them; only lines longer than a slab need a larger one.
    public const int DefaultSlabBytes = 80 * 1024;

    private const int MinReadBytes = 8 * 1024;

    private readonly int _maxLineBytes;
    private readonly int _slabBytes;
    private byte[] _slab;
    private int _start;
    private int _end;
    private int _scanFrom;
    private bool _slabShared;
    private bool _discarding;

    public LineSplitter(int maxLineBytes, int slabBytes = DefaultSlabBytes)
    {
        _maxLineBytes = maxLineBytes;
        _slabBytes = Math.Max(slabBytes, MinReadBytes * 2);
        _slab = GC.AllocateUninitializedArray<byte>(_slabBytes);
    }

    /// <summary>Lines completed so far (blank and oversized ones included): the number of the last line.</summary>
    public long LineNumber { get; private set; }

    /// <summary>Space to read into; pass the count read to <see cref="Advance"/>.</summary>
    public Memory<byte> GetReadBuffer()
    {
        if (_slab.Length - _end < MinReadBytes)
        {
            int pending = _end - _start;
            // Reuse the slab in place while no handed-out line points into it; otherwise leave it to its holders.
            byte[] target = !_slabShared && _slab.Length - pending >= MinReadBytes
                ? _slab
                : GC.AllocateUninitializedArray<byte>(Math.Max(_slabBytes, pending + Math.Max(pending, MinReadBytes)));
            _slab.AsSpan(_start, pending).CopyTo(target);
            _scanFrom -= _start;
            _slab = target;
            _start = 0;
            _end = pending;
            _slabShared = false;
        }

        return _slab.AsMemory(_end);
    }

    public void Advance(int count) => _end += count;

    /// <summary>Takes the next complete line, or reports one that was too long (its number in <paramref name="lineNumber"/>).</summary>
    public LineStatus TryTakeLine(out ReadOnlyMemory<byte> line, out long lineNumber)
    {
        line = default;
        lineNumber = 0;
        while (_end > _start)
        {
            int found = _slab.AsSpan(_scanFrom, _end - _scanFrom).IndexOf((byte)'\n');
            if (found < 0)
            {
                _scanFrom = _end;
                if (_discarding)
                {
                    Drop();
                }
                else if (_end - _start > _maxLineBytes + 1)
                {
                    // Too long already and still no newline: report it now and drop the rest as it arrives.
                    Drop();
                    _discarding = true;
                    lineNumber = ++LineNumber;
                    return LineStatus.Oversized;
                }

                return LineStatus.NeedMoreData;
            }

            int newline = _scanFrom + found;
            int lineStart = _start;
            _start = _scanFrom = newline + 1;
            if (_discarding)
            {
                _discarding = false;
                continue;
            }

            lineNumber = ++LineNumber;
            var status = Slice(lineStart, newline, out line);
            if (status != LineStatus.NeedMoreData)
            {
                return status;
            }
        }

        return LineStatus.NeedMoreData;
    }

    /// <summary>At the end of the input: takes the last line when it had no newline.</summary>
    public LineStatus TakeRemainder(out ReadOnlyMemory<byte> line, out long lineNumber)
    {
        line = default;
        lineNumber = 0;
        if (_discarding || _end == _start)
        {
            _discarding = false;
            Drop();
            return LineStatus.NeedMoreData;
        }

        int lineStart = _start;
        Drop();
        lineNumber = ++LineNumber;
        return Slice(lineStart, _end, out line);
    }

    /// <summary>Drops the rest of the current line (reading started mid-line) without counting or reporting it.</summary>
    public void SkipToNextLine()
    {
        Drop();
        _discarding = true;
    }

    /// <summary>Starts over for a new input: buffered bytes dropped, line numbers from 1 again.</summary>
    public void Reset()
    {
        Drop();
        _discarding = false;
        LineNumber = 0;
    }

    private LineStatus Slice(int lineStart, int lineEnd, out ReadOnlyMemory<byte> line)
    {
        line = default;
        if (lineEnd > lineStart && _slab[lineEnd - 1] == '\r')
        {
            lineEnd--;
        }

        int length = lineEnd - lineStart;
        if (length > _maxLineBytes)
        {
            return LineStatus.Oversized;
        }

        if (_slab.AsSpan(lineStart, length).IndexOfAnyExcept(" \t\r"u8) < 0)
        {
            return LineStatus.NeedMoreData;
        }

        _slabShared = true;
        line = new ReadOnlyMemory<byte>(_slab, lineStart, length);
        return LineStatus.Line;
    }

    private void Drop() => _start = _scanFrom = _end;
}
