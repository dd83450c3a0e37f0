using System.Globalization;
using NetSecStream.Sinks.Hec;
using NetSecStream.Sinks.Syslog;
using NetSecStream.Sinks.Webhook;

namespace NetSecStream.Cli.Configuration;

/// <summary>
/// The SIEM sink URIs: <c>syslog+udp|tcp|tls://host:port?format=cef|leef&amp;rfc=5424|3164&amp;framing=octet|lf&amp;ca=...</c>,
/// <c>hec+https|http://host:8088?token=...&amp;index=...</c> and <c>webhook+https|http://host/path?secret=...&amp;mode=array|object|slack</c>.
/// Query values override the component's configuration section; anything else comes from the section.
/// </summary>
internal static class SiemSinkUris
{
    public static readonly string[] Schemes = ["syslog+udp", "syslog+tcp", "syslog+tls", "hec+https", "hec+http", "webhook+https", "webhook+http"];

    private static readonly string[] SyslogKeys = ["format", "rfc", "framing", "ca", "cert", "key", "servername", "facility", "appname"];
    private static readonly string[] HecKeys = ["token", "index", "source", "sourcetype", "gzip", "ca"];
    private static readonly string[] WebhookKeys = ["secret", "mode", "ca"];

    /// <summary>Query parameters a scheme takes besides <c>format</c> (the sink URI registry checks them).</summary>
    public static IReadOnlyList<string> KeysOf(string scheme) => scheme.StartsWith("syslog", StringComparison.Ordinal)
        ? [.. SyslogKeys.Where(k => k != "format")]
        : scheme.StartsWith("hec", StringComparison.Ordinal) ? HecKeys : WebhookKeys;

    /// <summary>What <c>?format=</c> may be: cef or leef for syslog; hec and webhook take none.</summary>
    public static IReadOnlyList<string> FormatsOf(string scheme) => scheme.StartsWith("syslog", StringComparison.Ordinal) ? ["cef", "leef"] : [];

    /// <summary>A URI of the scheme, for help and error messages.</summary>
    public static string Example(string scheme) => scheme switch
    {
        "syslog+udp" => "syslog+udp://siem:514?format=cef",
        "syslog+tcp" => "syslog+tcp://siem:601?format=cef&framing=octet",
        "syslog+tls" => "syslog+tls://siem:6514?format=cef&ca=/etc/netsec/ca.pem",
        "hec+https" => "hec+https://splunk:8088?token=TOKEN",
        "hec+http" => "hec+http://splunk:8088?token=TOKEN",
        "webhook+https" => "webhook+https://hooks.example.org/netsec?secret=SECRET",
        _ => "webhook+http://soar.internal/netsec?secret=SECRET",
    };

    public static bool IsSiem(string scheme) => Schemes.Contains(scheme, StringComparer.OrdinalIgnoreCase);

    /// <summary>Checks the URI by applying it to default options; the error names the URI and the bad parameter.</summary>
    public static string? Validate(Uri uri)
    {
        try
        {
            switch (Family(uri))
            {
                case "syslog":
                    ApplySyslog(uri, new SyslogSinkOptions());
                    break;
                case "hec":
                    // The token may come from Sinks:Hec:Token (or NETSEC__Sinks__Hec__Token); the sink's validator checks it.
                    ApplyHec(uri, new HecSinkOptions());
                    break;
                default:
                    ApplyWebhook(uri, new WebhookSinkOptions());
                    break;
            }

            return null;
        }
        catch (FormatException ex)
        {
            return ex.Message;
        }
    }

    public static string Family(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        return uri.Scheme[..uri.Scheme.IndexOf('+', StringComparison.Ordinal)].ToLowerInvariant();
    }

