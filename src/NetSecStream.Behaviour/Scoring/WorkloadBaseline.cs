using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using NetSecStream.Behaviour.Features;

namespace NetSecStream.Behaviour.Scoring;

/// <summary>How a <see cref="WorkloadBaseline"/> is fitted and how it adds up per-feature surprise.</summary>
public sealed class BaselineOptions
{
    /// <summary>A workload needs this many normal training rows for a profile of its own; fewer use the fallback profiles.</summary>
    public int MinRowsPerProfile { get; set; } = 300;

    /// <summary>Features left out of the score: the originator's ephemeral port is noise.</summary>
    public IReadOnlyList<string> ExcludedFeatures { get; set; } = ["flow.src_port"];

    /// <summary><c>sum</c> of per-feature surprise (default), <c>max</c>, or <c>top3</c> (sum of the three largest).</summary>
    public string Aggregation { get; set; } = "sum";

    /// <summary>Destinations kept per workload in the model's history.</summary>
    public int MaxKnownDestinations { get; set; } = 512;

    /// <summary>
    /// Weight of the source and workload window features against the per-flow and pair features: windows are shared by
    /// every flow of a pod, so without a lower weight an attack makes the pod's normal flows look as unusual as its own.
    /// </summary>
    public double WindowWeight { get; set; } = 0.35;

    /// <summary>Weight of the term for a destination outside the workload's trained history.</summary>
    public double UnseenDestinationWeight { get; set; } = 3.0;

    /// <summary>Smallest tail probability a feature can be given, whatever the profile's size.</summary>
    public double MinTailProbability { get; set; } = 1e-4;
}

/// <summary>One feature's part in a score: what was seen, what the workload's normal is, and how unusual that is.</summary>
/// <param name="Feature">Schema name.</param>
/// <param name="Observed">The value of the scored row.</param>
/// <param name="Typical">The profile's median.</param>
/// <param name="ZScore">Robust z-score: (observed − median) / (1.4826 · MAD), with a fallback scale where the MAD is 0.</param>
/// <param name="TailProbability">Share of the profile's normal rows at least this far from the median.</param>
/// <param name="Surprise">−log10 of the tail probability (plus a bonus past the largest deviation seen): the score's part.</param>
public sealed record FeatureContribution(string Feature, float Observed, float Typical, double ZScore, double TailProbability, double Surprise);

/// <summary>How unusual one row is for its workload, and why.</summary>
/// <param name="Score">Aggregated surprise; larger is more unusual.</param>
/// <param name="Profile">The profile it was scored against: the workload, <c>@external</c>, <c>@internal</c> or <c>@global</c>.</param>
/// <param name="Top">The features that drove the score, largest first.</param>
public sealed record BaselineScore(double Score, string Profile, IReadOnlyList<FeatureContribution> Top);

/// <summary>The normal distribution of each feature for one workload (or a fallback group).</summary>
public sealed class FeatureProfile
{
    public required string Key { get; init; }

    public required long Rows { get; init; }

    public required float[] Median { get; init; }

    public required float[] Scale { get; init; }

    /// <summary>Per feature, the |x − median| quantiles at <see cref="WorkloadBaseline.Levels"/>.</summary>
    public required float[][] Deviations { get; init; }
}

/// <summary>
/// The unsupervised per-workload baseline: for every workload with enough normal traffic, and for the fallbacks
/// (<c>@external</c> and <c>@internal</c> for address-keyed originators, <c>@global</c>), the median of each feature and
/// the quantiles of the absolute deviation from it. A row's score is the sum over features of −log10 of the share of
/// normal rows at least as far from the median (an empirical tail probability, floored), so rare binary facts and
/// heavy-tailed counts are weighed alike; the explanation lists the features with the largest parts, with their robust
/// z-scores. The model also carries each workload's known destinations, which seed the extractor's history.
/// </summary>
public sealed class WorkloadBaseline
{
    public const string ModelFile = "baseline.json";

    /// <summary>Quantile levels of the stored deviations; the dense tail resolves rare values.</summary>
    public static readonly double[] Levels =
        [0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.92, 0.94, 0.95, 0.96, 0.97, 0.98, 0.985, 0.99, 0.993, 0.995, 0.997, 0.998, 0.999, 0.9995, 0.9999, 1.0];

    public required string SchemaVersion { get; init; }

    public required string[] Features { get; init; }

    public required bool[] Used { get; init; }

    public required BaselineOptions Options { get; init; }

    public required FeatureProfile Global { get; init; }

    public required Dictionary<string, FeatureProfile> Profiles { get; init; }

