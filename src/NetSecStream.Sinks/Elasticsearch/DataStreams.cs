using System.Security.Cryptography;
using System.Text;

namespace NetSecStream.Sinks.Elasticsearch;

/// <summary>Data-stream names (<c>logs-netsec.alert-&lt;namespace&gt;</c>) and deterministic document ids.</summary>
public static class DataStreams
{
    public const string AlertPrefix = "logs-netsec.alert-";
    public const string FlowPrefix = "logs-netsec.flow-";
    public const string AlertTemplate = "logs-netsec.alert";
    public const string FlowTemplate = "logs-netsec.flow";
    public const string IlmPolicy = "logs-netsec";

    private const int MaxNamespaceBytes = 100;
    private const int MaxIdBytes = 512;

    /// <summary>
    /// A Kubernetes namespace as a data-stream namespace: lower case, the characters Elasticsearch forbids in index
    /// names (and '-', which separates the parts of a data-stream name) as '_', leading '_' and '+' dropped, at most
    /// 100 characters. Returns "" when nothing is left.
    /// </summary>
    public static string Sanitise(string? ns)
    {
        if (string.IsNullOrEmpty(ns))
        {
            return "";
        }

        var builder = new StringBuilder(Math.Min(ns.Length, MaxNamespaceBytes));
        foreach (char c in ns)
        {
            if (builder.Length == MaxNamespaceBytes)
            {
                break;
            }

            char lower = char.ToLowerInvariant(c);
            bool forbidden = lower is '\\' or '/' or '*' or '?' or '"' or '<' or '>' or '|' or ',' or '#' or ':' or ' ' or '-' || lower > 127 || char.IsControl(lower);
            if (builder.Length == 0 && (forbidden || lower is '_' or '+' or '.'))
            {
                continue;
            }

            builder.Append(forbidden ? '_' : lower);
        }

        return builder.ToString();
    }

    public static string AlertStream(string? ns, string fallback) => AlertPrefix + (Sanitise(ns) is { Length: > 0 } s ? s : fallback);

    public static string FlowStream(string? ns, string fallback) => FlowPrefix + (Sanitise(ns) is { Length: > 0 } s ? s : fallback);

    /// <summary>The alert's id as the document's <c>_id</c>; ids Elasticsearch would refuse (over 512 bytes) are hashed.</summary>
    public static string AlertDocumentId(string alertId) =>
        Encoding.UTF8.GetByteCount(alertId) is > 0 and <= MaxIdBytes ? alertId : HashId(Encoding.UTF8.GetBytes(alertId));

    /// <summary>A flow has no id of its own: the hash of its document, so the same flow sent twice is one document.</summary>
    public static string ContentDocumentId(ReadOnlySpan<byte> document) => HashId(document);

    private static string HashId(ReadOnlySpan<byte> bytes)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(bytes, hash);
        return Convert.ToBase64String(hash[..18]).Replace('+', '-').Replace('/', '_');
    }
}
