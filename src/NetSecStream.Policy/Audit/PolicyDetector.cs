using NetSecStream.Core.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NetSecStream.Core.Components;
using NetSecStream.Core.Events;
using NetSecStream.Core.Telemetry;
using NetSecStream.Policy.Evaluation;
using NetSecStream.Policy.Parsing;

namespace NetSecStream.Policy.Audit;

/// <summary>
/// Policy audit (component id <c>policy</c>), as Cilium's policy audit mode: every flow is judged against the declared
/// NetworkPolicies and Cilium policies, and each flow they would deny raises an alert naming the deciding policies
/// and the reason. Nothing is enforced. Replies of connections are not judged (the dataplane tracks connections),
/// nor single packets. The files are re-read when they change; a set with errors is logged and counted, and the
/// policies in force stay.
/// </summary>
public sealed partial class PolicyDetector : IDetector, IDisposable
{
    public const string ComponentId = "policy";

    private readonly PolicyAuditOptions _options;
    private readonly NetSecMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Lock _reloadLock = new();
    private readonly Lock _evaluateLock = new();
    private volatile PolicyEvaluator _evaluator;
    private FileStamps _fileStamps = FileStamps.None;
    private Timer? _timer;

    public PolicyDetector(PolicyAuditOptions options, NetSecMetrics metrics, ILogger<PolicyDetector>? logger = null)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _metrics = metrics ?? throw new ArgumentNullException(nameof(metrics));
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _evaluator = new PolicyEvaluator([], options.VerdictCacheCapacity);
    }

    public string Id => ComponentId;

    public ComponentKind Kind => ComponentKind.Detector;

    public string DetectorKind => DetectorKinds.Policy;

    /// <summary>The evaluator over the policies in force.</summary>
    public PolicyEvaluator Evaluator => _evaluator;

    /// <summary>Problems found at the last load attempt.</summary>
    public IReadOnlyList<PolicyDiagnostic> Diagnostics { get; private set; } = [];

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!_options.Enabled)
        {
            return Task.CompletedTask;
        }

        // Fail fast: auditing against half of the declared policies would raise alerts the real set never would.
        if (!Reload(force: true))
        {
            throw new InvalidOperationException("policy: the policy files have errors: " + string.Join("; ", Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Take(10)));
        }

        _timer = new Timer(_ => Reload(force: false), null, _options.ReloadInterval, _options.ReloadInterval);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _timer?.Dispose();
        _timer = null;
        return Task.CompletedTask;
    }

    /// <summary>Re-reads the files when any changed (or always, with <paramref name="force"/>). False when the set has errors and was not taken.</summary>
    public bool Reload(bool force)
    {
        lock (_reloadLock)
        {
            FileStamps stamps;
            PolicyParseResult loaded;
            try
            {
                var files = PolicyLoader.ResolveFiles(_options.Paths);
                stamps = FileStamps.Of(files);
                if (!force && stamps.SameAs(_fileStamps))
                {
                    return true;
                }

                loaded = PolicyLoader.Load(_options.Paths);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                LogReloadFailed(_logger, ex.Message);
                _metrics.ComponentReloaded(ComponentId, success: false);
                return false;
            }

            Diagnostics = loaded.Diagnostics;
            foreach (var diagnostic in loaded.Diagnostics)
            {
                if (diagnostic.Severity == DiagnosticSeverity.Error)
                {
                    LogBadPolicy(_logger, diagnostic.ToString());
                    _metrics.EventRejected(ComponentId, "bad_policy");
                }
                else
                {
                    LogPolicyWarning(_logger, diagnostic.ToString());
                }
            }

            // The stamps are taken either way: a broken set is reported once, not at every tick until it is fixed.
            _fileStamps = stamps;
            if (loaded.HasErrors)
            {
                _metrics.ComponentReloaded(ComponentId, success: false);
                LogKeptPolicies(_logger, _evaluator.Policies.Count);
                return false;
            }

            _evaluator = new PolicyEvaluator(loaded.Policies, _options.VerdictCacheCapacity);
            _metrics.ComponentReloaded(ComponentId, success: true);
            LogLoaded(_logger, loaded.Policies.Count, stamps.Count);
            return true;
        }
    }

    public void Detect(IReadOnlyList<FlowEvent> batch, ICollection<Alert> alerts)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(alerts);
        var evaluator = _evaluator;
        if (evaluator.Policies.Count == 0)
        {
            return;
        }

        long allowed = 0, denied = 0, notEvaluated = 0, notSelected = 0;
        lock (_evaluateLock)
        {
            for (int i = 0; i < batch.Count; i++)
            {
                var flow = batch[i];
                if (flow.Kind == FlowEventKind.Packet || flow.IsReply == true)
                {
                    continue;
                }

                var verdict = evaluator.Evaluate(flow);
                switch (verdict.Kind)
                {
                    case VerdictKind.Denied:
                        denied++;
                        alerts.Add(CreateAlert(flow, verdict));
                        break;
                    case VerdictKind.Allowed:
                        allowed++;
                        break;
                    case VerdictKind.NotEvaluated:
                        notEvaluated++;
                        break;
                    default:
                        notSelected++;
                        break;
                }
            }
        }

        Count(VerdictKind.Allowed, allowed);
        Count(VerdictKind.Denied, denied);
        Count(VerdictKind.NotEvaluated, notEvaluated);
        Count(VerdictKind.NotSelected, notSelected);
    }

    private void Count(VerdictKind kind, long count)
    {
        if (count > 0)
        {
            _metrics.PolicyEvaluated(PolicyVerdict.KindName(kind), count);
        }
    }

    private Alert CreateAlert(FlowEvent flow, PolicyVerdict verdict)
    {
        string policies = string.Join(",", verdict.Policies);
        string source = Describe(flow.Source);
        string destination = Describe(flow.Destination);
        string transport = TransportNames.EcsName(flow.IpProtocol);
        return new Alert
        {
            Id = Guid.CreateVersion7().ToString("N"),
            Timestamp = flow.Timestamp,
            Detector = DetectorKinds.Policy,
            RuleId = "policy:" + policies,
            RuleName = $"Policy audit: {source} -> {destination}:{flow.Destination.Port}/{transport} would be denied by {policies}",
            RuleCategory = "policy-violation",
            Ruleset = "network-policies",
            Severity = _options.Severity,
            RiskScore = _options.Severity switch { <= 1 => 99, 2 => 73, 3 => 47, _ => 21 },
            Explanation = "audit: would be denied (nothing enforced): " + verdict.Reason,
            DedupeKey = $"policy|{policies}|{source}|{destination}|{flow.Destination.Port}/{transport}",
            Flow = flow,
        };
    }

    private static string Describe(FlowEndpoint endpoint)
    {
        if (endpoint.Namespace is { } ns)
        {
            return ns + "/" + (endpoint.Workload ?? endpoint.Pod ?? endpoint.Ip.ToString());
        }

        return (endpoint.ReservedEntity ?? "world") + ":" + endpoint.Ip;
    }

    public void Dispose() => _timer?.Dispose();

    [LoggerMessage(EventId = 400, Level = LogLevel.Information, Message = "policy: auditing flows against {Count} policies from {Files} files")]
    private static partial void LogLoaded(ILogger logger, int count, int files);

    [LoggerMessage(EventId = 401, Level = LogLevel.Error, Message = "policy: {Diagnostic}")]
    private static partial void LogBadPolicy(ILogger logger, string diagnostic);

    [LoggerMessage(EventId = 402, Level = LogLevel.Warning, Message = "policy: {Diagnostic}")]
    private static partial void LogPolicyWarning(ILogger logger, string diagnostic);

    [LoggerMessage(EventId = 403, Level = LogLevel.Error, Message = "policy: the policy files have errors; the {Count} policies in force stay")]
    private static partial void LogKeptPolicies(ILogger logger, int count);

    [LoggerMessage(EventId = 404, Level = LogLevel.Error, Message = "policy: reload failed, keeping the policies in force: {Reason}")]
    private static partial void LogReloadFailed(ILogger logger, string reason);
}
