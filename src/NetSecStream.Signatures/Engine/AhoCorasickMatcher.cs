using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NetSecStream.Signatures.Engine;

/// <summary>
/// Aho-Corasick over ASCII-folded bytes. The automaton is built over every pattern lower-cased; a state that ends a
/// case-sensitive pattern is checked against the original bytes before its id is reported.
/// <para>
/// The table is compact: the first <see cref="DefaultDenseStates"/> states in breadth-first order (the root and the
/// shallow states, where a scan spends nearly all its time) have a full 256-entry row with failure transitions
/// already resolved; deeper states keep only their own edges, sorted, and fall back along failure links until a
/// dense state answers. Matches are reached through dictionary-suffix links, so no state copies its suffixes'
/// outputs.
/// </para>
/// </summary>
public sealed class AhoCorasickMatcher : MultiPatternMatcher
{
    /// <summary>Dense rows kept by default: 1024 rows of 256 ints is 1 MiB.</summary>
    public const int DefaultDenseStates = 1024;

    private readonly int _denseCount;
    private readonly int[] _dense;
    private readonly int[] _edgeStart;
    private readonly byte[] _edgeKeys;
    private readonly int[] _edgeTargets;
    private readonly int[] _fail;
    private readonly bool[] _reportable;
    private readonly int[] _outputStart;
    private readonly int[] _outputPatterns;
    private readonly int[] _dictionaryLink;

    private AhoCorasickMatcher(PrefilterPatternSet patterns, int denseStates)
        : base(patterns)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(denseStates, 1);
        // 1. The trie, in insertion order, with edges in a hash map keyed by (state, byte).
        var edges = new Dictionary<long, int>();
        var firstChild = new List<int> { -1 };
        var nextSibling = new List<int> { -1 };
        var edgeByte = new List<byte> { 0 };
        var ownOutputs = new List<List<int>?> { null };
        for (int p = 0; p < patterns.Count; p++)
        {
            int state = 0;
            foreach (byte b in patterns.Folded[p])
            {
                long key = ((long)state << 8) | b;
                if (!edges.TryGetValue(key, out int next))
                {
                    next = firstChild.Count;
                    edges.Add(key, next);
                    firstChild.Add(-1);
                    nextSibling.Add(firstChild[state]);
                    edgeByte.Add(b);
                    ownOutputs.Add(null);
                    firstChild[state] = next;
                }

                state = next;
            }

            (ownOutputs[state] ??= []).Add(p);
        }

        // 2. Renumber breadth-first, so a state's failure target always has a smaller number and shallow states come first.
        int count = firstChild.Count;
        int[] order = new int[count];
        int[] newNumber = new int[count];
        int head = 0;
        int tail = 1;
        var children = new List<int>();
        while (head < tail)
        {
            int old = order[head++];
            children.Clear();
            for (int child = firstChild[old]; child >= 0; child = nextSibling[child])
            {
                children.Add(child);
            }

            children.Sort((x, y) => edgeByte[x].CompareTo(edgeByte[y]));
            foreach (int child in children)
            {
                order[tail++] = child;
            }
        }

        for (int i = 0; i < count; i++)
        {
            newNumber[order[i]] = i;
        }

        // 3. Sparse edges in CSR form, sorted by byte within a state.
        _edgeStart = new int[count + 1];
        _edgeKeys = new byte[count - 1];
        _edgeTargets = new int[count - 1];
        int edge = 0;
        for (int s = 0; s < count; s++)
        {
            _edgeStart[s] = edge;
            children.Clear();
            for (int child = firstChild[order[s]]; child >= 0; child = nextSibling[child])
            {
                children.Add(child);
            }

            children.Sort((x, y) => edgeByte[x].CompareTo(edgeByte[y]));
            foreach (int child in children)
            {
                _edgeKeys[edge] = edgeByte[child];
                _edgeTargets[edge] = newNumber[child];
                edge++;
            }
        }

        _edgeStart[count] = edge;

        // 4. Outputs in CSR form.
        _outputStart = new int[count + 1];
        var outputs = new List<int>();
        for (int s = 0; s < count; s++)
        {
            _outputStart[s] = outputs.Count;
            if (ownOutputs[order[s]] is { } own)
            {
                outputs.AddRange(own);
            }
        }

        _outputStart[count] = outputs.Count;
        _outputPatterns = [.. outputs];

