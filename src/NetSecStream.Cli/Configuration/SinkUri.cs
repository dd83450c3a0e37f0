using NetSecStream.Cli.Hosting;

namespace NetSecStream.Cli.Configuration;

/// <summary>A sink given as a URI on the command line (<c>--sink</c>) or in <c>Sinks:Uris</c>, checked by its scheme's registration.</summary>
/// <param name="Scheme">Lower-case scheme, as registered in <see cref="SinkSchemes"/>: <c>file</c>, <c>kafka</c>, ...</param>
/// <param name="Uri">The URI as given.</param>
/// <param name="Format">What is written where the scheme has formats (<c>file</c>: <c>ecs</c>, default, or <c>eve</c> with <c>?format=eve</c>).</param>
public sealed record SinkUri(string Scheme, Uri Uri, string Format = SinkUri.EcsFormat)
{
    public const string EcsFormat = "ecs";
    public const string EveFormat = "eve";

    /// <summary>Schemes with a registration, in registration order.</summary>
    public static IReadOnlyList<string> SupportedSchemes => [.. SinkSchemes.All.Select(s => s.Name)];

    public static readonly string[] SupportedFileFormats = [EcsFormat, EveFormat];

    /// <summary>Query parameters other than <c>format</c>, lower-case keys, unescaped values.</summary>
    public IReadOnlyDictionary<string, string> Query { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The registration of <see cref="Scheme"/>.</summary>
    public SinkScheme Registration => SinkSchemes.Find(Scheme) ?? throw new InvalidOperationException($"sink scheme '{Scheme}' is not registered");

    /// <summary>The query parameter <paramref name="key"/>, or <paramref name="fallback"/>.</summary>
    public string? Get(string key, string? fallback = null) => Query.TryGetValue(key, out string? value) ? value : fallback;

    /// <summary>
    /// Parses and checks <paramref name="text"/>: an absolute URI, a registered scheme, only the query parameters the
    /// scheme declares, then the scheme's own checks. The error names the URI and the part that is wrong.
    /// </summary>
    public static bool TryParse(string text, out SinkUri? sink, out string? error)
    {
        sink = null;
        error = null;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri))
        {
            error = $"'{text}' is not a URI (expected e.g. {string.Join(" or ", SinkSchemes.All.Take(2).Select(s => s.Example))})";
            return false;
        }

        var scheme = SinkSchemes.Find(uri.Scheme);
        if (scheme is null)
        {
            error = $"sink scheme '{uri.Scheme}' in '{text}' is not supported (supported: {string.Join(", ", SupportedSchemes)})";
            return false;
        }

        string format = EcsFormat;
        var query = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            int equals = pair.IndexOf('=', StringComparison.Ordinal);
            string key = Uri.UnescapeDataString(equals < 0 ? pair : pair[..equals]).ToLowerInvariant();
            string value = equals < 0 ? "" : Uri.UnescapeDataString(pair[(equals + 1)..]);
            if (key == "format")
            {
                if (!scheme.Formats.Contains(value, StringComparer.OrdinalIgnoreCase))
                {
                    error = scheme.Formats.Count == 0
                        ? $"sink format '{value}' in '{text}' is not supported ({scheme.Name} sinks take no format)"
                        : $"sink format '{value}' in '{text}' is not supported ({scheme.Name} sinks support: {string.Join(", ", scheme.Formats)})";
                    return false;
                }

                format = value.ToLowerInvariant();
            }
            else if (!scheme.QueryKeys.Contains(key, StringComparer.Ordinal))
            {
                error = $"query parameter '{key}' in '{text}' is not known to {scheme.Name} sinks"
                    + (scheme.QueryKeys.Count == 0 ? " (they take none)" : $" (known: {string.Join(", ", scheme.QueryKeys)})");
                return false;
            }
            else
            {
                query[key] = value;
            }
        }

        var parsed = new SinkUri(scheme.Name, uri, format) { Query = query };
        if (scheme.Validate(parsed) is { } problem)
        {
            error = $"'{text}' {problem}";
            return false;
        }

        sink = parsed;
        return true;
    }

    /// <summary>As <see cref="TryParse"/>, throwing a configuration error naming the URI.</summary>
    public static SinkUri Parse(string text) =>
        TryParse(text, out var sink, out string? error) ? sink! : throw new ConfigurationErrorException([error!]);
}
