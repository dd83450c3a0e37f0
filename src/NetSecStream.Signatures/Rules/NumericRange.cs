using System.Globalization;

namespace NetSecStream.Signatures.Rules;

/// <summary>Comparison used by dsize, bsize, urilen, itype and friends.</summary>
public enum NumericOperator
{
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,

    /// <summary>Strictly between <see cref="NumericRange.Min"/> and <see cref="NumericRange.Max"/> (Suricata's <c>a&lt;&gt;b</c>).</summary>
    Between,
}

/// <summary>A parsed numeric condition: <c>5</c>, <c>!5</c>, <c>&lt;5</c>, <c>&gt;=5</c>, <c>3&lt;&gt;9</c>, <c>3-9</c>.</summary>
public readonly record struct NumericRange(NumericOperator Operator, long Min, long Max)
{
    public bool Matches(long value) => Operator switch
    {
        NumericOperator.Equal => value == Min,
        NumericOperator.NotEqual => value != Min,
        NumericOperator.Less => value < Min,
        NumericOperator.LessOrEqual => value <= Min,
        NumericOperator.Greater => value > Min,
        NumericOperator.GreaterOrEqual => value >= Min,
        _ => value > Min && value < Max,
    };

    /// <summary>Parses the condition or throws a <see cref="RuleParseException"/> naming the keyword.</summary>
    public static NumericRange Parse(string keyword, string text, long maxValue = long.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(text);
        string s = text.Trim();
        int between = s.IndexOf("<>", StringComparison.Ordinal);
        if (between > 0)
        {
            long a = Number(keyword, s[..between], maxValue);
            long b = Number(keyword, s[(between + 2)..], maxValue);
            return a < b ? new NumericRange(NumericOperator.Between, a, b)
                : throw RuleParseException.Invalid($"{keyword}: range '{s}' needs min < max");
        }

        int dash = s.IndexOf('-', StringComparison.Ordinal);
        if (dash > 0)
        {
            long a = Number(keyword, s[..dash], maxValue);
            long b = Number(keyword, s[(dash + 1)..], maxValue);
            return a < b ? new NumericRange(NumericOperator.Between, a, b)
                : throw RuleParseException.Invalid($"{keyword}: range '{s}' needs min < max");
        }

        (NumericOperator op, int skip) = s switch
        {
            _ when s.StartsWith("<=", StringComparison.Ordinal) => (NumericOperator.LessOrEqual, 2),
            _ when s.StartsWith(">=", StringComparison.Ordinal) => (NumericOperator.GreaterOrEqual, 2),
            _ when s.StartsWith('<') => (NumericOperator.Less, 1),
            _ when s.StartsWith('>') => (NumericOperator.Greater, 1),
            _ when s.StartsWith('!') => (NumericOperator.NotEqual, 1),
            _ when s.StartsWith('=') => (NumericOperator.Equal, 1),
            _ => (NumericOperator.Equal, 0),
        };
        long v = Number(keyword, s[skip..], maxValue);
        return new NumericRange(op, v, v);
    }

    internal static long Number(string keyword, string text, long maxValue = long.MaxValue)
    {
        string t = text.Trim();
        bool hex = t.StartsWith("0x", StringComparison.OrdinalIgnoreCase);
        return long.TryParse(hex ? t[2..] : t, hex ? NumberStyles.AllowHexSpecifier : NumberStyles.None, CultureInfo.InvariantCulture, out long v)
               && v >= 0 && v <= maxValue
            ? v
            : throw RuleParseException.Invalid($"{keyword}: '{t}' is not a number in 0..{maxValue}");
    }

    public override string ToString() => Operator switch
    {
        NumericOperator.Between => string.Create(CultureInfo.InvariantCulture, $"{Min}<>{Max}"),
        NumericOperator.Equal => Min.ToString(CultureInfo.InvariantCulture),
        _ => string.Create(CultureInfo.InvariantCulture, $"{Operator} {Min}"),
    };
}
