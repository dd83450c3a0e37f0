using System.Globalization;
using NetSecStream.Signatures.Keywords;
using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Engine.State;

/// <summary>A threshold.config line that could not be used, with where it is.</summary>
/// <param name="Source">The file.</param>
/// <param name="Line">1-based line where the directive starts.</param>
/// <param name="Message">What is wrong.</param>
/// <param name="Unsupported">True for a valid directive this engine does not apply yet (rate_filter), false for a malformed one.</param>
public sealed record ThresholdConfigProblem(string Source, int Line, string Message, bool Unsupported = false)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Source}:{Line}: {Message}");
}

/// <summary>One <c>suppress</c> line: alerts of the rule are dropped, for every event or only for listed addresses.</summary>
/// <param name="Gid">gen_id; 0 for every generator.</param>
/// <param name="Sid">sig_id; 0 for every rule.</param>
/// <param name="Track">null (all events), <c>by_src</c>, <c>by_dst</c> or <c>by_either</c>.</param>
/// <param name="Addresses">The addresses suppressed when <paramref name="Track"/> is set.</param>
public sealed record Suppression(int Gid, long Sid, string? Track, AddressSet? Addresses)
{
    public bool Suppresses(Core.Events.FlowEvent flow)
    {
        ArgumentNullException.ThrowIfNull(flow);
        return Track switch
        {
            null => true,
            "by_src" => Addresses!.Matches(flow.Source.Ip),
            "by_dst" => Addresses!.Matches(flow.Destination.Ip),
            _ => Addresses!.Matches(flow.Source.Ip) || Addresses!.Matches(flow.Destination.Ip),
        };
    }
}

/// <summary>
/// Suricata's threshold.config (global-thresholds.html): <c>threshold</c> / <c>event_filter</c> and <c>suppress</c>
/// lines per <c>gen_id</c> and <c>sig_id</c> (0 meaning every rule). How they combine with a rule's own keywords:
/// a line for the rule's sid replaces the rule's <c>threshold</c> and <c>detection_filter</c>; a line for sig_id 0
/// applies to rules that have neither and no line of their own; suppressions apply on top of either and are checked
/// before any counting. Like every threshold they never stop flowbits or xbits writes. <c>rate_filter</c> lines are
/// reported as unsupported, malformed lines as problems; neither is applied.
/// </summary>
public sealed class ThresholdConfig
{
    private readonly List<(int Gid, long Sid, ThresholdOption Option)> _thresholds = [];
    private readonly List<Suppression> _suppressions = [];
    private readonly List<ThresholdConfigProblem> _problems = [];

    public IReadOnlyList<ThresholdConfigProblem> Problems => _problems;

    public int ThresholdCount => _thresholds.Count;

    public int SuppressionCount => _suppressions.Count;

    public static ThresholdConfig LoadFile(string path, RuleVariables? variables = null) =>
        Parse(File.ReadAllLines(path), variables, path);

    /// <summary>
    /// One config from several files read in order (an operator's threshold.config and the control plane's
    /// disabled-rules file); problems name the file they come from.
    /// </summary>
    public static ThresholdConfig LoadFiles(IEnumerable<string> paths, RuleVariables? variables = null)
    {
        ArgumentNullException.ThrowIfNull(paths);
        variables ??= RuleVariables.CreateDefault();
        var config = new ThresholdConfig();
        foreach (string path in paths)
        {
            config.Add(File.ReadAllLines(path), variables, path);
        }

        return config;
    }

    public static ThresholdConfig Parse(IEnumerable<string> lines, RuleVariables? variables = null, string source = "<threshold.config>")
    {
        ArgumentNullException.ThrowIfNull(lines);
        var config = new ThresholdConfig();
        config.Add(lines, variables ?? RuleVariables.CreateDefault(), source);
        return config;
    }

    private void Add(IEnumerable<string> lines, RuleVariables variables, string source)
    {
        int number = 0, start = 0;
        string pending = "";
        foreach (string raw in lines)
        {
            number++;
            string line = raw.Trim();
            if (pending.Length == 0)
            {
                start = number;
                if (line.Length == 0 || line.StartsWith('#'))
                {
                    continue;
                }
            }

            if (line.EndsWith('\\'))
            {
                pending += line[..^1] + " ";
                continue;
            }

            ParseLine(pending + line, variables, source, start);
            pending = "";
        }

        if (pending.Length > 0)
        {
            ParseLine(pending, variables, source, start);
        }
    }

