using System.Buffers.Binary;

namespace NetSecStream.Collectors.NetFlow;

/// <summary>
/// Reads packets from a classic pcap (either byte order, microsecond or nanosecond timestamps) or pcapng file
/// (section header, interface description with <c>if_tsresol</c>, enhanced and simple packet blocks; other blocks
/// are stepped over). One packet buffer, reused: a packet's bytes are valid until the next read. A packet or block
/// longer than the bound stops the read with <see cref="Error"/> set, as does a truncated file.
/// </summary>
internal sealed class PcapReader : IDisposable
{
    private const uint PcapMagicMicro = 0xA1B2C3D4;
    private const uint PcapMagicNano = 0xA1B23C4D;
    private const uint PcapngSectionHeader = 0x0A0D0D0A;
    private const uint PcapngByteOrderMagic = 0x1A2B3C4D;
    private const int MaxInterfaces = 256;

    private readonly Stream _stream;
    private readonly int _maxBlockBytes;
    private readonly bool _pcapng;
    private readonly List<(int LinkType, long UnitsPerSecond)> _interfaces = [];
    private byte[] _buffer;
    private bool _bigEndian;
    private bool _nanoseconds;
    private int _linkType;

    private PcapReader(Stream stream, int maxBlockBytes, bool pcapng)
    {
        _stream = stream;
        _maxBlockBytes = maxBlockBytes;
        _pcapng = pcapng;
        _buffer = new byte[Math.Min(maxBlockBytes, 64 * 1024)];
    }

    /// <summary>Why reading stopped before the end of the file, or null.</summary>
    public string? Error { get; private set; }

