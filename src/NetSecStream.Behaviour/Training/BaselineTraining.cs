using System.Globalization;
using System.Text;
using System.Text.Json;
using NetSecStream.Behaviour.Features;
using NetSecStream.Behaviour.Scoring;

namespace NetSecStream.Behaviour.Training;

/// <summary>Detection figures of one attack type (its rows against all normal rows).</summary>
public sealed record AttackTypeMetrics(string Label, long Rows, int Episodes, double RocAuc, double RecallAtOnePercentFpr);

/// <summary>
/// What an evaluation of a <see cref="WorkloadBaseline"/> measured. <c>Threshold</c> is the score above which a row is
/// flagged at a 1% false-positive rate on the evaluation's normal rows.
/// </summary>
public sealed record BaselineMetrics(
    long Rows, long NormalRows, long AttackRows, double RocAuc, double Threshold, double RecallAtOnePercentFpr,
    IReadOnlyList<AttackTypeMetrics> ByType, ExtractorEvictions Evictions, IReadOnlyList<string> Examples);

/// <summary>Trains a <see cref="WorkloadBaseline"/> from flows or feature rows and evaluates it on labelled flows.</summary>
public static class BaselineTraining
{

    /// <summary>
    /// Two passes over normal flows: the first learns each workload's destinations, the second extracts features with
    /// that history (so the rows describe steady state, not a cold start) and fits the baseline on them.
    /// </summary>
    public static (WorkloadBaseline Model, long Rows) Train(Func<IEnumerable<LabelledFlow>> flows, BaselineOptions? options = null, FlowFeatureExtractorOptions? extractor = null)
    {
        ArgumentNullException.ThrowIfNull(flows);
        options ??= new BaselineOptions();
        var learn = new FlowFeatureExtractor(Copy(extractor, null));
        var counts = new Dictionary<string, Dictionary<string, long>>(StringComparer.Ordinal);
        foreach (var labelled in flows())
        {
            var f = learn.Extract(labelled.Flow);
            if (labelled.Label == FlowInput.NormalLabel)
            {
                Count(counts, f.WorkloadKey, f.DestinationKey, options.MaxKnownDestinations * 4);
            }
        }

        // Address-keyed originators (outside clients, nodes) get no trained history: a new client address starts with an
        // empty one when scored too, so training must see that cold start.
        var sets = counts.Where(k => !WorkloadBaseline.IsAddressKey(k.Key))
            .ToDictionary(k => k.Key, k => (IReadOnlySet<string>)k.Value.Keys.ToHashSet(StringComparer.Ordinal), StringComparer.Ordinal);
        var seeded = new FlowFeatureExtractor(Copy(extractor, sets));
        var rows = seeded.ExtractRows(flows()).Where(r => r.Label == FlowInput.NormalLabel).ToList();
        return (WorkloadBaseline.Fit(rows, Readonly(counts), options), rows.Count);
    }

    /// <summary>Fits on exported rows (their own destination history is taken from the normal rows).</summary>
    public static WorkloadBaseline Train(IReadOnlyList<FeatureRow> rows, BaselineOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(rows);
        options ??= new BaselineOptions();
        var counts = new Dictionary<string, Dictionary<string, long>>(StringComparer.Ordinal);
        foreach (var row in rows.Where(r => r.Label == FlowInput.NormalLabel))
        {
            Count(counts, row.WorkloadKey, row.DestinationKey, options.MaxKnownDestinations * 4);
        }

        return WorkloadBaseline.Fit(rows, Readonly(counts), options);
    }

    private static void Count(Dictionary<string, Dictionary<string, long>> counts, string workload, string destination, int cap)
    {
        if (!counts.TryGetValue(workload, out var perWorkload))
        {
            counts[workload] = perWorkload = new Dictionary<string, long>(StringComparer.Ordinal);
        }

        if (perWorkload.Count < cap || perWorkload.ContainsKey(destination))
        {
            perWorkload[destination] = perWorkload.GetValueOrDefault(destination) + 1;
        }
    }

