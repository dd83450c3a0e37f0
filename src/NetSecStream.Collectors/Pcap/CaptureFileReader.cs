using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace NetSecStream.Collectors.Pcap;

/// <summary>What <see cref="CaptureFileReader.ReadNext"/> found.</summary>
internal enum CaptureReadStatus
{
    Packet,
    End,

    /// <summary>The file ends inside a record or block: what came before was read.</summary>
    Truncated,

    /// <summary>A record or block header makes no sense; the rest of the file cannot be trusted.</summary>
    Corrupt,
}

/// <summary>
/// Reads classic pcap (microsecond and nanosecond, either byte order) and pcapng (section header, interface
/// description with <c>if_tsresol</c>, enhanced, simple and obsolete packet blocks; other blocks are skipped) files
/// straight from a stream, without libpcap: the packet bytes are handed out as a span over the reader's own buffer,
/// valid until the next call, so reading costs no allocation per packet.
/// </summary>
internal sealed class CaptureFileReader
{
    /// <summary>Ticks of 1970-01-01T00:00:00Z.</summary>
    public const long UnixEpochTicks = 621_355_968_000_000_000;

    private const uint PcapMagicMicro = 0xA1B2C3D4;
    private const uint PcapMagicNano = 0xA1B23C4D;
    private const uint PcapngSectionHeader = 0x0A0D0D0A;
    private const uint PcapngByteOrderMagic = 0x1A2B3C4D;
    private const int MaxRecordBytes = 16 * 1024 * 1024;

    private readonly Stream _stream;
    private byte[] _buffer = new byte[128 * 1024];
    private int _start;
    private int _end;
    private bool _eof;
    private bool _pcapng;
    private bool _bigEndian;
    private bool _nanos;
    private int _classicLinkType;
    private int _classicSnaplen;
    private readonly List<(int LinkType, long UnitsPerSecond, int Snaplen)> _interfaces = [];

    public CaptureFileReader(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _stream = stream;
    }

    /// <summary>The link type of the last packet read (LINKTYPE_* of tcpdump.org).</summary>
    public int LinkType { get; private set; }

    /// <summary>UTC ticks of the last packet read.</summary>
    public long TimestampTicks { get; private set; }

    /// <summary>Length of the last packet on the wire (its captured bytes may be fewer).</summary>
    public int OriginalLength { get; private set; }

    public bool IsPcapng => _pcapng;

    /// <summary>Reads the file header; false when the stream is neither pcap nor pcapng.</summary>
    public bool TryReadHeader(out string error)
    {
        error = "";
        if (!Ensure(4))
        {
            error = "file is shorter than a capture file header";
            return false;
        }

        uint magicLe = BinaryPrimitives.ReadUInt32LittleEndian(_buffer.AsSpan(_start));
        uint magicBe = BinaryPrimitives.ReadUInt32BigEndian(_buffer.AsSpan(_start));
        if (magicLe == PcapngSectionHeader)
        {
            _pcapng = true;
            return true;
        }

        if (magicLe is PcapMagicMicro or PcapMagicNano)
        {
            _bigEndian = false;
            _nanos = magicLe == PcapMagicNano;
        }
        else if (magicBe is PcapMagicMicro or PcapMagicNano)
        {
            _bigEndian = true;
            _nanos = magicBe == PcapMagicNano;
        }
        else
        {
            error = "not a pcap or pcapng file (unknown magic number)";
            return false;
        }

        if (!Ensure(24))
        {
            error = "file is shorter than a pcap file header";
            return false;
        }

        var header = _buffer.AsSpan(_start, 24);
        _classicSnaplen = (int)Math.Min(ReadU32(header[16..]), int.MaxValue);
        _classicLinkType = (int)(ReadU32(header[20..]) & 0xFFFF);
        _start += 24;
        return true;
    }

