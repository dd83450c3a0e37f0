using Microsoft.Extensions.Options;
using NetSecStream.Sinks.Siem;

namespace NetSecStream.Sinks.Webhook;

/// <summary>What one webhook request carries.</summary>
public enum WebhookBodyMode
{
    /// <summary>One request per batch: a JSON array of ECS alert documents.</summary>
    Array,

    /// <summary>One request per alert: the ECS alert document.</summary>
    PerAlert,

    /// <summary>One request per batch: <c>{"text": "..."}</c>, a line per alert, as Slack (and Mattermost, Teams' Slack shim) accept.</summary>
    Slack,
}

/// <summary>Options of the <c>webhook</c> sink (configuration section <c>Sinks:Webhook</c>).</summary>
public sealed class WebhookSinkOptions
{
    public const string SectionName = "Sinks:Webhook";

    /// <summary>Where alerts are POSTed. Required.</summary>
    public string Url { get; set; } = "";

    /// <summary>
    /// Key of the HMAC-SHA256 signature: <c>X-NetSec-Signature: sha256=hex(HMAC(secret, timestamp + "." + body))</c> with
    /// the Unix seconds of <c>X-NetSec-Timestamp</c>. Empty sends no signature (only sensible for Slack-style URLs that
    /// are secret themselves).
    /// </summary>
    public string? Secret { get; set; }

    public WebhookBodyMode Mode { get; set; } = WebhookBodyMode.Array;

    /// <summary>Slack mode: at most this many alert lines per message; the rest are summarised in one line.</summary>
    public int MaxSlackLines { get; set; } = 20;

    /// <summary>PEM file of the CA that signed the receiver's certificate; empty means the system's trust store.</summary>
    public string? CaFile { get; set; }

    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long one write keeps retrying 429, 5xx and network errors before it fails.</summary>
    public TimeSpan RetryTimeout { get; set; } = TimeSpan.FromMinutes(2);
}

/// <summary>Rejects <see cref="WebhookSinkOptions"/> at start-up with messages naming the configuration key.</summary>
public sealed class WebhookSinkOptionsValidator : IValidateOptions<WebhookSinkOptions>
{
    public ValidateOptionsResult Validate(string? name, WebhookSinkOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        const string s = WebhookSinkOptions.SectionName;
        var failures = new List<string>();
        HttpSinkChecks.Url(failures, s, options.Url);
        if (!Enum.IsDefined(options.Mode))
        {
            failures.Add($"{s}:Mode '{options.Mode}' is not one of {string.Join(", ", Enum.GetNames<WebhookBodyMode>())}");
        }

        if (options.MaxSlackLines < 1)
        {
            failures.Add($"{s}:MaxSlackLines must be at least 1 (was {options.MaxSlackLines})");
        }

        HttpSinkChecks.Common(failures, s, options.CaFile, options.Timeout, options.InitialBackoff, options.MaxBackoff, options.RetryTimeout);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
