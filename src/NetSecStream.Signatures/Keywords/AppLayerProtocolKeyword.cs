using NetSecStream.Core.Events;
using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Keywords;

/// <summary>
/// A parsed app-layer-protocol option. The flow's protocol is <see cref="FlowEvent.AppProtocol"/>, else inferred from the
/// L7 facts the event carries (HTTP, TLS, DNS). As in Suricata a flow whose protocol is not known matches neither the
/// protocol nor its negation. <c>http</c> covers http1 and http2, <c>ssl</c> and <c>tls</c> are one protocol. The event
/// has one protocol for both directions and no history, so every mode (to_server, original ...) tests that one.
/// </summary>
public sealed class AppLayerProtocolOption : RuleOption, IEventCondition
{
    public required string Protocol { get; init; }

    public bool Negated { get; init; }

    /// <summary>Optional mode: final, original, either, to_server, to_client, direction.</summary>
    public string? Mode { get; init; }

    public bool Matches(FlowEvent flow)
    {
        ArgumentNullException.ThrowIfNull(flow);
        string? seen = flow.AppProtocol is { Length: > 0 } named ? named.ToLowerInvariant()
            : flow.Http is not null ? "http" : flow.Tls is not null ? "tls" : flow.Dns is not null ? "dns" : null;
        if (seen is null)
        {
            return false;
        }

        return Same(Protocol, seen) != Negated;
    }

    private static bool Same(string wanted, string seen)
    {
        string w = Normalize(wanted), s = Normalize(seen);
        return w == s || (w == "http" && s == "http2");
    }

    private static string Normalize(string protocol) => protocol.ToLowerInvariant() switch
    {
        "http1" => "http",
        "ssl" => "tls",
        var other => other,
    };
}

/// <summary><c>app-layer-protocol:[!]http[,mode];</c> the detected application protocol of the flow.</summary>
public sealed class AppLayerProtocolKeyword() : RuleKeyword("app-layer-protocol", "Match on the application protocol detected for the flow.", "app-layer.html#app-layer-protocol")
{
    public override void Parse(RuleBuilder rule, string? value)
    {
        ArgumentNullException.ThrowIfNull(rule);
        string[] p = value!.Split(',', StringSplitOptions.TrimEntries);
        bool negated = p[0].StartsWith('!');
        string proto = negated ? p[0][1..] : p[0];
        if (!RuleProtocols.IsAppLayer(proto) && proto is not ("failed" or "unknown"))
        {
            throw RuleParseException.Invalid($"app-layer-protocol: unknown protocol '{proto}'");
        }

        if (p.Length > 2 || (p.Length == 2 && p[1] is not ("final" or "original" or "either" or "to_server" or "to_client" or "direction")))
        {
            throw RuleParseException.Invalid($"app-layer-protocol: bad mode in '{value}'");
        }

        rule.Add(new AppLayerProtocolOption { Keyword = Name, Protocol = proto, Negated = negated, Mode = p.Length == 2 ? p[1] : null });
    }
}
