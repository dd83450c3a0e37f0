using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NetSecStream.Behaviour.Features;
using NetSecStream.Behaviour.FlowDatasets;
using NetSecStream.Behaviour.Scoring;
using NetSecStream.Core.Components;
using NetSecStream.Core.Configuration;
using NetSecStream.Core.Events;
using NetSecStream.Core.Telemetry;

namespace NetSecStream.Behaviour.Detection;

/// <summary>
/// The behaviour scoring stage (component id <c>behaviour</c>): every event's features are extracted in order with the
/// streaming extractor (state per origin, so a revoked Kafka partition's state is dropped), the whole batch is scored
/// by the live workload baseline (in parallel, score only), and only the events at or above their namespace's threshold
/// are explained and raised. A shadow model scores beside it without alerting. Both models are reloaded when their
/// files change, and switched when the control plane's models file (<see cref="BehaviourOptions.ModelsFile"/>) names
/// others; a model or models file that fails to load is reported and the models in force stay.
/// </summary>
public sealed partial class BehaviourDetector : IDetector, IOriginStateOwner, IDisposable
{
    public const string ComponentId = "behaviour";
    private const double FallbackThreshold = 25;

    private readonly BehaviourOptions _options;
    private readonly NetSecMetrics _metrics;
    private readonly ILogger _logger;
    private readonly ConcurrentQueue<string> _revoked = new();
    private readonly Lock _reloadLock = new();
    private volatile LoadedModel? _live;
    private volatile LoadedModel? _shadow;
    private FlowFeatureExtractor? _extractor;
    private FlowFeatureExtractorOptions? _extractorOptions;
    private LoadedModel? _extractorModel;
    private FileStamps _modelsFileStamp = FileStamps.None;
    private ExtractorEvictions? _reportedEvictions;
    private Timer? _timer;
    private FlowFeatures[] _features = [];
    private double[] _scores = [];
    private double[] _shadowScores = [];
    private long _shadowAgree;
    private long _shadowOnly;
    private long _liveOnly;

    public BehaviourDetector(BehaviourOptions options, NetSecMetrics metrics, ILogger<BehaviourDetector>? logger = null)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _metrics = metrics ?? throw new ArgumentNullException(nameof(metrics));
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    public string Id => ComponentId;

    public ComponentKind Kind => ComponentKind.Detector;

    public string DetectorKind => DetectorKinds.Behaviour;

    /// <summary>The live model in force (null until started, or when disabled).</summary>
    public LoadedModel? Live => _live;

    /// <summary>The shadow model in force, if one is configured.</summary>
    public LoadedModel? Shadow => _shadow;

    /// <summary>The origins (Kafka partitions) the feature state holds now.</summary>
    public IReadOnlyCollection<string> Origins => _extractor?.Owners ?? [];

