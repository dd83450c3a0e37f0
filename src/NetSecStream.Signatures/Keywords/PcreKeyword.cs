using System.Text;
using System.Text.RegularExpressions;
using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Keywords;

/// <summary>A compiled pcre match.</summary>
public sealed class PcreMatch : RuleOption
{

    /// <summary>The pattern as given to .NET (POSIX classes translated).</summary>
    public required string Pattern { get; init; }

    /// <summary>The modifier letters as written.</summary>
    public required string Modifiers { get; init; }

    /// <summary>The .NET options the modifiers map to.</summary>
    public required RegexOptions Options { get; init; }

    /// <summary>
    /// The matcher: NonBacktracking (linear time) when the pattern allows it, else the backtracking engine with
    /// <see cref="RuleLimits.PcreMatchTimeout"/>. Built on first use: a NonBacktracking build costs about a millisecond
    /// and up to megabytes per pattern, which a 4,500-pcre ruleset should not pay at load for rules that never run.
    /// </summary>
    public Regex Regex => Compiled.Matcher;

    /// <summary>Shared by every rule of one load with the same pattern and options.</summary>
    internal PcreRegex Compiled { get; init; } = null!;

    public bool Negated { get; init; }

    /// <summary>R: match relative to the end of the previous content or pcre match.</summary>
    public bool Relative { get; init; }

    /// <summary>True when .NET's NonBacktracking engine runs it (linear time).</summary>
    public bool NonBacktracking => (Regex.Options & RegexOptions.NonBacktracking) != 0;

    public override bool InspectsBuffer => true;
}

/// <summary><c>pcre:[!]"/regex/flags";</c> a regular expression on the current (or modifier-selected) buffer.</summary>
public sealed partial class PcreKeyword() : RuleKeyword("pcre", "Match a Perl-compatible regular expression (compiled as a .NET regex).", "payload-keywords.html#pcre-perl-compatible-regular-expressions")
{
    private static readonly Dictionary<char, string> BufferModifiers = new()
    {
        ['U'] = "http.uri",
        ['I'] = "http.uri.raw",
        ['P'] = "http.request_body",
        ['Q'] = "http.response_body",
        ['H'] = "http.header",
        ['D'] = "http.header.raw",
        ['M'] = "http.method",
        ['C'] = "http.cookie",
        ['S'] = "http.stat_code",
        ['Y'] = "http.stat_msg",
        ['V'] = "http.user_agent",
        ['W'] = "http.host",
        ['Z'] = "http.host.raw",
    };

    private static readonly (string Posix, string Net)[] PosixClasses =
    [
        ("[:alpha:]", "a-zA-Z"), ("[:digit:]", "0-9"), ("[:alnum:]", "a-zA-Z0-9"), ("[:upper:]", "A-Z"), ("[:lower:]", "a-z"),
        ("[:space:]", "\\s"), ("[:xdigit:]", "0-9A-Fa-f"), ("[:punct:]", "!-/:-@\\[-`{-~"), ("[:print:]", "\\x20-\\x7E"),
        ("[:word:]", "\\w"), ("[:blank:]", " \\t"), ("[:cntrl:]", "\\x00-\\x1F\\x7F"), ("[:graph:]", "\\x21-\\x7E"),
    ];