    /// <summary>Reads the next packet; <paramref name="data"/> is valid until the next call.</summary>
    public CaptureReadStatus ReadNext(out ReadOnlySpan<byte> data)
    {
        data = default;
        return _pcapng ? ReadNextBlock(out data) : ReadNextRecord(out data);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private CaptureReadStatus ReadNextRecord(out ReadOnlySpan<byte> data)
    {
        data = default;
        if (!Ensure(16))
        {
            return _end == _start ? CaptureReadStatus.End : CaptureReadStatus.Truncated;
        }

        var header = _buffer.AsSpan(_start, 16);
        uint seconds = ReadU32(header);
        uint fraction = ReadU32(header[4..]);
        uint captured = ReadU32(header[8..]);
        uint original = ReadU32(header[12..]);
        if (captured > MaxRecordBytes || (_classicSnaplen > 0 && captured > Math.Max(_classicSnaplen, 262144)))
        {
            return CaptureReadStatus.Corrupt;
        }

        if (!Ensure(16 + (int)captured))
        {
            return CaptureReadStatus.Truncated;
        }

        LinkType = _classicLinkType;
        TimestampTicks = UnixEpochTicks + (seconds * TimeSpan.TicksPerSecond) + (_nanos ? fraction / 100 : fraction * 10L);
        OriginalLength = (int)Math.Min(original, int.MaxValue);
        data = _buffer.AsSpan(_start + 16, (int)captured);
        _start += 16 + (int)captured;
        return CaptureReadStatus.Packet;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private CaptureReadStatus ReadNextBlock(out ReadOnlySpan<byte> data)
    {
        data = default;
        while (true)
        {
            if (!Ensure(12))
            {
                return _end == _start ? CaptureReadStatus.End : CaptureReadStatus.Truncated;
            }

            uint type = BinaryPrimitives.ReadUInt32LittleEndian(_buffer.AsSpan(_start));
            if (type == PcapngSectionHeader)
            {
                // The section header's byte-order magic decides how everything in the section is read.
                uint bom = BinaryPrimitives.ReadUInt32LittleEndian(_buffer.AsSpan(_start + 8));
                if (bom == PcapngByteOrderMagic)
                {
                    _bigEndian = false;
                }
                else if (BinaryPrimitives.ReverseEndianness(bom) == PcapngByteOrderMagic)
                {
                    _bigEndian = true;
                }
                else
                {
                    return CaptureReadStatus.Corrupt;
                }

                _interfaces.Clear();
            }
            else if (_bigEndian)
            {
                type = BinaryPrimitives.ReverseEndianness(type);
            }

            uint length = ReadU32(_buffer.AsSpan(_start + 4));
            if (length < 12 || length > MaxRecordBytes || (length & 3) != 0)
            {
                return CaptureReadStatus.Corrupt;
            }

            if (!Ensure((int)length))
            {
                return CaptureReadStatus.Truncated;
            }

            var body = _buffer.AsSpan(_start + 8, (int)length - 12);
            _start += (int)length;
            switch (type)
            {
                case 1:
                    if (!ReadInterface(body))
                    {
                        return CaptureReadStatus.Corrupt;
                    }

                    continue;
                case 6:
                case 2:
                    {
                        if (body.Length < 20)
                        {
                            return CaptureReadStatus.Corrupt;
                        }

                        int interfaceId = type == 6 ? (int)Math.Min(ReadU32(body), int.MaxValue) : ReadU16(body);
                        ulong timestamp = ((ulong)ReadU32(body[4..]) << 32) | ReadU32(body[8..]);
                        uint captured = ReadU32(body[12..]);
                        uint original = ReadU32(body[16..]);
                        if (interfaceId >= _interfaces.Count || captured > body.Length - 20)
                        {
                            return CaptureReadStatus.Corrupt;
                        }

                        var iface = _interfaces[interfaceId];
                        LinkType = iface.LinkType;
                        TimestampTicks = UnixEpochTicks + ToTicks(timestamp, iface.UnitsPerSecond);
                        OriginalLength = (int)Math.Min(original, int.MaxValue);
                        data = body.Slice(20, (int)captured);
                        return CaptureReadStatus.Packet;
                    }

                case 3:
                    {
                        if (body.Length < 4 || _interfaces.Count == 0)
                        {
                            return CaptureReadStatus.Corrupt;
                        }

                        var iface = _interfaces[0];
                        uint original = ReadU32(body);
                        int captured = (int)Math.Min(original, (uint)(body.Length - 4));
                        if (iface.Snaplen > 0)
                        {
                            captured = Math.Min(captured, iface.Snaplen);
                        }

                        LinkType = iface.LinkType;
                        OriginalLength = (int)Math.Min(original, int.MaxValue);
                        data = body.Slice(4, captured);
                        return CaptureReadStatus.Packet;
                    }

                default:
                    continue;
            }
        }
    }

    private bool ReadInterface(ReadOnlySpan<byte> body)
    {
        if (body.Length < 8)
        {
            return false;
        }

        int linkType = ReadU16(body);
        int snaplen = (int)Math.Min(ReadU32(body[4..]), int.MaxValue);
        long unitsPerSecond = 1_000_000;
        var options = body[8..];
        while (options.Length >= 4)
        {
            int code = ReadU16(options);
            int length = ReadU16(options[2..]);
            if (code == 0 || 4 + length > options.Length)
            {
                break;
            }

            if (code == 9 && length >= 1)
            {
                byte resolution = options[4];
                int exponent = resolution & 0x7F;
                if ((resolution & 0x80) != 0)
                {
                    unitsPerSecond = exponent < 63 ? 1L << exponent : 1_000_000;
                }
                else
                {
                    unitsPerSecond = exponent <= 18 ? (long)Math.Pow(10, exponent) : 1_000_000;
                }
            }

            options = options[Math.Min(options.Length, 4 + ((length + 3) & ~3))..];
        }

        _interfaces.Add((linkType, Math.Max(1, unitsPerSecond), snaplen));
        return true;
    }

    private static long ToTicks(ulong units, long unitsPerSecond)
    {
        if (unitsPerSecond == TimeSpan.TicksPerSecond)
        {
            return (long)Math.Min(units, long.MaxValue / 2);
        }

        ulong seconds = units / (ulong)unitsPerSecond;
        ulong rest = units % (ulong)unitsPerSecond;
        if (seconds > 100_000_000_000UL)
        {
            return 0;
        }

        return ((long)seconds * TimeSpan.TicksPerSecond) + (long)((double)rest * TimeSpan.TicksPerSecond / unitsPerSecond);
    }

    private uint ReadU32(ReadOnlySpan<byte> span) =>
        _bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(span) : BinaryPrimitives.ReadUInt32LittleEndian(span);

    private ushort ReadU16(ReadOnlySpan<byte> span) =>
        _bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(span) : BinaryPrimitives.ReadUInt16LittleEndian(span);

    /// <summary>Makes sure <paramref name="count"/> bytes from <see cref="_start"/> are in the buffer.</summary>
    private bool Ensure(int count)
    {
        if (_end - _start >= count)
        {
            return true;
        }

        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        if (count > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(count, _buffer.Length * 2));
        }

        while (_end < count && !_eof)
        {
            int read = _stream.Read(_buffer, _end, _buffer.Length - _end);
            if (read <= 0)
            {
                _eof = true;
                break;
            }

            _end += read;
        }

        return _end - _start >= count;
    }
}
