namespace NetSecStream.Collectors.Generator;

/// <summary>
/// What <see cref="TrafficGenerator"/> produces: a scenario (see <see cref="TrafficGenerator.Scenarios"/>),
/// how many events, the seed that makes the output reproducible, and where simulated time starts.
/// </summary>
/// <param name="Scenario"><c>demo</c> (default), <c>quiet</c> (normal traffic only) or <c>attack-heavy</c>.</param>
/// <param name="Events">Number of Hubble flow lines to produce.</param>
/// <param name="Seed">Same seed, same options: byte-identical output.</param>
/// <param name="Start">First simulated timestamp; <see cref="TrafficGenerator.DefaultStart"/> when null.</param>
/// <param name="EventsPerSecond">
/// Wall-clock pacing of the output; 0 emits as fast as possible. Simulated time advances the same either way:
/// timestamps follow the cluster's simulated load, not the pace of emission.
/// </param>
public sealed record GeneratorOptions(
    string Scenario = "demo",
    long Events = 10000,
    int Seed = 1,
    DateTimeOffset? Start = null,
    double EventsPerSecond = 0);

/// <summary>One generated Hubble flow line with its ground truth.</summary>
/// <param name="Line">1-based line number in the output.</param>
/// <param name="Json">One Hubble exporter JSON line, UTF-8, without the newline.</param>
/// <param name="Label">One of <see cref="TrafficLabels.All"/>.</param>
/// <param name="Episode">Attack episode id such as <c>c2_beacon-3</c>; null for normal traffic.</param>
/// <param name="CommunityId">Community ID v1 of the flow's 5-tuple (ICMP: type and code).</param>
public readonly record struct GeneratedEvent(long Line, byte[] Json, string Label, string? Episode, string CommunityId);

/// <summary>What a <see cref="TrafficGenerator.WriteAsync"/> run produced.</summary>
public sealed class GeneratorSummary
{
    public required long Events { get; init; }

    /// <summary>Events per label; every label of <see cref="TrafficLabels.All"/> is present, zero where none.</summary>
    public required IReadOnlyDictionary<string, long> EventsByLabel { get; init; }

    /// <summary>Attack episodes that produced at least one event.</summary>
    public required int Episodes { get; init; }

    /// <summary>Episodes per attack label.</summary>
    public required IReadOnlyDictionary<string, int> EpisodesByLabel { get; init; }

    /// <summary>Simulated time of the first and last event (null when no event was produced).</summary>
    public DateTimeOffset? FirstEventTime { get; init; }

    public DateTimeOffset? LastEventTime { get; init; }

    public required string EventsPath { get; init; }

    public required string LabelsPath { get; init; }
}

/// <summary>Ground-truth labels the generator writes; attack labels name the technique.</summary>
public static class TrafficLabels
{
    public const string Normal = "normal";
    public const string PortScan = "port_scan";
    public const string DnsTunnel = "dns_tunnel";
    public const string C2Beacon = "c2_beacon";
    public const string LateralMovement = "lateral_movement";
    public const string Exfiltration = "exfiltration";
    public const string BruteForce = "brute_force";
    public const string CryptoMining = "crypto_mining";

    /// <summary>Attack labels in a fixed order.</summary>
    public static IReadOnlyList<string> Attacks { get; } =
        [PortScan, DnsTunnel, C2Beacon, LateralMovement, Exfiltration, BruteForce, CryptoMining];

    /// <summary>Every label, <see cref="Normal"/> first.</summary>
    public static IReadOnlyList<string> All { get; } = [Normal, .. Attacks];
}
