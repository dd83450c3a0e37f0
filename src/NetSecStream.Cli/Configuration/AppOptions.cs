using Microsoft.Extensions.Options;

namespace NetSecStream.Cli.Configuration;

/// <summary>Section <c>Storage</c>: where the embedded default keeps alerts, dead letters and state.</summary>
public sealed class StorageOptions
{
    public const string Section = "Storage";

    public string DataDirectory { get; set; } = "netsec-data";
}

/// <summary>Section <c>Cluster</c>: the name put on every event and metric.</summary>
public sealed class ClusterOptions
{
    public const string Section = "Cluster";

    public string Name { get; set; } = "default";
}

/// <summary>Section <c>Metrics</c>: the Prometheus and health endpoint.</summary>
public sealed class MetricsOptions
{
    public const string Section = "Metrics";

    public bool Enabled { get; set; } = true;

    /// <summary>Address the endpoint listens on; serves <c>/metrics</c>, <c>/healthz</c> and <c>/readyz</c>.</summary>
    public string Listen { get; set; } = "http://127.0.0.1:9464";
}

/// <summary>Section <c>Sources:Demo</c>: the synthetic traffic <c>netsec run</c> streams when no live source is set.</summary>
public sealed class DemoSourceOptions
{
    public const string Section = "Sources:Demo";

    public string Scenario { get; set; } = "demo";

    public int Seed { get; set; } = 1;

    /// <summary>A modest rate so the demo runs on a laptop; the benchmark shows the real capacity.</summary>
    public double EventsPerSecond { get; set; } = 500;
}

/// <summary>Section <c>Sinks</c>: sinks given as URIs (<c>file:///var/lib/netsec/alerts</c>).</summary>
public sealed class SinksOptions
{
    public const string Section = "Sinks";

    public List<string> Uris { get; set; } = [];
}

public sealed class AppOptionsValidator :
    IValidateOptions<StorageOptions>, IValidateOptions<MetricsOptions>, IValidateOptions<DemoSourceOptions>,
    IValidateOptions<SinksOptions>, IValidateOptions<ClusterOptions>
{
    public ValidateOptionsResult Validate(string? name, StorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return string.IsNullOrWhiteSpace(options.DataDirectory)
            ? ValidateOptionsResult.Fail($"{StorageOptions.Section}:DataDirectory must not be empty.")
            : ValidateOptionsResult.Success;
    }

    public ValidateOptionsResult Validate(string? name, MetricsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Enabled && (!Uri.TryCreate(options.Listen, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            ? ValidateOptionsResult.Fail($"{MetricsOptions.Section}:Listen '{options.Listen}' must be an http:// or https:// address such as http://127.0.0.1:9464.")
            : ValidateOptionsResult.Success;
    }

    public ValidateOptionsResult Validate(string? name, DemoSourceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.EventsPerSecond is <= 0 or > 10_000_000 || double.IsNaN(options.EventsPerSecond))
        {
            failures.Add($"{DemoSourceOptions.Section}:EventsPerSecond must be between 0 and 10000000 (got {options.EventsPerSecond}).");
        }

        if (!Collectors.Generator.TrafficGenerator.Scenarios.Contains(options.Scenario))
        {
            failures.Add($"{DemoSourceOptions.Section}:Scenario '{options.Scenario}' is unknown (known: {string.Join(", ", Collectors.Generator.TrafficGenerator.Scenarios)}).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    public ValidateOptionsResult Validate(string? name, SinksOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        for (int i = 0; i < options.Uris.Count; i++)
        {
            if (!SinkUri.TryParse(options.Uris[i], out _, out string? error))
            {
                failures.Add($"{SinksOptions.Section}:Uris:{i}: {error}");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    public ValidateOptionsResult Validate(string? name, ClusterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return string.IsNullOrWhiteSpace(options.Name)
            ? ValidateOptionsResult.Fail($"{ClusterOptions.Section}:Name must not be empty.")
            : ValidateOptionsResult.Success;
    }
}

/// <summary>A sink given as a URI on the command line or in <c>Sinks:Uris</c>.</summary>
/// <param name="Scheme">Lower-case scheme: <c>file</c>, <c>kafka</c>, <c>elasticsearch+http</c> or <c>elasticsearch+https</c>.</param>
/// <param name="Uri">The URI as given.</param>
/// <param name="Format">For <c>file</c> URIs, what is written: <c>ecs</c> (default) or <c>eve</c> (<c>?format=eve</c>).</param>
public sealed record SinkUri(string Scheme, Uri Uri, string Format = SinkUri.EcsFormat)
{
    public const string EcsFormat = "ecs";
    public const string EveFormat = "eve";
    public const string ElasticsearchHttp = "elasticsearch+http";
    public const string ElasticsearchHttps = "elasticsearch+https";

    public static readonly string[] SupportedSchemes = ["file", "kafka", ElasticsearchHttp, ElasticsearchHttps];

    public static readonly string[] SupportedFileFormats = [EcsFormat, EveFormat];

    public static bool TryParse(string text, out SinkUri? sink, out string? error)
    {
        sink = null;
        error = null;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri))
        {
            error = $"'{text}' is not a URI (expected e.g. file:///var/lib/netsec/alerts or kafka://broker:9092/netsec.alerts)";
            return false;
        }

        if (!SupportedSchemes.Contains(uri.Scheme, StringComparer.OrdinalIgnoreCase))
        {
            error = $"sink scheme '{uri.Scheme}' in '{text}' is not supported (supported: {string.Join(", ", SupportedSchemes)})";
            return false;
        }

        if (uri.Scheme == "file" && (!uri.IsFile || string.IsNullOrEmpty(uri.LocalPath) || uri.LocalPath == "/" && text.Length <= "file:///".Length))
        {
            error = $"'{text}' names no directory (expected file:///path/to/dir)";
            return false;
        }

        string format = EcsFormat;
        if (QueryValue(uri, "format") is { } requested)
        {
            if (uri.Scheme != "file" || !SupportedFileFormats.Contains(requested, StringComparer.OrdinalIgnoreCase))
            {
                error = $"sink format '{requested}' in '{text}' is not supported (file sinks support: {string.Join(", ", SupportedFileFormats)})";
                return false;
            }

            format = requested.ToLowerInvariant();
        }

        sink = new SinkUri(uri.Scheme.ToLowerInvariant(), uri, format);
        return true;
    }

    /// <summary>The value of query parameter <paramref name="name"/> (unescaped), or null.</summary>
    public static string? Query(Uri uri, string name) => QueryValue(uri, name);

    private static string? QueryValue(Uri uri, string name)
    {
        foreach (string pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            int equals = pair.IndexOf('=', StringComparison.Ordinal);
            string key = Uri.UnescapeDataString(equals < 0 ? pair : pair[..equals]);
            if (key.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return equals < 0 ? "" : Uri.UnescapeDataString(pair[(equals + 1)..]);
            }
        }

        return null;
    }
}
