namespace NetSecStream.Pipeline.Detectors;

/// <summary>Maps severities (1 highest .. 4 lowest) to Elastic's risk-score bands.</summary>
public static class RiskScores
{
    public static double FromSeverity(int severity) => severity switch
    {
        <= 1 => 99,
        2 => 73,
        3 => 47,
        _ => 21,
    };
}
