using Microsoft.Extensions.Logging;
using NetSecStream.Core.Components;
using NetSecStream.Core.Events;
using NetSecStream.Core.Telemetry;
using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Engine;

/// <summary>Configuration of the <c>signatures</c> detector.</summary>
public sealed class SignatureOptions
{
    /// <summary>Rule files or directories of <c>*.rules</c> files.</summary>
    public List<string> Paths { get; set; } = [];

    /// <summary>Optional YAML/vars file with address and port variables (HOME_NET ...).</summary>
    public string? VarsFile { get; set; }

    /// <summary>Optional Suricata threshold.config: threshold / event_filter and suppress lines (rate_filter is logged and ignored).</summary>
    public string? ThresholdFile { get; set; }

    /// <summary>Evaluate every rule without the prefilter (baseline, tests).</summary>
    public bool NaiveEvaluation { get; set; }

    /// <summary>
    /// Most flows whose flowbits are kept at once; beyond it the least recently seen flow's bits are evicted (counted).
    /// A flow costs its key, a bit set of the rule set's flowbit names (ET Open: 311 names, 40 bytes) and the table
    /// entry: about 250 bytes, so the default bounds the table near 25 MB.
    /// </summary>
    public int MaxFlowStates { get; set; } = 100_000;

    /// <summary>Seconds of event time without an event after which a flow's bits are dropped.</summary>
    public int FlowStateIdleSeconds { get; set; } = 3600;

    /// <summary>Most threshold / detection_filter counters kept at once; beyond it the least recently used is evicted (counted).</summary>
    public int MaxThresholdStates { get; set; } = 100_000;

    /// <summary>Most xbits (host or IP-pair bits) kept at once; beyond it the least recently used is evicted (counted).</summary>
    public int MaxXbitStates { get; set; } = 100_000;

    /// <summary>The state bounds as the engine takes them.</summary>
    public State.DetectionStateLimits StateLimits => new()
    {
        MaxFlows = MaxFlowStates,
        FlowIdleTimeout = TimeSpan.FromSeconds(FlowStateIdleSeconds),
        MaxThresholdEntries = MaxThresholdStates,
        MaxXbits = MaxXbitStates,
    };

    /// <summary>Problems with the options; each message starts with <c>Detectors:Signatures:</c>. Empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Paths is null || Paths.Count == 0)
        {
            errors.Add("Detectors:Signatures:Paths must name at least one rule file or directory.");
        }
        else
        {
            foreach (string p in Paths)
            {
                if (string.IsNullOrWhiteSpace(p))
                {
                    errors.Add("Detectors:Signatures:Paths contains an empty entry.");
                }
                else if (!File.Exists(p) && !Directory.Exists(p))
                {
                    errors.Add($"Detectors:Signatures:Paths: '{p}' does not exist.");
                }
            }
        }

        if (VarsFile is not null && !File.Exists(VarsFile))
        {
            errors.Add($"Detectors:Signatures:VarsFile: '{VarsFile}' does not exist.");
        }

        if (ThresholdFile is not null && !File.Exists(ThresholdFile))
        {
            errors.Add($"Detectors:Signatures:ThresholdFile: '{ThresholdFile}' does not exist.");
        }

        if (MaxFlowStates is < 1 or > 10_000_000)
        {
            errors.Add($"Detectors:Signatures:MaxFlowStates must be between 1 and 10000000 (was {MaxFlowStates}).");
        }

        if (FlowStateIdleSeconds is < 1 or > 7 * 24 * 3600)
        {
            errors.Add($"Detectors:Signatures:FlowStateIdleSeconds must be between 1 and 604800 (was {FlowStateIdleSeconds}).");
        }

        if (MaxThresholdStates is < 1 or > 10_000_000)
        {
            errors.Add($"Detectors:Signatures:MaxThresholdStates must be between 1 and 10000000 (was {MaxThresholdStates}).");
        }

        if (MaxXbitStates is < 1 or > 10_000_000)
        {
            errors.Add($"Detectors:Signatures:MaxXbitStates must be between 1 and 10000000 (was {MaxXbitStates}).");
        }

        return errors;
    }
}

/// <summary>
/// The signature detector (component id <c>signatures</c>): runs the <see cref="SignatureEngine"/> over each batch.
/// Rules are loaded in <see cref="StartAsync"/>, not in the constructor, so building the pipeline stays cheap and a
/// missing path fails the start with an <see cref="InvalidOperationException"/> naming the validation messages.
/// <see cref="Detect"/> before a successful start throws. The pipeline runs each detector in one stage, batch after
/// batch in stream order, so flowbits and threshold state see events in capture order; the engine's state is also
/// locked per event (see <see cref="State.DetectionState"/>), so concurrent callers cannot corrupt it.
/// </summary>
public sealed class SignatureDetector : IDetector, IDisposable
{
    private static readonly Action<ILogger, int, int, int, double, Exception?> LogLoaded = LoggerMessage.Define<int, int, int, double>(
        LogLevel.Information, new EventId(1, "SignaturesLoaded"),
        "Signatures loaded: {Loaded} rules, {Evaluable} evaluable, {NotEvaluable} not evaluable yet, in {Seconds:F2} s");

    private static readonly Action<ILogger, string, Exception?> LogThresholdIgnored = LoggerMessage.Define<string>(
        LogLevel.Warning, new EventId(2, "ThresholdDirectiveIgnored"), "threshold.config directive ignored: {Problem}");

    private readonly SignatureOptions _options;
    private readonly ILogger? _logger;
    private SignatureEngine? _engine;

    public SignatureDetector(SignatureOptions options, NetSecMetrics metrics, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(metrics);
        _options = options;
        Metrics = metrics;
        _logger = logger;
    }