    /// <summary>Shadow mode's tally so far: events both models flag, only the shadow flags, only the live model flags.</summary>
    public (long Both, long ShadowOnly, long LiveOnly) ShadowComparison =>
        (Interlocked.Read(ref _shadowAgree), Interlocked.Read(ref _shadowOnly), Interlocked.Read(ref _liveOnly));

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!_options.Enabled)
        {
            return Task.CompletedTask;
        }

        // A model (or models file) that cannot be loaded at start is a configuration error: the detector would otherwise run blind.
        var (livePath, shadowPath) = (_options.ModelPath, _options.ShadowModelPath);
        if (_options.ModelsFile is { } modelsFile)
        {
            _modelsFileStamp = FileStamps.Of([modelsFile]);
            if (File.Exists(modelsFile))
            {
                BehaviourModelChoice choice;
                try
                {
                    choice = BehaviourModelsFile.Read(modelsFile);
                }
                catch (InvalidDataException ex)
                {
                    throw new InvalidOperationException($"{BehaviourOptions.Section}:ModelsFile: {ex.Message}", ex);
                }

                (livePath, shadowPath) = (choice.ModelPath ?? livePath, choice.ShadowModelPath ?? shadowPath);
            }
        }

        _live = LoadedModel.Load(livePath, _options.Threshold);
        _shadow = shadowPath is { } shadow ? LoadedModel.Load(shadow, _options.Threshold) : null;
        _extractorOptions = _options.ExtractorOptions();
        _extractorOptions.KnownDestinations = _live.Baseline?.KnownDestinationSets();
        _extractorModel = _live;
        _extractor = new FlowFeatureExtractor(_extractorOptions);
        LogModelLoaded(_logger, "live", _live.Name, _live.Version, _live.DefaultThreshold);
        if (_shadow is not null)
        {
            LogModelLoaded(_logger, "shadow", _shadow.Name, _shadow.Version, _shadow.DefaultThreshold);
        }

        _timer = new Timer(_ => ReloadChanged(), null, _options.ReloadInterval, _options.ReloadInterval);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _timer?.Dispose();
        _timer = null;
        return Task.CompletedTask;
    }

    public void Dispose() => _timer?.Dispose();

    /// <inheritdoc />
    public void DropOrigins(IReadOnlyCollection<string> origins)
    {
        ArgumentNullException.ThrowIfNull(origins);
        foreach (string origin in origins)
        {
            _revoked.Enqueue(origin);
        }
    }

    public void Detect(IReadOnlyList<FlowEvent> batch, ICollection<Alert> alerts)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(alerts);
        var live = _live;
        var extractor = _extractor;
        if (live is null || extractor is null || batch.Count == 0)
        {
            return;
        }

        while (_revoked.TryDequeue(out string? origin))
        {
            extractor.DropOwner(origin);
        }

        if (!ReferenceEquals(live, _extractorModel))
        {
            // The extractor reads its options on this thread only: a new live model's known destinations are handed
            // over here, between batches, not from the reload timer.
            _extractorOptions!.KnownDestinations = live.Baseline?.KnownDestinationSets();
            _extractorModel = live;
        }

        int n = batch.Count;
        if (_features.Length < n)
        {
            _features = new FlowFeatures[n];
            _scores = new double[n];
            _shadowScores = new double[n];
        }

        // Features in event order on this thread (the state is sequential); scores are independent of each other.
        for (int i = 0; i < n; i++)
        {
            var flow = batch[i];
            _features[i] = extractor.Extract(flow, flow.Origin ?? "");
        }

        ScoreAll(live, _features, _scores, n);
        var shadow = _shadow;
        if (shadow is not null)
        {
            ScoreAll(shadow, _features, _shadowScores, n);
        }

        int above = 0, shadowAbove = 0;
        for (int i = 0; i < n; i++)
        {
            var features = _features[i];
            bool liveHit = _scores[i] >= ThresholdFor(live, features.WorkloadKey, batch[i]);
            if (liveHit)
            {
                above++;
                alerts.Add(CreateAlert(live, batch[i], features, _scores[i], ThresholdFor(live, features.WorkloadKey, batch[i])));
            }

            if (shadow is not null)
            {
                bool shadowHit = _shadowScores[i] >= ThresholdFor(shadow, features.WorkloadKey, batch[i]);
                if (shadowHit)
                {
                    shadowAbove++;
                    if (!liveHit && _logger.IsEnabled(LogLevel.Debug))
                    {
                        LogShadowOnly(_logger, shadow.Name, features.WorkloadKey, features.DestinationKey, _shadowScores[i]);
                    }
                }

                if (shadowHit && liveHit)
                {
                    Interlocked.Increment(ref _shadowAgree);
                }
                else if (shadowHit)
                {
                    Interlocked.Increment(ref _shadowOnly);
                }
                else if (liveHit)
                {
                    Interlocked.Increment(ref _liveOnly);
                }
            }
        }

        Array.Clear(_features, 0, n);
        _metrics.BehaviourScored(live.Name, "live", aboveThreshold: true, above);
        _metrics.BehaviourScored(live.Name, "live", aboveThreshold: false, n - above);
        if (shadow is not null)
        {
            _metrics.BehaviourScored(shadow.Name, "shadow", aboveThreshold: true, shadowAbove);
            _metrics.BehaviourScored(shadow.Name, "shadow", aboveThreshold: false, n - shadowAbove);
        }

        ReportEvictions(extractor);
    }

    /// <summary>The threshold for the workload's namespace, else the configured or the model's own.</summary>
    public double ThresholdFor(LoadedModel model, string workloadKey, FlowEvent flow)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(flow);
        if (_options.NamespaceThresholds.Count > 0)
        {
            int slash = workloadKey.IndexOf('/', StringComparison.Ordinal);
            string? ns = slash > 0 ? workloadKey[..slash] : (flow.IsReply == true ? flow.Destination : flow.Source).Namespace;
            if (ns is not null && _options.NamespaceThresholds.TryGetValue(ns, out double threshold))
            {
                return threshold;
            }
        }

        return model.DefaultThreshold;
    }

    /// <summary>
    /// Checks the models file and both model folders now: takes the models a changed models file names, and a model whose
    /// files changed (the timer calls this).
    /// </summary>
    public void ReloadChanged()
    {
        lock (_reloadLock)
        {
            if (_live is not null && _options.ModelsFile is { } modelsFile)
            {
                FollowModelsFile(modelsFile);
            }

            _live = Reload("live", _live) ?? _live;
            if (_shadow is not null)
            {
                _shadow = Reload("shadow", _shadow) ?? _shadow;
            }
        }
    }

    /// <summary>
    /// When the models file changed, loads the models it names that differ from those in force. A file that does not
    /// parse, or a model that does not load, changes nothing (logged, counted); it is tried again when the file changes.
    /// A key removed from it falls back to the configured model; a file that vanished (a shared volume gone) keeps the
    /// models in force, as a missing modes file keeps the modes.
    /// </summary>
    private void FollowModelsFile(string modelsFile)
    {
        var stamp = FileStamps.Of([modelsFile]);
        if (stamp.SameAs(_modelsFileStamp))
        {
            return;
        }

        _modelsFileStamp = stamp;
        BehaviourModelChoice choice;
        try
        {
            choice = File.Exists(modelsFile)
                ? BehaviourModelsFile.Read(modelsFile)
                : throw new InvalidDataException($"{modelsFile} is gone (a volume unmounted?); the models in force stay until it is back");
        }
        catch (InvalidDataException ex)
        {
            _metrics.ComponentReloaded(ComponentId, success: false);
            LogModelsFileRefused(_logger, modelsFile, ex.Message);
            return;
        }

        string livePath = Path.GetFullPath(choice.ModelPath ?? _options.ModelPath);
        string? shadowPath = (choice.ShadowModelPath ?? _options.ShadowModelPath) is { } s ? Path.GetFullPath(s) : null;
        LoadedModel? live = null, shadow = null;
        try
        {
            if (!SameFolder(_live!.Path, livePath))
            {
                live = LoadedModel.Load(livePath, _options.Threshold);
            }

            if (shadowPath is not null && (_shadow is null || !SameFolder(_shadow.Path, shadowPath)))
            {
                shadow = LoadedModel.Load(shadowPath, _options.Threshold);
            }
        }
#pragma warning disable CA1031 // A model that does not load, whatever the reason, must leave the models in force scoring.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            // Both or neither: a live model taken without the shadow it was chosen with would be a half-applied choice.
            _metrics.ComponentReloaded(ComponentId, success: false);
            LogModelsFileRefused(_logger, modelsFile, ex.Message);
            return;
        }

        bool dropShadow = shadowPath is null && _shadow is not null;
        if (live is null && shadow is null && !dropShadow)
        {
            return;
        }

        if (live is not null)
        {
            _live = live;
            LogModelLoaded(_logger, "live", live.Name, live.Version, live.DefaultThreshold);
        }

        if (shadow is not null)
        {
            _shadow = shadow;
            LogModelLoaded(_logger, "shadow", shadow.Name, shadow.Version, shadow.DefaultThreshold);
        }
        else if (dropShadow)
        {
            LogShadowDropped(_logger, _shadow!.Name);
            _shadow = null;
        }

        _metrics.ComponentReloaded(ComponentId, success: true);
    }

    private static bool SameFolder(string a, string b) =>
        string.Equals(Path.TrimEndingDirectorySeparator(Path.GetFullPath(a)), Path.TrimEndingDirectorySeparator(Path.GetFullPath(b)), StringComparison.Ordinal);

    private LoadedModel? Reload(string role, LoadedModel? current)
    {
        if (current is null || current.Stamp == LoadedModel.StampOf(current.ModelFile))
        {
            return null;
        }

        try
        {
            // The model it replaces is not disposed here: a batch may still be scoring with it (its native session is
            // released when it is collected).
            var next = LoadedModel.Load(current.Path, _options.Threshold);
            _metrics.ComponentReloaded(ComponentId, success: true);
            LogModelLoaded(_logger, role, next.Name, next.Version, next.DefaultThreshold);
            return next;
        }
#pragma warning disable CA1031 // A bad model file must leave the model in force scoring, whatever went wrong.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _metrics.ComponentReloaded(ComponentId, success: false);
            LogReloadFailed(_logger, role, current.Path, ex.Message);
            return null;
        }
    }

    private void ScoreAll(LoadedModel model, FlowFeatures[] features, double[] scores, int n)
    {
        if (model.Flow is { } flowModel)
        {
            // A supervised flow model (ML.NET or ONNX) takes its schema features in its own order; it scores the batch in one call.
            var rows = new float[n][];
            for (int i = 0; i < n; i++)
            {
                var row = new float[model.FlowIndexes.Length];
                for (int j = 0; j < row.Length; j++)
                {
                    row[j] = features[i].Values[model.FlowIndexes[j]];
                }

                rows[i] = row;
            }

            float[] probabilities = flowModel.Score(rows);
            for (int i = 0; i < n; i++)
            {
                scores[i] = probabilities[i];
            }

            return;
        }

        var baseline = model.Baseline!;
        int parallelism = Math.Min(_options.ScoringParallelism, n / 256);
        if (parallelism <= 1)
        {
            ScoreRange(0, n);
            return;
        }

        int chunk = (n + parallelism - 1) / parallelism;
        Parallel.For(0, parallelism, new ParallelOptions { MaxDegreeOfParallelism = parallelism }, part => ScoreRange(part * chunk, Math.Min(n, (part + 1) * chunk)));

        void ScoreRange(int start, int end)
        {
            for (int i = start; i < end; i++)
            {
                var f = features[i];
                scores[i] = baseline.ScoreOnly(f.Values, f.WorkloadKey, f.DestinationKey);
            }
        }
    }

    private Alert CreateAlert(LoadedModel model, FlowEvent flow, FlowFeatures features, double score, double threshold)
    {
        double ratio = score / threshold;
        int severity = ratio >= 2 ? 2 : 3;
        var text = new StringBuilder(256);
        if (model.Baseline is null)
        {
            // A supervised model gives a probability, not per-feature deviations: the explanation lists its inputs as seen.
            text.Append(CultureInfo.InvariantCulture, $"flow of workload {features.WorkloadKey} going to {features.DestinationKey} classified as attack: ");
            text.Append(CultureInfo.InvariantCulture, $"score {score:F3} >= threshold {threshold:F3} of {model.Kind} model {model.Name}; inputs: ");
            text.AppendJoin(", ", model.Flow!.Info.FeatureNames.Select((name, j) => (name, value: features.Values[model.FlowIndexes[j]]))
                .Where(x => x.value != 0).Take(_options.ExplainTop * 2).Select(x => string.Create(CultureInfo.InvariantCulture, $"{x.name} = {x.value:G4}")));
            return NewAlert(model, flow, features, text.ToString(), severity, ratio, "Flow classified as attack for workload ");
        }

        var explained = model.Baseline.Score(features.Values, features.WorkloadKey, features.DestinationKey, _options.ExplainTop);
        text.Append(CultureInfo.InvariantCulture, $"unusual for workload {features.WorkloadKey} (profile {explained.Profile}) going to {features.DestinationKey}: ");
        text.Append(CultureInfo.InvariantCulture, $"score {score:F1} >= threshold {threshold:F1} of model {model.Name}; ");
        for (int i = 0; i < explained.Top.Count; i++)
        {
            var c = explained.Top[i];
            if (i > 0)
            {
                text.Append("; ");
            }

            if (c.Feature == WorkloadBaseline.UnseenDestinationFeature)
            {
                text.Append(CultureInfo.InvariantCulture, $"destination never seen for this workload in training (new destinations: {c.TailProbability:P2} of its flows)");
            }
            else
            {
                text.Append(CultureInfo.InvariantCulture, $"{c.Feature} = {c.Observed:G4} (typical {c.Typical:G4}, robust z {c.ZScore:F1}, {c.TailProbability:P2} of normal flows as far)");
            }
        }

        return NewAlert(model, flow, features, text.ToString(), severity, ratio, "Unusual traffic for workload ");
    }

    private static Alert NewAlert(LoadedModel model, FlowEvent flow, FlowFeatures features, string explanation, int severity, double ratio, string title) =>
        new()
        {
            Id = Guid.CreateVersion7().ToString("N"),
            Timestamp = flow.Timestamp,
            Detector = DetectorKinds.Behaviour,
            RuleId = "behaviour:" + model.Name,
            RuleName = title + features.WorkloadKey,
            RuleCategory = "anomaly",
            Ruleset = model.Name,
            RuleVersion = model.Version,
            Severity = severity,
            RiskScore = Math.Round(Math.Min(99, 50 + (49 * Math.Min(1, ratio - 1))), 1),
            Explanation = explanation,
            DedupeKey = $"behaviour|{model.Name}|{features.WorkloadKey}|{features.DestinationKey}",
            Flow = flow,
        };

    private void ReportEvictions(FlowFeatureExtractor extractor)
    {
        var now = extractor.Evictions;
        var before = _reportedEvictions;
        if (before is not null && now.Total == before.Total)
        {
            return;
        }

        Report("connections", now.Connections - (before?.Connections ?? 0));
        Report("sources", now.Sources - (before?.Sources ?? 0));
        Report("workloads", now.Workloads - (before?.Workloads ?? 0));
        Report("pairs", now.Pairs - (before?.Pairs ?? 0));
        Report("window_entries", now.WindowEntries - (before?.WindowEntries ?? 0));
        Report("dns_entries", now.DnsEntries - (before?.DnsEntries ?? 0));
        Report("destination_history", now.HistoryEntries - (before?.HistoryEntries ?? 0));
        _reportedEvictions = now;

        void Report(string table, long count)
        {
            if (count > 0)
            {
                _metrics.StateEvicted(ComponentId, table, "capacity", count);
            }
        }
    }

    [LoggerMessage(EventId = 600, Level = LogLevel.Information, Message = "behaviour: {Role} model {Model} version {Version} in force (default threshold {Threshold})")]
    private static partial void LogModelLoaded(ILogger logger, string role, string model, string version, double threshold);

    [LoggerMessage(EventId = 601, Level = LogLevel.Error, Message = "behaviour: {Role} model at {Path} changed but failed to load; keeping the model in force: {Reason}")]
    private static partial void LogReloadFailed(ILogger logger, string role, string path, string reason);

    [LoggerMessage(EventId = 603, Level = LogLevel.Error, Message = "behaviour: models file {Path} changed but is not taken; keeping the models in force: {Reason}")]
    private static partial void LogModelsFileRefused(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 604, Level = LogLevel.Information, Message = "behaviour: shadow model {Model} dropped (the models file no longer names one)")]
    private static partial void LogShadowDropped(ILogger logger, string model);

    [LoggerMessage(EventId = 602, Level = LogLevel.Debug, Message = "behaviour: shadow model {Model} would alert on {Workload} -> {Destination} (score {Score:F1}); the live model does not")]
    private static partial void LogShadowOnly(ILogger logger, string model, string workload, string destination, double score);

    /// <summary>
    /// A model as loaded from its folder, with its name, version (content hash) and default threshold: a workload baseline
    /// (<c>baseline.json</c>) or a supervised flow model on the flow schema's features (<c>model.json</c> with
    /// <c>model.zip</c> or <c>model.onnx</c>, e.g. trained elsewhere and exported to ONNX).
    /// </summary>
    public sealed record LoadedModel(string Name, string Path, string Kind, string Version, WorkloadBaseline? Baseline, FlowModelScorer? Flow, int[] FlowIndexes,
        double DefaultThreshold, (DateTime, long) Stamp)
    {
        public const string BaselineKind = "workload-baseline";

        public static LoadedModel Load(string directory, double? configuredThreshold)
        {
            string full = System.IO.Path.GetFullPath(directory);
            string name = System.IO.Path.GetFileName(full.TrimEnd(System.IO.Path.DirectorySeparatorChar));
            string file = System.IO.Path.Combine(full, WorkloadBaseline.ModelFile);
            if (!File.Exists(file) && FlowModelInfo.IsFlowModel(full))
            {
                return LoadFlow(full, name, configuredThreshold);
            }

            if (!File.Exists(file))
            {
                throw new InvalidOperationException($"behaviour: no model at {full}: neither {WorkloadBaseline.ModelFile} nor {FlowModelInfo.FileName} (train one with: netsec train --dataset generator --out {directory})");
            }

            var stamp = StampOf(file);
            WorkloadBaseline model;
            try
            {
                model = WorkloadBaseline.Load(full);
            }
            catch (Exception ex) when (ex is JsonException or InvalidDataException or IOException or NotSupportedException)
            {
                throw new InvalidOperationException($"behaviour: {file}: {ex.Message}", ex);
            }

            string version = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file)))[..12];
            double threshold = configuredThreshold ?? ThresholdFromMetrics(System.IO.Path.Combine(full, "metrics.json")) ?? FallbackThreshold;
            return new LoadedModel(name, full, BaselineKind, version, model, null, [], threshold, stamp);
        }

        /// <summary>Size and time of the file that holds the model, to tell when it changed.</summary>
        public static (DateTime, long) StampOf(string file)
        {
            var info = new FileInfo(file);
            return info.Exists ? (info.LastWriteTimeUtc, info.Length) : (DateTime.MinValue, -1);
        }

        /// <summary>The file whose change means a new model.</summary>
        public string ModelFile => Flow?.File ?? System.IO.Path.Combine(Path, WorkloadBaseline.ModelFile);

        private static LoadedModel LoadFlow(string full, string name, double? configuredThreshold)
        {
            FlowModelScorer scorer;
            try
            {
                scorer = FlowModelScorer.Load(full);
            }
            catch (FlowModelException ex)
            {
                throw new InvalidOperationException("behaviour: " + ex.Message, ex);
            }

            int[] indexes = [.. scorer.Info.FeatureNames.Select(FeatureSchema.IndexOf)];
            if (Array.IndexOf(indexes, -1) is int missing and >= 0)
            {
                scorer.Dispose();
                throw new InvalidOperationException($"behaviour: {System.IO.Path.Combine(full, FlowModelInfo.FileName)}: feature '{scorer.Info.FeatureNames[missing]}' is not in the feature schema version {FeatureSchema.Version}");
            }

            string version = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(scorer.File)))[..12];
            return new LoadedModel(name, full, scorer.Info.Format, version, null, scorer, indexes, configuredThreshold ?? scorer.Info.DecisionThreshold, StampOf(scorer.File));
        }

        private static double? ThresholdFromMetrics(string path)
        {
            if (!File.Exists(path))
            {
                return null;
            }

            try
            {
                using var document = JsonDocument.Parse(File.ReadAllBytes(path));
                return document.RootElement.TryGetProperty("evaluation", out var evaluation)
                    && evaluation.TryGetProperty("threshold_at_1pct_fpr", out var threshold)
                    && threshold.TryGetDouble(out double value) && value > 0
                    ? value
                    : null;
            }
            catch (JsonException)
            {
                return null;
            }
        }
    }
}
