using NetSecStream.Core.Events;
using NetSecStream.Signatures.Keywords;
using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Engine.State;

/// <summary>
/// One rule's xbits, compiled: bits on a host (<c>track ip_src</c> / <c>ip_dst</c>: the event's source or
/// destination address) or on the unordered address pair (<c>ip_pair</c>), shared by every flow of that host or
/// pair. A set bit lives <c>expire</c> seconds of event time (Suricata's default 30); setting it again renews it.
/// Tests (isset, isnotset) must hold for the rule to match; writes (set, unset, toggle) apply once it matched.
/// </summary>
public sealed class XbitsProgram
{
    private readonly XbitsOption[] _tests;
    private readonly XbitsOption[] _writes;

    private XbitsProgram(XbitsOption[] tests, XbitsOption[] writes)
    {
        _tests = tests;
        _writes = writes;
        Order = (tests.Length > 0, writes.Length > 0) switch
        {
            (false, true) => FlowbitsOrder.WritesOnly,
            (true, true) => FlowbitsOrder.ReadsAndWrites,
            (true, false) => FlowbitsOrder.ReadsOnly,
            _ => FlowbitsOrder.None,
        };
    }

    public FlowbitsOrder Order { get; }

    public bool Reads => _tests.Length > 0;

    /// <summary>The compiled xbits of <paramref name="rule"/>, or null when it has none.</summary>
    public static XbitsProgram? Compile(Rule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        XbitsOption[] all = [.. rule.Options.OfType<XbitsOption>()];
        return all.Length == 0 ? null : new XbitsProgram(
            [.. all.Where(x => x.Command is FlowbitsCommand.IsSet or FlowbitsCommand.IsNotSet)],
            [.. all.Where(x => x.Command is not (FlowbitsCommand.IsSet or FlowbitsCommand.IsNotSet))]);
    }

    /// <summary>True when every test holds in <paramref name="table"/> for this event.</summary>
    public bool Holds(BoundedStateTable<string, bool> table, FlowEvent flow)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(flow);
        foreach (XbitsOption t in _tests)
        {
            bool set = table.TryGet(Key(t, flow), flow.Timestamp, renewTo: null, out _);
            if (set != (t.Command == FlowbitsCommand.IsSet))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Applies the writes, in rule order.</summary>
    public void Apply(BoundedStateTable<string, bool> table, FlowEvent flow)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(flow);
        DateTimeOffset now = flow.Timestamp;
        foreach (XbitsOption w in _writes)
        {
            string key = Key(w, flow);
            DateTimeOffset expires = EventTime.After(now, TimeSpan.FromSeconds(w.ExpireSeconds));
            switch (w.Command)
            {
                case FlowbitsCommand.Set:
                    table.GetOrAdd(key, now, expires, static () => true);
                    break;
                case FlowbitsCommand.Unset:
                    table.Remove(key);
                    break;
                case FlowbitsCommand.Toggle:
                    if (table.TryGet(key, now, renewTo: null, out _))
                    {
                        table.Remove(key);
                    }
                    else
                    {
                        table.Add(key, true, expires);
                    }

                    break;
            }
        }
    }

    private static string Key(XbitsOption x, FlowEvent flow) => x.Track switch
    {
        "ip_src" => string.Concat("h|", x.Name, "|", flow.Source.Ip.ToString()),
        "ip_dst" => string.Concat("h|", x.Name, "|", flow.Destination.Ip.ToString()),
        _ => string.Concat("p|", x.Name, "|", FlowStateKey.AddressPair(flow)),
    };
}
