namespace NetSecStream.Signatures.Rules;

/// <summary>What a matching Suricata rule asks for.</summary>
public enum RuleAction
{
    Alert,
    Pass,
    Drop,
    Reject,
    RejectSrc,
    RejectDst,
    RejectBoth,
}