    public static PcapReader Open(string path, int maxPacketBytes)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16, FileOptions.SequentialScan);
        try
        {
            return Open(stream, maxPacketBytes);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Reads the file header; throws <see cref="InvalidDataException"/> when the stream is neither pcap nor pcapng.</summary>
    public static PcapReader Open(Stream stream, int maxPacketBytes)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Span<byte> header = stackalloc byte[24];
        if (stream.ReadAtLeast(header, 24, throwOnEndOfStream: false) < 24)
        {
            throw new InvalidDataException("not a pcap file: shorter than a pcap header");
        }

        uint magicLe = BinaryPrimitives.ReadUInt32LittleEndian(header);
        uint magicBe = BinaryPrimitives.ReadUInt32BigEndian(header);
        if (magicLe == PcapngSectionHeader)
        {
            var ng = new PcapReader(stream, maxPacketBytes + 64, pcapng: true);
            ng.StartSection(header);
            return ng;
        }

        var reader = new PcapReader(stream, maxPacketBytes, pcapng: false);
        if (magicLe is PcapMagicMicro or PcapMagicNano)
        {
            reader._nanoseconds = magicLe == PcapMagicNano;
        }
        else if (magicBe is PcapMagicMicro or PcapMagicNano)
        {
            reader._bigEndian = true;
            reader._nanoseconds = magicBe == PcapMagicNano;
        }
        else
        {
            throw new InvalidDataException($"not a pcap or pcapng file (magic 0x{magicBe:X8})");
        }

        reader._linkType = (int)(reader.U32(header[20..]) & 0xFFFF);
        return reader;
    }

    /// <summary>The next packet: link type, capture time (Unix milliseconds) and bytes; false at the end or on <see cref="Error"/>.</summary>
    public bool TryRead(out int linkType, out long timestampMs, out ReadOnlySpan<byte> packet)
    {
        linkType = 0;
        timestampMs = 0;
        packet = default;
        return Error is null && (_pcapng ? TryReadBlock(out linkType, out timestampMs, out packet) : TryReadRecord(out linkType, out timestampMs, out packet));
    }

    private bool TryReadRecord(out int linkType, out long timestampMs, out ReadOnlySpan<byte> packet)
    {
        linkType = _linkType;
        timestampMs = 0;
        packet = default;
        Span<byte> header = stackalloc byte[16];
        int read = _stream.ReadAtLeast(header, 16, throwOnEndOfStream: false);
        if (read == 0)
        {
            return false;
        }

        if (read < 16)
        {
            Error = "truncated packet header";
            return false;
        }

        long seconds = U32(header);
        long fraction = U32(header[4..]);
        uint length = U32(header[8..]);
        if (length > _maxBlockBytes)
        {
            Error = $"packet of {length} bytes exceeds the {_maxBlockBytes}-byte bound";
            return false;
        }

        if (!Fill((int)length))
        {
            return false;
        }

        timestampMs = (seconds * 1000) + (_nanoseconds ? fraction / 1_000_000 : fraction / 1000);
        packet = _buffer.AsSpan(0, (int)length);
        return true;
    }

    private bool TryReadBlock(out int linkType, out long timestampMs, out ReadOnlySpan<byte> packet)
    {
        linkType = 0;
        timestampMs = 0;
        packet = default;
        Span<byte> header = stackalloc byte[8];
        while (true)
        {
            int read = _stream.ReadAtLeast(header, 8, throwOnEndOfStream: false);
            if (read == 0)
            {
                return false;
            }

            if (read < 8)
            {
                Error = "truncated block header";
                return false;
            }

            uint type = U32(header);
            if (type == PcapngSectionHeader)
            {
                // A new section may switch byte order: the body's magic says which.
                if (!Fill(4))
                {
                    return false;
                }

                _bigEndian = BinaryPrimitives.ReadUInt32LittleEndian(_buffer) != PcapngByteOrderMagic;
            }

            uint total = U32(header[4..]);
            int consumed = type == PcapngSectionHeader ? 12 : 8;
            if (total < 12 || total % 4 != 0 || total > _maxBlockBytes)
            {
                Error = $"bad pcapng block length {total}";
                return false;
            }

            int bodyLength = (int)total - consumed;
            if (type == PcapngSectionHeader)
            {
                _interfaces.Clear();
                if (!Fill(bodyLength))
                {
                    return false;
                }

                continue;
            }

            if (!Fill(bodyLength))
            {
                return false;
            }

            var body = _buffer.AsSpan(0, bodyLength - 4); // without the trailing length
            switch (type)
            {
                case 1: // interface description
                    if (body.Length >= 8 && _interfaces.Count < MaxInterfaces)
                    {
                        _interfaces.Add((U16(body), TimestampUnits(body[8..])));
                    }

                    break;
                case 6 when body.Length >= 20: // enhanced packet
                {
                    int iface = (int)U32(body);
                    ulong ticks = ((ulong)U32(body[4..]) << 32) | U32(body[8..]);
                    uint captured = U32(body[12..]);
                    if (iface >= _interfaces.Count || captured > body.Length - 20)
                    {
                        Error = "enhanced packet block names an unknown interface or overruns its block";
                        return false;
                    }

                    var (lt, units) = _interfaces[iface];
                    linkType = lt;
                    timestampMs = units >= 1000 ? (long)(ticks / (ulong)(units / 1000)) : (long)(ticks * 1000 / (ulong)units);
                    packet = body.Slice(20, (int)captured);
                    return true;
                }

                case 3 when body.Length >= 4 && _interfaces.Count > 0: // simple packet
                {
                    uint original = U32(body);
                    linkType = _interfaces[0].LinkType;
                    packet = body.Slice(4, (int)Math.Min(original, (uint)(body.Length - 4)));
                    return true;
                }

                default:
                    break;
            }
        }
    }

    private void StartSection(ReadOnlySpan<byte> first24)
    {
        _bigEndian = BinaryPrimitives.ReadUInt32LittleEndian(first24[8..]) != PcapngByteOrderMagic;
        uint total = U32(first24[4..]);
        if (total < 28 || total % 4 != 0 || total > _maxBlockBytes)
        {
            throw new InvalidDataException($"bad pcapng section header length {total}");
        }

        if (!Fill((int)total - 24))
        {
            throw new InvalidDataException("truncated pcapng section header");
        }
    }

    /// <summary>if_tsresol (option 9): units per second of the interface's timestamps; microseconds when absent.</summary>
    private long TimestampUnits(ReadOnlySpan<byte> options)
    {
        while (options.Length >= 4)
        {
            int code = U16(options);
            int length = U16(options[2..]);
            if (code == 0 || length > options.Length - 4)
            {
                break;
            }

            if (code == 9 && length >= 1)
            {
                byte resolution = options[4];
                int exponent = resolution & 0x7F;
                if ((resolution & 0x80) == 0 && exponent <= 18)
                {
                    long units = 1;
                    for (int i = 0; i < exponent; i++)
                    {
                        units *= 10;
                    }

                    return units;
                }

                return exponent < 62 ? 1L << exponent : 1_000_000;
            }

            options = options[Math.Min(options.Length, 4 + ((length + 3) & ~3))..];
        }

        return 1_000_000;
    }

    private bool Fill(int length)
    {
        if (_buffer.Length < length)
        {
            _buffer = new byte[Math.Min(Math.Max(length, _buffer.Length * 2), _maxBlockBytes)];
        }

        if (_stream.ReadAtLeast(_buffer.AsSpan(0, length), length, throwOnEndOfStream: false) < length)
        {
            Error = "file ends inside a packet";
            return false;
        }

        return true;
    }

    private uint U32(ReadOnlySpan<byte> b) => _bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(b) : BinaryPrimitives.ReadUInt32LittleEndian(b);

    private ushort U16(ReadOnlySpan<byte> b) => _bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(b) : BinaryPrimitives.ReadUInt16LittleEndian(b);

    public void Dispose() => _stream.Dispose();
}
