using System.Collections.Concurrent;
using System.Collections.Frozen;
using NetSecStream.Core;
using NetSecStream.Core.Events;
using NetSecStream.Core.Selectors;
using NetSecStream.Core.Telemetry;

namespace NetSecStream.Pipeline.Decide;

/// <summary>
/// The modes in force, as an immutable <see cref="ModeSnapshot"/> that is swapped whole: the decide stage reads
/// <see cref="Current"/> once per alert without locks, and a change (the control plane's API, a reloaded
/// <c>Modes:File</c>) never shows a half-applied table.
/// </summary>
public sealed class ModeTable
{
    private readonly int _cacheSize;
    private readonly Lock _updateLock = new();
    private ModeSnapshot _current;

    /// <param name="options">Validated options; <see cref="ModeOptions.SelectorCacheSize"/> holds for every later table.</param>
    public ModeTable(ModeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _cacheSize = options.SelectorCacheSize;
        var failures = ModeOptionsValidator.Check(options, ModeOptions.Section, includeFileSettings: false);
        if (failures.Count > 0)
        {
            throw new ArgumentException(string.Join("; ", failures), nameof(options));
        }

        _current = new ModeSnapshot(options, version: 1, _cacheSize);
    }

    public ModeSnapshot Current => Volatile.Read(ref _current);

    public long Version => Current.Version;

    /// <summary>Raised after a new table is in force, with it; handlers run on the updating thread.</summary>
    public event Action<ModeSnapshot>? Changed;

    /// <summary>
    /// Validates <paramref name="options"/> and, when valid, puts it in force atomically. Returns the problems, each
    /// naming its key (<c>Modes:Selectors:2:Selector ...</c>); the modes in force do not change when there are any.
    /// </summary>
    public IReadOnlyList<string> Update(ModeOptions options, string keyPrefix = ModeOptions.Section)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = ModeOptionsValidator.Check(options, keyPrefix, includeFileSettings: false);
        if (failures.Count > 0)
        {
            return failures;
        }

        ModeSnapshot next;
        lock (_updateLock)
        {
            next = new ModeSnapshot(options, _current.Version + 1, _cacheSize);
            Volatile.Write(ref _current, next);
        }

        Changed?.Invoke(next);
        return [];
    }
}

/// <summary>One compiled, immutable mode table.</summary>
public sealed class ModeSnapshot
{
    private readonly FrozenDictionary<string, Mode> _namespaces;
    // Namespace → workload → mode: looked up without building a "namespace/workload" string per alert.
    private readonly FrozenDictionary<string, FrozenDictionary<string, Mode>> _workloads;
    private readonly CompiledSelector[] _selectors;
    private readonly bool _hasNamespacedSelectors;
    private readonly int _cacheSize;

    // Up to this many selectors, matching them directly costs less than hashing the label set for the cache.
    private const int DirectSelectorLimit = 4;
    private readonly bool _useCache;

    // Index into _selectors of the first match for (namespace, labels), -1 for none. Bounded by clearing when full:
    // label sets of a cluster are few and stable, so a full cache means churn, and starting over is the cheap answer.
    private readonly ConcurrentDictionary<LabelSetKey, int> _selectorCache = new(LabelSetKey.Comparer);

    private readonly ModeOptions _source;

    internal ModeSnapshot(ModeOptions options, long version, int cacheSize)
    {
        _source = Copy(options);
        Version = version;
        _cacheSize = cacheSize;
        Default = Parse(options.Default);
        _namespaces = options.Namespaces.ToFrozenDictionary(p => p.Key, p => Parse(p.Value), StringComparer.Ordinal);
        _workloads = options.Workloads
            .GroupBy(p => p.Key[..p.Key.IndexOf('/', StringComparison.Ordinal)], StringComparer.Ordinal)
            .ToFrozenDictionary(g => g.Key, g => g.ToFrozenDictionary(p => p.Key[(g.Key.Length + 1)..], p => Parse(p.Value), StringComparer.Ordinal), StringComparer.Ordinal);

        // Namespace-scoped entries first, then cluster-wide ones, each in the order written: the most specific wins.
        _selectors = [.. options.Selectors
            .Select((s, i) => (Entry: s, Index: i))
            .OrderBy(p => p.Entry.Namespace is null ? 1 : 0)
            .ThenBy(p => p.Index)
            .Select(p => new CompiledSelector(p.Entry.Namespace, LabelSelector.Parse(p.Entry.Selector), Parse(p.Entry.Mode), p.Index))];
        _hasNamespacedSelectors = _selectors.Any(s => s.Namespace is not null);
        _useCache = _selectors.Length > DirectSelectorLimit;
    }

    public long Version { get; }

    /// <summary>The table as options (a copy): what an API shows as the modes in force, and edits for the next update.</summary>
    public ModeOptions ToOptions() => Copy(_source);