    /// <summary>The threshold and detection_filter that apply to <paramref name="rule"/> under this config.</summary>
    public (ThresholdOption? Threshold, ThresholdOption? DetectionFilter) Effective(Rule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        foreach ((int gid, long sid, ThresholdOption option) in _thresholds)
        {
            if (sid != 0 && sid == rule.Sid && (gid == 0 || gid == rule.Gid))
            {
                return (option, null);
            }
        }

        if (rule.Threshold is not null || rule.DetectionFilter is not null)
        {
            return (rule.Threshold, rule.DetectionFilter);
        }

        foreach ((int gid, long sid, ThresholdOption option) in _thresholds)
        {
            if (sid == 0 && (gid == 0 || gid == rule.Gid))
            {
                return (option, null);
            }
        }

        return (null, null);
    }

    /// <summary>The suppressions that apply to <paramref name="rule"/>.</summary>
    public IReadOnlyList<Suppression> SuppressionsOf(Rule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        return [.. _suppressions.Where(s => (s.Sid == 0 || s.Sid == rule.Sid) && (s.Gid == 0 || s.Gid == rule.Gid))];
    }

    /// <summary>Comma-separated items, keeping address lists (<c>ip [a, b]</c>) whole.</summary>
    private static IEnumerable<string> SplitOutsideBrackets(string text)
    {
        int depth = 0, start = 0;
        for (int i = 0; i <= text.Length; i++)
        {
            if (i == text.Length || (text[i] == ',' && depth == 0))
            {
                string item = text[start..i].Trim();
                if (item.Length > 0)
                {
                    yield return item;
                }

                start = i + 1;
            }
            else if (text[i] == '[')
            {
                depth++;
            }
            else if (text[i] == ']')
            {
                depth = Math.Max(0, depth - 1);
            }
        }
    }

    private void ParseLine(string line, RuleVariables variables, string source, int number)
    {
        int space = line.IndexOf(' ', StringComparison.Ordinal);
        string verb = space < 0 ? line : line[..space];
        if (verb is "rate_filter")
        {
            _problems.Add(new ThresholdConfigProblem(source, number, "rate_filter is not supported yet; line ignored", Unsupported: true));
            return;
        }

        if (verb is not ("threshold" or "event_filter" or "suppress"))
        {
            _problems.Add(new ThresholdConfigProblem(source, number, $"unknown directive '{verb}'"));
            return;
        }

        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string item in SplitOutsideBrackets(line[(space + 1)..]))
        {
            string[] kv = item.Split(' ', 2, StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (kv.Length != 2 || !fields.TryAdd(kv[0], kv[1]))
            {
                _problems.Add(new ThresholdConfigProblem(source, number, $"'{item}' is not a single 'name value'"));
                return;
            }
        }

        if (!fields.TryGetValue("gen_id", out string? g) || !int.TryParse(g, NumberStyles.None, CultureInfo.InvariantCulture, out int gid)
            || !fields.TryGetValue("sig_id", out string? s) || !long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out long sid))
        {
            _problems.Add(new ThresholdConfigProblem(source, number, "needs numeric gen_id and sig_id"));
            return;
        }

        try
        {
            if (verb == "suppress")
            {
                fields.TryGetValue("track", out string? track);
                fields.TryGetValue("ip", out string? ip);
                if ((track is null) != (ip is null) || track is not (null or "by_src" or "by_dst" or "by_either"))
                {
                    _problems.Add(new ThresholdConfigProblem(source, number, "suppress takes no track, or track by_src|by_dst|by_either with ip"));
                    return;
                }

                _suppressions.Add(new Suppression(gid, sid, track, ip is null ? null : AddressSet.Parse(ip, variables)));
                return;
            }

            string rest = string.Join(", ", fields.Where(kv => kv.Key is not ("gen_id" or "sig_id")).Select(kv => kv.Key + " " + kv.Value));
            _thresholds.Add((gid, sid, ThresholdOption.Parse("threshold", rest, typed: true)));
        }
        catch (Exception ex) when (ex is RuleParseException or FormatException)
        {
            _problems.Add(new ThresholdConfigProblem(source, number, ex.Message));
        }
    }
}
