using NetSecStream.Core.Configuration;
using Microsoft.Extensions.Logging;
using NetSecStream.Core.Components;
using NetSecStream.Core.Events;
using NetSecStream.Core.Telemetry;
using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Engine;

/// <summary>Configuration of the <c>signatures</c> detector.</summary>
public sealed class SignatureOptions
{
    /// <summary>The threshold file the control plane keeps in its rules directory: a suppress line per rule disabled through the API.</summary>
    public const string DisabledRulesFileName = "disabled-rules.threshold.config";

    /// <summary>Rule files or directories of <c>*.rules</c> files.</summary>
    public List<string> Paths { get; set; } = [];

    /// <summary>
    /// The control plane's rules directory (<c>Control:RulesDirectory</c>; a shared volume or ConfigMap for processors on
    /// other machines): its <c>*.rules</c> load beside <see cref="Paths"/>, and its <see cref="DisabledRulesFileName"/>
    /// applies on top of <see cref="ThresholdFile"/>. It may be missing or empty at start: files that appear or change
    /// later are taken by the reload check. <c>netsec run</c> sets it to its own control plane's directory.
    /// </summary>
    public string? ControlDirectory { get; set; }

    /// <summary>Optional YAML/vars file with address and port variables (HOME_NET ...).</summary>
    public string? VarsFile { get; set; }

    /// <summary>Optional Suricata threshold.config: threshold / event_filter and suppress lines (rate_filter is logged and ignored).</summary>
    public string? ThresholdFile { get; set; }

    /// <summary>Evaluate every rule without the prefilter (baseline, tests).</summary>
    public bool NaiveEvaluation { get; set; }

