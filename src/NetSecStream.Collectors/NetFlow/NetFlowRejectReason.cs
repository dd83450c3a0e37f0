namespace NetSecStream.Collectors.NetFlow;

/// <summary>Why (part of) a datagram was not decoded. Each has a low-cardinality metric name (<see cref="NetFlowRejectReasons"/>).</summary>
public enum NetFlowRejectReason
{
    None = 0,

    /// <summary>Shorter than the version's header.</summary>
    TruncatedHeader,

    /// <summary>Not NetFlow v5, v9 or IPFIX (v10).</summary>
    UnsupportedVersion,

    /// <summary>The header's record count or message length disagrees with the datagram.</summary>
    BadLength,

    /// <summary>A set (flowset) header with a length below 4 or beyond the message.</summary>
    BadSetLength,

    /// <summary>A template or options template that cannot be used (reserved id, no fields, overruns its set, too many fields).</summary>
    BadTemplate,

    /// <summary>A data set whose template has not been received (or was withdrawn) for this exporter and domain.</summary>
    TemplateMissing,

    /// <summary>A data set whose template was not refreshed within the template timeout.</summary>
    TemplateExpired,

    /// <summary>A new template beyond the per-exporter template limit.</summary>
    TemplateLimit,

    /// <summary>A new observation domain beyond the per-exporter domain limit.</summary>
    DomainLimit,

    /// <summary>A record whose variable-length field runs past the end of its set.</summary>
    TruncatedRecord,

    /// <summary>A datagram larger than the configured maximum.</summary>
    Oversized,
}

public static class NetFlowRejectReasons
{
    private static readonly string[] Names =
    [
        "none",
        "truncated_header",
        "unsupported_version",
        "bad_length",
        "bad_set_length",
        "bad_template",
        "template_missing",
        "template_expired",
        "template_limit",
        "domain_limit",
        "truncated_record",
        "oversized",
    ];

    public static int Count => Names.Length;

    /// <summary>The <c>reason</c> tag of <c>netsec_events_rejected</c>.</summary>
    public static string Name(NetFlowRejectReason reason) => (uint)reason < (uint)Names.Length ? Names[(int)reason] : "unknown";
}
