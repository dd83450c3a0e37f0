using Microsoft.Extensions.Logging;
using NetSecStream.Core.Telemetry;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace NetSecStream.Pipeline.Decide;

/// <summary>
/// Reads a mode table from a YAML or JSON file (<c>Modes:File</c>) with the keys of the <c>Modes</c> section:
/// <c>Default</c>, <c>Namespaces</c>, <c>Workloads</c>, <c>Selectors</c> (keys in any case). Problems come back as
/// <c>file:line: key ...</c>; unknown keys are problems.
/// </summary>
public static class ModeFile
{
    /// <summary>Files bigger than this are refused: a mode table is a few KiB, a huge file is a mistake.</summary>
    public const int MaxBytes = 1 << 20;

    public static (ModeOptions? Options, IReadOnlyList<string> Errors) Parse(string text, string name)
    {
        ArgumentNullException.ThrowIfNull(text);
        var lines = new Dictionary<string, long>(StringComparer.Ordinal);
        var errors = new List<string>();
        var options = new ModeOptions();
        YamlStream stream = new();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException ex)
        {
            return (null, [$"{name}:{ex.Start.Line}: not valid YAML or JSON: {ex.Message}"]);
        }

        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            return (null, [$"{name}:1: expected one mapping with Default, Namespaces, Workloads and Selectors"]);
        }

        // The control plane's modes file (Control:ModesFile) is a configuration file: the same keys under "Modes".
        if (root.Children.Count == 1 && root.Children.First() is var (wrapperKey, wrapped)
            && string.Equals(Scalar(wrapperKey), ModeOptions.Section, StringComparison.OrdinalIgnoreCase) && wrapped is YamlMappingNode inner)
        {
            root = inner;
        }

        const string prefix = ModeOptions.Section;
        foreach (var (keyNode, valueNode) in root.Children)
        {
            string key = Scalar(keyNode) ?? "";
            switch (key.ToUpperInvariant())
            {
                case "DEFAULT":
                    options.Default = RequireScalar(valueNode, $"{prefix}:Default") ?? "";
                    lines[$"{prefix}:Default"] = valueNode.Start.Line;
                    break;
                case "NAMESPACES":
                    ReadMap(valueNode, $"{prefix}:Namespaces", options.Namespaces);
                    break;
                case "WORKLOADS":
                    ReadMap(valueNode, $"{prefix}:Workloads", options.Workloads);
                    break;
                case "SELECTORS":
                    ReadSelectors(valueNode);
                    break;
                default:
                    errors.Add($"{name}:{keyNode.Start.Line}: unknown key '{key}' (expected Default, Namespaces, Workloads or Selectors)");
                    break;
            }
        }

        foreach (string failure in ModeOptionsValidator.Check(options, prefix, includeFileSettings: false))
        {
            // Failures begin with their key; the longest recorded key that prefixes it gives the line.
            long line = lines.Where(p => failure.StartsWith(p.Key + " ", StringComparison.Ordinal) || failure.StartsWith(p.Key + ":", StringComparison.Ordinal))
                .OrderByDescending(p => p.Key.Length).Select(p => p.Value).FirstOrDefault(1);
            errors.Add($"{name}:{line}: {failure}");
        }

        return errors.Count == 0 ? (options, errors) : (null, errors);

        string? RequireScalar(YamlNode node, string key)
        {
            if (node is YamlScalarNode scalar)
            {
                return scalar.Value;
            }

            errors.Add($"{name}:{node.Start.Line}: {key} must be a single value");
            return null;
        }

        void ReadMap(YamlNode node, string key, Dictionary<string, string> into)
        {
            lines[key] = node.Start.Line;
            if (node is not YamlMappingNode map)
            {
                errors.Add($"{name}:{node.Start.Line}: {key} must be a mapping of name to mode");
                return;
            }

            foreach (var (k, v) in map.Children)
            {
                string entry = Scalar(k) ?? "";
                lines[$"{key}:{entry}"] = k.Start.Line;
                into[entry] = RequireScalar(v, $"{key}:{entry}") ?? "";
            }
        }

        void ReadSelectors(YamlNode node)
        {
            string key = $"{prefix}:Selectors";
            lines[key] = node.Start.Line;
            if (node is not YamlSequenceNode list)
            {
                errors.Add($"{name}:{node.Start.Line}: {key} must be a list of {{Namespace, Selector, Mode}}");
                return;
            }

            for (int i = 0; i < list.Children.Count; i++)
            {
                string itemKey = $"{key}:{i}";
                lines[itemKey] = list.Children[i].Start.Line;
                if (list.Children[i] is not YamlMappingNode item)
                {
                    errors.Add($"{name}:{list.Children[i].Start.Line}: {itemKey} must be a mapping with Namespace, Selector and Mode");
                    continue;
                }

                var entry = new ModeSelectorOptions();
                foreach (var (k, v) in item.Children)
                {
                    string field = Scalar(k) ?? "";
                    switch (field.ToUpperInvariant())
                    {
                        case "NAMESPACE":
                            entry.Namespace = RequireScalar(v, $"{itemKey}:Namespace");
                            lines[$"{itemKey}:Namespace"] = v.Start.Line;
                            break;
                        case "SELECTOR":
                            entry.Selector = RequireScalar(v, $"{itemKey}:Selector") ?? "";
                            lines[$"{itemKey}:Selector"] = v.Start.Line;
                            break;
                        case "MODE":
                            entry.Mode = RequireScalar(v, $"{itemKey}:Mode") ?? "";
                            lines[$"{itemKey}:Mode"] = v.Start.Line;
                            break;
                        default:
                            errors.Add($"{name}:{k.Start.Line}: {itemKey}: unknown key '{field}' (expected Namespace, Selector or Mode)");
                            break;
                    }
                }

                options.Selectors.Add(entry);
            }
        }
    }

    private static string? Scalar(YamlNode node) => (node as YamlScalarNode)?.Value;

    /// <summary>Reads and parses <paramref name="path"/>; an unreadable or oversized file is a problem too.</summary>
    public static (ModeOptions? Options, IReadOnlyList<string> Errors) Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return TryReadText(path, out string text, out string? error) ? Parse(text, Path.GetFileName(path)) : (null, [error!]);
    }

    /// <summary>The file's text, or a <c>file:0: reason</c> problem (missing, unreadable, over <see cref="MaxBytes"/>).</summary>
    public static bool TryReadText(string path, out string text, out string? error)
    {
        ArgumentNullException.ThrowIfNull(path);
        string name = Path.GetFileName(path);
        text = "";
        error = null;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                error = $"{name}:0: file not found";
                return false;
            }

            if (info.Length > MaxBytes)
            {
                error = $"{name}:0: file is {info.Length} bytes, over the {MaxBytes} byte limit for a mode table";
                return false;
            }

            text = File.ReadAllText(path);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            error = $"{name}:0: cannot read: {ex.Message}";
            return false;
        }
    }
}

