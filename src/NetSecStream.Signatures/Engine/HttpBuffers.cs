using System.Globalization;
using System.Text;
using NetSecStream.Core.Events;

namespace NetSecStream.Signatures.Engine;

/// <summary>
/// The HTTP sticky buffers derived from <see cref="HttpFacts"/>, shaped as Suricata fills them. The facts hold one
/// side's headers (the request's, or the response's for a response-only event) as trimmed name/value pairs, so the
/// "raw" buffers (http.header.raw, http.start) are rebuilt as <c>Name: value\r\n</c> lines: the original spacing
/// around the colon and folded lines are not kept. Buffers the facts cannot give (response line, status message,
/// bodies) are null here.
/// </summary>
internal static class HttpBuffers
{
    public static string? Extract(HttpFacts? http, string buffer)
    {
        if (http is null)
        {
            return null;
        }

        IReadOnlyList<KeyValuePair<string, string>> headers = http.Headers ?? [];
        return buffer switch
        {
            "http.uri" or "http.uri.raw" => http.Uri,
            "http.method" => http.Method,
            "http.user_agent" => http.UserAgent ?? Value(headers, "User-Agent"),
            "http.stat_code" => http.StatusCode?.ToString(CultureInfo.InvariantCulture),
            "http.protocol" => http.Protocol,
            "http.host" => NormalizedHost(http.Host ?? Value(headers, "Host")),
            "http.host.raw" => Value(headers, "Host") ?? http.Host,
            // Suricata keeps cookies out of the normalized header buffer (http.cookie has them).
            "http.header" => HeaderLines(headers, skipCookies: true, finalBlankLine: false),
            "http.header.raw" => HeaderLines(headers, skipCookies: false, finalBlankLine: true),
            "http.header_names" => HeaderNames(headers),
            "http.cookie" => http.IsResponse ? Value(headers, "Set-Cookie") : Value(headers, "Cookie"),
            "http.content_type" => Value(headers, "Content-Type"),
            "http.content_len" => Value(headers, "Content-Length"),
            "http.referer" => http.IsResponse ? null : Value(headers, "Referer"),
            "http.accept" => http.IsResponse ? null : Value(headers, "Accept"),
            "http.accept_enc" => http.IsResponse ? null : Value(headers, "Accept-Encoding"),
            "http.accept_lang" => http.IsResponse ? null : Value(headers, "Accept-Language"),
            "http.connection" => Value(headers, "Connection"),
            "http.request_line" => RequestLine(http),
            "http.start" => RequestLine(http) is { } line ? line + "\r\n" + HeaderLines(headers, skipCookies: false, finalBlankLine: true) : null,
            _ => null,
        };
    }

    /// <summary>The request line <c>METHOD target PROTOCOL</c> (no CRLF); null for response-only facts.</summary>
    private static string? RequestLine(HttpFacts http)
    {
        if (http.IsResponse || http.Method is null || http.Uri is null)
        {
            return null;
        }

        return http.Protocol is { Length: > 0 } protocol ? $"{http.Method} {http.Uri} {protocol}" : $"{http.Method} {http.Uri}";
    }

    /// <summary>A header's value; repeated headers are joined with ", " as libhtp does. Null when absent.</summary>
    private static string? Value(IReadOnlyList<KeyValuePair<string, string>> headers, string name)
    {
        string? value = null;
        foreach ((string n, string v) in headers)
        {
            if (string.Equals(n, name, StringComparison.OrdinalIgnoreCase))
            {
                value = value is null ? v : value + ", " + v;
            }
        }

        return value;
    }

    internal static string? HeaderLines(IReadOnlyList<KeyValuePair<string, string>> headers, bool skipCookies, bool finalBlankLine)
    {
        var sb = new StringBuilder();
        foreach ((string name, string value) in headers)
        {
            if (skipCookies && (name.Equals("Cookie", StringComparison.OrdinalIgnoreCase) || name.Equals("Set-Cookie", StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }

            sb.Append(name).Append(": ").Append(value).Append("\r\n");
        }

        if (sb.Length == 0)
        {
            return null;
        }

        return finalBlankLine ? sb.Append("\r\n").ToString() : sb.ToString();
    }

    /// <summary>Suricata's header-names buffer: <c>\r\nName1\r\nName2\r\n\r\n</c>.</summary>
    private static string? HeaderNames(IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        if (headers.Count == 0)
        {
            return null;
        }

        var sb = new StringBuilder("\r\n");
        foreach ((string name, _) in headers)
        {
            sb.Append(name).Append("\r\n");
        }

        return sb.Append("\r\n").ToString();
    }

    /// <summary>The normalized host: lower case, without the port (an IPv6 literal keeps its brackets).</summary>
    private static string? NormalizedHost(string? host)
    {
        if (host is null)
        {
            return null;
        }

        string h = host.Trim();
        int colon = h.LastIndexOf(':');
        if (colon > 0 && h.IndexOf(':') == colon && h.AsSpan(colon + 1).IndexOfAnyExceptInRange('0', '9') < 0)
        {
            h = h[..colon];
        }
        else if (h.StartsWith('[') && h.IndexOf("]:", StringComparison.Ordinal) is int end and > 0)
        {
            h = h[..(end + 1)];
        }

        return h.ToLowerInvariant();
    }
}