    private static Dictionary<string, IReadOnlyDictionary<string, long>> Readonly(Dictionary<string, Dictionary<string, long>> counts) =>
        counts.ToDictionary(k => k.Key, k => (IReadOnlyDictionary<string, long>)k.Value, StringComparer.Ordinal);

    /// <summary>
    /// Scores labelled flows; rows labelled <c>unknown</c> are left out of the figures. With <paramref name="examples"/>,
    /// the explanation of the highest-scoring row of each label (normal included: the worst false positive) is kept.
    /// </summary>
    public static BaselineMetrics Evaluate(WorkloadBaseline model, IEnumerable<LabelledFlow> flows, FlowFeatureExtractorOptions? extractor = null, bool examples = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(flows);
        var x = new FlowFeatureExtractor(Copy(extractor, model.KnownDestinationSets()));
        var scored = new List<(string Label, string? Episode, double Score)>();
        var best = new Dictionary<string, (double Score, string Text)>(StringComparer.Ordinal);
        foreach (var row in x.ExtractRows(flows))
        {
            if (row.Label == FlowInput.UnknownLabel)
            {
                continue;
            }

            var s = model.Score(row.Values, row.WorkloadKey, row.DestinationKey, top: 0);
            scored.Add((row.Label, row.Episode, s.Score));
            if (examples && (!best.TryGetValue(row.Label, out var b) || s.Score > b.Score))
            {
                // The highest-scoring row of each attack type, and of normal traffic: the worst false positive.
                best[row.Label] = (s.Score, Explain(row, model.Score(row.Values, row.WorkloadKey, row.DestinationKey, top: 3)));
            }
        }

        return Metrics(scored, x.Evictions, [.. best.OrderBy(b => b.Key, StringComparer.Ordinal).Select(b => b.Value.Text)]);
    }

    /// <summary>One line: who, the score and the features that drove it.</summary>
    public static string Explain(FeatureRow row, BaselineScore score)
    {
        ArgumentNullException.ThrowIfNull(row);
        ArgumentNullException.ThrowIfNull(score);
        return string.Create(CultureInfo.InvariantCulture, $"{row.Label} {row.WorkloadKey} -> {row.DestinationKey}: score {score.Score:F1} vs {score.Profile}: ")
            + string.Join("; ", score.Top.Select(c => double.IsNaN(c.ZScore)
                ? string.Create(CultureInfo.InvariantCulture, $"{c.Feature} (p {c.TailProbability:G2})")
                : string.Create(CultureInfo.InvariantCulture, $"{c.Feature} {c.Observed:G4} (typical {c.Typical:G4}, z {c.ZScore:F1}, p {c.TailProbability:G2})")));
    }

    public static BaselineMetrics Metrics(IReadOnlyList<(string Label, string? Episode, double Score)> scored, ExtractorEvictions evictions, IReadOnlyList<string> examples)
    {
        ArgumentNullException.ThrowIfNull(scored);
        double[] normal = [.. scored.Where(s => s.Label == FlowInput.NormalLabel).Select(s => s.Score)];
        Array.Sort(normal);
        double threshold = normal.Length == 0 ? double.NaN : normal[Math.Clamp((int)Math.Ceiling(0.99 * normal.Length) - 1, 0, normal.Length - 1)];
        var attacks = scored.Where(s => s.Label != FlowInput.NormalLabel).ToList();
        var byType = attacks.GroupBy(a => a.Label, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g =>
        {
            double[] positive = [.. g.Select(a => a.Score)];
            return new AttackTypeMetrics(g.Key, positive.Length, g.Select(a => a.Episode).Where(e => e is not null).Distinct(StringComparer.Ordinal).Count(),
                RocAuc(positive, normal), (double)positive.Count(p => p > threshold) / positive.Length);
        }).ToList();
        double[] all = [.. attacks.Select(a => a.Score)];
        return new BaselineMetrics(scored.Count, normal.Length, all.Length, RocAuc(all, normal), threshold,
            all.Length == 0 ? double.NaN : (double)all.Count(p => p > threshold) / all.Length, byType, evictions, examples);
    }

