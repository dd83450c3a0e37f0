namespace NetSecStream.Control.Policies;

/// <summary>Section <c>Control:Backtest</c>: the window of recent flows the policy editor plans against.</summary>
public sealed class ControlBacktestOptions
{
    /// <summary>Flows kept (newest first out of the window when full); replies and packets are not kept, plans skip them.</summary>
    public int MaxFlows { get; set; } = 200_000;

    /// <summary>Recorded flows loaded into the window at start: Hubble JSON lines, as <c>netsec policy plan --flows</c> reads.</summary>
    public List<string> Paths { get; set; } = [];

    /// <summary>Distinct workloads <c>/api/workloads</c> and the selection picture show at most.</summary>
    public int MaxWorkloads { get; set; } = 2_000;

    /// <summary>Example flows a plan returns per list.</summary>
    public int PlanExamples { get; set; } = 5;
}

/// <summary>Section <c>Control:Policies</c>: where the policy editor keeps drafts and writes applied policies.</summary>
public sealed class ControlPolicyOptions
{
    /// <summary>Drafts and their history; empty: <c>Storage:DataDirectory/control/policies</c>.</summary>
    public string Directory { get; set; } = "";

    /// <summary>
    /// Applied policies, one YAML file each, for <c>Detectors:Policy:Paths</c> (or a GitOps tool) to read; empty:
    /// <c>Storage:DataDirectory/control/applied-policies</c>.
    /// </summary>
    public string AppliedDirectory { get; set; } = "";

    /// <summary>Largest policy document the editor takes.</summary>
    public int MaxPolicyBytes { get; set; } = 256 * 1024;

    /// <summary>Policies (drafts and applied) kept at most.</summary>
    public int MaxPolicies { get; set; } = 5_000;
}

internal static class PolicyEditorOptionsValidation
{
    public static void Validate(ControlOptions options, List<string> failures)
    {
        var backtest = options.Backtest;
        Range(failures, "Backtest:MaxFlows", backtest.MaxFlows, 1, 10_000_000);
        Range(failures, "Backtest:MaxWorkloads", backtest.MaxWorkloads, 1, 100_000);
        Range(failures, "Backtest:PlanExamples", backtest.PlanExamples, 0, 100);
        for (int i = 0; i < backtest.Paths.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(backtest.Paths[i]) || !File.Exists(backtest.Paths[i]))
            {
                failures.Add($"{ControlOptions.Section}:Backtest:Paths:{i} '{backtest.Paths[i]}' is not a file of flows (Hubble JSON lines).");
            }
        }

        Range(failures, "Policies:MaxPolicyBytes", options.Policies.MaxPolicyBytes, 64, 1024 * 1024);
        Range(failures, "Policies:MaxPolicies", options.Policies.MaxPolicies, 1, 100_000);
    }

    private static void Range(List<string> failures, string key, int value, int min, int max)
    {
        if (value < min || value > max)
        {
            failures.Add($"{ControlOptions.Section}:{key} must be between {min} and {max} (got {value}).");
        }
    }
}
