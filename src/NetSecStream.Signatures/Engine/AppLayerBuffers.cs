using System.Globalization;
using System.Text;
using NetSecStream.Core.Events;
using NetSecStream.Signatures.Keywords;
using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Engine;

/// <summary>
/// The application-layer sticky buffers and where each comes from in a <see cref="FlowEvent"/>. A transaction event
/// holds both sides of an exchange (an HTTP request and its response, a TLS client and server hello), so some buffers
/// depend on the side a rule inspects, as in Suricata: <c>http.header</c> and <c>file.data</c> are the request's
/// to_server and the response's to_client; <c>tls.alpn</c>, <c>ssh.proto</c> and <c>ssh.software</c> the client's or
/// the server's. A rule's side is its <c>flow</c> direction, else the side its side-bound buffers (<c>http.uri</c> to_server,
/// <c>http.stat_code</c> to_client ...) imply, else both (tried to_server first, then to_client).
/// Some buffers hold several values (multi-buffers: <c>tls.certs</c>, <c>tls.subjectaltname</c>, <c>tls.alpn</c>); a
/// buffer's options match when one value satisfies all of them.
/// </summary>
internal static class AppLayerBuffers
{
    /// <summary>Buffers of this class (the engine's older ones are filled here too).</summary>
    public static IReadOnlySet<string> Names { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "dns.query", "http.uri", "http.uri.raw", "http.host", "http.method", "http.user_agent", "http.stat_code", "http.header",
        "tls.sni", "ja3.hash",
        "http.request_line", "http.request_body", "http.response_body", "http.response_line", "http.stat_msg", "http.server",
        "http.location", "file.data", "tls.cert_subject", "tls.cert_issuer", "tls.cert_serial", "tls.cert_fingerprint",
        "tls.certs", "tls.subjectaltname", "tls.alpn", "ssh.proto", "ssh.software",
    };

    private static readonly HashSet<string> ToServerOnly = new(StringComparer.Ordinal)
    {
        "http.uri", "http.uri.raw", "http.host", "http.method", "http.user_agent", "http.request_line", "http.request_body",
        "tls.sni", "ja3.hash",
    };

    private static readonly HashSet<string> ToClientOnly = new(StringComparer.Ordinal)
    {
        "http.stat_code", "http.stat_msg", "http.response_line", "http.response_body", "http.server", "http.location",
        "tls.cert_subject", "tls.cert_issuer", "tls.cert_serial", "tls.cert_fingerprint", "tls.certs", "tls.subjectaltname",
    };

    /// <summary>True when the buffer's bytes depend on the side inspected.</summary>
    public static bool IsSided(string buffer) => buffer is "http.header" or "file.data" or "tls.alpn" or "ssh.proto" or "ssh.software";

    /// <summary>true: to_server, false: to_client, null: both.</summary>
    public static bool? SideOf(Rule rule)
    {
        if (rule.Flow?.ToServer is bool direction)
        {
            return direction;
        }

        bool request = false, response = false;
        foreach (BufferMatches b in rule.Buffers)
        {
            request |= ToServerOnly.Contains(b.Buffer);
            response |= ToClientOnly.Contains(b.Buffer);
        }

        return request == response ? null : request;
    }

    /// <summary>The values of a buffer on one side, or null when the event lacks it.</summary>
    public static List<ReadOnlyMemory<byte>>? Extract(FlowEvent f, string buffer, bool toServer)
    {
        HttpFacts? http = f.Http;
        TlsCertificate? leaf = f.Tls?.Certificates is { Count: > 0 } certificates ? certificates[0] : null;
        return buffer switch
        {
            // dns.query inspects requests; in packet inspection an answer is a transaction of its own and has none.
            "dns.query" => One(f.Kind == FlowEventKind.Transaction && f.Dns is { IsResponse: true } ? null : f.Dns?.Query),
            "http.uri" or "http.uri.raw" => One(http?.Uri),
            "http.method" => One(http?.Method),
            "http.user_agent" => One(http?.UserAgent),
            "http.stat_code" => One(http?.StatusCode?.ToString(CultureInfo.InvariantCulture)),
            "http.stat_msg" => One(http?.StatusMessage),
            "http.request_line" => One(http?.RequestLine ?? HttpBuffers.Extract(http, buffer)),
            "http.response_line" => One(http?.ResponseLine),
            // Suricata keeps cookies out of the normalized header buffer (http.cookie has them).
            "http.header" => (toServer ? RequestHeaders(http) : ResponseHeaders(http)) is { } side
                ? One(HttpBuffers.HeaderLines(side, skipCookies: true, finalBlankLine: false)) : null,
            "http.server" => One(Header(ResponseHeaders(http), "Server")),
            "http.location" => One(Header(ResponseHeaders(http), "Location")),
            "http.request_body" => One(http?.RequestBody),
            "http.response_body" => One(http?.ResponseBody),
            "file.data" => One(toServer ? http?.RequestBody : http?.ResponseBody),
            "tls.sni" => One(f.Tls?.Sni),
            "ja3.hash" => One(f.Tls?.Ja3),
            "tls.alpn" => Many(toServer ? f.Tls?.ClientAlpn : f.Tls?.ServerAlpn),
            "tls.cert_subject" => One(leaf?.Subject),
            "tls.cert_issuer" => One(leaf?.Issuer),
            "tls.cert_serial" => One(leaf?.Serial),
            "tls.cert_fingerprint" => One(leaf?.Sha1Fingerprint),
            "tls.subjectaltname" => Many(leaf?.SubjectAltNames),
            "tls.certs" => Ders(f.Tls?.Certificates),
            "ssh.proto" => One(toServer ? f.Ssh?.ClientProto : f.Ssh?.ServerProto),
            "ssh.software" => One(toServer ? f.Ssh?.ClientSoftware : f.Ssh?.ServerSoftware),
            _ when buffer.StartsWith("http.", StringComparison.Ordinal) => One(HttpBuffers.Extract(http, buffer)),
            _ => null,
        };
    }

