using System.Globalization;
using NetSecStream.Signatures.Keywords;

namespace NetSecStream.Signatures.Rules;

/// <summary>
/// Parses one rule (already joined from continuation lines) into a <see cref="Rule"/>. One parser is one load: rules
/// it parses share compiled pcre regexes. Not thread-safe.
/// </summary>
public sealed class RuleParser
{
    private readonly RuleVariables _variables;
    private readonly ClassificationConfig? _classifications;
    private readonly PcreRegexCache _regexes = new();

    public RuleParser(RuleVariables? variables = null, ClassificationConfig? classifications = null)
    {
        _variables = variables ?? RuleVariables.CreateDefault();
        _classifications = classifications;
    }

    /// <summary>Parses <paramref name="text"/>; throws <see cref="RuleParseException"/> with the reason when it does not load.</summary>
    public Rule Parse(string text, string? file = null, int line = 0)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > RuleLimits.MaxRuleLength)
        {
            throw RuleParseException.Invalid($"rule is {text.Length} characters long; the limit is {RuleLimits.MaxRuleLength}");
        }

        try
        {
            return ParseCore(text, file, line);
        }
        catch (RuleParseException e) when (e.Sid is null)
        {
            e.Sid = ScanSid(text);
            throw;
        }
    }

    /// <summary>Finds <c>sid:N</c> in raw text so diagnostics name the sid even when the rule does not parse.</summary>
    public static long? ScanSid(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int from = 0;
        while (true)
        {
            int i = text.IndexOf("sid", from, StringComparison.Ordinal);
            if (i < 0)
            {
                return null;
            }

            from = i + 3;
            bool boundary = i == 0 || text[i - 1] is ';' or '(' or ' ' or '\t';
            int j = from;
            while (j < text.Length && text[j] == ' ')
            {
                j++;
            }

            if (!boundary || j >= text.Length || text[j] != ':')
            {
                continue;
            }

            j++;
            while (j < text.Length && text[j] == ' ')
            {
                j++;
            }

            int k = j;
            while (k < text.Length && char.IsAsciiDigit(text[k]) && k - j < 12)
            {
                k++;
            }

            if (k > j && long.TryParse(text.AsSpan(j, k - j), NumberStyles.None, CultureInfo.InvariantCulture, out long sid))
            {
                return sid;
            }
        }
    }

    private Rule ParseCore(string text, string? file, int line)
    {
        int open = text.IndexOf('(', StringComparison.Ordinal);
        if (open < 0)
        {
            throw RuleParseException.Syntax("no '(' starting the options");
        }

        string trimmedEnd = text.TrimEnd();
        if (!trimmedEnd.EndsWith(')'))
        {
            throw RuleParseException.Syntax("rule does not end with ')' (truncated?)");
        }

        RuleHeader header = ParseHeader(text[..open]);
        string body = trimmedEnd[(open + 1)..^1];
        IReadOnlyList<RawOption> options = RuleLexer.SplitOptions(body, open + 2);
        var builder = new RuleBuilder(_classifications, _regexes);
        foreach (RawOption o in options)
        {
            RuleKeyword keyword = KeywordTable.Find(o.Name)
                ?? throw new RuleParseException(RuleDiagnosticKind.UnsupportedKeyword, $"unsupported keyword '{o.Name}'", o.Name);
            if (keyword.Value == KeywordValue.Required && string.IsNullOrEmpty(o.Value))
            {
                throw RuleParseException.Syntax($"'{o.Name}' at column {o.Column} needs a value");
            }

            if (keyword.Value == KeywordValue.None && o.Value is not null)
            {
                throw RuleParseException.Syntax($"'{o.Name}' at column {o.Column} takes no value");
            }

            keyword.Parse(builder, o.Value);
        }

        return builder.Build(header, file, line, text.Length);
    }

    private RuleHeader ParseHeader(string headerText)
    {
        IReadOnlyList<string> f = RuleLexer.SplitHeader(headerText);
        if (f.Count != 7)
        {
            throw RuleParseException.Syntax(
                $"header has {f.Count} fields, expected 7 (action protocol src_addr src_port direction dst_addr dst_port): '{RuleLexer.Clip(headerText.Trim())}'");
        }

        RuleAction action = f[0] switch
        {
            "alert" => RuleAction.Alert,
            "pass" => RuleAction.Pass,
            "drop" => RuleAction.Drop,
            "reject" => RuleAction.Reject,
            "rejectsrc" => RuleAction.RejectSrc,
            "rejectdst" => RuleAction.RejectDst,
            "rejectboth" => RuleAction.RejectBoth,
            _ => throw RuleParseException.Syntax($"unknown action '{f[0]}'"),
        };
        string protocol = f[1].ToLowerInvariant();
        if (!RuleProtocols.IsKnown(protocol))
        {
            throw RuleParseException.Invalid($"unknown protocol '{f[1]}'");
        }

        RuleDirection direction = f[4] switch
        {
            "->" => RuleDirection.ToDestination,
            "<>" => RuleDirection.Both,
            _ => throw RuleParseException.Syntax($"direction must be '->' or '<>', got '{f[4]}'"),
        };
        return new RuleHeader(
            action, protocol, AddressSet.Parse(f[2], _variables), PortSet.Parse(f[3], _variables), direction,
            AddressSet.Parse(f[5], _variables), PortSet.Parse(f[6], _variables));
    }
}
