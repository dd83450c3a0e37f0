using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Keywords;

/// <summary><c>msg:"text";</c> the alert's description.</summary>
public sealed class MsgKeyword() : RuleKeyword("msg", "The text the alert carries.", "meta.html#msg-message")
{
    public override void Parse(RuleBuilder rule, string? value)
    {
        ArgumentNullException.ThrowIfNull(rule);
        rule.Msg = rule.Msg is null ? RuleLexer.UnquoteString(Name, value!, lenientEscapes: true) : throw RuleParseException.Invalid("msg given twice");
    }
}
