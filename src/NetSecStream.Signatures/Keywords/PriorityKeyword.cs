using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Keywords;

/// <summary><c>priority:N;</c> overrides the classtype's priority (1 highest .. 255).</summary>
public sealed class PriorityKeyword() : RuleKeyword("priority", "Overrides the priority the classtype gives.", "meta.html#priority")
{
    public override void Parse(RuleBuilder rule, string? value)
    {
        ArgumentNullException.ThrowIfNull(rule);
        long p = NumericRange.Number(Name, value!, 255);
        rule.Priority = p >= 1 ? (int)p : throw RuleParseException.Invalid("priority must be 1..255");
    }
}
