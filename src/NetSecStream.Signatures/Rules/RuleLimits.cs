namespace NetSecStream.Signatures.Rules;

/// <summary>Bounds that keep hostile rule files from exhausting memory or time.</summary>
public static class RuleLimits
{
    /// <summary>Longest rule (after joining continuation lines) that is parsed; ET Open's longest is under 8 KiB.</summary>
    public const int MaxRuleLength = 64 * 1024;

    /// <summary>Largest decoded content pattern.</summary>
    public const int MaxContentBytes = 16 * 1024;

    /// <summary>Longest pcre pattern.</summary>
    public const int MaxPcreLength = 8 * 1024;

    /// <summary>How deep variables may refer to variables and lists may nest.</summary>
    public const int MaxNesting = 32;

    /// <summary>Match timeout for patterns that need the backtracking engine.</summary>
    public static readonly TimeSpan PcreMatchTimeout = TimeSpan.FromMilliseconds(100);
}
