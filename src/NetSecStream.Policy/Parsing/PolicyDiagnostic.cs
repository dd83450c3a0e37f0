namespace NetSecStream.Policy.Parsing;

public enum DiagnosticSeverity
{
    /// <summary>The policy (or file) is wrong; it is not loaded and lint fails.</summary>
    Error,

    /// <summary>The policy loads, but part of it is not evaluated (host policies, L7, FQDN peers ...).</summary>
    Warning,
}

/// <summary>One problem found in a policy file, printed as <c>file:line: message</c>.</summary>
public sealed record PolicyDiagnostic(string File, int Line, DiagnosticSeverity Severity, string Message)
{
    public override string ToString() =>
        Severity == DiagnosticSeverity.Error ? $"{File}:{Line}: {Message}" : $"{File}:{Line}: warning: {Message}";
}
