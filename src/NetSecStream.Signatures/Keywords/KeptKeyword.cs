using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Keywords;

/// <summary>
/// A keyword that is parsed and kept as <see cref="KeptOption"/> but that the engine does not evaluate yet (tag,
/// prefilter, flags, xbits, stream_size ...). Loading such rules lets the rest of the rule work; the engine decides
/// later whether a rule with a kept-only keyword may run.
/// </summary>
public sealed class KeptKeyword(string name, string description, string docPage, KeywordValue value, bool inspectsBuffer = false)
    : RuleKeyword(name, description, docPage, value)
{
    public bool InspectsBuffer { get; } = inspectsBuffer;

    public override void Parse(RuleBuilder rule, string? value)
    {
        ArgumentNullException.ThrowIfNull(rule);
        if (Value == KeywordValue.Required && string.IsNullOrWhiteSpace(value))
        {
            throw RuleParseException.Invalid($"'{Name}' needs a value");
        }

        rule.Add(new KeptOption { Keyword = Name, Value = value, BufferBound = InspectsBuffer });
    }
}
