using System.Buffers.Binary;
using System.Globalization;

namespace NetSecStream.Sinks.Delivery;

/// <summary>What <see cref="SpillSegments.ReadNext"/> found at the read position.</summary>
internal enum SpillReadKind
{
    /// <summary>Nothing left to replay.</summary>
    End,

    /// <summary>A record whose checksum matched.</summary>
    Record,

    /// <summary>Bytes that are not a valid record (torn write, bad length, checksum mismatch); <see cref="SpillRead.Reason"/> says which.</summary>
    Corrupt,
}

/// <param name="Kind">What was found.</param>
/// <param name="Payload">The record (or the corrupt bytes).</param>
/// <param name="Segment">Path of the segment the bytes came from.</param>
/// <param name="Offset">Where in the segment they start.</param>
/// <param name="Next">Read position after them, to give to <see cref="SpillSegments.Acknowledge"/>.</param>
/// <param name="Reason">Why the bytes are corrupt.</param>
internal readonly record struct SpillRead(SpillReadKind Kind, byte[] Payload, string Segment, long Offset, long Next, string? Reason);

/// <summary>
/// A sink's spill: append-only segment files (<c>000000000001.spill</c>, ...) in one folder, each a sequence of records
/// <c>[int32 length][uint32 CRC-32 of the payload][payload]</c> (little-endian). Records are read back oldest first;
/// a segment is deleted once every record in it was acknowledged. Total bytes on disk are bounded: an append that would
/// pass the bound is refused (the caller waits), except into an empty spill, so one oversized batch cannot wedge it.
/// Not thread-safe: the owner serialises calls.
/// </summary>
internal sealed class SpillSegments : IDisposable
{
    public const string Extension = ".spill";
    public const int HeaderBytes = 8;

    private readonly string _directory;
    private readonly long _maxBytes;
    private readonly long _segmentBytes;
    private readonly bool _fsync;
    private readonly LinkedList<(long Number, string Path, long Length)> _segments = new();
    private FileStream? _writer;
    private long _readOffset;
    private long _nextNumber = 1;

    public SpillSegments(string directory, long maxBytes, long segmentBytes, bool fsync)
    {
        _directory = directory;
        _maxBytes = maxBytes;
        _segmentBytes = segmentBytes;
        _fsync = fsync;
    }

    public string Directory => _directory;

    /// <summary>Bytes of every segment not yet deleted (a partly replayed segment counts whole until it is deleted).</summary>
    public long TotalBytes { get; private set; }

    public bool IsEmpty => _segments.Count == 0;

    public int SegmentCount => _segments.Count;

    /// <summary>Creates the folder and finds segments a previous run left (oldest first); empty ones are deleted.</summary>
    public void Open()
    {
        System.IO.Directory.CreateDirectory(_directory);
        _segments.Clear();
        TotalBytes = 0;
        _readOffset = 0;
        foreach (string path in System.IO.Directory.GetFiles(_directory, "*" + Extension).Order(StringComparer.Ordinal))
        {
            if (!long.TryParse(Path.GetFileNameWithoutExtension(path), NumberStyles.None, CultureInfo.InvariantCulture, out long number))
            {
                continue;
            }

            long length = new FileInfo(path).Length;
            if (length == 0)
            {
                File.Delete(path);
                continue;
            }

            _segments.AddLast((number, path, length));
            TotalBytes += length;
            _nextNumber = Math.Max(_nextNumber, number + 1);
        }
    }

    /// <summary>Appends one record; false (nothing written) when it would take the spill past its bound.</summary>
    public bool TryAppend(ReadOnlySpan<byte> payload)
    {
        long size = HeaderBytes + payload.Length;
        if (!IsEmpty && TotalBytes + size > _maxBytes)
        {
            return false;
        }

        if (_writer is null || _writer.Length + size > _segmentBytes && _writer.Length > 0)
        {
            StartSegment();
        }

        Span<byte> header = stackalloc byte[HeaderBytes];
        BinaryPrimitives.WriteInt32LittleEndian(header, payload.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], Crc32.Compute(payload));
        var writer = _writer!;
        long before = writer.Length;
        try
        {
            writer.Write(header);
            writer.Write(payload);
            writer.Flush(flushToDisk: _fsync);
        }
        catch (IOException)
        {
            // Leave no torn record behind for the reader: cut the segment back to where it was.
            writer.SetLength(before);
            throw;
        }