    private static ModeOptions Copy(ModeOptions options)
    {
        var copy = new ModeOptions
        {
            Default = options.Default, File = options.File, ReloadInterval = options.ReloadInterval, SelectorCacheSize = options.SelectorCacheSize,
            Namespaces = new Dictionary<string, string>(options.Namespaces, StringComparer.Ordinal),
            Workloads = new Dictionary<string, string>(options.Workloads, StringComparer.Ordinal),
        };
        copy.Selectors.AddRange(options.Selectors.Select(s => new ModeSelectorOptions { Namespace = s.Namespace, Selector = s.Selector, Mode = s.Mode }));
        return copy;
    }

    public Mode Default { get; }

    /// <summary>Number of (namespace, label set) entries the selector cache holds now.</summary>
    public int CachedLabelSets => _selectorCache.Count;

    public Mode Resolve(FlowEvent flow)
    {
        var subject = ModeResolver.Subject(flow);
        if (subject.Namespace is null)
        {
            return Default;
        }

        if (subject.Workload is not null && _workloads.TryGetValue(subject.Namespace, out var workloads)
            && workloads.TryGetValue(subject.Workload, out var workloadMode))
        {
            return workloadMode;
        }

        if (_selectors.Length > 0 && subject.Labels is { Count: > 0 } labels)
        {
            int index = FirstMatch(subject.Namespace, labels);
            if (index >= 0)
            {
                return _selectors[index].Mode;
            }
        }

        return _namespaces.TryGetValue(subject.Namespace, out var mode) ? mode : Default;
    }

    /// <summary>The position in <c>Modes:Selectors</c> of the entry that decides for these labels, or -1.</summary>
    public int MatchingSelector(string ns, IReadOnlyDictionary<string, string> labels)
    {
        int index = FirstMatch(ns, labels);
        return index < 0 ? -1 : _selectors[index].ConfiguredIndex;
    }

    private int FirstMatch(string ns, IReadOnlyDictionary<string, string> labels)
    {
        // Cluster-wide selectors do not depend on the namespace: keying by it only when some selector does keeps
        // the cache small for the common case.
        var key = new LabelSetKey(_hasNamespacedSelectors ? ns : null, labels);
        if (_useCache && _selectorCache.TryGetValue(key, out int cached))
        {
            return cached;
        }

        int found = -1;
        for (int i = 0; i < _selectors.Length; i++)
        {
            var selector = _selectors[i];
            if ((selector.Namespace is null || string.Equals(selector.Namespace, ns, StringComparison.Ordinal)) && selector.Selector.Matches(labels))
            {
                found = i;
                break;
            }
        }

        if (!_useCache)
        {
            return found;
        }

        if (_selectorCache.Count >= _cacheSize)
        {
            _selectorCache.Clear();
        }

        // Copied: the cache must not change when the flow's dictionary does, nor keep the flow's objects alive.
        _selectorCache.TryAdd(new LabelSetKey(key.Namespace, new Dictionary<string, string>(labels, StringComparer.Ordinal)), found);
        return found;
    }

    private static Mode Parse(string text) =>
        ModeNames.TryParse(text, out var mode) ? mode : throw new ArgumentException($"'{text}' is not a mode (log, alert or block)", nameof(text));

    private sealed record CompiledSelector(string? Namespace, LabelSelector Selector, Mode Mode, int ConfiguredIndex);

    private readonly record struct LabelSetKey(string? Namespace, IReadOnlyDictionary<string, string> Labels)
    {
        public static readonly IEqualityComparer<LabelSetKey> Comparer = new ContentComparer();

        private sealed class ContentComparer : IEqualityComparer<LabelSetKey>
        {
            public bool Equals(LabelSetKey x, LabelSetKey y)
            {
                if (!string.Equals(x.Namespace, y.Namespace, StringComparison.Ordinal) || x.Labels.Count != y.Labels.Count)
                {
                    return false;
                }

                foreach (var (name, value) in x.Labels)
                {
                    if (!y.Labels.TryGetValue(name, out string? other) || !string.Equals(value, other, StringComparison.Ordinal))
                    {
                        return false;
                    }
                }

                return true;
            }

            public int GetHashCode(LabelSetKey key)
            {
                // Order-independent: the same labels in another dictionary order are the same set.
                int hash = key.Namespace is null ? 0 : StringComparer.Ordinal.GetHashCode(key.Namespace);
                int labels = 0;
                foreach (var (name, value) in key.Labels)
                {
                    labels ^= HashCode.Combine(StringComparer.Ordinal.GetHashCode(name), StringComparer.Ordinal.GetHashCode(value));
                }

                return HashCode.Combine(hash, labels, key.Labels.Count);
            }
        }
    }
}
