using NetSecStream.Core.Configuration;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NetSecStream.Core.Components;
using NetSecStream.Core.Events;
using NetSecStream.Core.Telemetry;

namespace NetSecStream.Pipeline.Detectors.Intel;

/// <summary>
/// Threat-intelligence matching (component id <c>intel</c>): source and destination addresses against listed IPs
/// and CIDR blocks, and DNS queries, HTTP hosts, TLS SNIs and Cilium's destination names against listed domains.
/// The lists are re-read when a file changes; a failed reload keeps the previous lists.
/// </summary>
public sealed partial class IntelDetector : IDetector, IDisposable
{
    public const string ComponentId = "intel";

    private static readonly string[] ListExtensions = [".txt", ".list", ".csv"];

    private readonly IntelOptions _options;
    private readonly NetSecMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Lock _reloadLock = new();
    private volatile IndicatorIndex _index = IndicatorIndex.Empty;
    private FileStamps _fileStamps = FileStamps.None;
    private Timer? _timer;

    public IntelDetector(IntelOptions options, NetSecMetrics metrics, ILogger<IntelDetector>? logger = null)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _metrics = metrics ?? throw new ArgumentNullException(nameof(metrics));
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    public string Id => ComponentId;

    public ComponentKind Kind => ComponentKind.Detector;

    public string DetectorKind => DetectorKinds.Intel;

    /// <summary>The indicators in force now.</summary>
    public IndicatorIndex Index => _index;

