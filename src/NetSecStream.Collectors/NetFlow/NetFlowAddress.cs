using System.Buffers.Binary;
using System.Net;

namespace NetSecStream.Collectors.NetFlow;

/// <summary>
/// An IPv4 or IPv6 address held in two integers, so the decoder can copy, compare and hash addresses without
/// allocating. IPv4 addresses keep their four bytes in the low 32 bits of <see cref="Low"/>.
/// </summary>
public readonly record struct NetFlowAddress(ulong High, ulong Low, byte Family)
{
    public const byte None = 0;
    public const byte V4 = 4;
    public const byte V6 = 6;

    public bool IsIPv4 => Family == V4;

    public bool IsIPv6 => Family == V6;

    public static NetFlowAddress FromIPv4(ReadOnlySpan<byte> bytes) => new(0, BinaryPrimitives.ReadUInt32BigEndian(bytes), V4);

    public static NetFlowAddress FromIPv4(uint value) => new(0, value, V4);

    public static NetFlowAddress FromIPv6(ReadOnlySpan<byte> bytes) =>
        new(BinaryPrimitives.ReadUInt64BigEndian(bytes), BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]), V6);

    public static NetFlowAddress FromIPAddress(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out int written);
        return written == 4 ? FromIPv4(bytes) : FromIPv6(bytes);
    }

    /// <summary>A new <see cref="IPAddress"/>; callers on a hot path cache the result (see <see cref="NetFlowEventMapper"/>).</summary>
    public IPAddress ToIPAddress()
    {
        Span<byte> bytes = stackalloc byte[16];
        if (Family == V6)
        {
            BinaryPrimitives.WriteUInt64BigEndian(bytes, High);
            BinaryPrimitives.WriteUInt64BigEndian(bytes[8..], Low);
            return new IPAddress(bytes);
        }

        BinaryPrimitives.WriteUInt32BigEndian(bytes, (uint)Low);
        return new IPAddress(bytes[..4]);
    }

    public override string ToString() => Family == None ? "" : ToIPAddress().ToString();
}
