using System.Globalization;

namespace NetSecStream.Signatures.Rules;

/// <summary>
/// A rule's source or destination ports: <c>any</c>, a port, a range <c>a:b</c> (open <c>a:</c> or <c>:b</c>), or a list,
/// each possibly negated, with variables already expanded.
/// </summary>
public sealed class PortSet
{
    public static readonly PortSet Any = new(false, 0, 65535, null, "any");

    private PortSet(bool negated, int low, int high, IReadOnlyList<PortSet>? items, string text)
    {
        Negated = negated;
        Low = low;
        High = high;
        Items = items ?? [];
        Text = text;
        IsAny = Items.Count == 0 && !negated && low == 0 && high == 65535;
    }

    public bool Negated { get; }

    /// <summary>Lowest port of a single port or range (0 for any and lists).</summary>
    public int Low { get; }

    /// <summary>Highest port of a single port or range (65535 for any and lists).</summary>
    public int High { get; }

    public IReadOnlyList<PortSet> Items { get; }

    public bool IsAny { get; }

    public string Text { get; }

    public bool Matches(int port)
    {
        if (IsAny)
        {
            return true;
        }

        bool inner;
        if (Items.Count == 0)
        {
            inner = port >= Low && port <= High;
        }
        else
        {
            bool anyPositive = false, positiveHit = false, negatedHit = false;
            foreach (PortSet item in Items)
            {
                if (item.Negated)
                {
                    negatedHit |= !item.Matches(port);
                }
                else
                {
                    anyPositive = true;
                    positiveHit |= item.Matches(port);
                }
            }

            inner = !negatedHit && (!anyPositive || positiveHit);
        }

        return Negated ? !inner : inner;
    }

    public override string ToString() => Text;

    public static PortSet Parse(string text, RuleVariables variables)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(variables);
        return Parse(text.Trim(), variables, 0);
    }

    private static PortSet Parse(string s, RuleVariables variables, int depth)
    {
        if (depth > RuleLimits.MaxNesting)
        {
            throw RuleParseException.Invalid($"port '{s}' nests variables or lists deeper than {RuleLimits.MaxNesting} (a variable that refers to itself?)");
        }

        if (s.Length == 0)
        {
            throw RuleParseException.Syntax("empty port");
        }

        if (s[0] == '!')
        {
            PortSet inner = Parse(s[1..].TrimStart(), variables, depth + 1);
            if (inner.IsAny)
            {
                throw RuleParseException.Invalid($"port '{s}' negates 'any' and can never match");
            }

            return new PortSet(!inner.Negated, inner.Low, inner.High, inner.Items, s);
        }

        if (s[0] == '[')
        {
            if (s[^1] != ']')
            {
                throw RuleParseException.Syntax($"port list '{s}' has no closing ']'");
            }

            var items = new List<PortSet>();
            foreach (string part in RuleLexer.SplitList(s[1..^1], "port"))
            {
                items.Add(Parse(part, variables, depth + 1));
            }

            return items.Count == 0 ? throw RuleParseException.Syntax("empty port list '[]'") : new PortSet(false, 0, 65535, items, s);
        }

        if (s[0] == '$')
        {
            string name = s[1..];
            string value = variables.GetPort(name) ?? throw RuleParseException.Invalid($"undefined port variable '${name}'");
            PortSet resolved = Parse(value.Trim(), variables, depth + 1);
            return new PortSet(resolved.Negated, resolved.Low, resolved.High, resolved.Items, s);
        }

        if (s.Equals("any", StringComparison.OrdinalIgnoreCase))
        {
            return Any;
        }

        int colon = s.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            int p = Port(s, s);
            return new PortSet(false, p, p, null, s);
        }

        int low = colon == 0 ? 0 : Port(s[..colon], s);
        int high = colon == s.Length - 1 ? 65535 : Port(s[(colon + 1)..], s);
        return low <= high ? new PortSet(false, low, high, null, s) : throw RuleParseException.Syntax($"port range '{s}' runs backwards");
    }

    private static int Port(string text, string whole) =>
        int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int p) && p <= 65535
            ? p
            : throw RuleParseException.Syntax($"'{whole}' is not a port, range, list, variable or 'any'");
}
