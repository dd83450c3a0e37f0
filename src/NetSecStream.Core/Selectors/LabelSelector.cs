using System.Collections.Frozen;
using System.Text;

namespace NetSecStream.Core.Selectors;

/// <summary>Operator of one Kubernetes label selector requirement.</summary>
public enum SelectorOperator
{
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

/// <summary>One requirement of a label selector: <c>key op (values)</c>.</summary>
public sealed record SelectorRequirement(string Key, SelectorOperator Operator, IReadOnlyList<string> Values)
{
    public bool Matches(IReadOnlyDictionary<string, string>? labels)
    {
        string? value = null;
        var has = labels is not null && labels.TryGetValue(Key, out value);
        return Operator switch
        {
            SelectorOperator.Exists => has,
            SelectorOperator.DoesNotExist => !has,
            SelectorOperator.In => has && Contains(value!),
            // Kubernetes: NotIn matches when the label is absent, too.
            SelectorOperator.NotIn => !has || !Contains(value!),
            _ => false,
        };
    }

    private bool Contains(string value)
    {
        for (var i = 0; i < Values.Count; i++)
        {
            if (string.Equals(Values[i], value, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    public override string ToString() => Operator switch
    {
        SelectorOperator.Exists => Key,
        SelectorOperator.DoesNotExist => "!" + Key,
        SelectorOperator.In when Values.Count == 1 => Key + "=" + Values[0],
        SelectorOperator.NotIn when Values.Count == 1 => Key + "!=" + Values[0],
        SelectorOperator.In => Key + " in (" + string.Join(",", Values) + ")",
        _ => Key + " notin (" + string.Join(",", Values) + ")",
    };
}

/// <summary>
/// A Kubernetes label selector (<c>matchLabels</c> and <c>matchExpressions</c>, all ANDed). The empty selector
/// selects every labelled object, as in Kubernetes; whether "no selector" means all or nothing is the caller's call.
/// Also parses the string form used by <c>kubectl -l</c>: <c>app=web,tier!=db,env in (a,b),!legacy,team</c>.
/// </summary>
public sealed class LabelSelector
{
    public static readonly LabelSelector Everything = new([]);

    private readonly SelectorRequirement[] _requirements;

    public LabelSelector(IEnumerable<SelectorRequirement> requirements)
    {
        ArgumentNullException.ThrowIfNull(requirements);
        _requirements = [.. requirements];
    }

    public IReadOnlyList<SelectorRequirement> Requirements => _requirements;

    public bool IsEmpty => _requirements.Length == 0;

    /// <summary>Builds a selector from <c>matchLabels</c> and <c>matchExpressions</c>; either may be null.</summary>
    public static LabelSelector From(IReadOnlyDictionary<string, string>? matchLabels, IEnumerable<SelectorRequirement>? matchExpressions = null)
    {
        var requirements = new List<SelectorRequirement>();
        if (matchLabels is not null)
        {
            foreach (var (key, value) in matchLabels.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                requirements.Add(new SelectorRequirement(key, SelectorOperator.In, [value]));
            }
        }

        if (matchExpressions is not null)
        {
            requirements.AddRange(matchExpressions);
        }

        return new LabelSelector(requirements);
    }

    public bool Matches(IReadOnlyDictionary<string, string>? labels)
    {
        foreach (var requirement in _requirements)
        {
            if (!requirement.Matches(labels))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The labels an object must carry with exactly these values (the <c>key=value</c> requirements).</summary>
    public FrozenDictionary<string, string> EqualityLabels() =>
        _requirements.Where(r => r.Operator == SelectorOperator.In && r.Values.Count == 1)
            .GroupBy(r => r.Key, StringComparer.Ordinal)
            .ToFrozenDictionary(g => g.Key, g => g.First().Values[0], StringComparer.Ordinal);

    public override string ToString() => string.Join(",", _requirements.Select(r => r.ToString()));

    /// <summary>Parses the <c>kubectl -l</c> string form; the error names the position and what was expected.</summary>
    public static bool TryParse(string? text, out LabelSelector selector, out string? error)
    {
        selector = Everything;
        error = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        var requirements = new List<SelectorRequirement>();
        var position = 0;
        while (true)
        {
            SkipSpaces(text, ref position);
            if (!TryParseRequirement(text, ref position, out var requirement, out error))
            {
                return false;
            }

            requirements.Add(requirement);
            SkipSpaces(text, ref position);
            if (position >= text.Length)
            {
                break;
            }

            if (text[position] != ',')
            {
                error = $"selector '{text}': expected ',' at position {position + 1}";
                return false;
            }

            position++;
        }

        selector = new LabelSelector(requirements);
        return true;
    }

    public static LabelSelector Parse(string? text) =>
        TryParse(text, out var selector, out var error) ? selector : throw new FormatException(error);

    private static bool TryParseRequirement(string text, ref int position, out SelectorRequirement requirement, out string? error)
    {
        requirement = null!;
        error = null;
        var negated = position < text.Length && text[position] == '!';
        if (negated)
        {
            position++;
            SkipSpaces(text, ref position);
        }

        var key = ReadToken(text, ref position);
        if (key.Length == 0)
        {
            error = $"selector '{text}': expected a label key at position {position + 1}";
            return false;
        }

        if (!IsValidKey(key))
        {
            error = $"selector '{text}': '{key}' is not a valid label key";
            return false;
        }

        SkipSpaces(text, ref position);
        if (negated)
        {
            requirement = new SelectorRequirement(key, SelectorOperator.DoesNotExist, []);
            return true;
        }

        if (position >= text.Length || text[position] == ',')
        {
            requirement = new SelectorRequirement(key, SelectorOperator.Exists, []);
            return true;
        }

        if (text[position] == '=' || text[position] == '!')
        {
            var op = SelectorOperator.In;
            if (text[position] == '!')
            {
                if (position + 1 >= text.Length || text[position + 1] != '=')
                {
                    error = $"selector '{text}': expected '!=' at position {position + 1}";
                    return false;
                }

                op = SelectorOperator.NotIn;
                position++;
            }

            position++;
            if (position < text.Length && text[position] == '=')
            {
                position++;
            }

            SkipSpaces(text, ref position);
            var value = ReadToken(text, ref position);
            if (!IsValidValue(value))
            {
                error = $"selector '{text}': '{value}' is not a valid label value";
                return false;
            }

            requirement = new SelectorRequirement(key, op, [value]);
            return true;
        }

        var word = ReadToken(text, ref position);
        SelectorOperator setOp;
        if (word.Equals("in", StringComparison.Ordinal))
        {
            setOp = SelectorOperator.In;
        }
        else if (word.Equals("notin", StringComparison.Ordinal))
        {
            setOp = SelectorOperator.NotIn;
        }
        else
        {
            error = $"selector '{text}': expected '=', '!=', 'in' or 'notin' after '{key}'";
            return false;
        }

        SkipSpaces(text, ref position);
        if (position >= text.Length || text[position] != '(')
        {
            error = $"selector '{text}': expected '(' at position {position + 1}";
            return false;
        }

        position++;
        var values = new List<string>();
        while (true)
        {
            SkipSpaces(text, ref position);
            var value = ReadToken(text, ref position);
            if (!IsValidValue(value))
            {
                error = $"selector '{text}': '{value}' is not a valid label value";
                return false;
            }

            values.Add(value);
            SkipSpaces(text, ref position);
            if (position < text.Length && text[position] == ',')
            {
                position++;
                continue;
            }

            if (position < text.Length && text[position] == ')')
            {
                position++;
                break;
            }

            error = $"selector '{text}': expected ',' or ')' at position {position + 1}";
            return false;
        }

        requirement = new SelectorRequirement(key, setOp, values);
        return true;
    }

    private static string ReadToken(string text, ref int position)
    {
        var builder = new StringBuilder();
        while (position < text.Length && !char.IsWhiteSpace(text[position]) && "=!,()".IndexOf(text[position], StringComparison.Ordinal) < 0)
        {
            builder.Append(text[position]);
            position++;
        }

        return builder.ToString();
    }

    private static void SkipSpaces(string text, ref int position)
    {
        while (position < text.Length && char.IsWhiteSpace(text[position]))
        {
            position++;
        }
    }

    /// <summary>A label key: optional DNS-subdomain prefix and '/', then a name of at most 63 characters.</summary>
    public static bool IsValidKey(string key)
    {
        if (string.IsNullOrEmpty(key) || key.Length > 253 + 1 + 63)
        {
            return false;
        }

        var slash = key.LastIndexOf('/');
        var name = slash >= 0 ? key[(slash + 1)..] : key;
        if (slash >= 0 && (slash == 0 || slash > 253))
        {
            return false;
        }

        // Cilium writes source prefixes such as "k8s:app"; a colon is accepted in the name for that reason.
        return name.Length is > 0 and <= 63 && IsAlnum(name[0]) && IsAlnum(name[^1])
            && name.All(c => IsAlnum(c) || c is '-' or '_' or '.' or ':');
    }

    public static bool IsValidValue(string value) =>
        value.Length == 0 || (value.Length <= 63 && IsAlnum(value[0]) && IsAlnum(value[^1])
            && value.All(c => IsAlnum(c) || c is '-' or '_' or '.'));

    private static bool IsAlnum(char c) => char.IsAsciiLetterOrDigit(c);
}
