using NetSecStream.Signatures.Keywords;
using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Engine.State;

/// <summary>
/// Where a rule sits in the per-event evaluation order because of its flowbits, as in Suricata's signature ordering:
/// rules that only write bits run first, then rules that read and write, then rules that only read, then the rest.
/// So a rule that sets a bit on an event runs before a rule that tests it on the same event.
/// </summary>
public enum FlowbitsOrder
{
    WritesOnly = 0,
    ReadsAndWrites = 1,
    ReadsOnly = 2,
    None = 3,
}

/// <summary>Flowbit names of a rule set, numbered densely so a flow's bits fit in a small bit set.</summary>
public sealed class FlowbitNames
{
    private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);

    public int Count => _ids.Count;

    public int Id(string name)
    {
        if (!_ids.TryGetValue(name, out int id))
        {
            _ids[name] = id = _ids.Count;
        }

        return id;
    }
}

/// <summary>
/// One rule's flowbits, compiled: the tests (isset, isnotset; | means any, &amp; means all) that must hold for the rule
/// to match, and the writes (set, unset, toggle) applied, in rule order, only once the whole rule matched.
/// </summary>
public sealed class FlowbitsProgram
{
    private readonly Step[] _tests;
    private readonly Step[] _writes;

    private FlowbitsProgram(Step[] tests, Step[] writes, bool noAlert)
    {
        _tests = tests;
        _writes = writes;
        NoAlert = noAlert;
        Order = (tests.Length > 0, writes.Length > 0) switch
        {
            (false, true) => FlowbitsOrder.WritesOnly,
            (true, true) => FlowbitsOrder.ReadsAndWrites,
            (true, false) => FlowbitsOrder.ReadsOnly,
            _ => FlowbitsOrder.None,
        };
    }

    /// <summary>flowbits:noalert: the rule updates state but is never reported.</summary>
    public bool NoAlert { get; }

    public FlowbitsOrder Order { get; }

    public bool Reads => _tests.Length > 0;

    public bool Writes => _writes.Length > 0;

    /// <summary>The compiled flowbits of <paramref name="rule"/>, or null when it has none.</summary>
    public static FlowbitsProgram? Compile(Rule rule, FlowbitNames names)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(names);
        if (rule.Flowbits.Count == 0)
        {
            return null;
        }

        var tests = new List<Step>();
        var writes = new List<Step>();
        bool noAlert = false;
        foreach (FlowbitsOption f in rule.Flowbits)
        {
            if (f.Command == FlowbitsCommand.NoAlert)
            {
                noAlert = true;
                continue;
            }

            var step = new Step(f.Command, [.. f.Names.Select(names.Id)], f.All);
            (f.Command is FlowbitsCommand.IsSet or FlowbitsCommand.IsNotSet ? tests : writes).Add(step);
        }

        return new FlowbitsProgram([.. tests], [.. writes], noAlert);
    }

    /// <summary>True when every test holds on <paramref name="bits"/> (null: the flow has no bits).</summary>
    public bool Holds(ulong[]? bits)
    {
        foreach (Step t in _tests)
        {
            bool want = t.Command == FlowbitsCommand.IsSet;
            bool holds = t.All;
            foreach (int id in t.Ids)
            {
                bool ok = IsSet(bits, id) == want;
                if (t.All && !ok)
                {
                    holds = false;
                    break;
                }

                if (!t.All && ok)
                {
                    holds = true;
                    break;
                }
            }

            if (!holds)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Applies the writes, in rule order.</summary>
    public void Apply(ulong[] bits)
    {
        ArgumentNullException.ThrowIfNull(bits);
        foreach (Step w in _writes)
        {
            foreach (int id in w.Ids)
            {
                ulong mask = 1UL << (id & 63);
                switch (w.Command)
                {
                    case FlowbitsCommand.Set: bits[id >> 6] |= mask; break;
                    case FlowbitsCommand.Unset: bits[id >> 6] &= ~mask; break;
                    case FlowbitsCommand.Toggle: bits[id >> 6] ^= mask; break;
                }
            }
        }
    }

    private static bool IsSet(ulong[]? bits, int id) => bits is not null && (bits[id >> 6] & (1UL << (id & 63))) != 0;

    private readonly record struct Step(FlowbitsCommand Command, int[] Ids, bool All);
}
