using System.Net;

namespace NetSecStream.Pipeline.Detectors.Intel;

public enum IndicatorType
{
    Ip,
    Cidr,
    Domain,
}

/// <summary>One threat-intelligence indicator, with where it came from.</summary>
public sealed record Indicator(
    string Value,
    IndicatorType Type,
    string ListName,
    string? Category,
    int Severity,
    string? Description,
    string SourceFile,
    int Line);

/// <summary>A CIDR block parsed into its network bytes and prefix length.</summary>
public readonly record struct CidrBlock(IPAddress Network, int PrefixLength)
{
    public static bool TryParse(string text, out CidrBlock block)
    {
        block = default;
        int slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0)
        {
            return false;
        }

        if (!IPAddress.TryParse(text.AsSpan(0, slash), out var address)
            || !int.TryParse(text.AsSpan(slash + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int prefix))
        {
            return false;
        }

        int maxPrefix = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128;
        if (prefix < 0 || prefix > maxPrefix)
        {
            return false;
        }

        block = new CidrBlock(Mask(address, prefix), prefix);
        return true;
    }

    /// <summary>The address with every bit after the prefix cleared.</summary>
    public static IPAddress Mask(IPAddress address, int prefix)
    {
        byte[] bytes = address.GetAddressBytes();
        for (int i = 0; i < bytes.Length; i++)
        {
            int bitsInByte = Math.Clamp(prefix - (i * 8), 0, 8);
            bytes[i] &= (byte)(0xFF << (8 - bitsInByte));
        }

        return new IPAddress(bytes);
    }

    public override string ToString() => $"{Network}/{PrefixLength}";
}