    /// <summary>How often the rule files are checked for changes (SIGHUP reloads at once); zero turns the check off.</summary>
    public TimeSpan ReloadInterval { get; set; } = TimeSpan.FromSeconds(5);

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
        if ((Paths is null || Paths.Count == 0) && ControlDirectory is null)
        {
            errors.Add("Detectors:Signatures:Paths must name at least one rule file or directory (or Detectors:Signatures:ControlDirectory be set).");
        }
        else
        {
            foreach (string p in Paths ?? [])
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

        if (ReloadInterval < TimeSpan.Zero || (ReloadInterval > TimeSpan.Zero && ReloadInterval < TimeSpan.FromMilliseconds(100)))
        {
            errors.Add($"Detectors:Signatures:ReloadInterval must be zero (off) or at least 00:00:00.1 (got {ReloadInterval}).");
        }

        if (VarsFile is not null && !File.Exists(VarsFile))
        {
            errors.Add($"Detectors:Signatures:VarsFile: '{VarsFile}' does not exist.");
        }

        if (ControlDirectory is not null && string.IsNullOrWhiteSpace(ControlDirectory))
        {
            errors.Add("Detectors:Signatures:ControlDirectory must not be empty (leave it out to load Paths only).");
        }
        else if (ControlDirectory is not null && File.Exists(ControlDirectory))
        {
            errors.Add($"Detectors:Signatures:ControlDirectory: '{ControlDirectory}' is a file, not a directory.");
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
/// <see cref="Detect"/> before a successful start throws.
/// <para>
/// Reload: every <see cref="SignatureOptions.ReloadInterval"/> the rule files (with the control plane's directory),
/// the vars and threshold files and the control plane's disabled rules are checked for changes, and SIGHUP reloads at
/// once, as <c>suricatasc reload-rules</c> would. The new engine is built beside the running one and swapped in between
/// batches, so no event is dropped or seen by neither. A ruleset that cannot be read, of which no rule loads, with a
/// malformed threshold line, or with a file of which no rule loads (a new file, or one that loaded before) is refused:
/// the old engine keeps running, the failure is logged and counted in <c>netsec_component_reloads{outcome="failed"}</c>.
/// </para>
/// <para>
/// The pipeline runs each detector in one stage, batch after
/// batch in stream order, so flowbits and threshold state see events in capture order; the engine's state is also
/// locked per event (see <see cref="State.DetectionState"/>), so concurrent callers cannot corrupt it.
/// </para>
/// </summary>
public sealed class SignatureDetector : IDetector, IDisposable
{
    private static readonly Action<ILogger, int, int, int, double, Exception?> LogLoaded = LoggerMessage.Define<int, int, int, double>(
        LogLevel.Information, new EventId(1, "SignaturesLoaded"),
        "Signatures loaded: {Loaded} rules, {Evaluable} evaluable, {NotEvaluable} not evaluable yet, in {Seconds:F2} s");

    private static readonly Action<ILogger, string, Exception?> LogReloadFailed = LoggerMessage.Define<string>(
        LogLevel.Warning, new EventId(2, "SignaturesReloadFailed"), "Signature rules not reloaded, the running rules stay: {Reason}");
    private static readonly Action<ILogger, string, Exception?> LogThresholdIgnored = LoggerMessage.Define<string>(
        LogLevel.Warning, new EventId(3, "ThresholdDirectiveIgnored"), "threshold.config directive ignored: {Problem}");

    private readonly SignatureOptions _options;
    private readonly ILogger? _logger;
    private readonly ReaderWriterLockSlim _swap = new();
    private readonly Lock _reloadLock = new();
    private SignatureEngine? _engine;
    private FileStamps _stamps = FileStamps.None;
    private FileStamps _refusedStamps = FileStamps.None;
    private string? _refusedReason;
    private bool _controlDirectoryInForce;
    private Timer? _timer;
    private System.Runtime.InteropServices.PosixSignalRegistration? _hangup;

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

        if (!Reload(force: true, out string? reason))
        {
            throw new InvalidOperationException(reason!.StartsWith("Detectors:Signatures:", StringComparison.Ordinal) ? reason : "Detectors:Signatures: " + reason);
        }

        if (_options.ReloadInterval > TimeSpan.Zero)
        {
            _timer = new Timer(_ => Reload(force: false, out string? _), null, _options.ReloadInterval, _options.ReloadInterval);
        }

        try
        {
            _hangup = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGHUP, context =>
            {
                context.Cancel = true;
                ThreadPool.QueueUserWorkItem(_ => Reload(force: true, out string? _));
            });
        }
        catch (PlatformNotSupportedException)
        {
            // No SIGHUP here: the file check still reloads.
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// Loads the rules again when a file changed (always with <paramref name="force"/>) and swaps the engine. Returns
    /// false, with the reason, when the new ruleset is refused; the running engine then stays.
    /// </summary>
    public bool Reload(bool force, out string? reason)
    {
        reason = null;
        lock (_reloadLock)
        {
            RuleSetLoadResult load;
            SignatureEngine engine;
            FileStamps stamps;
            bool controlDirectoryExists;
            try
            {
                stamps = Stamps();
                if (!force && _engine is not null && stamps.SameAs(_stamps))
                {
                    return true;
                }

                // The files refused last time, unchanged: a broken file left in a shared directory must not cost a full
                // reload (and a log line) every interval. SIGHUP (force) tries again.
                if (!force && _engine is not null && _refusedReason is not null && stamps.SameAs(_refusedStamps))
                {
                    reason = _refusedReason;
                    return false;
                }

                _refusedStamps = stamps;
                controlDirectoryExists = _options.ControlDirectory is { } control && Directory.Exists(control);
                if (_engine is not null && _controlDirectoryInForce && !controlDirectoryExists)
                {
                    // A shared volume that went away must not re-enable the rules disabled through it, nor drop the uploaded ones.
                    reason = $"Detectors:Signatures:ControlDirectory '{_options.ControlDirectory}' is gone; the rules in force stay until it is back";
                    return Refuse(reason);
                }

                RuleVariables? vars = _options.VarsFile is null ? null : RuleVariables.LoadFile(_options.VarsFile);
                State.ThresholdConfig? thresholds = null;
                if (ThresholdFiles() is { Count: > 0 } thresholdFiles)
                {
                    thresholds = State.ThresholdConfig.LoadFiles(thresholdFiles, vars);
                    string[] malformed = [.. thresholds.Problems.Where(p => !p.Unsupported).Select(p => "Detectors:Signatures:ThresholdFile: " + p)];
                    if (malformed.Length > 0)
                    {
                        reason = string.Join(Environment.NewLine, malformed);
                        return Refuse(reason);
                    }

                    if (_logger is not null)
                    {
                        foreach (State.ThresholdConfigProblem p in thresholds.Problems)
                        {
                            LogThresholdIgnored(_logger, p.ToString(), null);
                        }
                    }
                }

                load = SignatureEngine.Admit(RuleSetLoader.Load(RulePaths(), vars));
                if (load.Loaded == 0 && load.Total > 0)
                {
                    reason = $"none of the {load.Total} rules loaded (first: {(load.Diagnostics.Count > 0 ? load.Diagnostics[0] : null)})";
                    return Refuse(reason);
                }

                if (LoadResult is { } inForce && BrokenFile(load, inForce) is { } broken)
                {
                    reason = broken;
                    return Refuse(reason);
                }

                // Flowbits, xbits and threshold state live in the engine: a reload starts them afresh.
                engine = new SignatureEngine(load, usePrefilter: !_options.NaiveEvaluation, stateLimits: _options.StateLimits,
                    stateEvicted: (table, why) => Metrics.StateEvicted(Id, table, why == State.StateEvictionReason.Capacity ? "capacity" : "expired"),
                    thresholdConfig: thresholds);
            }
#pragma warning disable CA1031 // Whatever breaks a reload (I/O, a vars file, an engine build) must leave the running rules in place.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                reason = $"{ex.GetType().Name}: {ex.Message}";
                return Refuse(reason);
            }

            SignatureEngine? old;
            _swap.EnterWriteLock();
            try
            {
                old = _engine;
                _engine = engine;
                LoadResult = load;
                _stamps = stamps;
                _refusedReason = null;
                _controlDirectoryInForce = controlDirectoryExists;
            }
            finally
            {
                _swap.ExitWriteLock();
            }

            old?.Dispose();
            if (old is not null)
            {
                Metrics.ComponentReloaded(Id, success: true);
            }

            // Rules that did not load, and parsed rules the engine cannot evaluate yet, are counted: never a silent skip.
            int notEvaluable = load.Diagnostics.Count(d => d.Kind == RuleDiagnosticKind.NotEvaluable);
            if (load.Failed - notEvaluable > 0)
            {
                Metrics.EventRejected(Id, "rule_not_loaded", load.Failed - notEvaluable);
            }

            if (notEvaluable > 0)
            {
                Metrics.EventRejected(Id, "rule_not_evaluable", notEvaluable);
            }

            if (_logger is not null)
            {
                LogLoaded(_logger, load.Loaded, engine.EvaluableCount, notEvaluable, load.Elapsed.TotalSeconds, null);
            }

            return true;
        }
    }

    private bool Refuse(string reason)
    {
        _refusedReason = reason;
        if (_engine is not null)
        {
            Metrics.ComponentReloaded(Id, success: false);
            if (_logger is not null)
            {
                LogReloadFailed(_logger, reason, null);
            }
        }

        return false;
    }

    /// <summary>
    /// A file of the new ruleset of which no rule loads, when it is new or loaded before (a truncated or garbled update,
    /// an upload that went past the API's check): taking the set would drop that file's rules in force, or bring in a file
    /// that only fails, so the reload is refused. A file that loaded nothing in the set in force already does not block it,
    /// nor does one whose rules are all duplicates of rules loaded from an earlier file (they are in force from there; a
    /// copy uploaded beside the configured rules must not block every later change).
    /// </summary>
    private static string? BrokenFile(RuleSetLoadResult load, RuleSetLoadResult inForce)
    {
        var loadedNow = load.Rules.Where(r => r.File is not null).CountBy(r => r.File!).ToDictionary(StringComparer.Ordinal);
        var loadedBefore = inForce.Rules.Where(r => r.File is not null).CountBy(r => r.File!).ToDictionary(StringComparer.Ordinal);
        var failedBefore = inForce.Diagnostics.Where(d => d.File is not null).Select(d => d.File!).ToHashSet(StringComparer.Ordinal);
        foreach (var failed in load.Diagnostics.Where(d => d.File is not null).GroupBy(d => d.File!, StringComparer.Ordinal))
        {
            if (failed.All(d => d.Reason.StartsWith(RuleSetLoader.DuplicateSidReason, StringComparison.Ordinal)))
            {
                continue;
            }

            bool brokenBefore = failedBefore.Contains(failed.Key) && !loadedBefore.ContainsKey(failed.Key);
            if (!loadedNow.ContainsKey(failed.Key) && !brokenBefore)
            {
                return $"{failed.Key}: none of its {failed.Count()} rules loads (first: {failed.First()}); the rules in force stay until the file is fixed";
            }
        }

        return null;
    }

    /// <summary>The rule paths, with the control plane's directory once it exists.</summary>
    private List<string> RulePaths()
    {
        var paths = new List<string>(_options.Paths);
        if (_options.ControlDirectory is { } control && Directory.Exists(control))
        {
            paths.Add(control);
        }

        return paths;
    }

    /// <summary>The operator's threshold file and the control plane's disabled rules, those that exist.</summary>
    private List<string> ThresholdFiles()
    {
        var files = new List<string>(2);
        if (_options.ThresholdFile is { } thresholdFile)
        {
            files.Add(thresholdFile);
        }

        if (_options.ControlDirectory is { } control && File.Exists(Path.Combine(control, SignatureOptions.DisabledRulesFileName)))
        {
            files.Add(Path.Combine(control, SignatureOptions.DisabledRulesFileName));
        }

        return files;
    }

    /// <summary>
    /// Write time and length of every rule file (directories: their *.rules), of the vars and threshold files, and of the
    /// control plane's disabled rules (missing has a stamp of its own, so the first rule disabled is a change).
    /// </summary>
    private FileStamps Stamps()
    {
        var files = new List<string>();
        if (_options.ControlDirectory is { } control)
        {
            files.Add(Path.Combine(control, SignatureOptions.DisabledRulesFileName));
        }

        foreach (string path in RulePaths())
        {
            if (Directory.Exists(path))
            {
                files.AddRange(Directory.EnumerateFiles(path, "*.rules", SearchOption.TopDirectoryOnly));
            }
            else
            {
                files.Add(path);
            }
        }

        if (_options.VarsFile is { } vars)
        {
            files.Add(vars);
        }

        if (_options.ThresholdFile is { } thresholdFile)
        {
            files.Add(thresholdFile);
        }

        return FileStamps.Of(files);
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _timer?.Dispose();
        _timer = null;
        _hangup?.Dispose();
        _hangup = null;
        return Task.CompletedTask;
    }

    public void Detect(IReadOnlyList<FlowEvent> batch, ICollection<Alert> alerts)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(alerts);
        // The read lock spans the batch: a reload swaps engines between batches, never inside one.
        _swap.EnterReadLock();
        try
        {
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
        finally
        {
            _swap.ExitReadLock();
        }
    }

    public void Dispose()
    {
        _timer?.Dispose();
        _hangup?.Dispose();
        _engine?.Dispose();
        _swap.Dispose();
    }
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
        string id = Guid.CreateVersion7().ToString("N");
        return new Alert
        {
            Id = id,
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
            RequestsBlock = block.Length > 0,

            // Packets and transactions alert one by one, as Suricata does (two requests finished by one packet too);
            // thresholds, not dedupe, limit them.
            DedupeKey = flow.Kind is FlowEventKind.Packet or FlowEventKind.Transaction
                ? $"sid:{sid}:{tuple}:{flow.Kind}:{flow.PacketNumber}:{id}"
                : $"sid:{sid}:{tuple}",
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