    public required Dictionary<string, string[]> KnownDestinations { get; init; }

    private double[]? Weights { get; set; }

    /// <summary>
    /// Per workload, the chance that a normal connection goes to a destination not in <see cref="KnownDestinations"/>
    /// (Good-Turing: the share of training rows whose destination was seen only once).
    /// </summary>
    public required Dictionary<string, double> UnseenDestinationRate { get; init; }

    /// <summary>The pseudo-feature the explanation names when the destination is not in the trained history.</summary>
    public const string UnseenDestinationFeature = "baseline.destination_unseen";

    /// <summary>Fits the baseline on rows of normal traffic (rows labelled otherwise are ignored).</summary>
    public static WorkloadBaseline Fit(IReadOnlyList<FeatureRow> rows, IReadOnlyDictionary<string, IReadOnlyDictionary<string, long>>? destinationCounts, BaselineOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(rows);
        options ??= new BaselineOptions();
        var normal = rows.Where(r => r.Label is FlowInput.NormalLabel).ToList();
        if (normal.Count < options.MinRowsPerProfile)
        {
            throw new ArgumentException($"need at least {options.MinRowsPerProfile} rows of normal traffic (got {normal.Count})", nameof(rows));
        }

        var features = FeatureSchema.Features.Select(f => f.Name).ToArray();
        var used = features.Select(f => !options.ExcludedFeatures.Contains(f)).ToArray();
        var profiles = new Dictionary<string, FeatureProfile>(StringComparer.Ordinal);
        foreach (var group in normal.GroupBy(r => r.WorkloadKey, StringComparer.Ordinal))
        {
            var list = group.ToList();
            if (list.Count >= options.MinRowsPerProfile && !IsAddressKey(group.Key))
            {
                profiles[group.Key] = FitProfile(group.Key, list);
            }
        }

        foreach (var group in normal.Where(r => IsAddressKey(r.WorkloadKey)).GroupBy(r => FallbackKey(r.WorkloadKey), StringComparer.Ordinal))
        {
            var list = group.ToList();
            if (list.Count >= options.MinRowsPerProfile)
            {
                profiles[group.Key] = FitProfile(group.Key, list);
            }
        }

        var known = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var unseen = new Dictionary<string, double>(StringComparer.Ordinal);
        if (destinationCounts is not null)
        {
            foreach ((string workload, var counts) in destinationCounts)
            {
                long total = counts.Values.Sum();
                if (!IsAddressKey(workload) && total > 0)
                {
                    known[workload] = [.. counts.OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal).Take(options.MaxKnownDestinations).Select(c => c.Key).Order(StringComparer.Ordinal)];
                    unseen[workload] = Math.Max(1.0, counts.Values.Count(c => c == 1)) / total;
                }
            }
        }

