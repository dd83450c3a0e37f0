using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace NetSecStream.Sinks.Elasticsearch;

/// <summary>
/// The index templates (one per data stream family) and the ILM policy the sink installs. Each body carries
/// <c>_meta.netsec_hash</c>, the hash of the body itself: start-up compares it with what the cluster holds and PUTs only
/// when it is missing or different, so a restart of many replicas changes nothing.
/// </summary>
public static class ElasticsearchTemplates
{
    public const string HashKey = "netsec_hash";

    /// <summary>Name and body of the ILM policy (<c>_ilm/policy/&lt;name&gt;</c>).</summary>
    public static (string Name, string Body) IlmPolicy(ElasticsearchSinkOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var policy = new JsonObject
        {
            ["policy"] = new JsonObject
            {
                ["phases"] = new JsonObject
                {
                    ["hot"] = new JsonObject
                    {
                        ["actions"] = new JsonObject
                        {
                            ["rollover"] = new JsonObject { ["max_age"] = Duration(options.RolloverMaxAge), ["max_primary_shard_size"] = "50gb" },
                        },
                    },
                    ["delete"] = new JsonObject
                    {
                        ["min_age"] = Duration(options.Retention),
                        ["actions"] = new JsonObject { ["delete"] = new JsonObject() },
                    },
                },
            },
        };
        return (DataStreams.IlmPolicy, WithHash(policy, (JsonObject)policy["policy"]!));
    }

    /// <summary>Name and body of the alert and flow index templates (<c>_index_template/&lt;name&gt;</c>).</summary>
    public static IReadOnlyList<(string Name, string Body)> IndexTemplates() =>
    [
        (DataStreams.AlertTemplate, IndexTemplate(DataStreams.AlertPrefix + "*", "netsec.alert")),
        (DataStreams.FlowTemplate, IndexTemplate(DataStreams.FlowPrefix + "*", "netsec.flow")),
    ];

    /// <summary>The <c>_meta.netsec_hash</c> of a body as written, or null.</summary>
    public static string? HashOf(JsonNode? metaOwner) => metaOwner?["_meta"]?[HashKey]?.GetValue<string>();

    /// <summary>The hash a body was installed with (read from the body we would send).</summary>
    public static string HashOfBody(string body, bool ilm)
    {
        var node = JsonNode.Parse(body)!;
        return HashOf(ilm ? node["policy"] : node)!;
    }

    private static string IndexTemplate(string pattern, string dataset)
    {
        var template = new JsonObject
        {
            ["index_patterns"] = new JsonArray(pattern),
            ["data_stream"] = new JsonObject(),
            // Above the built-in logs-*-* template (priority 100), whose mappings we repeat where we need them.
            ["priority"] = 200,
            ["template"] = new JsonObject
            {
                ["settings"] = new JsonObject
                {
                    ["index.lifecycle.name"] = DataStreams.IlmPolicy,
                    ["index.codec"] = "best_compression",
                },
                ["mappings"] = Mappings(dataset),
            },
        };
        return WithHash(template, template);
    }