    public static void ApplySyslog(Uri uri, SyslogSinkOptions options)
    {
        ArgumentNullException.ThrowIfNull(uri);
        ArgumentNullException.ThrowIfNull(options);
        var query = Query(uri, SyslogKeys);
        options.Host = uri.Host;
        options.Port = uri.Port > 0 ? uri.Port : 0;
        options.Transport = uri.Scheme.ToLowerInvariant() switch
        {
            "syslog+tcp" => SyslogTransport.Tcp,
            "syslog+tls" => SyslogTransport.Tls,
            _ => SyslogTransport.Udp,
        };
        foreach (var (key, value) in query)
        {
            switch (key)
            {
                case "format":
                    options.Format = value.ToLowerInvariant() switch
                    {
                        "cef" => SyslogPayloadFormat.Cef,
                        "leef" => SyslogPayloadFormat.Leef,
                        _ => throw Bad(uri, key, value, "cef, leef"),
                    };
                    break;
                case "rfc":
                    options.Rfc = value switch
                    {
                        "5424" => SyslogRfc.Rfc5424,
                        "3164" => SyslogRfc.Rfc3164,
                        _ => throw Bad(uri, key, value, "5424, 3164"),
                    };
                    break;
                case "framing":
                    options.Framing = value.ToLowerInvariant() switch
                    {
                        "octet" => SyslogFraming.OctetCounting,
                        "lf" => SyslogFraming.Lf,
                        _ => throw Bad(uri, key, value, "octet, lf"),
                    };
                    break;
                case "ca": options.CaFile = value; break;
                case "cert": options.ClientCertificateFile = value; break;
                case "key": options.ClientKeyFile = value; break;
                case "servername": options.ServerName = value; break;
                case "appname": options.AppName = value; break;
                case "facility":
                    options.Facility = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int facility) && facility <= 23
                        ? facility
                        : throw Bad(uri, key, value, "0-23");
                    break;
            }
        }
    }

    public static void ApplyHec(Uri uri, HecSinkOptions options)
    {
        ArgumentNullException.ThrowIfNull(uri);
        ArgumentNullException.ThrowIfNull(options);
        var query = Query(uri, HecKeys);
        options.Url = HttpUrl(uri, query.Keys);
        foreach (var (key, value) in query)
        {
            switch (key)
            {
                case "token": options.Token = value; break;
                case "index": options.Index = value; break;
                case "source": options.Source = value; break;
                case "sourcetype": options.SourceType = value; break;
                case "ca": options.CaFile = value; break;
                case "gzip":
                    options.Gzip = bool.TryParse(value, out bool gzip) ? gzip : throw Bad(uri, key, value, "true, false");
                    break;
            }
        }
    }

    public static void ApplyWebhook(Uri uri, WebhookSinkOptions options)
    {
        ArgumentNullException.ThrowIfNull(uri);
        ArgumentNullException.ThrowIfNull(options);
        var query = Query(uri, WebhookKeys);
        options.Url = HttpUrl(uri, query.Keys);
        foreach (var (key, value) in query)
        {
            switch (key)
            {
                case "secret": options.Secret = value; break;
                case "ca": options.CaFile = value; break;
                case "mode":
                    options.Mode = value.ToLowerInvariant() switch
                    {
                        "array" => WebhookBodyMode.Array,
                        "object" or "peralert" => WebhookBodyMode.PerAlert,
                        "slack" or "text" => WebhookBodyMode.Slack,
                        _ => throw Bad(uri, key, value, "array, object, slack"),
                    };
                    break;
            }
        }
    }

    /// <summary>The URI with its secrets replaced, for messages.</summary>
    public static string Redacted(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        var parts = uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.StartsWith("token=", StringComparison.OrdinalIgnoreCase) || p.StartsWith("secret=", StringComparison.OrdinalIgnoreCase)
                ? p[..(p.IndexOf('=', StringComparison.Ordinal) + 1)] + "***"
                : p);
        string query = string.Join('&', parts);
        return uri.GetLeftPart(UriPartial.Path) + (query.Length > 0 ? "?" + query : "");
    }

    /// <summary>http(s)://host:port/path with the parameters this sink takes removed from the query (the rest stay).</summary>
    private static string HttpUrl(Uri uri, IEnumerable<string> ownKeys)
    {
        string scheme = uri.Scheme[(uri.Scheme.IndexOf('+', StringComparison.Ordinal) + 1)..].ToLowerInvariant();
        var own = ownKeys.ToHashSet(StringComparer.OrdinalIgnoreCase);
        var rest = uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Where(p => !own.Contains(Uri.UnescapeDataString(p.Split('=', 2)[0])));
        var builder = new UriBuilder(uri) { Scheme = scheme, Query = string.Join('&', rest) };
        if (uri.IsDefaultPort || uri.Port < 0)
        {
            builder.Port = -1;
        }

        return builder.Uri.ToString();
    }

    private static Dictionary<string, string> Query(Uri uri, string[] known)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] kv = pair.Split('=', 2);
            string key = Uri.UnescapeDataString(kv[0]).ToLowerInvariant();
            string value = kv.Length > 1 ? Uri.UnescapeDataString(kv[1]) : "";
            if (known.Contains(key))
            {
                result[key] = value;
            }
            else if (!uri.Scheme.StartsWith("webhook", StringComparison.OrdinalIgnoreCase))
            {
                // A webhook URL may carry the receiver's own parameters; the others take only theirs.
                throw new FormatException($"sink parameter '{key}' in '{Redacted(uri)}' is not supported (supported: {string.Join(", ", known)})");
            }
        }

        return result;
    }

    private static FormatException Bad(Uri uri, string key, string value, string allowed) =>
        new($"sink parameter {key}='{value}' in '{Redacted(uri)}' is not supported (supported: {allowed})");
}
