using NetSecStream.Core.Events;

namespace NetSecStream.Policy.Suggest;

/// <summary>Counts of one group of connections under the suggested rules.</summary>
public sealed class DenyTally
{
    public long Seen { get; set; }

    public long Allowed { get; set; }

    public long Denied { get; set; }

    public SortedDictionary<string, long> DeniedByReason { get; } = new(StringComparer.Ordinal);

    public List<string> Examples { get; } = [];

    internal void Add(bool allowed, string? reason, string? example, int maxExamples)
    {
        Seen++;
        if (allowed)
        {
            Allowed++;
            return;
        }

        Denied++;
        DeniedByReason[reason!] = DeniedByReason.GetValueOrDefault(reason!) + 1;
        if (example is not null && Examples.Count < maxExamples)
        {
            Examples.Add(example + " (" + reason + ")");
        }
    }
}

/// <summary>
/// What the suggested rules would do to a set of flows: per workload (each connection counts for its client's egress
/// and its server's ingress), in total (a connection is denied when either end denies it), and per ground-truth label
/// when the flows carry one (the generator's, triage outcomes).
/// </summary>
public sealed class SuggestionReport
{
    public long FlowsRead { get; private set; }

    public long Connections { get; private set; }

    public DenyTally Total { get; } = new();

    /// <summary>By <see cref="SuggestedPolicy.DisplayName"/>.</summary>
    public SortedDictionary<string, DenyTally> Workloads { get; } = new(StringComparer.Ordinal);

    public SortedDictionary<string, DenyTally> Labels { get; } = new(StringComparer.Ordinal);

    public static SuggestionReport Evaluate(SuggestionSet suggestions, IEnumerable<(FlowEvent Flow, string? Label)> flows)
    {
        ArgumentNullException.ThrowIfNull(suggestions);
        ArgumentNullException.ThrowIfNull(flows);
        var report = new SuggestionReport();
        int examples = suggestions.Options.ExamplesPerWorkload;
        foreach (var (flow, label) in flows)
        {
            report.FlowsRead++;
            if (!Connection.TryFrom(flow, out var connection))
            {
                continue;
            }

            report.Connections++;
            var decision = suggestions.Decide(connection);
            string? example = decision.Allowed ? null : SuggestionSet.Describe(connection);
            report.Total.Add(decision.Allowed, decision.Reason, example, examples);
            if (label is not null)
            {
                Tally(report.Labels, label).Add(decision.Allowed, decision.Reason, null, 0);
            }

            // Each end's own verdict: a workload's numbers say what its policy does, whatever the other end's does.
            foreach (bool egress in (bool[])[true, false])
            {
                var subject = egress ? connection.Client : connection.Server;
                var selecting = suggestions.Selecting(subject).FirstOrDefault();
                if (selecting is null)
                {
                    continue;
                }

                var end = suggestions.DecideEnd(connection, egress);
                Tally(report.Workloads, selecting.DisplayName)
                    .Add(end.Allowed, end.Reason, end.Allowed ? null : SuggestionSet.Describe(connection), examples);
            }
        }

        return report;
    }

    private static DenyTally Tally(SortedDictionary<string, DenyTally> map, string key)
    {
        if (!map.TryGetValue(key, out var tally))
        {
            tally = new DenyTally();
            map[key] = tally;
        }

        return tally;
    }
}
