using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Keywords;

/// <summary><c>target:src_ip|dest_ip;</c> which side of the alert is the target.</summary>
public sealed class TargetKeyword() : RuleKeyword("target", "Which side of the traffic is the target of the attack.", "meta.html#target")
{
    public override void Parse(RuleBuilder rule, string? value)
    {
        ArgumentNullException.ThrowIfNull(rule);
        string v = value!.Trim();
        rule.Target = v is "src_ip" or "dest_ip" ? v : throw RuleParseException.Invalid($"target: '{v}' is not src_ip or dest_ip");
    }
}
