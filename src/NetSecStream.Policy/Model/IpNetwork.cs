using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace NetSecStream.Policy.Model;

/// <summary>
/// An IPv4 or IPv6 network (address and prefix length). IPv4 is kept in the low 32 bits of the value so that a
/// containment test is a mask and a compare; IPv4-mapped IPv6 addresses are tested as IPv4.
/// </summary>
public readonly record struct IpNetwork(UInt128 Value, int PrefixLength, bool IsV4)
{
    public static bool TryParse(string? text, out IpNetwork network, out string? error)
    {
        network = default;
        error = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "empty CIDR";
            return false;
        }

        int slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0)
        {
            error = $"'{text}' is not a CIDR (expected address/prefix, e.g. 10.0.0.0/8)";
            return false;
        }

        if (!IPAddress.TryParse(text.AsSpan(0, slash), out var address))
        {
            error = $"'{text}': '{text[..slash]}' is not an IP address";
            return false;
        }

        bool v4 = address.AddressFamily == AddressFamily.InterNetwork;
        int max = v4 ? 32 : 128;
        if (!int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int prefix) || prefix > max)
        {
            error = $"'{text}': prefix length must be 0-{max}";
            return false;
        }

        var value = ToValue(address, out _);
        value &= Mask(prefix, v4);
        network = new IpNetwork(value, prefix, v4);
        return true;
    }

    /// <summary>The address as a number (IPv4 in the low 32 bits) and whether it is IPv4 (mapped addresses count as IPv4).</summary>
    public static UInt128 ToValue(IPAddress address, out bool isV4)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily == AddressFamily.InterNetworkV6 && address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        Span<byte> bytes = stackalloc byte[16];
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            address.TryWriteBytes(bytes, out _);
            isV4 = true;
            return BinaryPrimitives.ReadUInt32BigEndian(bytes);
        }

        address.TryWriteBytes(bytes, out _);
        isV4 = false;
        return BinaryPrimitives.ReadUInt128BigEndian(bytes);
    }

    public bool Contains(UInt128 value, bool isV4) => isV4 == IsV4 && (value & Mask(PrefixLength, IsV4)) == Value;

    public bool Contains(IPAddress address) => Contains(ToValue(address, out bool v4), v4);

    /// <summary>Whether <paramref name="other"/> lies wholly inside this network.</summary>
    public bool Covers(IpNetwork other) => other.IsV4 == IsV4 && other.PrefixLength >= PrefixLength && Contains(other.Value, other.IsV4);

    private static UInt128 Mask(int prefix, bool v4)
    {
        if (v4)
        {
            return prefix == 0 ? UInt128.Zero : (UInt128)(uint.MaxValue << (32 - prefix));
        }

        return prefix == 0 ? UInt128.Zero : UInt128.MaxValue << (128 - prefix);
    }

    public override string ToString()
    {
        IPAddress address;
        if (IsV4)
        {
            Span<byte> bytes = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(bytes, (uint)Value);
            address = new IPAddress(bytes);
        }
        else
        {
            Span<byte> bytes6 = stackalloc byte[16];
            BinaryPrimitives.WriteUInt128BigEndian(bytes6, Value);
            address = new IPAddress(bytes6);
        }

        return address + "/" + PrefixLength.ToString(CultureInfo.InvariantCulture);
    }
}
