using System.Text;

namespace NetSecStream.Signatures.Keywords;

/// <summary>
/// Rewrites PCRE possessive quantifiers (<c>a*+</c>, <c>[x]{2,}+</c>, <c>(..)++</c>), which .NET lacks, as the atomic
/// groups they abbreviate (<c>(?&gt;a*)</c>). Anything it does not understand is left alone for the regex parser to reject.
/// </summary>
internal static class PcrePossessive
{
    public static string Rewrite(string p)
    {
        if (!(p.Contains("++", StringComparison.Ordinal) || p.Contains("*+", StringComparison.Ordinal)
              || p.Contains("?+", StringComparison.Ordinal) || p.Contains("}+", StringComparison.Ordinal)))
        {
            return p;
        }

        var sb = new StringBuilder(p.Length + 8);
        var groups = new Stack<int>();
        int atom = -1;
        int i = 0;
        while (i < p.Length)
        {
            char c = p[i];
            if (c == '\\')
            {
                atom = sb.Length;
                int end = EscapeEnd(p, i);
                sb.Append(p, i, end - i);
                i = end;
            }
            else if (c == '[')
            {
                atom = sb.Length;
                int end = ClassEnd(p, i);
                if (end < 0)
                {
                    return p;
                }

                sb.Append(p, i, end - i);
                i = end;
            }
            else if (c == '(')
            {
                int start = sb.Length;
                int end = GroupPrefixEnd(p, i, out bool optionsOnly);
                sb.Append(p, i, end - i);
                i = end;
                if (!optionsOnly)
                {
                    groups.Push(start);
                }

                atom = -1;
            }
            else if (c == ')')
            {
                sb.Append(c);
                i++;
                atom = groups.Count > 0 ? groups.Pop() : -1;
            }
            else if (c is '*' or '+' or '?' || (c == '{' && QuantifierEnd(p, i) > 0))
            {
                int end = c == '{' ? QuantifierEnd(p, i) : i + 1;
                string quantifier = p[i..end];
                i = end;
                if (i < p.Length && p[i] == '+' && atom >= 0)
                {
                    sb.Insert(atom, "(?>").Append(quantifier).Append(')');
                    i++;
                }
                else
                {
                    sb.Append(quantifier);
                    if (i < p.Length && p[i] == '?')
                    {
                        sb.Append('?');
                        i++;
                    }
                }

                atom = -1;
            }
            else
            {
                atom = c == '|' ? -1 : sb.Length;
                sb.Append(c);
                i++;
            }
        }

        return sb.ToString();
    }

    private static int EscapeEnd(string p, int i)
    {
        int j = i + 2;
        if (j > p.Length)
        {
            return p.Length;
        }

        char e = p[i + 1];
        if (e == 'x')
        {
            if (j < p.Length && p[j] == '{')
            {
                int close = p.IndexOf('}', j);
                return close < 0 ? p.Length : close + 1;
            }

            while (j < p.Length && j < i + 4 && char.IsAsciiHexDigit(p[j]))
            {
                j++;
            }
        }
        else if (e is 'p' or 'P' && j < p.Length && p[j] == '{')
        {
            int close = p.IndexOf('}', j);
            return close < 0 ? p.Length : close + 1;
        }

        return j;
    }

    private static int ClassEnd(string p, int i)
    {
        int j = i + 1;
        if (j < p.Length && p[j] == '^')
        {
            j++;
        }

        if (j < p.Length && p[j] == ']')
        {
            j++;
        }

        while (j < p.Length)
        {
            if (p[j] == '\\')
            {
                j += 2;
                continue;
            }

            if (p[j] == ']')
            {
                return j + 1;
            }

            j++;
        }

        return -1;
    }

    private static int GroupPrefixEnd(string p, int i, out bool optionsOnly)
    {
        optionsOnly = false;
        int j = i + 1;
        if (j >= p.Length || p[j] != '?')
        {
            return j;
        }

        j++;
        if (j < p.Length && p[j] is ':' or '=' or '!' or '>')
        {
            return j + 1;
        }

        if (j + 1 < p.Length && p[j] == '<' && p[j + 1] is '=' or '!')
        {
            return j + 2;
        }

        if (j < p.Length && p[j] is '<' or '\'' or 'P')
        {
            int close = p.IndexOfAny(['>', '\''], j + 1);
            return close < 0 ? p.Length : close + 1;
        }

        while (j < p.Length && (char.IsAsciiLetter(p[j]) || p[j] == '-'))
        {
            j++;
        }

        optionsOnly = j < p.Length && p[j] == ')';
        return Math.Min(j + 1, p.Length);
    }

    private static int QuantifierEnd(string p, int i)
    {
        int j = i + 1;
        int digits = 0;
        while (j < p.Length && (char.IsAsciiDigit(p[j]) || p[j] == ','))
        {
            digits += char.IsAsciiDigit(p[j]) ? 1 : 0;
            j++;
        }

        return j < p.Length && p[j] == '}' && digits > 0 ? j + 1 : -1;
    }
}
