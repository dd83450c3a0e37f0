using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Keywords;

/// <summary>A parsed app-layer-protocol option.</summary>
public sealed class AppLayerProtocolOption : RuleOption
{
    public required string Protocol { get; init; }

    public bool Negated { get; init; }

    /// <summary>Optional mode: final, original, either, to_server, to_client, direction.</summary>
    public string? Mode { get; init; }
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
