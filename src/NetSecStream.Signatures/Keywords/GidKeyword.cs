using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Keywords;

/// <summary><c>gid:N;</c> the generator id (default 1).</summary>
public sealed class GidKeyword() : RuleKeyword("gid", "The group (generator) id; 1 unless given.", "meta.html#gid-group-id")
{
    public override void Parse(RuleBuilder rule, string? value)
    {
        ArgumentNullException.ThrowIfNull(rule);
        rule.Gid = (int)NumericRange.Number(Name, value!, int.MaxValue);
    }
}
