using System.Runtime.CompilerServices;

namespace NetSecStream.Collectors.Pcap;

/// <summary>
/// A bidirectional 5-tuple: the lower (address, port) pair first, so both directions of a connection find one entry.
/// </summary>
internal readonly struct FlowKey : IEquatable<FlowKey>
{
    public readonly UInt128 LowAddress;
    public readonly UInt128 HighAddress;
    public readonly ushort LowPort;
    public readonly ushort HighPort;
    public readonly byte Protocol;

    private FlowKey(UInt128 lowAddress, ushort lowPort, UInt128 highAddress, ushort highPort, byte protocol)
    {
        LowAddress = lowAddress;
        LowPort = lowPort;
        HighAddress = highAddress;
        HighPort = highPort;
        Protocol = protocol;
    }

    /// <summary>The key of a packet's flow; <paramref name="sourceIsLow"/> tells which side the packet came from.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static FlowKey Of(in DecodedPacket packet, out bool sourceIsLow)
    {
        sourceIsLow = packet.Source < packet.Destination || (packet.Source == packet.Destination && packet.SourcePort <= packet.DestinationPort);
        return sourceIsLow
            ? new FlowKey(packet.Source, packet.SourcePort, packet.Destination, packet.DestinationPort, packet.Protocol)
            : new FlowKey(packet.Destination, packet.DestinationPort, packet.Source, packet.SourcePort, packet.Protocol);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool Equals(FlowKey other) =>
        LowAddress == other.LowAddress && HighAddress == other.HighAddress && LowPort == other.LowPort
        && HighPort == other.HighPort && Protocol == other.Protocol;

    public override bool Equals(object? obj) => obj is FlowKey other && Equals(other);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override int GetHashCode()
    {
        // Cheap multiply-xor mixing; the dictionary's own table does the rest.
        ulong h = (ulong)LowAddress * 0x9E3779B97F4A7C15UL;
        h ^= (ulong)(LowAddress >> 64) * 0xC2B2AE3D27D4EB4FUL;
        h ^= (ulong)HighAddress * 0x165667B19E3779F9UL;
        h ^= (ulong)(HighAddress >> 64) * 0x27D4EB2F165667C5UL;
        h ^= ((ulong)LowPort << 24 | (ulong)HighPort << 8 | Protocol) * 0x94D049BB133111EBUL;
        h ^= h >> 31;
        return (int)h ^ (int)(h >> 32);
    }

    public static bool operator ==(FlowKey left, FlowKey right) => left.Equals(right);

    public static bool operator !=(FlowKey left, FlowKey right) => !left.Equals(right);
}
