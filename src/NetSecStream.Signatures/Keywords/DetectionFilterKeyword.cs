using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Keywords;

/// <summary><c>detection_filter:track by_src,count 5,seconds 60;</c> alert only after N matches in a window.</summary>
public sealed class DetectionFilterKeyword() : RuleKeyword("detection_filter", "Alert only once the rule matched a number of times in a window.", "thresholding.html#detection-filter")
{
    public override void Parse(RuleBuilder rule, string? value)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ThresholdOption t = ThresholdOption.Parse(Name, value!, typed: false);
        rule.DetectionFilter = rule.DetectionFilter is null ? t : throw RuleParseException.Invalid("detection_filter given twice");
        rule.Add(t);
    }
}
