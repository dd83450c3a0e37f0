using System.Text;

namespace NetSecStream.Signatures.Rules;

/// <summary>One <c>key</c> or <c>key:value</c> option as written, value still escaped.</summary>
/// <param name="Name">The keyword, lower case as written.</param>
/// <param name="Value">The raw value after the colon (trimmed), or null for a bare keyword.</param>
/// <param name="Column">1-based column of the keyword in the rule text.</param>
public readonly record struct RawOption(string Name, string? Value, int Column);

/// <summary>Splits a rule into its header fields and its options, following Suricata's escaping rules.</summary>
public static class RuleLexer
{
    /// <summary>Splits the header (before the first '(') into whitespace-separated fields, keeping [..] lists whole.</summary>
    public static IReadOnlyList<string> SplitHeader(string header)
    {
        ArgumentNullException.ThrowIfNull(header);
        var fields = new List<string>();
        var current = new StringBuilder();
        int depth = 0;
        foreach (char c in header)
        {
            if (c == '[')
            {
                depth++;
            }
            else if (c == ']')
            {
                depth--;
                if (depth < 0)
                {
                    throw RuleParseException.Syntax("unbalanced ']' in the rule header");
                }
            }

            if (char.IsWhiteSpace(c) && depth == 0)
            {
                if (current.Length > 0)
                {
                    fields.Add(current.ToString());
                    current.Clear();
                }
            }
            else if (!char.IsWhiteSpace(c))
            {
                current.Append(c);
            }
        }

        if (depth != 0)
        {
            throw RuleParseException.Syntax("unbalanced '[' in the rule header");
        }

        if (current.Length > 0)
        {
            fields.Add(current.ToString());
        }

        return fields;
    }

    /// <summary>Splits the inside of a [..] list at top-level commas.</summary>
    public static IReadOnlyList<string> SplitList(string inner, string what)
    {
        ArgumentNullException.ThrowIfNull(inner);
        var parts = new List<string>();
        int depth = 0, start = 0;
        for (int i = 0; i < inner.Length; i++)
        {
            char c = inner[i];
            if (c == '[')
            {
                depth++;
            }
            else if (c == ']')
            {
                depth--;
            }
            else if (c == ',' && depth == 0)
            {
                Add(inner[start..i]);
                start = i + 1;
            }
        }

        Add(inner[start..]);
        return parts;

        void Add(string part)
        {
            string p = part.Trim();
            if (p.Length == 0)
            {
                throw RuleParseException.Syntax($"empty element in {what} list '[{inner}]'");
            }

            parts.Add(p);
        }
    }

    /// <summary>
    /// Splits the option body (between the outer parentheses) into options. A value runs to the first ';' that is
    /// not escaped with a backslash; quotes do not protect ';' (Suricata requires <c>\;</c> inside quoted values).
    /// </summary>
    public static IReadOnlyList<RawOption> SplitOptions(string body, int bodyColumn)
    {
        ArgumentNullException.ThrowIfNull(body);
        var options = new List<RawOption>();
        int i = 0;
        while (true)
        {
            while (i < body.Length && char.IsWhiteSpace(body[i]))
            {
                i++;
            }

            if (i >= body.Length)
            {
                return options;
            }

            int nameStart = i;
            while (i < body.Length && body[i] != ':' && body[i] != ';')
            {
                i++;
            }

            string name = body[nameStart..i].Trim();
            int column = bodyColumn + nameStart;
            if (name.Length == 0)
            {
                throw RuleParseException.Syntax($"empty option at column {column}");
            }

            if (name.Any(char.IsWhiteSpace))
            {
                throw RuleParseException.Syntax($"option name '{name}' at column {column} contains a space (missing ';' before it?)");
            }

            if (i >= body.Length)
            {
                throw RuleParseException.Syntax($"option '{name}' at column {column} is not terminated with ';'");
            }

            if (body[i] == ';')
            {
                options.Add(new RawOption(name.ToLowerInvariant(), null, column));
                i++;
                continue;
            }

            i++; // ':'
            int valueStart = i;
            while (i < body.Length && body[i] != ';')
            {
                if (body[i] == '\\')
                {
                    i++;
                }

                i++;
            }

            if (i >= body.Length)
            {
                throw RuleParseException.Syntax($"value of option '{name}' at column {column} is not terminated with ';'");
            }

            options.Add(new RawOption(name.ToLowerInvariant(), body[valueStart..i].Trim(), column));
            i++;
        }
    }

    /// <summary>
    /// Removes the surrounding quotes of a quoted value and resolves <c>\"</c>, <c>\;</c>, <c>\\</c> and <c>\:</c>.
    /// Any other escape, a missing or stray quote is a syntax error.
    /// </summary>
    /// <remarks>With <paramref name="lenientEscapes"/> (msg), other escapes are kept as written, as Suricata does.</remarks>
    public static string UnquoteString(string keyword, string value, bool requireQuotes = true, bool lenientEscapes = false)
    {
        ArgumentNullException.ThrowIfNull(value);
        string v = value;
        if (v.Length >= 2 && v[0] == '"' && v[^1] == '"' && !EndsWithEscapedQuote(v))
        {
            v = v[1..^1];
        }
        else if (v.StartsWith('"') || v.EndsWith('"') || requireQuotes)
        {
            throw RuleParseException.Syntax($"{keyword}: unbalanced quotes in value {Clip(value)}");
        }

        if (!v.Contains('\\', StringComparison.Ordinal) && !v.Contains('"', StringComparison.Ordinal))
        {
            return v;
        }

        var sb = new StringBuilder(v.Length);
        for (int i = 0; i < v.Length; i++)
        {
            char c = v[i];
            if (c == '"')
            {
                throw RuleParseException.Syntax($"{keyword}: unescaped '\"' inside the quoted value {Clip(value)}");
            }

            if (c != '\\')
            {
                sb.Append(c);
                continue;
            }

            if (i + 1 >= v.Length)
            {
                throw RuleParseException.Syntax($"{keyword}: value ends with a lone backslash");
            }

            char next = v[++i];
            if (next is '"' or ';' or '\\' or ':')
            {
                sb.Append(next);
            }
            else if (lenientEscapes)
            {
                sb.Append('\\').Append(next);
            }
            else
            {
                throw RuleParseException.Syntax($"{keyword}: invalid escape '\\{next}' (only \\\" \\; \\\\ \\: are allowed)");
            }
        }

        return sb.ToString();
    }

    private static bool EndsWithEscapedQuote(string v)
    {
        int backslashes = 0;
        for (int i = v.Length - 2; i >= 1 && v[i] == '\\'; i--)
        {
            backslashes++;
        }

        return backslashes % 2 == 1;
    }

    internal static string Clip(string s) => s.Length <= 60 ? s : string.Concat(s.AsSpan(0, 57), "...");
}
