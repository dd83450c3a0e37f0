using NetSecStream.Signatures.Keywords;

namespace NetSecStream.Signatures.Rules;

/// <summary>Traffic direction of a rule header: <c>-&gt;</c> or <c>&lt;&gt;</c>.</summary>
public enum RuleDirection
{
    ToDestination,
    Both,
}

/// <summary>The detection options that inspect one buffer, in rule order.</summary>
/// <param name="Buffer">Sticky buffer name (<c>http.uri</c>, <c>dns.query</c>, ...) or <see cref="RuleBuilder.PayloadBuffer"/>.</param>
/// <param name="Options">Content, pcre, isdataat, byte_*, bsize ... in the order written.</param>
public sealed record BufferMatches(string Buffer, IReadOnlyList<RuleOption> Options)
{
    /// <summary>Transforms applied to the buffer before its options inspect it, in order.</summary>
    public IReadOnlyList<TransformOption> Transforms { get; init; } = [];

    /// <summary>The buffer and its transforms as one name: <c>dns.query|dotprefix</c>; the buffer name alone without transforms.</summary>
    public string Key => Transforms.Count == 0 ? Buffer : Buffer + "|" + string.Join("|", Transforms.Select(t => t.Key));
}

/// <summary>A parsed, validated Suricata rule: the typed syntax tree the engine compiles.</summary>
public sealed class Rule
{
    public required RuleAction Action { get; init; }

    /// <summary>Protocol as written, lower case: ip, tcp, udp, icmp, http, dns, tls, tcp-pkt, ...</summary>
    public required string Protocol { get; init; }

    public required AddressSet Source { get; init; }

    public required PortSet SourcePorts { get; init; }

    public required RuleDirection Direction { get; init; }

    public required AddressSet Destination { get; init; }

    public required PortSet DestinationPorts { get; init; }

    public required long Sid { get; init; }

    public int Rev { get; init; }

    public int Gid { get; init; } = 1;

    public string? Msg { get; init; }

    public string? Classtype { get; init; }

    /// <summary>The explicit priority, else the classtype's, else null.</summary>
    public int? Priority { get; init; }

    public IReadOnlyList<KeyValuePair<string, string>> Metadata { get; init; } = [];

    public IReadOnlyList<RuleReference> References { get; init; } = [];

    public string? Target { get; init; }

    public FlowOption? Flow { get; init; }

    public IReadOnlyList<FlowbitsOption> Flowbits { get; init; } = [];

    public ThresholdOption? Threshold { get; init; }

    public ThresholdOption? DetectionFilter { get; init; }

    /// <summary>Every option in rule order, typed by its keyword.</summary>
    public required IReadOnlyList<RuleOption> Options { get; init; }

    /// <summary>Detection options grouped per inspected buffer, in order of first use.</summary>
    public required IReadOnlyList<BufferMatches> Buffers { get; init; }

    public string? File { get; init; }

    public int Line { get; init; }

    /// <summary>Length of the rule text; the loader sums it as a memory estimate.</summary>
    public int TextLength { get; init; }

    public override string ToString() => $"{Action} {Protocol} sid:{Sid} \"{Msg}\"";
}

/// <summary>One <c>reference:type,value</c>.</summary>
public sealed record RuleReference(string Type, string Value);
