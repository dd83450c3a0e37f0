using Microsoft.Extensions.Options;
using NetSecStream.Sinks.Siem;

namespace NetSecStream.Sinks.Hec;

/// <summary>Options of the <c>hec</c> sink, Splunk's HTTP Event Collector (configuration section <c>Sinks:Hec</c>).</summary>
public sealed class HecSinkOptions
{
    public const string SectionName = "Sinks:Hec";

    /// <summary>The collector's base address (<c>https://splunk:8088</c>); <c>/services/collector/event</c> is appended unless the path already names it. Required.</summary>
    public string Url { get; set; } = "";

    /// <summary>The HEC token, sent as <c>Authorization: Splunk &lt;token&gt;</c>. Required.</summary>
    public string Token { get; set; } = "";

    /// <summary>Splunk index; empty means the token's default index.</summary>
    public string? Index { get; set; }

    public string Source { get; set; } = "netsec";

    public string SourceType { get; set; } = "netsec:alert";

    /// <summary>The event's <c>host</c>; empty means this machine's name.</summary>
    public string? Host { get; set; }

    /// <summary>Compress request bodies with gzip (<c>Content-Encoding: gzip</c>).</summary>
    public bool Gzip { get; set; } = true;

    /// <summary>A batch is split into requests whose uncompressed body stays under this many bytes (one event may exceed it alone).</summary>
    public int MaxRequestBytes { get; set; } = 1024 * 1024;

    /// <summary>PEM file of the CA that signed the collector's certificate; empty means the system's trust store.</summary>
    public string? CaFile { get; set; }

    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long one write keeps retrying 429, 5xx and network errors before it fails.</summary>
    public TimeSpan RetryTimeout { get; set; } = TimeSpan.FromMinutes(2);
}

/// <summary>Rejects <see cref="HecSinkOptions"/> at start-up with messages naming the configuration key.</summary>
public sealed class HecSinkOptionsValidator : IValidateOptions<HecSinkOptions>
{
    public ValidateOptionsResult Validate(string? name, HecSinkOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        const string s = HecSinkOptions.SectionName;
        var failures = new List<string>();
        HttpSinkChecks.Url(failures, s, options.Url);
        if (string.IsNullOrWhiteSpace(options.Token))
        {
            failures.Add($"{s}:Token is required");
        }
        else if (options.Token.Any(char.IsControl))
        {
            failures.Add($"{s}:Token must not contain control characters");
        }

        if (string.IsNullOrWhiteSpace(options.Source))
        {
            failures.Add($"{s}:Source must not be empty");
        }

        if (string.IsNullOrWhiteSpace(options.SourceType))
        {
            failures.Add($"{s}:SourceType must not be empty");
        }

        if (options.MaxRequestBytes < 1024)
        {
            failures.Add($"{s}:MaxRequestBytes must be at least 1024 (was {options.MaxRequestBytes})");
        }

        HttpSinkChecks.Common(failures, s, options.CaFile, options.Timeout, options.InitialBackoff, options.MaxBackoff, options.RetryTimeout);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