        return new WorkloadBaseline
        {
            SchemaVersion = FeatureSchema.Version,
            Features = features,
            Used = used,
            Options = options,
            Global = FitProfile("@global", normal),
            Profiles = profiles,
            KnownDestinations = known,
            UnseenDestinationRate = unseen,
        };
    }

    /// <summary>The known destinations in the form <see cref="FlowFeatureExtractorOptions.KnownDestinations"/> takes.</summary>
    public IReadOnlyDictionary<string, IReadOnlySet<string>> KnownDestinationSets() =>
        KnownDestinations.ToDictionary(k => k.Key, k => (IReadOnlySet<string>)new HashSet<string>(k.Value, StringComparer.Ordinal), StringComparer.Ordinal);

    /// <summary>
    /// Scores one feature vector of <paramref name="workloadKey"/> going to <paramref name="destinationKey"/>;
    /// <paramref name="top"/> features explain it.
    /// </summary>
    public BaselineScore Score(ReadOnlySpan<float> values, string workloadKey, string? destinationKey = null, int top = 5)
    {
        ArgumentNullException.ThrowIfNull(workloadKey);
        if (values.Length != Features.Length)
        {
            throw new ArgumentException($"{values.Length} values for {Features.Length} features (schema version {SchemaVersion})", nameof(values));
        }

        Weights ??= [.. FeatureSchema.Features.Select(d => d.Group is FeatureSchema.SourceGroup or FeatureSchema.WorkloadGroup ? Options.WindowWeight : 1.0)];
        var profile = ProfileFor(workloadKey);

        // An address-keyed originator's windows are its own (no pod's other flows share them): they weigh in full.
        double[] weights = IsAddressKey(workloadKey) ? Ones(Features.Length) : Weights;
        double floor = Math.Max(Options.MinTailProbability, 1.0 / (profile.Rows + 1));
        double[] surprise = new double[Features.Length];
        for (int f = 0; f < Features.Length; f++)
        {
            surprise[f] = Used[f] ? weights[f] * Surprise(profile, f, values[f], floor, out _) : 0;
        }

        double score = Aggregate(surprise);
        double unseenRate = 1;
        if (destinationKey is not null && KnownDestinations.TryGetValue(workloadKey, out string[]? known) && Array.BinarySearch(known, destinationKey, StringComparer.Ordinal) < 0)
        {
            unseenRate = Math.Max(Options.MinTailProbability, UnseenDestinationRate.GetValueOrDefault(workloadKey, 1.0));
            score += -Options.UnseenDestinationWeight * Math.Log10(unseenRate);
        }

        var parts = new List<FeatureContribution>(top);
        if (top > 0)
        {
            if (unseenRate < 1)
            {
                parts.Add(new FeatureContribution(UnseenDestinationFeature, 1, 0, double.NaN, unseenRate, -Options.UnseenDestinationWeight * Math.Log10(unseenRate)));
            }

            foreach (int f in Enumerable.Range(0, Features.Length).Where(f => surprise[f] > 0).OrderByDescending(f => surprise[f]).Take(top))
            {
                _ = Surprise(profile, f, values[f], floor, out double p);
                parts.Add(new FeatureContribution(Features[f], values[f], profile.Median[f], (values[f] - profile.Median[f]) / profile.Scale[f], p, surprise[f]));
            }

            parts.Sort((a, b) => b.Surprise.CompareTo(a.Surprise));
            if (parts.Count > top)
            {
                parts.RemoveRange(top, parts.Count - top);
            }
        }

        return new BaselineScore(score, profile.Key, parts);
    }

    /// <summary>
    /// The score of <see cref="Score"/> alone, without the explanation and without allocating: what batched scoring
    /// runs for every row (explanations are worked out only for the rows that cross a threshold).
    /// </summary>
    public double ScoreOnly(ReadOnlySpan<float> values, string workloadKey, string? destinationKey = null)
    {
        ArgumentNullException.ThrowIfNull(workloadKey);
        if (values.Length != Features.Length)
        {
            throw new ArgumentException($"{values.Length} values for {Features.Length} features (schema version {SchemaVersion})", nameof(values));
        }

        Weights ??= [.. FeatureSchema.Features.Select(d => d.Group is FeatureSchema.SourceGroup or FeatureSchema.WorkloadGroup ? Options.WindowWeight : 1.0)];
        var profile = ProfileFor(workloadKey);
        double floor = Math.Max(Options.MinTailProbability, 1.0 / (profile.Rows + 1));
        Span<double> surprise = Features.Length <= 256 ? stackalloc double[Features.Length] : new double[Features.Length];
        for (int f = 0; f < Features.Length; f++)
        {
            surprise[f] = Used[f] ? Weights[f] * Surprise(profile, f, values[f], floor, out _) : 0;
        }

        double score = Aggregate(surprise);
        if (destinationKey is not null && KnownDestinations.TryGetValue(workloadKey, out string[]? known) && Array.BinarySearch(known, destinationKey, StringComparer.Ordinal) < 0)
        {
            score += -Math.Log10(Math.Max(Options.MinTailProbability, UnseenDestinationRate.GetValueOrDefault(workloadKey, 1.0)));
        }

        return score;
    }

    public void Save(string directory)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, ModelFile), JsonSerializer.Serialize(this, BaselineJson.Options) + "\n");
    }

    public static WorkloadBaseline Load(string directory)
    {
        string path = Path.Combine(directory, ModelFile);
        var model = JsonSerializer.Deserialize<WorkloadBaseline>(File.ReadAllText(path), BaselineJson.Options)
            ?? throw new InvalidDataException($"{path}: empty model");
        if (model.SchemaVersion != FeatureSchema.Version || !model.Features.SequenceEqual(FeatureSchema.Features.Select(f => f.Name)))
        {
            throw new InvalidDataException($"{path}: model of feature schema version {model.SchemaVersion}; this build extracts version {FeatureSchema.Version}");
        }

        return model;
    }

    private static double[] Ones(int n)
    {
        var ones = new double[n];
        Array.Fill(ones, 1.0);
        return ones;
    }

    private FeatureProfile ProfileFor(string workloadKey) =>
        Profiles.TryGetValue(workloadKey, out var p) ? p
        : IsAddressKey(workloadKey) && Profiles.TryGetValue(FallbackKey(workloadKey), out p) ? p
        : Global;

    private double Aggregate(ReadOnlySpan<double> surprise)
    {
        switch (Options.Aggregation)
        {
            case "max":
                double max = 0;
                foreach (double s in surprise)
                {
                    max = Math.Max(max, s);
                }

                return max;
            case "top3":
                double a = 0, b = 0, c = 0;
                foreach (double s in surprise)
                {
                    if (s > a)
                    {
                        (a, b, c) = (s, a, b);
                    }
                    else if (s > b)
                    {
                        (b, c) = (s, b);
                    }
                    else if (s > c)
                    {
                        c = s;
                    }
                }

                return a + b + c;
            default:
                double sum = 0;
                foreach (double s in surprise)
                {
                    sum += s;
                }

                return sum;
        }
    }

    // −log10(1 − level) for each level: the surprise of a deviation past that level's quantile, looked up instead of a
    // logarithm per feature per event (the score path runs it 40 times an event).
    private static readonly double[] LevelSurprise = [.. Levels.Select(l => l >= 1.0 ? double.PositiveInfinity : -Math.Log10(1.0 - l))];

    private static double Surprise(FeatureProfile profile, int f, float value, double floor, out double tail)
    {
        double d = Math.Abs(value - profile.Median[f]);
        float[] q = profile.Deviations[f];
        int level = -1;
        for (int i = 0; i < q.Length && q[i] < d; i++)
        {
            level = i;
        }

        double s;
        if (level < 0)
        {
            tail = 1.0;
            s = 0;
        }
        else
        {
            double share = 1.0 - Levels[level];
            tail = Math.Max(share, floor);
            s = share > floor ? LevelSurprise[level] : -Math.Log10(floor);
        }

        double largest = q[^1];
        if (d > largest && largest >= 0)
        {
            // Past everything seen in training: how far past adds a little, so a 1000-port sweep outranks a 20-port one.
            s += Math.Min(2.0, Math.Log10(1.0 + ((d - largest) / Math.Max(Math.Max(largest, profile.Scale[f]), 1e-3))));
        }

        return s;
    }

    private static FeatureProfile FitProfile(string key, List<FeatureRow> rows)
    {
        int n = rows.Count, width = FeatureSchema.Count;
        var median = new float[width];
        var scale = new float[width];
        var deviations = new float[width][];
        var column = new float[n];
        var dev = new float[n];
        for (int f = 0; f < width; f++)
        {
            for (int i = 0; i < n; i++)
            {
                column[i] = rows[i].Values[f];
            }

            Array.Sort(column);
            float m = Quantile(column, 0.5);
            for (int i = 0; i < n; i++)
            {
                dev[i] = Math.Abs(column[i] - m);
            }

            Array.Sort(dev);
            median[f] = m;
            double mad = 1.4826 * Quantile(dev, 0.5);
            double meanAbs = dev.Average(x => (double)x) * 1.2533;
            // Floored: a feature that is (almost) constant in training would otherwise give absurd z-scores.
            scale[f] = (float)Math.Max(mad > 0 ? mad : meanAbs > 0 ? meanAbs : 0.1 * Math.Abs(m), 1e-3);
            deviations[f] = [.. Levels.Select(l => Quantile(dev, l))];
        }

        return new FeatureProfile { Key = key, Rows = n, Median = median, Scale = scale, Deviations = deviations };
    }

    private static float Quantile(float[] sorted, double level)
    {
        if (sorted.Length == 0)
        {
            return 0;
        }

        int i = (int)Math.Ceiling(level * sorted.Length) - 1;
        return sorted[Math.Clamp(i, 0, sorted.Length - 1)];
    }

    /// <summary>Whether a workload key is an address (the originator had no workload identity).</summary>
    internal static bool IsAddressKey(string key) => !key.Contains('/', StringComparison.Ordinal) && IPAddress.TryParse(key, out _);

    private static string FallbackKey(string addressKey)
    {
        if (!IPAddress.TryParse(addressKey, out var ip))
        {
            return "@global";
        }

        byte[] b = ip.MapToIPv4().GetAddressBytes();
        bool internalAddress = ip.IsIPv6UniqueLocal || IPAddress.IsLoopback(ip)
            || (ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && (b[0] == 10 || (b[0] == 172 && (b[1] & 0xF0) == 16) || (b[0] == 192 && b[1] == 168)));
        return internalAddress ? "@internal" : "@external";
    }

    private static class BaselineJson
    {
        public static readonly JsonSerializerOptions Options = new()
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
            WriteIndented = false,
        };
    }
}
