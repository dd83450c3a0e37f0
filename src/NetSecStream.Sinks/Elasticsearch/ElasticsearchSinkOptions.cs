using Microsoft.Extensions.Options;

namespace NetSecStream.Sinks.Elasticsearch;

/// <summary>Options of the <c>elasticsearch</c> sink (configuration section <c>Sinks:Elasticsearch</c>).</summary>
public sealed class ElasticsearchSinkOptions
{
    public const string SectionName = "Sinks:Elasticsearch";

    /// <summary>The cluster, e.g. <c>https://elasticsearch:9200</c>. Required.</summary>
    public string Url { get; set; } = "";

    /// <summary>An API key (the base64 <c>id:api_key</c> Elasticsearch returns as <c>encoded</c>); excludes <see cref="Username"/>.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Basic authentication user; needs <see cref="Password"/>.</summary>
    public string? Username { get; set; }

    public string? Password { get; set; }

    /// <summary>PEM or DER file of the CA that signed the cluster's certificate, when it is not in the system's trust store.</summary>
    public string? CertificateAuthorityPath { get; set; }

    /// <summary>Also index flows into <c>logs-netsec.flow-&lt;namespace&gt;</c>, not only alerts.</summary>
    public bool IncludeFlows { get; set; }

    /// <summary>Data-stream namespace of documents whose source has no Kubernetes namespace.</summary>
    public string DefaultNamespace { get; set; } = "default";

    /// <summary>A bulk request carries at most this many documents.</summary>
    public int MaxBatchDocuments { get; set; } = 5000;

    /// <summary>A bulk request grows to at most this many bytes (a single larger document goes alone).</summary>
    public long MaxBatchBytes { get; set; } = 8L * 1024 * 1024;

    /// <summary>Bulk requests in flight at once; more overlap serialisation, the network and the cluster's work.</summary>
    public int MaxConcurrentRequests { get; set; } = 2;

    /// <summary>How long a partly filled bulk request waits for documents of concurrent writes; zero sends at once.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(5);

    /// <summary>First wait after a 429, a 5xx or a failed connection; doubled on each retry up to <see cref="MaxBackoff"/>, with jitter.</summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Timeout of one HTTP request; a request that times out is retried like a 5xx.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gzip request bodies (bulk NDJSON compresses about tenfold); off trades network for CPU on a fast local link.</summary>
    public bool CompressRequests { get; set; } = true;

    /// <summary>Install (or update) the index templates and the ILM policy at start; off where the cluster is managed elsewhere.</summary>
    public bool InstallTemplates { get; set; } = true;

    /// <summary>ILM: roll the backing index over after this age.</summary>
    public TimeSpan RolloverMaxAge { get; set; } = TimeSpan.FromDays(1);

    /// <summary>ILM: delete backing indices this long after rollover.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(30);
}

/// <summary>Rejects <see cref="ElasticsearchSinkOptions"/> at start-up with messages naming the configuration key.</summary>
public sealed class ElasticsearchSinkOptionsValidator : IValidateOptions<ElasticsearchSinkOptions>
{
    public ValidateOptionsResult Validate(string? name, ElasticsearchSinkOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        const string S = ElasticsearchSinkOptions.SectionName;
        var failures = new List<string>();
        if (!Uri.TryCreate(options.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            failures.Add($"{S}:Url must be an http:// or https:// URL (was '{options.Url}')");
        }

        if (!string.IsNullOrEmpty(options.ApiKey) && !string.IsNullOrEmpty(options.Username))
        {
            failures.Add($"{S}:ApiKey and {S}:Username are alternatives; set one");
        }

        if (string.IsNullOrEmpty(options.Username) != string.IsNullOrEmpty(options.Password))
        {
            failures.Add($"{S}:Username and {S}:Password go together");
        }

        if (!string.IsNullOrEmpty(options.CertificateAuthorityPath) && !File.Exists(options.CertificateAuthorityPath))
        {
            failures.Add($"{S}:CertificateAuthorityPath '{options.CertificateAuthorityPath}' does not exist");
        }

        if (DataStreams.Sanitise(options.DefaultNamespace) != options.DefaultNamespace)
        {
            failures.Add($"{S}:DefaultNamespace '{options.DefaultNamespace}' is not a valid data-stream namespace (lower case, no spaces or \\/*?\"<>|,#:-, at most 100 characters)");
        }

        if (options.MaxBatchDocuments is < 1 or > 100_000)
        {
            failures.Add($"{S}:MaxBatchDocuments must be between 1 and 100000 (was {options.MaxBatchDocuments})");
        }

        if (options.MaxBatchBytes is < 1024 or > 100L * 1024 * 1024)
        {
            failures.Add($"{S}:MaxBatchBytes must be between 1024 and 104857600 (was {options.MaxBatchBytes})");
        }

        if (options.MaxConcurrentRequests is < 1 or > 64)
        {
            failures.Add($"{S}:MaxConcurrentRequests must be between 1 and 64 (was {options.MaxConcurrentRequests})");
        }

        if (options.FlushInterval < TimeSpan.Zero || options.FlushInterval > TimeSpan.FromMinutes(1))
        {
            failures.Add($"{S}:FlushInterval must be between 0 and 1 minute (was {options.FlushInterval})");
        }

        if (options.InitialBackoff <= TimeSpan.Zero || options.MaxBackoff < options.InitialBackoff)
        {
            failures.Add($"{S}:InitialBackoff must be > 0 and {S}:MaxBackoff at least as long (were {options.InitialBackoff}, {options.MaxBackoff})");
        }

        if (options.RequestTimeout <= TimeSpan.Zero)
        {
            failures.Add($"{S}:RequestTimeout must be > 0 (was {options.RequestTimeout})");
        }

        if (options.RolloverMaxAge <= TimeSpan.Zero || options.Retention <= TimeSpan.Zero)
        {
            failures.Add($"{S}:RolloverMaxAge and {S}:Retention must be > 0 (were {options.RolloverMaxAge}, {options.Retention})");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