    /// <summary>Problems found in the files at the last load.</summary>
    public IReadOnlyList<IndicatorDiagnostic> Diagnostics { get; private set; } = [];

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!_options.Enabled)
        {
            return Task.CompletedTask;
        }

        if (!Reload(force: true) && _options.Strict)
        {
            throw new InvalidOperationException("intel: indicator lists have errors (Detectors:Intel:Strict is on): "
                + string.Join("; ", Diagnostics.Take(10)));
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

    /// <summary>Re-reads the lists when any file changed (or always, with <paramref name="force"/>). Returns false on errors.</summary>
    public bool Reload(bool force)
    {
        lock (_reloadLock)
        {
            List<string> files;
            try
            {
                files = ResolveFiles();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                LogReloadFailed(_logger, ex.Message);
                _metrics.ComponentReloaded(ComponentId, success: false);
                return false;
            }

            var stamps = FileStamps.Of(files);
            if (!force && stamps.SameAs(_fileStamps))
            {
                return true;
            }

            var all = new List<Indicator>();
            var diagnostics = new List<IndicatorDiagnostic>();
            try
            {
                foreach (string file in files)
                {
                    var (indicators, fileDiagnostics) = IndicatorListParser.ParseFile(file);
                    all.AddRange(indicators);
                    diagnostics.AddRange(fileDiagnostics);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                LogReloadFailed(_logger, ex.Message);
                _metrics.ComponentReloaded(ComponentId, success: false);
                return false;
            }

            foreach (var diagnostic in diagnostics)
            {
                LogBadIndicator(_logger, diagnostic.File, diagnostic.Line, diagnostic.Reason);
                _metrics.EventRejected(ComponentId, "bad_indicator");
            }

            _index = new IndicatorIndex(all);
            _fileStamps = stamps;
            Diagnostics = diagnostics;
            _metrics.ComponentReloaded(ComponentId, success: true);
            LogLoaded(_logger, all.Count, files.Count, diagnostics.Count);
            return diagnostics.Count == 0;
        }
    }

    public void Detect(IReadOnlyList<FlowEvent> batch, ICollection<Alert> alerts)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(alerts);
        var index = _index;
        if (index.IsEmpty)
        {
            return;
        }

        for (int i = 0; i < batch.Count; i++)
        {
            var flow = batch[i];
            if (flow.Kind == FlowEventKind.Packet)
            {
                // Indicators are judged per flow (its summary and transactions), not once per packet.
                continue;
            }

            var hitDestination = index.Match(flow.Destination.Ip);
            if (hitDestination is not null)
            {
                alerts.Add(CreateAlert(flow, hitDestination, $"destination address {flow.Destination.Ip}", flow.Source.Ip, flow.Destination.Ip));
            }

            var hitSource = index.Match(flow.Source.Ip);
            if (hitSource is not null)
            {
                alerts.Add(CreateAlert(flow, hitSource, $"source address {flow.Source.Ip}", flow.Destination.Ip, flow.Source.Ip));
            }

            var (domainHit, field, name) = MatchDomains(index, flow);
            if (domainHit is not null)
            {
                alerts.Add(CreateAlert(flow, domainHit, $"{field} '{name}'", flow.Source.Ip, null));
            }
        }
    }

    private static (Indicator? Hit, string Field, string? Name) MatchDomains(IndicatorIndex index, FlowEvent flow)
    {
        if (flow.Dns?.Query is { } query && index.MatchDomain(query) is { } dnsHit)
        {
            return (dnsHit, "DNS query", query);
        }

        if (flow.Http?.Host is { } host && index.MatchDomain(StripPort(host)) is { } httpHit)
        {
            return (httpHit, "HTTP host", host);
        }

        if (flow.Tls?.Sni is { } sni && index.MatchDomain(sni) is { } tlsHit)
        {
            return (tlsHit, "TLS SNI", sni);
        }

        if (flow.Destination.DnsNames is { } names)
        {
            foreach (string destinationName in names)
            {
                if (index.MatchDomain(destinationName) is { } nameHit)
                {
                    return (nameHit, "destination name", destinationName);
                }
            }
        }

        return (null, "", null);
    }

    private static string StripPort(string host)
    {
        int colon = host.LastIndexOf(':');
        return colon > 0 && host.IndexOf(']', StringComparison.Ordinal) < colon && !host.AsSpan(0, colon).Contains(':') ? host[..colon] : host;
    }

    private static Alert CreateAlert(FlowEvent flow, Indicator indicator, string matched, IPAddress local, IPAddress? remote)
    {
        string what = indicator.Category is null ? "known-bad indicator" : indicator.Category;
        string explanation = $"{matched} matches {indicator.Type.ToString().ToLowerInvariant()} indicator '{indicator.Value}' "
            + $"({what}) from list '{indicator.ListName}' ({Path.GetFileName(indicator.SourceFile)}:{indicator.Line.ToString(CultureInfo.InvariantCulture)})"
            + (indicator.Description is null ? "" : ": " + indicator.Description);
        return new Alert
        {
            Id = Guid.CreateVersion7().ToString("N"),
            Timestamp = flow.Timestamp,
            Detector = DetectorKinds.Intel,
            RuleId = $"intel:{indicator.ListName}:{indicator.Value}",
            RuleName = $"Threat intel match: {indicator.Value} ({what})",
            RuleCategory = indicator.Category ?? "threat-intel",
            Ruleset = indicator.ListName,
            Severity = indicator.Severity,
            RiskScore = RiskScores.FromSeverity(indicator.Severity),
            Explanation = explanation,
            DedupeKey = $"intel|{indicator.ListName}|{indicator.Value}|{local}|{remote}",
            Flow = flow,
        };
    }

    private List<string> ResolveFiles()
    {
        var paths = _options.Paths.Count > 0 ? _options.Paths : [Path.Combine(AppContext.BaseDirectory, "intel")];
        var files = new List<string>();
        foreach (string path in paths)
        {
            if (Directory.Exists(path))
            {
                files.AddRange(Directory.EnumerateFiles(path)
                    .Where(f => ListExtensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
                    .Order(StringComparer.Ordinal));
            }
            else if (File.Exists(path))
            {
                files.Add(path);
            }
            else
            {
                throw new FileNotFoundException($"indicator file or folder '{path}' not found");
            }
        }

        return files;
    }

    public void Dispose() => _timer?.Dispose();

    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "intel: loaded {Count} indicators from {Files} files ({Problems} unusable lines)")]
    private static partial void LogLoaded(ILogger logger, int count, int files, int problems);

    [LoggerMessage(EventId = 101, Level = LogLevel.Warning, Message = "intel: {File}:{Line}: {Reason}")]
    private static partial void LogBadIndicator(ILogger logger, string file, int line, string reason);

    [LoggerMessage(EventId = 102, Level = LogLevel.Error, Message = "intel: reload failed, keeping the previous lists: {Reason}")]
    private static partial void LogReloadFailed(ILogger logger, string reason);
}