    /// <summary>Area under the ROC curve: the chance a random positive outscores a random negative (ties count half).</summary>
    public static double RocAuc(IReadOnlyList<double> positive, IReadOnlyList<double> negativeSorted)
    {
        ArgumentNullException.ThrowIfNull(positive);
        ArgumentNullException.ThrowIfNull(negativeSorted);
        if (positive.Count == 0 || negativeSorted.Count == 0)
        {
            return double.NaN;
        }

        double wins = 0;
        foreach (double p in positive)
        {
            int below = LowerBound(negativeSorted, p);
            int notAbove = UpperBound(negativeSorted, p);
            wins += below + (0.5 * (notAbove - below));
        }

        return wins / ((double)positive.Count * negativeSorted.Count);
    }

    public static void WriteMetrics(Utf8JsonWriter w, BaselineMetrics m)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(m);
        w.WriteNumber("rows", m.Rows);
        w.WriteNumber("normal_rows", m.NormalRows);
        w.WriteNumber("attack_rows", m.AttackRows);
        Number(w, "roc_auc", m.RocAuc);
        Number(w, "threshold_at_1pct_fpr", m.Threshold);
        Number(w, "recall_at_1pct_fpr", m.RecallAtOnePercentFpr);
        w.WriteStartObject("by_attack_type");
        foreach (var t in m.ByType)
        {
            w.WriteStartObject(t.Label);
            w.WriteNumber("rows", t.Rows);
            w.WriteNumber("episodes", t.Episodes);
            Number(w, "roc_auc", t.RocAuc);
            Number(w, "recall_at_1pct_fpr", t.RecallAtOnePercentFpr);
            w.WriteEndObject();
        }

        w.WriteEndObject();
        w.WriteStartObject("extractor_evictions");
        w.WriteNumber("connections", m.Evictions.Connections);
        w.WriteNumber("sources", m.Evictions.Sources);
        w.WriteNumber("workloads", m.Evictions.Workloads);
        w.WriteNumber("pairs", m.Evictions.Pairs);
        w.WriteNumber("window_entries", m.Evictions.WindowEntries);
        w.WriteNumber("dns_entries", m.Evictions.DnsEntries);
        w.WriteNumber("history_entries", m.Evictions.HistoryEntries);
        w.WriteEndObject();
        w.WriteStartArray("examples");
        foreach (string e in m.Examples)
        {
            w.WriteStringValue(e);
        }