        // 5. Failure and dictionary-suffix links, breadth-first.
        _fail = new int[count];
        _dictionaryLink = new int[count];
        _reportable = new bool[count];
        _dictionaryLink[0] = -1;
        for (int s = 0; s < count; s++)
        {
            for (int e = _edgeStart[s]; e < _edgeStart[s + 1]; e++)
            {
                int child = _edgeTargets[e];
                byte b = _edgeKeys[e];
                int f = 0;
                if (s != 0)
                {
                    int probe = _fail[s];
                    while (true)
                    {
                        int target = FindEdge(probe, b);
                        if (target >= 0)
                        {
                            f = target;
                            break;
                        }

                        if (probe == 0)
                        {
                            break;
                        }

                        probe = _fail[probe];
                    }
                }

                _fail[child] = f;
                _dictionaryLink[child] = HasOwnOutput(f) ? f : _dictionaryLink[f];
                _reportable[child] = HasOwnOutput(child) || _dictionaryLink[child] >= 0;
            }
        }

        // 6. Dense rows for the first states, failure transitions resolved (a state's failure target has a smaller number).
        _denseCount = Math.Min(count, denseStates);
        _dense = new int[_denseCount * 256];
        for (int s = 0; s < _denseCount; s++)
        {
            for (int b = 0; b < 256; b++)
            {
                int target = FindEdge(s, (byte)b);
                _dense[(s << 8) | b] = target >= 0 ? target : s == 0 ? 0 : _dense[(_fail[s] << 8) | b];
            }
        }
    }

    public override string Name => "aho_corasick";

    public int StateCount => _fail.Length;

    public override long MemoryBytes =>
        ((long)_dense.Length * 4) + ((long)_edgeStart.Length * 4) + _edgeKeys.Length + ((long)_edgeTargets.Length * 4)
        + ((long)_fail.Length * 4) + _reportable.Length + ((long)_outputStart.Length * 4) + ((long)_outputPatterns.Length * 4)
        + ((long)_dictionaryLink.Length * 4);

    /// <param name="patterns">The fast patterns.</param>
    /// <param name="limits">Bounds on the set; <see cref="PrefilterLimits.Default"/> when null.</param>
    /// <param name="denseStates">How many states (breadth-first, so the shallowest) get a full 256-entry row.</param>
    public static AhoCorasickMatcher Create(IReadOnlyList<PrefilterPattern> patterns, PrefilterLimits? limits = null, int denseStates = DefaultDenseStates) =>
        new(PrefilterPatternSet.Create(patterns, limits), denseStates);

    private protected override void ScanCore(ReadOnlySpan<byte> buffer, PrefilterMatches matches)
    {
        ref int dense = ref MemoryMarshal.GetArrayDataReference(_dense);
        ref byte fold = ref MemoryMarshal.GetArrayDataReference(PrefilterPatternSet.Fold);
        bool[] reportable = _reportable;
        int denseCount = _denseCount;
        int state = 0;
        for (int i = 0; i < buffer.Length; i++)
        {
            byte b = Unsafe.Add(ref fold, buffer[i]);

            // state < denseCount, so the index is below _dense.Length.
            state = state < denseCount ? Unsafe.Add(ref dense, (state << 8) | b) : SparseNext(state, b);
            if (reportable[state])
            {
                Report(state, buffer, i, matches);
            }
        }
    }

    private int SparseNext(int state, byte b)
    {
        while (true)
        {
            int target = FindEdge(state, b);
            if (target >= 0)
            {
                return target;
            }

            state = _fail[state];
            if (state < _denseCount)
            {
                return _dense[(state << 8) | b];
            }
        }
    }

    private int FindEdge(int state, byte b)
    {
        int start = _edgeStart[state];
        int end = _edgeStart[state + 1];
        if (end - start <= 8)
        {
            for (int e = start; e < end; e++)
            {
                if (_edgeKeys[e] == b)
                {
                    return _edgeTargets[e];
                }
            }

            return -1;
        }

        int found = _edgeKeys.AsSpan(start, end - start).BinarySearch(b);
        return found >= 0 ? _edgeTargets[start + found] : -1;
    }

    private bool HasOwnOutput(int state) => _outputStart[state + 1] > _outputStart[state];

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Report(int state, ReadOnlySpan<byte> buffer, int end, PrefilterMatches matches)
    {
        for (int s = HasOwnOutput(state) ? state : _dictionaryLink[state]; s >= 0; s = _dictionaryLink[s])
        {
            for (int o = _outputStart[s]; o < _outputStart[s + 1]; o++)
            {
                int pattern = _outputPatterns[o];
                int id = Patterns.Ids[pattern];
                if (matches.Contains(id))
                {
                    continue;
                }

                // The automaton matched the folded bytes; a case-sensitive pattern must also match the original ones.
                if (Patterns.NoCase[pattern] || Patterns.MatchesAt(pattern, buffer, end - Patterns.Bytes[pattern].Length + 1))
                {
                    matches.Add(id);
                }
            }
        }
    }
}
