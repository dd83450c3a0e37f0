using System.Net;
using System.Net.Sockets;

namespace NetSecStream.Signatures.Rules;

/// <summary>
/// A rule's source or destination addresses: <c>any</c>, an address or CIDR block, or a list, each possibly negated,
/// with variables already expanded. Lists match when any positive member matches and no negated member does.
/// </summary>
public sealed class AddressSet
{
    public static readonly AddressSet Any = new(negated: false, network: null, items: null, text: "any");

    private AddressRanges? _ranges;

    private AddressSet(bool negated, IPNetwork? network, IReadOnlyList<AddressSet>? items, string text)
    {
        Negated = negated;
        Network = network;
        Items = items ?? [];
        Text = text;
        IsAny = network is null && Items.Count == 0 && !negated;
    }

    public bool Negated { get; }

    /// <summary>The block for a single address or CIDR; null for <c>any</c> and lists.</summary>
    public IPNetwork? Network { get; }

    /// <summary>Members of a list; empty otherwise.</summary>
    public IReadOnlyList<AddressSet> Items { get; }

    public bool IsAny { get; }

    /// <summary>The text as written in the rule (before variables were expanded).</summary>
    public string Text { get; }

    /// <summary>The set as ranges per family, built on first use (lists of hundreds of blocks become one binary search).</summary>
    public AddressRanges Ranges => _ranges ??= Compile();

    public bool Matches(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return IsAny || Ranges.Contains(address);
    }

    public bool Matches(in AddressRanges.Key address) => IsAny || Ranges.Contains(address);

    /// <summary>Lists match when any positive member matches (or there is none) and every negated member does.</summary>
    private AddressRanges Compile()
    {
        AddressRanges inner;
        if (Network is { } net)
        {
            inner = AddressRanges.Of(net);
        }
        else if (Items.Count == 0)
        {
            inner = AddressRanges.Everything;
        }
        else
        {
            AddressRanges? positives = null;
            AddressRanges allowed = AddressRanges.Everything;
            foreach (AddressSet item in Items)
            {
                if (item.Negated)
                {
                    allowed = allowed.Intersect(item.Ranges);
                }
                else
                {
                    positives = positives is null ? item.Ranges : positives.Union(item.Ranges);
                }
            }

            inner = positives is null ? allowed : positives.Intersect(allowed);
        }

        return Negated ? inner.Complement() : inner;
    }

    public override string ToString() => Text;

    /// <summary>Parses an address field; <paramref name="variables"/> resolves <c>$NAME</c>.</summary>
    public static AddressSet Parse(string text, RuleVariables variables)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(variables);
        return Parse(text.Trim(), variables, 0);
    }

    private static AddressSet Parse(string s, RuleVariables variables, int depth)
    {
        if (depth > RuleLimits.MaxNesting)
        {
            throw RuleParseException.Invalid($"address '{s}' nests variables or lists deeper than {RuleLimits.MaxNesting} (a variable that refers to itself?)");
        }

        if (s.Length == 0)
        {
            throw RuleParseException.Syntax("empty address");
        }

        if (s[0] == '!')
        {
            AddressSet inner = Parse(s[1..].TrimStart(), variables, depth + 1);
            if (inner.IsAny)
            {
                throw RuleParseException.Invalid($"address '{s}' negates 'any' and can never match");
            }

            return new AddressSet(!inner.Negated, inner.Network, inner.Items, s);
        }

        if (s[0] == '[')
        {
            if (s[^1] != ']')
            {
                throw RuleParseException.Syntax($"address list '{s}' has no closing ']'");
            }

            var items = new List<AddressSet>();
            foreach (string part in RuleLexer.SplitList(s[1..^1], "address"))
            {
                items.Add(Parse(part, variables, depth + 1));
            }

            return items.Count == 0
                ? throw RuleParseException.Syntax("empty address list '[]'")
                : new AddressSet(false, null, items, s);
        }

        if (s[0] == '$')
        {
            string name = s[1..];
            string value = variables.GetAddress(name)
                ?? throw RuleParseException.Invalid($"undefined address variable '${name}'");
            AddressSet resolved = Parse(value.Trim(), variables, depth + 1);
            return new AddressSet(resolved.Negated, resolved.Network, resolved.Items, s);
        }

        if (s.Equals("any", StringComparison.OrdinalIgnoreCase))
        {
            return Any;
        }

        return new AddressSet(false, ParseNetwork(s), null, s);
    }

    private static IPNetwork ParseNetwork(string s)
    {
        int slash = s.IndexOf('/', StringComparison.Ordinal);
        string addressText = slash < 0 ? s : s[..slash];
        if (!IPAddress.TryParse(addressText, out IPAddress? address))
        {
            throw RuleParseException.Syntax($"'{s}' is not an address, CIDR block, list, variable or 'any'");
        }

        int maxPrefix = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        int prefix = maxPrefix;
        if (slash >= 0)
        {
            string p = s[(slash + 1)..];
            if (IPAddress.TryParse(p, out IPAddress? mask) && p.Contains('.', StringComparison.Ordinal))
            {
                prefix = MaskToPrefix(mask, s);
            }
            else if (!int.TryParse(p, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out prefix) || prefix > maxPrefix)
            {
                throw RuleParseException.Syntax($"bad prefix length in '{s}'");
            }
        }

        // Suricata accepts host bits set in a CIDR (10.0.0.1/8); IPNetwork does not, so clear them.
        byte[] bytes = address.GetAddressBytes();
        for (int i = 0; i < bytes.Length; i++)
        {
            int keep = Math.Clamp(prefix - (i * 8), 0, 8);
            bytes[i] &= (byte)(0xFF << (8 - keep));
        }

        return new IPNetwork(new IPAddress(bytes), prefix);
    }

    private static int MaskToPrefix(IPAddress mask, string s)
    {
        uint m = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(mask.GetAddressBytes());
        int prefix = System.Numerics.BitOperations.PopCount(m);
        uint expected = prefix == 0 ? 0 : uint.MaxValue << (32 - prefix);
        return m == expected ? prefix : throw RuleParseException.Syntax($"netmask in '{s}' is not contiguous");
    }
}
