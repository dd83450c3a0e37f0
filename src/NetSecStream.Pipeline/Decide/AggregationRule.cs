using NetSecStream.Core.Events;

namespace NetSecStream.Pipeline.Decide;

/// <summary>
/// <c>Pipeline:Aggregation:&lt;detector&gt;</c>: alerts of one detector (<see cref="DetectorKinds"/>) with the same
/// <see cref="Keys"/> inside <see cref="Window"/> (event time) become one alert carrying the count and the first and
/// last time seen. Without a rule, a detector's alerts fold by their own dedupe key over <c>Pipeline:DedupeWindow</c>.
/// </summary>
public sealed class AggregationRule
{
    public const string Section = PipelineOptions.Section + ":Aggregation";

    /// <summary>Alert fields a key may be built from.</summary>
    public static IReadOnlyList<string> KnownKeys { get; } =
    [
        "rule", "source_workload", "destination_workload", "source_namespace", "destination_namespace",
        "source_ip", "destination_ip", "destination_port", "dedupe_key",
    ];

    /// <summary>The key when <see cref="Keys"/> is empty: the issue's (detector, rule, source workload, destination workload).</summary>
    public static IReadOnlyList<string> DefaultKeys { get; } = ["rule", "source_workload", "destination_workload"];

    /// <summary>Repeats inside this window are folded. Zero turns aggregation (and dedupe) off for the detector.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Fields of the key besides the detector (from <see cref="KnownKeys"/>); empty: <see cref="DefaultKeys"/>.</summary>
    public List<string> Keys { get; set; } = [];

    internal IReadOnlyList<string> EffectiveKeys => Keys.Count == 0 ? DefaultKeys : Keys;

    /// <summary>
    /// The alert's aggregation key. A workload is <c>namespace/workload</c> where the flow names one, else its address,
    /// so traffic from unmanaged peers does not collapse into one key.
    /// </summary>
    internal string KeyOf(Alert alert)
    {
        var flow = alert.Flow;
        var key = new System.Text.StringBuilder("agg|").Append(alert.Detector);
        foreach (string field in EffectiveKeys)
        {
            key.Append('|').Append(field switch
            {
                "rule" => alert.RuleId,
                "source_workload" => Workload(flow.Source),
                "destination_workload" => Workload(flow.Destination),
                "source_namespace" => flow.Source.Namespace,
                "destination_namespace" => flow.Destination.Namespace,
                "source_ip" => flow.Source.Ip.ToString(),
                "destination_ip" => flow.Destination.Ip.ToString(),
                "destination_port" => flow.Destination.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "dedupe_key" => alert.DedupeKey,
                _ => "",
            });
        }

        return key.ToString();
    }

    private static string Workload(FlowEndpoint endpoint) =>
        endpoint.Workload is { Length: > 0 } workload ? (endpoint.Namespace ?? "") + "/" + workload : endpoint.Ip.ToString();

    /// <summary>Problems with the rules, each naming its key.</summary>
    internal static IEnumerable<string> Check(IReadOnlyDictionary<string, AggregationRule> rules)
    {
        string[] detectors = [DetectorKinds.Signature, DetectorKinds.Behaviour, DetectorKinds.Policy, DetectorKinds.Intel];
        foreach (var (detector, rule) in rules)
        {
            string at = $"{Section}:{detector}";
            if (!detectors.Contains(detector, StringComparer.Ordinal))
            {
                yield return $"{at}: '{detector}' is not a detector (one of: {string.Join(", ", detectors)})";
            }

            if (rule.Window < TimeSpan.Zero)
            {
                yield return $"{at}:Window must not be negative (got {rule.Window}).";
            }

            for (int i = 0; i < rule.Keys.Count; i++)
            {
                if (!KnownKeys.Contains(rule.Keys[i], StringComparer.Ordinal))
                {
                    yield return $"{at}:Keys:{i} '{rule.Keys[i]}' is not a key field (one of: {string.Join(", ", KnownKeys)}).";
                }
            }
        }
    }
}
