using Microsoft.Extensions.Options;

namespace NetSecStream.Control;

/// <summary>Section <c>Control</c>: the control plane (triage store, API) of <c>netsec control</c> and <c>netsec run</c>.</summary>
public sealed class ControlOptions
{
    public const string Section = "Control";

    /// <summary>Whether <c>netsec run</c> starts the control plane beside the pipeline (<c>netsec control</c> always does).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Where the API listens; loopback by default so nothing is exposed until a token and a bind address are chosen.</summary>
    public string Urls { get; set; } = "http://127.0.0.1:8080";

    /// <summary>The SQLite triage store; empty: <c>Storage:DataDirectory/control/triage.db</c>.</summary>
    public string Database { get; set; } = "";

    /// <summary>Alerts waiting for the store's writer; producers wait (backpressure) when it is full.</summary>
    public int IngestQueueCapacity { get; set; } = 20_000;

    /// <summary>Alerts written per transaction at most.</summary>
    public int IngestBatchSize { get; set; } = 1_000;

    /// <summary>Consume <c>Kafka:AlertsTopic</c> in <c>netsec control</c> when <c>Kafka:BootstrapServers</c> is set.</summary>
    public bool ConsumeKafka { get; set; } = true;

    /// <summary>Consumer group of the alerts topic: one control plane, one group.</summary>
    public string KafkaGroupId { get; set; } = "netsec-control";

    /// <summary>Models listed by <c>/api/models</c> (one folder each).</summary>
    public string ModelsDirectory { get; set; } = "models";

    /// <summary>Where rules files uploaded through the API are kept; empty: <c>Storage:DataDirectory/control/rules</c>.</summary>
    public string RulesDirectory { get; set; } = "";

    /// <summary>
    /// Where <c>/api/modes</c> writes the modes (a configuration file holding the <c>Modes</c> section, for
    /// <c>--config</c>); empty: <c>Storage:DataDirectory/control/modes.json</c>.
    /// </summary>
    public string ModesFile { get; set; } = "";

    /// <summary>
    /// Where <c>PUT /api/models/active|shadow</c> writes the chosen models (<c>Detectors:Behaviour:ModelPath</c>,
    /// <c>ShadowModelPath</c> as a configuration file for <c>--config</c>); empty: <c>Storage:DataDirectory/control/models.json</c>.
    /// </summary>
    public string ModelsFile { get; set; } = "";

    /// <summary>
    /// In <c>netsec run</c>, whether the pipeline follows this control plane's files without a restart: the signature
    /// detector loads <c>RulesDirectory</c> (uploaded rules, rules disabled through the API), the behaviour detector takes
    /// the models <c>ModelsFile</c> names, modes come from <c>ModesFile</c>. Settings given explicitly
    /// (<c>Detectors:Signatures:ControlDirectory</c>, <c>Detectors:Behaviour:ModelsFile</c>, <c>Modes:File</c>) win.
    /// </summary>
    public bool LiveUpdates { get; set; } = true;

    /// <summary>Largest rules file the upload endpoint takes.</summary>
    public long MaxRulesUploadBytes { get; set; } = 32L * 1024 * 1024;

    /// <summary>Alerts one list page holds at most.</summary>
    public int MaxPageSize { get; set; } = 500;

    /// <summary>Alert ids one bulk action takes at most.</summary>
    public int MaxBulkAlerts { get; set; } = 1_000;

    /// <summary>How long a UI session cookie stays valid without use.</summary>
    public TimeSpan SessionIdleTimeout { get; set; } = TimeSpan.FromHours(8);

    /// <summary>Whether the session cookie needs HTTPS; off by default because the default bind is plain HTTP on loopback.</summary>
    public bool SecureCookies { get; set; }

    /// <summary>The recent-flows window the policy editor plans against (<c>Control:Backtest</c>).</summary>
    public Policies.ControlBacktestOptions Backtest { get; set; } = new();

    /// <summary>The policy editor's drafts and applied policies (<c>Control:Policies</c>).</summary>
    public Policies.ControlPolicyOptions Policies { get; set; } = new();
}

public sealed class ControlOptionsValidator : IValidateOptions<ControlOptions>
{
    public ValidateOptionsResult Validate(string? name, ControlOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        foreach (string url in options.Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                failures.Add($"{ControlOptions.Section}:Urls '{url}' must be an http:// or https:// address such as http://127.0.0.1:8080.");
            }
        }

        if (string.IsNullOrWhiteSpace(options.Urls))
        {
            failures.Add($"{ControlOptions.Section}:Urls must not be empty.");
        }

        Range(failures, "IngestQueueCapacity", options.IngestQueueCapacity, 1, 10_000_000);
        Range(failures, "IngestBatchSize", options.IngestBatchSize, 1, 100_000);
        Range(failures, "MaxPageSize", options.MaxPageSize, 1, 10_000);
        Range(failures, "MaxBulkAlerts", options.MaxBulkAlerts, 1, 100_000);
        if (options.MaxRulesUploadBytes is < 1 or > 1L << 30)
        {
            failures.Add($"{ControlOptions.Section}:MaxRulesUploadBytes must be between 1 and 1073741824 (got {options.MaxRulesUploadBytes}).");
        }

        if (options.SessionIdleTimeout <= TimeSpan.Zero)
        {
            failures.Add($"{ControlOptions.Section}:SessionIdleTimeout must be positive.");
        }

        if (string.IsNullOrWhiteSpace(options.KafkaGroupId))
        {
            failures.Add($"{ControlOptions.Section}:KafkaGroupId must not be empty.");
        }

        NetSecStream.Control.Policies.PolicyEditorOptionsValidation.Validate(options, failures);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Range(List<string> failures, string key, int value, int min, int max)
    {
        if (value < min || value > max)
        {
            failures.Add($"{ControlOptions.Section}:{key} must be between {min} and {max} (got {value}).");
        }
    }
}
