using System.Text;
using System.Text.RegularExpressions;
using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Keywords;

/// <summary>A compiled pcre match.</summary>
public sealed class PcreMatch : RuleOption
{
    private Regex? _regex;

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
    public Regex Regex => _regex ??= PcreKeyword.CompileForMatching(Pattern, Options, Validated);

    /// <summary>The backtracking regex built at load to check the syntax.</summary>
    internal Regex Validated { get; init; } = null!;

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
        pattern = PcreNamedBackReference().Replace(pattern, "\\k<$1>");
        var match = new PcreMatch
        {
            Keyword = Name,
            Pattern = pattern,
            Modifiers = modifiers,
            Options = options,
            Validated = Validate(pattern, options),
            Negated = negated,
            Relative = relative,
        };
        rule.Add(match);
        if (buffer is not null)
        {
            match.Buffer = buffer;
        }
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(string, RegexOptions), Regex> Compiled = new();

    /// <summary>Checks the syntax with the (cheap to build) backtracking engine; PCRE-only constructs fail here.</summary>
    internal static Regex Validate(string pattern, RegexOptions options)
    {
        try
        {
            return new Regex(pattern, options, RuleLimits.PcreMatchTimeout);
        }
        catch (ArgumentException e)
        {
            throw RuleParseException.Invalid($"pcre: .NET cannot express the pattern: {e.Message}");
        }
    }

    /// <summary>NonBacktracking when the pattern allows it (shared between rules with the same pattern), else <paramref name="validated"/>.</summary>
    internal static Regex CompileForMatching(string pattern, RegexOptions options, Regex validated) =>
        Compiled.GetOrAdd((pattern, options), static (key, fallback) =>
        {
            try
            {
                return new Regex(key.Item1, key.Item2 | RegexOptions.NonBacktracking);
            }
            catch (NotSupportedException)
            {
                // Backreferences, lookarounds, atomic groups: keep the backtracking engine, bounded by its timeout.
                return fallback;
            }
        }, validated);

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