        w.WriteEndArray();
    }

    /// <summary>metrics.json of a trained baseline: how it was trained and what the evaluation measured.</summary>
    public static string MetricsJson(WorkloadBaseline model, string trainingData, long trainingRows, string evaluationData, BaselineMetrics m)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("model", "workload-baseline");
            w.WriteString("feature_schema_version", model.SchemaVersion);
            w.WriteString("aggregation", model.Options.Aggregation);
            w.WriteNumber("window_weight", model.Options.WindowWeight);
            w.WriteNumber("unseen_destination_weight", model.Options.UnseenDestinationWeight);
            w.WriteString("training_data", trainingData);
            w.WriteNumber("training_rows", trainingRows);
            w.WriteNumber("workload_profiles", model.Profiles.Count);
            w.WriteString("evaluation_data", evaluationData);
            w.WriteStartObject("evaluation");
            WriteMetrics(w, m);
            w.WriteEndObject();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    public static string ModelCard(WorkloadBaseline model, string trainingData, long trainingRows, string evaluationData, BaselineMetrics m)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(m);
        var sb = new StringBuilder();
        sb.AppendLine("# Workload baseline (unsupervised)").AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"- **Data**: trained on normal traffic only: {trainingData}, {trainingRows:N0} feature rows (one per flow event). Two passes: the first learns each workload's destinations, the second extracts features with that history and fits the profiles.");
        sb.AppendLine(CultureInfo.InvariantCulture, $"- **Features**: feature schema version {model.SchemaVersion} (`docs/specs/features.md`), {model.Features.Length} features, of which {model.Used.Count(u => u)} are scored (left out: {string.Join(", ", model.Features.Where((_, i) => !model.Used[i]))}).");
        sb.AppendLine(CultureInfo.InvariantCulture, $"- **Model**: per workload ({model.Profiles.Count(p => !p.Key.StartsWith('@'))} workloads with at least {model.Options.MinRowsPerProfile} normal rows; address-keyed originators fall back to `@external`/`@internal`, the rest to `@global`): each feature's median and the quantiles of |x − median|. Score = {model.Options.Aggregation} over features of −log10(share of normal rows at least as far from the median), floored at {model.Options.MinTailProbability:G2}, plus a small bonus past the largest deviation seen; the source and workload window features weigh {model.Options.WindowWeight:G3} (in full for address-keyed originators), and a destination outside the workload's trained history adds {model.Options.UnseenDestinationWeight:G3} × −log10(the workload's Good-Turing chance of a new destination). Weights chosen on attack-heavy seed 2; the figures below are from another seed. The explanation lists the top features with observed value, typical value (median), robust z-score and tail probability.");
        sb.AppendLine(CultureInfo.InvariantCulture, $"- **Evaluation**: {evaluationData}: {m.Rows:N0} rows ({m.NormalRows:N0} normal, {m.AttackRows:N0} attack), every flow event scored on its own (not per episode).");
        sb.AppendLine().AppendLine("| attack type | rows | episodes | ROC AUC | recall at 1% FPR |").AppendLine("|---|---|---|---|---|");
        foreach (var t in m.ByType)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {t.Label} | {t.Rows:N0} | {t.Episodes} | {t.RocAuc:F4} | {t.RecallAtOnePercentFpr:P1} |");
        }

        sb.AppendLine(CultureInfo.InvariantCulture, $"| **all** | {m.AttackRows:N0} | {m.ByType.Sum(t => t.Episodes)} | **{m.RocAuc:F4}** | {m.RecallAtOnePercentFpr:P1} |");
        sb.AppendLine().AppendLine("- **Metrics file**: `metrics.json` (the same evaluation, plus the extractor's eviction counts and example explanations).");
        sb.AppendLine("- **Limits**: trained and evaluated on the synthetic generator (`netsec generate`), whose Hubble flows carry no byte counters, so the byte features are 0 here and untested against real traffic. Scores rank events, they are not probabilities; the 1% FPR threshold is the evaluation's, set on its normal rows. A workload whose normal behaviour changes (new dependency, deploy) scores high until retrained; the generator's normal traffic never takes up a new destination, which flatters the unseen-destination term (weighted 3) here: expect more false positives from it on a real cluster. Workload and destination identities are names (namespace/workload, or addresses for outside peers), so a renamed workload falls back to the global profile. Attacks that look like the workload's normal traffic (same destination, same rate) are not found by a baseline: that is what the signature and policy detectors are for.");
        return sb.ToString();
    }

    private static void Number(Utf8JsonWriter w, string name, double value)
    {
        if (double.IsFinite(value))
        {
            w.WriteNumber(name, Math.Round(value, 5));
        }
        else
        {
            w.WriteNull(name);
        }
    }

    private static FlowFeatureExtractorOptions Copy(FlowFeatureExtractorOptions? o, IReadOnlyDictionary<string, IReadOnlySet<string>>? known)
    {
        o ??= new FlowFeatureExtractorOptions();
        return new FlowFeatureExtractorOptions
        {
            Window = o.Window,
            ConnectionIdle = o.ConnectionIdle,
            MaxConnections = o.MaxConnections,
            MaxSources = o.MaxSources,
            MaxWorkloads = o.MaxWorkloads,
            MaxPairs = o.MaxPairs,
            MaxWindowEntries = o.MaxWindowEntries,
            MaxDnsEntries = o.MaxDnsEntries,
            MaxHistoryPerWorkload = o.MaxHistoryPerWorkload,
            MaxPairGaps = o.MaxPairGaps,
            KnownDestinations = known,
        };
    }

    private static int LowerBound(IReadOnlyList<double> sorted, double value)
    {
        int lo = 0, hi = sorted.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] < value)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    private static int UpperBound(IReadOnlyList<double> sorted, double value)
    {
        int lo = 0, hi = sorted.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] <= value)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }
}
