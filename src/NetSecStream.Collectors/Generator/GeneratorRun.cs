using NetSecStream.Core.Events;

namespace NetSecStream.Collectors.Generator;

/// <summary>How much attack traffic a scenario mixes in.</summary>
/// <param name="Name">The scenario name users pass.</param>
/// <param name="EpisodeGap">Mean number of output lines between episode starts; 0 for no attacks.</param>
/// <param name="EpisodeScale">Episode size, 1 being the largest the generator makes.</param>
internal sealed record ScenarioProfile(string Name, double EpisodeGap, double EpisodeScale)
{
    public static IReadOnlyList<ScenarioProfile> All { get; } =
    [
        new("demo", 900, 0.5),
        new("quiet", 0, 0),
        new("attack-heavy", 400, 1.0),
    ];

    public static ScenarioProfile? Find(string name) =>
        All.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));
}

/// <summary>
/// One generator run: the cluster, the normal traffic and the attack episodes feeding a time-ordered timeline,
/// from which flows are taken, labelled and rendered one at a time.
/// </summary>
internal sealed class GeneratorRun
{
    private readonly GeneratorOptions _options;
    private readonly SimRandom _random;
    private readonly Timeline _timeline = new();
    private readonly NormalTraffic _normal;
    private readonly AttackEpisodes _attacks;
    private readonly HubbleJsonWriter _writer = new();
    private readonly Dictionary<string, int> _episodeNumbers = [];
    private readonly string[] _episodeOrder = [.. TrafficLabels.Attacks];
    private readonly double _episodeGap;
    private readonly double _episodeScale;
    private int _episodeOrderIndex;
    private long _nextEpisodeAt = long.MaxValue;
    private long _line;

    public GeneratorRun(GeneratorOptions options, ScenarioProfile profile)
    {
        _options = options;
        ulong seed = unchecked((ulong)options.Seed);
        // The cluster has its own stream so the same seed gives the same cluster in every scenario.
        var cluster = new Cluster(new SimRandom(seed ^ 0xC1A55E5C1A55E5C1UL));
        _random = new SimRandom(seed);
        var builder = new FlowBuilder(cluster, _random, _timeline);
        long startNs = TrafficGenerator.ToUnixNanos(options.Start ?? TrafficGenerator.DefaultStart);
        _normal = new NormalTraffic(cluster, builder, _random, 1.0, startNs);
        _attacks = new AttackEpisodes(cluster, builder, _random);

        if (profile.EpisodeGap > 0 && options.Events > 0)
        {
            // Small runs space episodes so that every attack type still starts before the run ends.
            _episodeGap = Math.Min(profile.EpisodeGap, Math.Max(1.0, options.Events / 9.0));
            _episodeScale = Math.Max(0.1, profile.EpisodeScale * Math.Min(1.0, _episodeGap / profile.EpisodeGap));
            _random.Shuffle(_episodeOrder);
            _nextEpisodeAt = Math.Max(1, (long)(_episodeGap * (0.3 + (0.4 * _random.NextDouble()))));
        }
    }

    public long Line => _line;

    public bool TryNext(out GeneratedEvent generated)
    {
        if (_line >= _options.Events)
        {
            generated = default;
            return false;
        }

        while (_timeline.Count == 0 || _timeline.PeekTime > _normal.NextTime)
        {
            _normal.SpawnNext();
        }

        var flow = _timeline.Take();
        _line++;
        generated = new GeneratedEvent(_line, _writer.Render(flow), flow.Label, flow.Episode, CommunityIdOf(flow));
        if (_line >= _nextEpisodeAt)
        {
            StartEpisode(flow.TimeNs);
        }

        return true;
    }

    private void StartEpisode(long now)
    {
        string label = _episodeOrder[_episodeOrderIndex++];
        if (_episodeOrderIndex == _episodeOrder.Length)
        {
            _episodeOrderIndex = 0;
            _random.Shuffle(_episodeOrder);
        }

        int number = _episodeNumbers.TryGetValue(label, out int n) ? n + 1 : 1;
        _episodeNumbers[label] = number;
        _attacks.Start(label, label + "-" + number.ToString(System.Globalization.CultureInfo.InvariantCulture), now, _episodeScale);
        _nextEpisodeAt = _line + Math.Max(1, (long)(_episodeGap * (0.75 + (0.5 * _random.NextDouble()))));
    }

    private static string CommunityIdOf(FlowRecord flow) =>
        flow.Protocol == 1
            ? CommunityId.ComputeIcmp(flow.Source.Address, flow.Destination.Address, 1, flow.IcmpType, flow.IcmpCode)
            : CommunityId.Compute(flow.Source.Address, flow.SourcePort, flow.Destination.Address, flow.DestinationPort, flow.Protocol);
}