/// <summary>
/// Keeps a <see cref="ModeTable"/> in step with <c>Modes:File</c> so that processor replicas pick up what a control
/// plane writes without a restart. The file is polled, not watched: Kubernetes updates a mounted ConfigMap by swapping
/// a symlink, which file-change notifications miss. A broken or missing file keeps the modes in force; it is logged
/// and counted in <c>netsec_component_reloads{component="modes",outcome="failed"}</c>.
/// </summary>
public sealed partial class ModeFileWatcher : IDisposable
{
    public const string ComponentId = "modes";

    private readonly string _path;
    private readonly NetSecMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Timer _timer;

    // Weak: the watcher lives as long as the pipeline that resolves modes from the table, and no longer, without every
    // command that builds a pipeline having to know a file is being watched.
    private readonly WeakReference<ModeTable> _table;
    private string? _lastText;
    private string? _lastFailure;
    private int _polling;

    private ModeFileWatcher(ModeTable table, string path, string? initialText, TimeSpan interval, NetSecMetrics metrics, ILogger logger)
    {
        _table = new WeakReference<ModeTable>(table);
        _path = path;
        _lastText = initialText;
        _metrics = metrics;
        _logger = logger;
        _timer = new Timer(static state => ((ModeFileWatcher)state!).Poll(), this, interval, interval);
    }

