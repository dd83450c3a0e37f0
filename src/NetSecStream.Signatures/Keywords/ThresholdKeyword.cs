using System.Globalization;
using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Keywords;

/// <summary>A parsed threshold or detection_filter.</summary>
public sealed class ThresholdOption : RuleOption
{
    /// <summary>threshold, limit, both, backoff; "detection_filter" for detection_filter.</summary>
    public required string Type { get; init; }

    /// <summary>by_src, by_dst, by_rule, by_both, by_flow.</summary>
    public required string Track { get; init; }

    public required long Count { get; init; }

    public long Seconds { get; init; }

    /// <summary>backoff's multiplier.</summary>
    public long? Multiplier { get; init; }

    /// <summary>detection_filter's unique_on (Suricata 9), e.g. dst_port.</summary>
    public string? UniqueOn { get; init; }

    internal static ThresholdOption Parse(string keyword, string value, bool typed)
    {
        string? type = typed ? null : "detection_filter";
        string? track = null, unique = null;
        long? count = null, seconds = null, multiplier = null;
        foreach (string item in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            string[] kv = item.Split(' ', 2, StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (kv.Length != 2)
            {
                throw RuleParseException.Invalid($"{keyword}: '{item}' is not 'name value'");
            }

            switch (kv[0])
            {
                case "type" when typed && kv[1] is "threshold" or "limit" or "both" or "backoff": type = kv[1]; break;
                case "track" when kv[1] is "by_src" or "by_dst" or "by_rule" or "by_both" or "by_flow": track = kv[1]; break;
                case "count": count = NumericRange.Number(keyword, kv[1], uint.MaxValue); break;
                case "seconds": seconds = NumericRange.Number(keyword, kv[1], uint.MaxValue); break;
                case "multiplier": multiplier = NumericRange.Number(keyword, kv[1], uint.MaxValue); break;
                case "unique_on" when !typed && kv[1] is "src_port" or "dst_port": unique = kv[1]; break;
                default: throw RuleParseException.Invalid($"{keyword}: unexpected '{item}'");
            }
        }

        if (type is null || track is null || count is null || (seconds is null && type != "backoff"))
        {
            throw RuleParseException.Invalid($"{keyword}: needs {(typed ? "type, " : "")}track, count and seconds");
        }

        return new ThresholdOption
        {
            Keyword = keyword, Type = type, Track = track, Count = count.Value, Seconds = seconds ?? 0, Multiplier = multiplier, UniqueOn = unique,
        };
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Type} {Track} count {Count} seconds {Seconds}");
}

/// <summary><c>threshold:type limit,track by_src,count 1,seconds 60;</c> limits how often the rule alerts.</summary>
public sealed class ThresholdKeyword() : RuleKeyword("threshold", "Limit or require a number of matches per time window before alerting.", "thresholding.html#threshold")
{
    public override void Parse(RuleBuilder rule, string? value)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ThresholdOption t = ThresholdOption.Parse(Name, value!, typed: true);
        rule.Threshold = rule.Threshold is null ? t : throw RuleParseException.Invalid("threshold given twice");
        rule.Add(t);
    }
}
