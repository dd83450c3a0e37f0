using System.Buffers.Binary;
using System.Collections.Frozen;
using System.Net;
using System.Net.Sockets;

namespace NetSecStream.Pipeline.Detectors.Intel;

/// <summary>
/// Immutable lookup structure over a set of indicators: exact addresses, CIDR blocks (longest prefix wins)
/// and domains (a listed domain matches itself and every subdomain). Built once per reload, then swapped in.
/// </summary>
public sealed class IndicatorIndex
{
    private readonly FrozenDictionary<uint, Indicator> _v4;
    private readonly FrozenDictionary<UInt128, Indicator> _v6;
    private readonly (int Prefix, FrozenDictionary<uint, Indicator> Blocks)[] _v4Cidrs;
    private readonly (int Prefix, FrozenDictionary<UInt128, Indicator> Blocks)[] _v6Cidrs;
    private readonly FrozenDictionary<string, Indicator> _domains;

    public static IndicatorIndex Empty { get; } = new([]);

    public IndicatorIndex(IEnumerable<Indicator> indicators)
    {
        ArgumentNullException.ThrowIfNull(indicators);
        var v4 = new Dictionary<uint, Indicator>();
        var v6 = new Dictionary<UInt128, Indicator>();
        var v4Cidr = new Dictionary<int, Dictionary<uint, Indicator>>();
        var v6Cidr = new Dictionary<int, Dictionary<UInt128, Indicator>>();
        var domains = new Dictionary<string, Indicator>(StringComparer.Ordinal);
        foreach (var indicator in indicators)
        {
            Count++;
            switch (indicator.Type)
            {
                case IndicatorType.Ip:
                    var ip = IPAddress.Parse(indicator.Value);
                    if (TryV4(ip, out uint a4))
                    {
                        v4.TryAdd(a4, indicator);
                    }
                    else
                    {
                        v6.TryAdd(V6(ip), indicator);
                    }

                    break;
                case IndicatorType.Cidr:
                    if (!CidrBlock.TryParse(indicator.Value, out var block))
                    {
                        continue;
                    }

                    if (TryV4(block.Network, out uint n4) && block.Network.AddressFamily == AddressFamily.InterNetwork)
                    {
                        GetOrAdd(v4Cidr, block.PrefixLength).TryAdd(n4, indicator);
                    }
                    else
                    {
                        GetOrAdd(v6Cidr, block.PrefixLength).TryAdd(V6(block.Network), indicator);
                    }

                    break;
                case IndicatorType.Domain:
                    domains.TryAdd(NormaliseDomain(indicator.Value), indicator);
                    break;
            }
        }

        _v4 = v4.ToFrozenDictionary();
        _v6 = v6.ToFrozenDictionary();
        _v4Cidrs = [.. v4Cidr.OrderByDescending(p => p.Key).Select(p => (p.Key, p.Value.ToFrozenDictionary()))];
        _v6Cidrs = [.. v6Cidr.OrderByDescending(p => p.Key).Select(p => (p.Key, p.Value.ToFrozenDictionary()))];
        _domains = domains.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>Number of indicators the index was built from (duplicates included).</summary>
    public int Count { get; }

    public bool IsEmpty => Count == 0;

    /// <summary>The most specific indicator covering the address: an exact entry, else the longest CIDR.</summary>
    public Indicator? Match(IPAddress address)
    {
        if (address.AddressFamily == AddressFamily.InterNetworkV6 && address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (TryV4(address, out uint a4))
        {
            if (_v4.TryGetValue(a4, out var hit))
            {
                return hit;
            }

            foreach (var (prefix, blocks) in _v4Cidrs)
            {
                uint mask = prefix == 0 ? 0u : uint.MaxValue << (32 - prefix);
                if (blocks.TryGetValue(a4 & mask, out hit))
                {
                    return hit;
                }
            }

            return null;
        }

        UInt128 a6 = V6(address);
        if (_v6.TryGetValue(a6, out var hit6))
        {
            return hit6;
        }

        foreach (var (prefix, blocks) in _v6Cidrs)
        {
            UInt128 mask = prefix == 0 ? UInt128.Zero : UInt128.MaxValue << (128 - prefix);
            if (blocks.TryGetValue(a6 & mask, out hit6))
            {
                return hit6;
            }
        }

        return null;
    }

    /// <summary>The indicator for the name or its closest listed parent domain.</summary>
    public Indicator? MatchDomain(string? name)
    {
        if (string.IsNullOrEmpty(name) || _domains.Count == 0)
        {
            return null;
        }

        ReadOnlySpan<char> span = name.AsSpan().TrimEnd('.');
        var lookup = _domains.GetAlternateLookup<ReadOnlySpan<char>>();
        bool needsLower = false;
        foreach (char c in span)
        {
            if (char.IsAsciiLetterUpper(c))
            {
                needsLower = true;
                break;
            }
        }

        if (needsLower)
        {
            span = span.ToString().ToLowerInvariant().AsSpan();
        }

        while (true)
        {
            if (lookup.TryGetValue(span, out var hit))
            {
                return hit;
            }

            int dot = span.IndexOf('.');
            if (dot < 0)
            {
                return null;
            }

            span = span[(dot + 1)..];
        }
    }

    public static string NormaliseDomain(string domain) => domain.Trim().TrimEnd('.').ToLowerInvariant();

    private static Dictionary<TKey, Indicator> GetOrAdd<TKey>(Dictionary<int, Dictionary<TKey, Indicator>> map, int prefix)
        where TKey : notnull
    {
        if (!map.TryGetValue(prefix, out var inner))
        {
            inner = [];
            map[prefix] = inner;
        }

        return inner;
    }

    private static bool TryV4(IPAddress address, out uint value)
    {
        if (address.AddressFamily != AddressFamily.InterNetwork)
        {
            value = 0;
            return false;
        }

        Span<byte> bytes = stackalloc byte[4];
        address.TryWriteBytes(bytes, out _);
        value = BinaryPrimitives.ReadUInt32BigEndian(bytes);
        return true;
    }

    private static UInt128 V6(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        return BinaryPrimitives.ReadUInt128BigEndian(bytes);
    }
}