    private static IReadOnlyList<KeyValuePair<string, string>>? RequestHeaders(HttpFacts? http) => http is { IsResponse: false } ? http.Headers : null;

    private static IReadOnlyList<KeyValuePair<string, string>>? ResponseHeaders(HttpFacts? http) =>
        http?.ResponseHeaders ?? (http is { IsResponse: true } ? http.Headers : null);

    private static List<ReadOnlyMemory<byte>>? One(string? text) => text is null ? null : [Encoding.Latin1.GetBytes(text)];

    private static List<ReadOnlyMemory<byte>>? One(ReadOnlyMemory<byte>? bytes) => bytes is { } b ? [b] : null;

    private static List<ReadOnlyMemory<byte>>? Many(IReadOnlyList<string>? values)
    {
        if (values is null || values.Count == 0)
        {
            return null;
        }

        var list = new List<ReadOnlyMemory<byte>>(values.Count);
        foreach (string value in values)
        {
            list.Add(Encoding.Latin1.GetBytes(value));
        }

        return list;
    }

    private static List<ReadOnlyMemory<byte>>? Ders(IReadOnlyList<TlsCertificate>? certificates)
    {
        if (certificates is null || certificates.Count == 0)
        {
            return null;
        }

        var list = new List<ReadOnlyMemory<byte>>(certificates.Count);
        foreach (TlsCertificate certificate in certificates)
        {
            list.Add(certificate.Der);
        }

        return list;
    }

    private static string? Header(IReadOnlyList<KeyValuePair<string, string>>? headers, string name)
    {
        if (headers is null)
        {
            return null;
        }

        foreach ((string key, string value) in headers)
        {
            if (key.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }

        return null;
    }

}

/// <summary>
/// Value keywords of application-layer facts that the engine checks on transactions: <c>dns.opcode:[!]N</c> and
/// <c>tls.version:1.2</c> (the negotiated version; <c>1.0</c> ... <c>1.3</c>, <c>3.0</c> for SSL 3.0, or a hex code).
/// </summary>
internal static class AppLayerKeywords
{
    /// <summary>The check a kept keyword stands for, or null when the engine cannot evaluate it.</summary>
    public static Func<FlowEvent, bool>? Compile(KeptOption option)
    {
        string value = option.Value?.Trim() ?? "";
        switch (option.Keyword)
        {
            case "dns.opcode":
            {
                bool negated = value.StartsWith('!');
                if (!int.TryParse(negated ? value[1..].Trim() : value, NumberStyles.None, CultureInfo.InvariantCulture, out int opcode) || opcode > 15)
                {
                    return null;
                }

                return f => f.Dns?.Opcode is int actual && (actual == opcode) != negated;
            }

            case "tls.version":
            {
                string? name = value switch
                {
                    "1.0" => "TLS 1.0",
                    "1.1" => "TLS 1.1",
                    "1.2" => "TLS 1.2",
                    "1.3" => "TLS 1.3",
                    "3.0" or "ssl3" or "sslv3" => "SSL 3.0",
                    "0x0300" => "SSL 3.0",
                    "0x0301" => "TLS 1.0",
                    "0x0302" => "TLS 1.1",
                    "0x0303" => "TLS 1.2",
                    "0x0304" => "TLS 1.3",
                    _ => null,
                };
                return name is null ? null : f => string.Equals(f.Tls?.Version, name, StringComparison.Ordinal);
            }

            default:
                return null;
        }
    }
}