    private static JsonObject Mappings(string dataset)
    {
        static JsonObject T(string type) => new() { ["type"] = type };
        static JsonObject P(params (string Name, JsonNode Node)[] fields)
        {
            var properties = new JsonObject();
            foreach (var (name, node) in fields)
            {
                properties[name] = node;
            }

            return new JsonObject { ["properties"] = properties };
        }

        JsonObject Endpoint() => P(("ip", T("ip")), ("port", T("long")), ("domain", T("keyword")));
        JsonObject NetSecEndpoint() => P(("namespace", T("keyword")), ("pod", T("keyword")), ("workload", T("keyword")), ("identity", T("long")),
            ("reserved_entity", T("keyword")), ("dns_names", T("keyword")), ("labels", T("flattened")));
        var mappings = P(
            ("@timestamp", T("date_nanos")),
            ("data_stream", P(("type", new JsonObject { ["type"] = "constant_keyword", ["value"] = "logs" }),
                ("dataset", new JsonObject { ["type"] = "constant_keyword", ["value"] = dataset }), ("namespace", T("constant_keyword")))),
            ("ecs", P(("version", T("keyword")))),
            ("event", P(("kind", T("keyword")), ("category", T("keyword")), ("type", T("keyword")), ("action", T("keyword")), ("dataset", T("keyword")),
                ("module", T("keyword")), ("id", T("keyword")), ("severity", T("long")), ("risk_score", T("float")), ("start", T("date_nanos")))),
            ("rule", P(("id", T("keyword")), ("name", T("keyword")), ("category", T("keyword")), ("ruleset", T("keyword")), ("version", T("keyword")))),
            ("source", Endpoint()),
            ("destination", Endpoint()),
            ("network", P(("transport", T("keyword")), ("iana_number", T("keyword")), ("type", T("keyword")), ("protocol", T("keyword")),
                ("direction", T("keyword")), ("community_id", T("keyword")), ("bytes", T("long")), ("packets", T("long")))),
            ("orchestrator", P(("type", T("keyword")), ("namespace", T("keyword")), ("resource", P(("type", T("keyword")), ("name", T("keyword")))),
                ("cluster", P(("name", T("keyword")))))),
            ("kubernetes", P(("namespace", T("keyword")), ("pod", P(("name", T("keyword")))), ("labels", new JsonObject { ["type"] = "object", ["dynamic"] = true }))),
            ("observer", P(("type", T("keyword")), ("hostname", T("keyword")))),
            ("dns", P(("type", T("keyword")), ("question", P(("name", T("keyword")), ("type", T("keyword")))), ("response_code", T("keyword")),
                ("op_code", T("keyword")), ("resolved_ip", T("ip")))),
            ("http", P(("version", T("keyword")), ("request", P(("method", T("keyword")))), ("response", P(("status_code", T("long")))))),
            ("url", P(("domain", T("keyword")), ("path", T("wildcard")), ("query", T("keyword")), ("original", T("wildcard")), ("full", T("wildcard")))),
            ("user_agent", P(("original", T("keyword")))),
            ("tls", P(("version", T("keyword")), ("version_protocol", T("keyword")), ("next_protocol", T("keyword")),
                ("client", P(("server_name", T("keyword")), ("ja3", T("keyword")))))),
            ("netsec", P(
                ("schema_version", T("keyword")), ("collector", T("keyword")), ("verdict", T("keyword")), ("is_reply", T("boolean")),
                ("tcp_flags", T("keyword")), ("summary", T("text")), ("event_kind", T("keyword")), ("detector", T("keyword")), ("mode", T("keyword")),
                ("explanation", T("text")), ("dedupe_key", T("keyword")), ("dedupe_count", T("long")),
                ("source", NetSecEndpoint()), ("destination", NetSecEndpoint()),
                // Raw bytes (payload prefixes, certificates, binary bodies) are kept in _source but not indexed.
                ("payload", new JsonObject { ["type"] = "object", ["enabled"] = false }),
                ("tls", new JsonObject { ["type"] = "object", ["enabled"] = false }),
                ("http", new JsonObject { ["type"] = "object", ["enabled"] = false }))));
        return mappings;
    }

    private static string Duration(TimeSpan span) =>
        span.TotalSeconds % 86400 == 0 ? ((long)span.TotalDays).ToString(CultureInfo.InvariantCulture) + "d"
        : span.TotalSeconds % 3600 == 0 ? ((long)span.TotalHours).ToString(CultureInfo.InvariantCulture) + "h"
        : ((long)Math.Max(1, span.TotalSeconds)).ToString(CultureInfo.InvariantCulture) + "s";

    private static string WithHash(JsonObject body, JsonObject metaOwner)
    {
        string content = body.ToJsonString();
        string hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(content)).AsSpan(0, 12)).ToLowerInvariant();
        metaOwner["_meta"] = new JsonObject { [HashKey] = hash, ["managed_by"] = "netsec" };
        return body.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
    }
}
