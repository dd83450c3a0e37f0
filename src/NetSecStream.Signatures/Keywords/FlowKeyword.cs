using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Keywords;

/// <summary>A parsed flow option.</summary>
public sealed class FlowOption : RuleOption
{
    /// <summary>to_server / from_client (true), to_client / from_server (false), or null for either.</summary>
    public bool? ToServer { get; init; }

    /// <summary>established (true), not_established (false), stateless or none (null).</summary>
    public bool? Established { get; init; }

    public bool Stateless { get; init; }

    /// <summary>only_stream (true), no_stream (false), or null.</summary>
    public bool? Stream { get; init; }

    /// <summary>only_frag (true), no_frag (false), or null.</summary>
    public bool? Fragmented { get; init; }
}

/// <summary><c>flow:to_server,established;</c> direction and state of the flow.</summary>
public sealed class FlowKeyword() : RuleKeyword("flow", "Match on the direction and state of the flow.", "flow-keywords.html#flow")
{
    public override void Parse(RuleBuilder rule, string? value)
    {
        ArgumentNullException.ThrowIfNull(rule);
        if (rule.Flow is not null)
        {
            throw RuleParseException.Invalid("flow given twice");
        }

        bool? toServer = null, established = null, stream = null, frag = null;
        bool stateless = false;
        foreach (string item in value!.Split(',', StringSplitOptions.TrimEntries))
        {
            switch (item)
            {
                case "to_server" or "from_client": Set(ref toServer, true, item); break;
                case "to_client" or "from_server": Set(ref toServer, false, item); break;
                case "established": Set(ref established, true, item); break;
                case "not_established": Set(ref established, false, item); break;
                case "stateless": stateless = true; break;
                case "only_stream": Set(ref stream, true, item); break;
                case "no_stream": Set(ref stream, false, item); break;
                case "only_frag": Set(ref frag, true, item); break;
                case "no_frag": Set(ref frag, false, item); break;
                default: throw RuleParseException.Invalid($"flow: unknown option '{item}'");
            }
        }

        var flow = new FlowOption { Keyword = Name, ToServer = toServer, Established = established, Stateless = stateless, Stream = stream, Fragmented = frag };
        rule.Flow = flow;
        rule.Add(flow);
    }

    private static void Set(ref bool? slot, bool value, string item)
    {
        if (slot is not null)
        {
            throw RuleParseException.Invalid($"flow: '{item}' conflicts with an earlier option");
        }

        slot = value;
    }
}