    /// <summary>
    /// The table for validated <paramref name="options"/>: from <c>Modes:File</c> when set and present (an invalid file
    /// is a start-up error, listed in the exception), else from the section itself; polled for changes when a file is set.
    /// </summary>
    public static ModeTable CreateTable(ModeOptions options, NetSecMetrics metrics, ILoggerFactory loggerFactory) =>
        Create(options, metrics, loggerFactory).Table;

    /// <summary>As <see cref="CreateTable"/>, with the watcher (null without a file) for tests to poll.</summary>
    internal static (ModeTable Table, ModeFileWatcher? Watcher) Create(ModeOptions options, NetSecMetrics metrics, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        var table = new ModeTable(options);
        if (string.IsNullOrWhiteSpace(options.File))
        {
            return (table, null);
        }

        var logger = loggerFactory.CreateLogger<ModeFileWatcher>();
        string path = Path.GetFullPath(options.File);
        string? text = null;
        if (File.Exists(path))
        {
            // The text parsed is the text remembered: a change made meanwhile is seen by the first poll.
            var (fromFile, errors) = ModeFile.TryReadText(path, out string read, out string? error)
                ? ModeFile.Parse(read, Path.GetFileName(path))
                : (null, [error!]);
            if (fromFile is null)
            {
                throw new InvalidOperationException($"{ModeOptions.Section}:File: " + string.Join("; ", errors));
            }

            table.Update(fromFile);
            text = read;
            LogLoaded(logger, path, table.Version);
        }
        else
        {
            // A control plane may write the file after the processors start; until then the section's modes hold.
            LogWaiting(logger, path);
        }

        return (table, new ModeFileWatcher(table, path, text, options.ReloadInterval, metrics, logger));
    }

    /// <summary>Checks the file once now; returns true when a new table was put in force.</summary>
    public bool Poll()
    {
        if (Interlocked.Exchange(ref _polling, 1) == 1)
        {
            return false;
        }

        try
        {
            if (!_table.TryGetTarget(out var table))
            {
                Dispose();
                return false;
            }

            if (!ModeFile.TryReadText(_path, out string text, out string? error))
            {
                Fail(error!);
                return false;
            }

            if (string.Equals(text, _lastText, StringComparison.Ordinal))
            {
                return false;
            }

            var (options, errors) = ModeFile.Parse(text, Path.GetFileName(_path));
            if (options is null)
            {
                Fail(string.Join("; ", errors));
                return false;
            }

            var failures = table.Update(options);
            if (failures.Count > 0)
            {
                Fail(string.Join("; ", failures));
                return false;
            }

            _lastText = text;
            _lastFailure = null;
            _metrics.ComponentReloaded(ComponentId, success: true);
            LogLoaded(_logger, _path, table.Version);
            return true;
        }
        finally
        {
            Volatile.Write(ref _polling, 0);
        }
    }

    private void Fail(string reason)
    {
        // Counted on every failed check, logged once per distinct problem: a file left broken must not flood the log.
        _metrics.ComponentReloaded(ComponentId, success: false);
        if (!string.Equals(reason, _lastFailure, StringComparison.Ordinal))
        {
            _lastFailure = reason;
            LogReloadFailed(_logger, _path, reason);
        }
    }

    public void Dispose() => _timer.Dispose();

    [LoggerMessage(EventId = 6301, Level = LogLevel.Information, Message = "Modes read from {Path}; table version {Version} in force")]
    private static partial void LogLoaded(ILogger logger, string path, long version);

    // Information, not a warning: the control plane writes the file on its first mode change, so `netsec run` starts
    // without one by design (Control:LiveUpdates); a mistyped path still shows here, and as modes that never change.
    [LoggerMessage(EventId = 6302, Level = LogLevel.Information, Message = "Modes file {Path} does not exist yet; the configured modes hold until it does")]
    private static partial void LogWaiting(ILogger logger, string path);

    [LoggerMessage(EventId = 6303, Level = LogLevel.Error, Message = "Modes file {Path} not applied, the modes in force stay: {Reason}")]
    private static partial void LogReloadFailed(ILogger logger, string path, string reason);
}
