namespace NetSecStream.Sinks.Siem;

/// <summary>Option checks the HTTP sinks share, with messages naming the full key.</summary>
internal static class HttpSinkChecks
{
    public static void Url(List<string> failures, string section, string? url)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            failures.Add($"{section}:Url is required");
        }
        else if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            failures.Add($"{section}:Url '{url}' must be an absolute http:// or https:// address");
        }
    }

    public static void Common(List<string> failures, string section, string? caFile, TimeSpan timeout, TimeSpan initialBackoff, TimeSpan maxBackoff, TimeSpan retryTimeout)
    {
        if (!string.IsNullOrEmpty(caFile) && !File.Exists(caFile))
        {
            failures.Add($"{section}:CaFile '{caFile}' does not exist");
        }

        if (timeout <= TimeSpan.Zero)
        {
            failures.Add($"{section}:Timeout must be > 0 (was {timeout})");
        }

        if (initialBackoff <= TimeSpan.Zero)
        {
            failures.Add($"{section}:InitialBackoff must be > 0 (was {initialBackoff})");
        }

        if (maxBackoff < initialBackoff)
        {
            failures.Add($"{section}:MaxBackoff must be at least InitialBackoff (was {maxBackoff})");
        }

        if (retryTimeout <= TimeSpan.Zero)
        {
            failures.Add($"{section}:RetryTimeout must be > 0 (was {retryTimeout})");
        }
    }
}
