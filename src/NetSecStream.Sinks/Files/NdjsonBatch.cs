using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;
using NetSecStream.Core.Ecs;

namespace NetSecStream.Sinks.Files;

/// <summary>
/// A reusable buffer of NDJSON lines and where each ends. Each record is first written to a scratch buffer, so a
/// record that fails to serialise leaves nothing half-written behind.
/// </summary>
internal sealed class NdjsonBatch : IDisposable
{
    // A buffer that grew past this for one huge batch is not kept.
    private const int MaxRetainedBytes = 16 << 20;

    private readonly ArrayBufferWriter<byte> _line = new(4096);
    private readonly Utf8JsonWriter _writer;
    private ArrayBufferWriter<byte> _lines = new(64 * 1024);
    private readonly List<int> _lineEnds = [];

    public NdjsonBatch()
    {
        _writer = new Utf8JsonWriter(_line, EcsJson.WriterOptions);
    }

    public void Dispose() => _writer.Dispose();

    public ReadOnlySpan<byte> Data => _lines.WrittenSpan;

    public ReadOnlySpan<int> LineEnds => CollectionsMarshal.AsSpan(_lineEnds);

    public int Count => _lineEnds.Count;

    public void Clear()
    {
        if (_lines.Capacity > MaxRetainedBytes)
        {
            _lines = new ArrayBufferWriter<byte>(64 * 1024);
        }

        _lines.ResetWrittenCount();
        _lineEnds.Clear();
    }

    /// <summary>Appends one line written by <paramref name="write"/>; if it throws, the batch is left as it was.</summary>
    public void Add<T>(T item, Action<Utf8JsonWriter, T> write)
    {
        _line.ResetWrittenCount();
        _writer.Reset(_line);
        write(_writer, item);
        _writer.Flush();
        _lines.Write(_line.WrittenSpan);
        _lines.Write("\n"u8);
        _lineEnds.Add(_lines.WrittenCount);
    }
}