    public override void Parse(RuleBuilder rule, string? value)
    {
        ArgumentNullException.ThrowIfNull(rule);
        string v = value!.Trim();
        bool negated = v.StartsWith('!');
        if (negated)
        {
            v = v[1..].TrimStart();
        }

        // Suricata also accepts the value without quotes (pcre:/one/U;).
        bool quoted = v.Length >= 2 && v[0] == '"' && v[^1] == '"';
        string body = quoted ? v[1..^1] : v;
        if (body.Length < 2 || body[0] != '/' || (!quoted && v.Contains('"', StringComparison.Ordinal)))
        {
            throw RuleParseException.Syntax($"pcre: expected \"/regex/flags\", got {RuleLexer.Clip(value)}");
        }

        body = body[1..];
        int close = body.LastIndexOf('/');
        if (close < 0)
        {
            throw RuleParseException.Syntax("pcre: missing closing '/'");
        }

        string pattern = body[..close];
        string modifiers = body[(close + 1)..];
        if (pattern.Length > RuleLimits.MaxPcreLength)
        {
            throw RuleParseException.Invalid($"pcre: pattern of {pattern.Length} characters exceeds the limit of {RuleLimits.MaxPcreLength}");
        }

        var options = RegexOptions.CultureInvariant;
        bool relative = false, dollarEndOnly = false;
        string? buffer = null;
        foreach (char m in modifiers)
        {
            switch (m)
            {
                case 'i': options |= RegexOptions.IgnoreCase; break;
                case 's': options |= RegexOptions.Singleline; break;
                case 'm': options |= RegexOptions.Multiline; break;
                case 'x': options |= RegexOptions.IgnorePatternWhitespace; break;
                case 'A': pattern = "\\G(?:" + pattern + ")"; break;
                case 'E': dollarEndOnly = true; break;
                case 'R': relative = true; break;
                case 'B' or 'O': break; // rawbytes; override match limits: no effect here
                case 'G':
                    throw RuleParseException.Invalid("pcre: modifier 'G' (ungreedy by default) has no .NET equivalent");
                default:
                    if (!BufferModifiers.TryGetValue(m, out string? b))
                    {
                        throw RuleParseException.Invalid($"pcre: unknown modifier '{m}'");
                    }

                    if (buffer is not null && buffer != b)
                    {
                        throw RuleParseException.Invalid($"pcre: modifiers select two buffers ({buffer}, {b})");
                    }

                    buffer = b;
                    break;
            }
        }

        if (dollarEndOnly && (options & RegexOptions.Multiline) == 0 && pattern.EndsWith('$') && !pattern.EndsWith("\\$", StringComparison.Ordinal))
        {
            pattern = pattern[..^1] + "\\z";
        }

        pattern = TranslatePosixClasses(pattern);
        pattern = PcreBackReference().Replace(pattern, "$1\\$2");
        pattern = PcreEscapedPunctuation().Replace(pattern, "$1$2");
        pattern = pattern.Replace("(?P<", "(?<", StringComparison.Ordinal);
        pattern = PcrePossessive.Rewrite(pattern);
        pattern = PcreNamedBackReference().Replace(pattern, "\\k<$1>");
        var match = new PcreMatch
        {
            Keyword = Name,
            Pattern = pattern,
            Modifiers = modifiers,
            Options = options,
            Compiled = rule.Regexes.Get(pattern, options),
            Negated = negated,
            Relative = relative,
        };
        rule.Add(match);
        if (buffer is not null)
        {
            match.Buffer = buffer;
        }
    }

    private static string TranslatePosixClasses(string pattern)
    {
        if (!pattern.Contains("[:", StringComparison.Ordinal))
        {
            return pattern;
        }

        var sb = new StringBuilder(pattern);
        foreach ((string posix, string net) in PosixClasses)
        {
            sb.Replace(posix, net);
        }

        return sb.ToString();
    }

    // \g{1} / \g1: PCRE's numbered backreference; .NET writes \1.
    [GeneratedRegex(@"(?<!\\)((?:\\\\)*)\\g\{?([1-9][0-9]?)\}?")]
    private static partial Regex PcreBackReference();

    // PCRE lets a backslash quote any non-alphanumeric character; .NET rejects \_ (a word character), so drop it.
    [GeneratedRegex(@"(?<!\\)((?:\\\\)*)\\(_)")]
    private static partial Regex PcreEscapedPunctuation();

    // (?P=name): PCRE's Python-style named backreference; .NET writes \k<name>. (?P<name>..) is rewritten to (?<name>..).
    [GeneratedRegex(@"\(\?P=([A-Za-z_][A-Za-z0-9_]*)\)")]
    private static partial Regex PcreNamedBackReference();
}

/// <summary>
/// One pcre pattern's regexes: the backtracking one built at load to check the syntax (PCRE-only constructs fail here),
/// and the matcher, built on first use: NonBacktracking when the pattern allows it, else the checked one, bounded by
/// <see cref="RuleLimits.PcreMatchTimeout"/>.
/// </summary>
internal sealed class PcreRegex
{
    private readonly Lazy<Regex> _matcher;

    public PcreRegex(string pattern, RegexOptions options)
    {
        try
        {
            Validated = new Regex(pattern, options, RuleLimits.PcreMatchTimeout);
        }
        catch (ArgumentException e)
        {
            throw RuleParseException.Invalid($"pcre: .NET cannot express the pattern: {e.Message}");
        }

        _matcher = new Lazy<Regex>(() =>
        {
            try
            {
                return new Regex(pattern, options | RegexOptions.NonBacktracking);
            }
            catch (NotSupportedException)
            {
                // Backreferences, lookarounds, atomic groups, or too large for the automaton: keep the timeout-bounded one.
                return Validated;
            }
        });
    }

    public Regex Validated { get; }

    public Regex Matcher => _matcher.Value;
}

/// <summary>Pcre regexes of one load, shared by rules with the same pattern and options (ET Open repeats many).</summary>
internal sealed class PcreRegexCache
{
    private readonly Dictionary<(string, RegexOptions), PcreRegex> _byPattern = [];

    public PcreRegex Get(string pattern, RegexOptions options)
    {
        if (!_byPattern.TryGetValue((pattern, options), out PcreRegex? regex))
        {
            regex = new PcreRegex(pattern, options);
            _byPattern[(pattern, options)] = regex;
        }

        return regex;
    }
}