        var last = _segments.Last!;
        last.Value = (last.Value.Number, last.Value.Path, writer.Length);
        TotalBytes += size;
        return true;
    }

    /// <summary>The record at the read position; <see cref="SpillReadKind.End"/> when everything was acknowledged.</summary>
    public SpillRead ReadNext()
    {
        while (_segments.First is { } first)
        {
            var (_, path, length) = first.Value;
            if (_writer is not null && string.Equals(_writer.Name, path, StringComparison.Ordinal))
            {
                // The reader has reached the segment being appended to: seal it, new records go to a new segment.
                CloseWriter();
            }

            if (_readOffset >= length)
            {
                DeleteFirst();
                continue;
            }

            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            stream.Position = _readOffset;
            long remaining = length - _readOffset;
            if (remaining < HeaderBytes)
            {
                return Corrupt(stream, path, length, remaining, $"truncated record header ({remaining} bytes at the end of the segment)");
            }

            Span<byte> header = stackalloc byte[HeaderBytes];
            stream.ReadExactly(header);
            int payloadLength = BinaryPrimitives.ReadInt32LittleEndian(header);
            uint checksum = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
            if (payloadLength < 0 || payloadLength > remaining - HeaderBytes)
            {
                // The length itself is damaged, so no later record boundary in this segment can be trusted.
                stream.Position = _readOffset;
                return Corrupt(stream, path, length, remaining,
                    $"record length {payloadLength} does not fit the {remaining - HeaderBytes} bytes left in the segment");
            }

            byte[] payload = new byte[payloadLength];
            stream.ReadExactly(payload);
            long next = _readOffset + HeaderBytes + payloadLength;
            uint actual = Crc32.Compute(payload);
            return actual == checksum
                ? new SpillRead(SpillReadKind.Record, payload, path, _readOffset, next, null)
                : new SpillRead(SpillReadKind.Corrupt, payload, path, _readOffset, next,
                    $"checksum mismatch (stored {checksum:x8}, computed {actual:x8})");
        }

        return new SpillRead(SpillReadKind.End, [], "", 0, 0, null);
    }

    /// <summary>Moves the read position past what <see cref="ReadNext"/> returned; deletes the segment once it is used up.</summary>
    public void Acknowledge(SpillRead read)
    {
        if (_segments.First is not { } first || !string.Equals(first.Value.Path, read.Segment, StringComparison.Ordinal))
        {
            return;
        }

        _readOffset = read.Next;
        if (_readOffset >= first.Value.Length)
        {
            DeleteFirst();
        }
    }

    public void Dispose() => CloseWriter();

    private SpillRead Corrupt(FileStream stream, string path, long length, long remaining, string reason)
    {
        byte[] rest = new byte[(int)Math.Min(remaining, 1 << 20)];
        stream.ReadExactly(rest);
        return new SpillRead(SpillReadKind.Corrupt, rest, path, _readOffset, length, reason);
    }

    private void StartSegment()
    {
        CloseWriter();
        string path = Path.Combine(_directory, _nextNumber.ToString("D12", CultureInfo.InvariantCulture) + Extension);
        _nextNumber++;
        System.IO.Directory.CreateDirectory(_directory);
        _writer = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read | FileShare.Delete, 1 << 16);
        _segments.AddLast((_nextNumber - 1, path, 0));
    }

    private void CloseWriter()
    {
        if (_writer is null)
        {
            return;
        }

        _writer.Flush(flushToDisk: _fsync);
        _writer.Dispose();
        _writer = null;
    }

    private void DeleteFirst()
    {
        var (_, path, length) = _segments.First!.Value;
        _segments.RemoveFirst();
        _readOffset = 0;
        TotalBytes -= length;
        File.Delete(path);
    }
}

/// <summary>CRC-32 (IEEE 802.3, as zlib) of spill records.</summary>
internal static class Crc32
{
    private static readonly uint[] _table = BuildTable();

    public static uint Compute(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFFu;
        foreach (byte b in data)
        {
            crc = _table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }

        return ~crc;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }

            table[i] = c;
        }

        return table;
    }
}