    public string Id => "signatures";

    public ComponentKind Kind => ComponentKind.Detector;

    public string DetectorKind => DetectorKinds.Signature;

    public NetSecMetrics Metrics { get; }

    /// <summary>The engine after <see cref="StartAsync"/>; null before.</summary>
    public SignatureEngine? Engine => _engine;

    /// <summary>The load result after <see cref="StartAsync"/> (diagnostics for the rules that failed to parse).</summary>
    public RuleSetLoadResult? LoadResult { get; private set; }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<string> errors = _options.Validate();
        if (errors.Count > 0)
        {
            throw new InvalidOperationException(string.Join(Environment.NewLine, errors));
        }

        RuleVariables? vars = _options.VarsFile is null ? null : RuleVariables.LoadFile(_options.VarsFile);
        State.ThresholdConfig? thresholds = null;
        if (_options.ThresholdFile is { } thresholdFile)
        {
            thresholds = State.ThresholdConfig.LoadFile(thresholdFile, vars);
            string[] malformed = [.. thresholds.Problems.Where(p => !p.Unsupported).Select(p => "Detectors:Signatures:ThresholdFile: " + p)];
            if (malformed.Length > 0)
            {
                throw new InvalidOperationException(string.Join(Environment.NewLine, malformed));
            }

            if (_logger is not null)
            {
                foreach (State.ThresholdConfigProblem p in thresholds.Problems)
                {
                    LogThresholdIgnored(_logger, p.ToString(), null);
                }
            }
        }

        LoadResult = SignatureEngine.Admit(RuleSetLoader.Load(_options.Paths, vars));
        _engine = new SignatureEngine(LoadResult, usePrefilter: !_options.NaiveEvaluation, stateLimits: _options.StateLimits,
            stateEvicted: (table, reason) => Metrics.StateEvicted(Id, table, reason == State.StateEvictionReason.Capacity ? "capacity" : "expired"),
            thresholdConfig: thresholds);

        // Rules that did not load, and parsed rules the engine cannot evaluate yet, are counted: never a silent skip.
        int notEvaluable = LoadResult.Diagnostics.Count(d => d.Kind == RuleDiagnosticKind.NotEvaluable);
        if (LoadResult.Failed - notEvaluable > 0)
        {
            Metrics.EventRejected(Id, "rule_not_loaded", LoadResult.Failed - notEvaluable);
        }

        if (notEvaluable > 0)
        {
            Metrics.EventRejected(Id, "rule_not_evaluable", notEvaluable);
        }

        if (_logger is not null)
        {
            LogLoaded(_logger, LoadResult.Loaded, _engine.EvaluableCount, notEvaluable, LoadResult.Elapsed.TotalSeconds, null);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Detect(IReadOnlyList<FlowEvent> batch, ICollection<Alert> alerts)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(alerts);
        SignatureEngine engine = _engine ?? throw new InvalidOperationException("The signatures detector was not started.");
        var matches = new List<SignatureMatch>();
        foreach (FlowEvent flow in batch)
        {
            matches.Clear();
            engine.Match(flow, matches);
            foreach (SignatureMatch m in matches)
            {
                alerts.Add(SignatureAlerts.Create(m, flow));
            }
        }
    }

    public void Dispose() => _engine?.Dispose();
}

/// <summary>Builds the <see cref="Alert"/> of a signature match.</summary>
public static class SignatureAlerts
{
    public static Alert Create(SignatureMatch match, FlowEvent flow)
    {
        ArgumentNullException.ThrowIfNull(match);
        ArgumentNullException.ThrowIfNull(flow);
        Rule rule = match.Rule;
        int severity = Math.Clamp(rule.Priority ?? 3, 1, 4);
        string sid = rule.Sid.ToString(System.Globalization.CultureInfo.InvariantCulture);
        string block = rule.Action is RuleAction.Drop or RuleAction.Reject or RuleAction.RejectSrc or RuleAction.RejectDst or RuleAction.RejectBoth
            ? $" The rule asks for a block ({rule.Action.ToString().ToLowerInvariant()})."
            : "";
        string tuple = flow.CommunityId
            ?? $"{flow.IpProtocol}:{flow.Source.Ip}:{flow.Source.Port}-{flow.Destination.Ip}:{flow.Destination.Port}";
        return new Alert
        {
            Id = Guid.CreateVersion7().ToString("N"),
            Timestamp = flow.Timestamp,
            Detector = DetectorKinds.Signature,
            RuleId = sid,
            RuleName = rule.Msg ?? $"sid {sid}",
            RuleCategory = rule.Classtype,
            Ruleset = "suricata",
            RuleVersion = rule.Rev.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Severity = severity,
            RiskScore = RiskFromSeverity(severity),
            Explanation = $"Suricata rule {rule.Gid}:{sid}:{rule.Rev} {match.Explanation}.{block}",
            DedupeKey = $"sid:{sid}:{tuple}",
            Flow = flow,
        };
    }

    /// <summary>Severity 1 (highest) to 4 as a 0-100 risk score: 90, 70, 50, 30.</summary>
    public static double RiskFromSeverity(int severity) => Math.Clamp(severity, 1, 4) switch
    {
        1 => 90,
        2 => 70,
        3 => 50,
        _ => 30,
    };
}

/// <summary>Start-up validation of <c>Detectors:Signatures</c> (the checks of <see cref="SignatureOptions.Validate"/>).</summary>
public sealed class SignatureOptionsValidator : Microsoft.Extensions.Options.IValidateOptions<SignatureOptions>
{
    public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, SignatureOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        return errors.Count == 0 ? Microsoft.Extensions.Options.ValidateOptionsResult.Success : Microsoft.Extensions.Options.ValidateOptionsResult.Fail(errors);
    }
}
