namespace NetSecStream.Signatures.Rules;

/// <summary>Why a rule did not load.</summary>
public enum RuleDiagnosticKind
{
    /// <summary>The text is not a well-formed rule (what and where is in the reason).</summary>
    Syntax,

    /// <summary>The rule uses a keyword the keyword table does not know; the reason names it.</summary>
    UnsupportedKeyword,

    /// <summary>Well-formed, but a value is wrong, a limit is exceeded or a variable is undefined.</summary>
    Invalid,

    /// <summary>
    /// Parsed, but the engine cannot evaluate a keyword, buffer or protocol of it yet; the reason and
    /// <see cref="RuleDiagnostic.Keyword"/> name it. Such a rule does not count as loaded.
    /// </summary>
    NotEvaluable,
}

/// <summary>One rule that did not load, with where it is and the exact reason.</summary>
/// <param name="File">The rules file, or null when the rule came from a string.</param>
/// <param name="Line">1-based line the rule starts on.</param>
/// <param name="Sid">The rule's sid when it could be read.</param>
/// <param name="Kind">The class of failure.</param>
/// <param name="Reason">What is wrong, e.g. <c>unsupported keyword 'xyz'</c>.</param>
/// <param name="Keyword">The unsupported keyword's name, for <see cref="RuleDiagnosticKind.UnsupportedKeyword"/>.</param>
public sealed record RuleDiagnostic(string? File, int Line, long? Sid, RuleDiagnosticKind Kind, string Reason, string? Keyword = null)
{
    public override string ToString() =>
        $"{File ?? "<string>"}:{Line}: {(Sid is { } s ? "sid " + s.ToString(System.Globalization.CultureInfo.InvariantCulture) + ": " : "")}{Reason}";
}

/// <summary>Thrown inside the parser and keywords to reject a rule; the loader turns it into a <see cref="RuleDiagnostic"/>.</summary>
public sealed class RuleParseException : Exception
{
    public RuleParseException()
    {
    }

    public RuleParseException(string message)
        : base(message)
    {
    }

    public RuleParseException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public RuleParseException(RuleDiagnosticKind kind, string message, string? keyword = null)
        : base(message)
    {
        Kind = kind;
        Keyword = keyword;
    }

    public RuleDiagnosticKind Kind { get; } = RuleDiagnosticKind.Invalid;

    public string? Keyword { get; }

    /// <summary>The sid of the failing rule when it could be read; the parser fills it in.</summary>
    public long? Sid { get; set; }

    internal static RuleParseException Syntax(string message) => new(RuleDiagnosticKind.Syntax, message);

    internal static RuleParseException Invalid(string message) => new(RuleDiagnosticKind.Invalid, message);
}
