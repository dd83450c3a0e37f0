using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using NetSecStream.Core.Events;
using NetSecStream.Signatures.Engine.State;
using NetSecStream.Signatures.Keywords;
using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Engine;

/// <summary>A rule the engine will not run, with the keyword (or buffer / protocol) it cannot evaluate yet.</summary>
public sealed record NotEvaluableRule(Rule Rule, string Reason);

/// <summary>One matching rule on one event, with the buffers and patterns that matched.</summary>
public sealed record SignatureMatch(Rule Rule, string Explanation);

/// <summary>
/// The first Suricata matching engine over <see cref="FlowEvent"/>s. Built once from parsed rules; each rule is classified
/// as evaluable or not (<see cref="NotEvaluable"/>, with the keyword that is missing) and only evaluable rules run.
/// Evaluates: header (protocol, addresses, ports, <c>-&gt;</c>/<c>&lt;&gt;</c>), <c>flow</c> direction (from
/// <see cref="FlowEvent.IsReply"/>; stream/frag flags are not checked), the options with an <see cref="IEventCondition"/>
/// hook (flow state, itype, icode, flags, app-layer-protocol), <c>dsize</c> (payload length of the event's direction),
/// and per buffer, after the buffer's transforms (each transformed buffer is computed once per event), <c>content</c>
/// (nocase, depth, offset, distance, within, startswith, endswith, negation, byte_extract variables, with bounded
/// backtracking over earlier occurrences), <c>pcre</c> (Latin-1 text, relative flag, negation) and the options with an
/// <see cref="IBufferCondition"/> hook (isdataat, bsize, urilen, byte_test, byte_jump, byte_extract). <c>flowbits</c>, <c>xbits</c>,
/// <c>noalert</c>, <c>threshold</c>, <c>detection_filter</c> and threshold.config keep state across events in a
/// <see cref="DetectionState"/> (bounded, event time): the rules that matched an event run through it in Suricata's
/// order (action, then flowbits writers before readers).
/// Thread-safe once built: matching is lock-free, the stateful phase of each event runs under the state's lock.
/// </summary>
public sealed class SignatureEngine : IDisposable
{
    /// <summary>Buffers the engine can fill from a <see cref="FlowEvent"/>.</summary>
    public static IReadOnlySet<string> SupportedBuffers { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        RuleBuilder.PayloadBuffer, "file.data", "dns.query", "http.uri", "http.uri.raw", "http.host", "http.method",
        "http.user_agent", "http.stat_code", "http.header", "tls.sni", "ja3.hash",
        "http.host.raw", "http.header.raw", "http.header_names", "http.cookie", "http.content_type", "http.content_len",
        "http.referer", "http.accept", "http.accept_enc", "http.accept_lang", "http.connection", "http.start",
        "http.request_line", "http.protocol",
        "http.request_body", "http.response_body", "http.response_line", "http.stat_msg", "http.server",
        "http.location", "tls.cert_subject", "tls.cert_issuer", "tls.cert_serial", "tls.cert_fingerprint", "tls.certs",
        "tls.subjectaltname", "tls.alpn", "ssh.proto", "ssh.software",
    };

    private const int MaxBacktrackSteps = 4096;

    private readonly CompiledRule[] _rules;
    private readonly Dictionary<string, MultiPatternMatcher> _matchers = new(StringComparer.Ordinal);

    /// <summary>Per prefilter key (buffer and transforms), the buffer whose (transformed) bytes the matcher scans.</summary>
    private readonly Dictionary<string, BufferPlan> _prefilterBuffers = new(StringComparer.Ordinal);
    private readonly int[] _alwaysEvaluate;
    private readonly int _streamRules;
    private readonly AddressIndex _addressIndex;
    private readonly PortIndex _portIndex;
    private readonly ThreadLocal<Scratch> _scratch;
    private readonly DetectionState? _state;

    public SignatureEngine(
        RuleSetLoadResult load, bool usePrefilter = true, PrefilterImplementation implementation = PrefilterImplementation.Auto,
        DetectionStateLimits? stateLimits = null, Action<string, StateEvictionReason>? stateEvicted = null, ThresholdConfig? thresholdConfig = null)
        : this((load ?? throw new ArgumentNullException(nameof(load))).Rules, usePrefilter, implementation, stateLimits, stateEvicted, thresholdConfig)
    {
    }

    /// <param name="rules">The rules; those the engine cannot evaluate are listed in <see cref="NotEvaluable"/>.</param>
    /// <param name="usePrefilter">Run the multi-pattern prefilter (false: evaluate every rule).</param>
    /// <param name="implementation">Prefilter implementation.</param>
    /// <param name="stateLimits">Bounds of the flowbits and threshold tables (defaults when null).</param>
    /// <param name="stateEvicted">Told of each state entry dropped: the table and why (for metrics).</param>
    /// <param name="thresholdConfig">threshold.config thresholds and suppressions, if any.</param>
    public SignatureEngine(
        IReadOnlyList<Rule> rules, bool usePrefilter = true, PrefilterImplementation implementation = PrefilterImplementation.Auto,
        DetectionStateLimits? stateLimits = null, Action<string, StateEvictionReason>? stateEvicted = null, ThresholdConfig? thresholdConfig = null)
    {
        ArgumentNullException.ThrowIfNull(rules);
        UsesPrefilter = usePrefilter;
        var compiled = new List<CompiledRule>(rules.Count);
        var notEvaluable = new List<NotEvaluableRule>();
        var bitNames = new FlowbitNames();
        foreach (Rule rule in rules)
        {
            string? reason = Classify(rule, out ProtocolSpec spec);
            if (reason is not null)
            {
                notEvaluable.Add(new NotEvaluableRule(rule, reason));
                continue;
            }

            compiled.Add(new CompiledRule(rule, spec, compiled.Count, bitNames, thresholdConfig));
        }

        _rules = [.. compiled];
        _streamRules = compiled.Count(c => c.StreamOnly);
        NotEvaluable = notEvaluable;
        if (_rules.Any(r => r.State.IsStateful))
        {
            _state = new DetectionState(bitNames.Count, stateLimits ?? new DetectionStateLimits(), stateEvicted);
        }

        var always = new List<int>();
        var patterns = new Dictionary<string, List<PrefilterPattern>>(StringComparer.Ordinal);
        foreach (CompiledRule r in _rules)
        {
            (BufferPlan Plan, ContentMatch Content)? fast = FastPattern(r);
            if (fast is null)
            {
                always.Add(r.Index);
                continue;
            }

            // A content after transforms prefilters on the transformed buffer: the key names buffer and transforms.
            string buffer = fast.Value.Plan.Key;
            _prefilterBuffers.TryAdd(buffer, fast.Value.Plan);
            ContentMatch c = fast.Value.Content;
            ReadOnlyMemory<byte> bytes = c.Pattern;
            if (c.FastPatternSlice is { } slice && slice.Offset >= 0 && slice.Length > 0 && slice.Offset + slice.Length <= bytes.Length)
            {
                bytes = bytes.Slice(slice.Offset, slice.Length);
            }

            if (!patterns.TryGetValue(buffer, out List<PrefilterPattern>? list))
            {
                patterns[buffer] = list = [];
            }

            list.Add(new PrefilterPattern(r.Index, bytes, c.Nocase));
        }

        // Header-only rules with a bounded address side (IP reputation lists) are looked up by address, not run on every event.
        var unindexed = new List<int>();
        _addressIndex = AddressIndex.Build(always.Select(i => (i, _rules[i].Rule)), unindexed);

        // The rest with a short list of destination ports (scan and service rules) are looked up by port.
        var portless = new List<int>();
        _portIndex = PortIndex.Build(unindexed.Select(i => (i, _rules[i].Rule)), portless);
        _alwaysEvaluate = [.. portless];
        if (usePrefilter)
        {
            foreach ((string buffer, List<PrefilterPattern> list) in patterns)
            {
                _matchers[buffer] = PrefilterFactory.Create(list, implementation);
            }
        }

        _scratch = new ThreadLocal<Scratch>(() => new Scratch(this));
    }

    public bool UsesPrefilter { get; }

    /// <summary>
    /// The load result as the engine sees it: rules it cannot evaluate move from <see cref="RuleSetLoadResult.Rules"/>
    /// to the diagnostics (kind <see cref="RuleDiagnosticKind.NotEvaluable"/>, the keyword named and counted in
    /// <see cref="RuleSetLoadResult.UnsupportedKeywords"/>), so "loaded" means "runs".
    /// </summary>
    public static RuleSetLoadResult Admit(RuleSetLoadResult load)
    {
        ArgumentNullException.ThrowIfNull(load);
        var rules = new List<Rule>(load.Rules.Count);
        var diagnostics = new List<RuleDiagnostic>(load.Diagnostics);
        var unsupported = new Dictionary<string, int>(load.UnsupportedKeywords, StringComparer.Ordinal);
        foreach (Rule rule in load.Rules)
        {
            string? reason = Classify(rule, out _);
            if (reason is null)
            {
                rules.Add(rule);
                continue;
            }

            diagnostics.Add(new RuleDiagnostic(rule.File, rule.Line, rule.Sid, RuleDiagnosticKind.NotEvaluable,
                $"the engine cannot evaluate '{reason}' yet", reason));
            unsupported[reason] = unsupported.GetValueOrDefault(reason) + 1;
        }

        return new RuleSetLoadResult
        {
            Rules = rules,
            Diagnostics = diagnostics,
            Total = load.Total,
            UnsupportedKeywords = unsupported,
            Bytes = load.Bytes,
            Elapsed = load.Elapsed,
            Files = load.Files,
        };
    }

    /// <summary>Rules that run.</summary>
    public int EvaluableCount => _rules.Length;

    /// <summary>Rules that do not run, each with the keyword, buffer or protocol the engine cannot evaluate yet.</summary>
    public IReadOnlyList<NotEvaluableRule> NotEvaluable { get; }

    /// <summary>Rules evaluated on every event because they have no positive content to prefilter on.</summary>
    public int HeaderOnlyCount => _alwaysEvaluate.Length;

    /// <summary>Rules without a fast pattern found by address instead (IP reputation lists).</summary>
    public int AddressIndexedCount => _addressIndex.RuleCount;

    /// <summary>Rules without a fast pattern or a bounded address side found by destination port instead.</summary>
    public int PortIndexedCount => _portIndex.RuleCount;

    /// <summary>The flowbits, xbits and threshold state; null when no rule needs any.</summary>
    public DetectionState? State => _state;

    /// <summary>Prefilter pattern count per buffer (empty on the naive path).</summary>
    public IReadOnlyDictionary<string, int> PrefilterPatterns => _matchers.ToDictionary(kv => kv.Key, kv => kv.Value.PatternCount, StringComparer.Ordinal);

    /// <summary>
    /// Adds the rules matching <paramref name="flow"/> to <paramref name="matches"/> in rule order. When a matching
    /// rule's action is <c>pass</c>, nothing else of this event is reported (the pass rule itself is not reported either).
    /// When a matching rule has flowbits, xbits, noalert or thresholds, the event's matches pass through the
    /// <see cref="DetectionState"/> instead (see <see cref="DetectionState.Decide"/>).
    /// </summary>
    public void Match(FlowEvent flow, ICollection<SignatureMatch> matches)
    {
        ArgumentNullException.ThrowIfNull(flow);
        ArgumentNullException.ThrowIfNull(matches);
        if (flow.Kind == FlowEventKind.Summary && _streamRules == 0)
        {
            // The flow's packets and transactions were inspected one by one already; only stream rules look at its summary.
            return;
        }

        Scratch s = _scratch.Value!;
        s.Reset(flow);
        List<int> candidates = s.Candidates;
        candidates.Clear();
        if (UsesPrefilter)
        {
            candidates.AddRange(_alwaysEvaluate);
            _addressIndex.Lookup(s.SourceKey, candidates, s.Seen);
            _addressIndex.Lookup(s.DestinationKey, candidates, s.Seen);
            _portIndex.Lookup(flow.Destination.Port, candidates, s.Seen);
            _portIndex.Lookup(flow.Source.Port, candidates, s.Seen);
            foreach ((string buffer, MultiPatternMatcher matcher) in _matchers)
            {
                BufferPlan plan = _prefilterBuffers[buffer];
                if (!plan.MayExist(flow))
                {
                    // The event has no facts of the buffer's protocol: nothing to extract or scan.
                    continue;
                }

                PrefilterMatches found = s.Found[buffer];
                if (plan.Buffer == RuleBuilder.PayloadBuffer)
                {
                    if (flow.Payload is not null)
                    {
                        ScanInto(matcher, s.Payload(plan, toServer: true).Span, found, candidates, s.Seen);
                        ScanInto(matcher, s.Payload(plan, toServer: false).Span, found, candidates, s.Seen);
                        if (plan.Transforms.Length == 0 && !flow.Payload.Stream.IsEmpty)
                        {
                            ScanInto(matcher, flow.Payload.Stream.Span, found, candidates, s.Seen);
                        }
                    }
                }
                else
                {
                    ScanValues(matcher, s.Get(plan, true), found, candidates, s.Seen);
                    if (AppLayerBuffers.IsSided(plan.Buffer))
                    {
                        ScanValues(matcher, s.Get(plan, false), found, candidates, s.Seen);
                    }
                }
            }

            candidates.Sort();
            foreach (int i in candidates)
            {
                s.Seen[i] = false;
            }
        }
        else
        {
            for (int i = 0; i < _rules.Length; i++)
            {
                candidates.Add(i);
            }
        }

        List<SignatureMatch> hits = s.Hits;
        hits.Clear();
        List<StatefulRule> matched = s.Matched;
        matched.Clear();
        bool stateful = false;
        foreach (int i in candidates)
        {
            CompiledRule r = _rules[i];
            if (Evaluate(r, flow, s, out string? explanation))
            {
                if (r.Rule.Action == RuleAction.Pass && _state is null)
                {
                    return;
                }

                hits.Add(new SignatureMatch(r.Rule, explanation!));
                matched.Add(r.State);
                stateful |= r.State.IsStateful;
            }
        }

        if (stateful)
        {
            StatefulPhase(flow, s);
            return;
        }

        foreach (SignatureMatch m in hits)
        {
            if (m.Rule.Action == RuleAction.Pass)
            {
                return;
            }
        }

        foreach (SignatureMatch m in hits)
        {
            matches.Add(m);
        }

        void StatefulPhase(FlowEvent flow, Scratch s)
        {
            // Hits and matched are parallel, in rule order; the state sees them in evaluation order.
            int[] order = s.Order(matched.Count);
            for (int k = 0; k < matched.Count; k++)
            {
                order[k] = k;
            }

            Array.Sort(order, 0, matched.Count, Comparer<int>.Create((a, b) => matched[a].OrderKey.CompareTo(matched[b].OrderKey)));
            List<StatefulRule> ordered = s.Ordered;
            ordered.Clear();
            for (int k = 0; k < matched.Count; k++)
            {
                ordered.Add(matched[order[k]]);
            }

            Span<bool> report = matched.Count <= 256 ? stackalloc bool[matched.Count] : new bool[matched.Count];
            if (!_state!.Decide(flow, ordered, report))
            {
                return;
            }

            bool[] reported = s.Reported(hits.Count);
            for (int k = 0; k < matched.Count; k++)
            {
                reported[order[k]] = report[k];
            }

            for (int k = 0; k < hits.Count; k++)
            {
                if (reported[k])
                {
                    matches.Add(hits[k]);
                }
            }
        }
    }

    /// <summary>Convenience: the matches of one event as a new list.</summary>
    public List<SignatureMatch> Match(FlowEvent flow)
    {
        var list = new List<SignatureMatch>();
        Match(flow, list);
        return list;
    }

    public void Dispose()
    {
        foreach (MultiPatternMatcher m in _matchers.Values)
        {
            m.Dispose();
        }

        _scratch.Dispose();
    }

    private static void ScanInto(MultiPatternMatcher matcher, ReadOnlySpan<byte> buffer, PrefilterMatches found, List<int> candidates, bool[] seen)
    {
        if (buffer.IsEmpty)
        {
            return;
        }

        matcher.Scan(buffer, found);
        foreach (int id in found.Ids)
        {
            if (!seen[id])
            {
                seen[id] = true;
                candidates.Add(id);
            }
        }
    }

    private static void ScanValues(MultiPatternMatcher matcher, List<ReadOnlyMemory<byte>>? values, PrefilterMatches found, List<int> candidates, bool[] seen)
    {
        if (values is null)
        {
            return;
        }

        foreach (ReadOnlyMemory<byte> value in values)
        {
            ScanInto(matcher, value.Span, found, candidates, seen);
        }
    }

    /// <summary>The buffer as the engine fills it: <c>file.data</c> is the HTTP body in HTTP rules, the payload elsewhere.</summary>
    private static string Canonical(string buffer, string? l7) => buffer == "file.data" && l7 != "http" ? RuleBuilder.PayloadBuffer : buffer;

    /// <summary>The content marked fast_pattern, else the longest positive content; null when the rule has none.</summary>
    private static (BufferPlan, ContentMatch)? FastPattern(CompiledRule rule)
    {
        (BufferPlan, ContentMatch)? longest = null;
        foreach (BufferPlan b in rule.Plans)
        {
            foreach (RuleOption o in b.Options)
            {
                if (o is ContentMatch { Negated: false } c)
                {
                    if (c.FastPattern)
                    {
                        return (b, c);
                    }

                    if (longest is null || c.Pattern.Length > longest.Value.Item2.Pattern.Length)
                    {
                        longest = (b, c);
                    }
                }
            }
        }

        return longest;
    }

    private static string? Classify(Rule rule, out ProtocolSpec spec)
    {
        spec = default;
        switch (rule.Protocol)
        {
            case "ip" or "ipv4" or "ip4" or "ipv6" or "ip6" or "pkthdr": spec = new ProtocolSpec(Transport.Other, AnyTransport: true, L7: null); break;
            case "tcp" or "tcp-pkt" or "tcp-stream": spec = new ProtocolSpec(Transport.Tcp, false, null); break;
            case "udp": spec = new ProtocolSpec(Transport.Udp, false, null); break;
            case "icmp" or "icmpv4": spec = new ProtocolSpec(Transport.Icmp, false, null); break;
            case "icmpv6": spec = new ProtocolSpec(Transport.IcmpV6, false, null); break;
            case "http" or "http1": spec = new ProtocolSpec(Transport.Tcp, false, "http"); break;
            case "tls" or "ssl": spec = new ProtocolSpec(Transport.Tcp, false, "tls"); break;
            case "dns": spec = new ProtocolSpec(Transport.Other, true, "dns"); break;
            case "ssh": spec = new ProtocolSpec(Transport.Tcp, false, "ssh"); break;
            default: return "protocol " + rule.Protocol;
        }

        foreach (RuleOption o in rule.Options)
        {
            if (o is DatasetOption dataset && dataset.Bind(rule.File) is { } unbound)
            {
                return unbound;
            }

            switch (o)
            {
                case INotEvaluableReason { NotEvaluableReason: { } why }:
                    return why;
                case ContentMatch:
                case PcreMatch:
                case StickyBufferOption:
                case ThresholdOption:
                case FlowbitsOption:
                case XbitsOption { Track: not "tx" }:
                case KeptOption { Keyword: "noalert" }:
                case TransformOption:
                case IEventCondition:
                case IBufferCondition:
                    break;
                case XbitsOption:
                    return "xbits track tx";
                case NumericRangeOption n when n.Keyword == "dsize":
                    break;
                case KeptOption k when AppLayerKeywords.Compile(k) is not null:
                    break;
                default:
                    return o.Keyword;
            }
        }

        foreach (BufferMatches b in rule.Buffers)
        {
            if (!SupportedBuffers.Contains(b.Buffer))
            {
                return b.Buffer;
            }

            // byte_extract variables live in the buffer that extracted them, from the extraction on.
            var extracted = new HashSet<string>(StringComparer.Ordinal);
            foreach (RuleOption o in b.Options)
            {
                if (o is not ContentMatch and not PcreMatch and not IBufferCondition)
                {
                    return o.Keyword;
                }

                foreach (string variable in VariablesUsed(o))
                {
                    if (!extracted.Contains(variable))
                    {
                        return "byte_extract variable from another buffer";
                    }
                }

                if (o is ByteExtractOption { Variable: { } name })
                {
                    extracted.Add(name);
                }
            }
        }

        return null;
    }

    private static IEnumerable<string> VariablesUsed(RuleOption option)
    {
        IntOrVariable?[] values = option switch
        {
            ContentMatch c => [c.Depth, c.Offset, c.Distance, c.Within],
            ByteOperation b => [b.Offset, b.Value],
            IsDataAtOption i => [i.Position],
            _ => [],
        };
        foreach (IntOrVariable? v in values)
        {
            if (v is { Variable: { } name })
            {
                yield return name;
            }
        }
    }

    private static bool Evaluate(CompiledRule r, FlowEvent flow, Scratch s, out string? explanation)
    {
        explanation = null;
        Rule rule = r.Rule;
        if (!r.Spec.AnyTransport && flow.Transport != r.Spec.Transport)
        {
            return false;
        }

        // Packets run the rules of packets, transactions the rules of app-layer buffers, a flow's summary (its reassembled
        // stream prefixes) the stream-only rules; a flow event runs them all.
        if (flow.Kind switch
        {
            FlowEventKind.Packet => r.UsesAppBuffers || r.StreamOnly,
            FlowEventKind.Transaction => !r.UsesAppBuffers,
            FlowEventKind.Summary => !r.StreamOnly || r.UsesAppBuffers,
            _ => false,
        })
        {
            return false;
        }

        if (flow.Kind == FlowEventKind.Packet)
        {
            if (r.Spec.L7 is { } proto && !string.Equals(flow.AppProtocol, proto, StringComparison.Ordinal))
            {
                return false;
            }
        }
        else
        {
            switch (r.L7)
            {
                case L7Need.Http when flow.Http is null:
                case L7Need.Tls when flow.Tls is null:
                case L7Need.Ssh when flow.Ssh is null:
                case L7Need.Dns when flow.Dns is null || (flow.Transport != Transport.Udp && flow.Transport != Transport.Tcp):
                    return false;
            }
        }

        // A transaction holds both directions (its buffers say which); an event without IsReply may be either.
        bool reply = flow.IsReply == true;
        if (flow.Kind != FlowEventKind.Transaction && flow.IsReply is bool isReply && rule.Flow?.ToServer is bool toServer && toServer == isReply)
        {
            return false;
        }

        // Address lists of reputation rules can be long: the cheap checks above run first.
        if (!HeaderMatches(rule, flow, s))
        {
            return false;
        }

        foreach (IEventCondition condition in r.EventConditions)
        {
            if (!condition.Matches(flow))
            {
                return false;
            }
        }

        // Payload direction: the rule's flow direction, else both.
        bool? payloadToServer = rule.Flow?.ToServer;
        if (r.Dsize is { } dsize)
        {
            if (flow.Payload is null)
            {
                return false;
            }

            // dsize is the size of the event's own direction: the rule's flow direction, else to_client for replies.
            bool dsizeToServer = payloadToServer ?? !reply;
            bool ok = dsize.Matches(dsizeToServer ? flow.Payload.ToServer.Length : flow.Payload.ToClient.Length);
            if (!ok)
            {
                return false;
            }
        }

        foreach (Func<FlowEvent, bool> check in r.AppKeywords)
        {
            if (!check(flow))
            {
                return false;
            }
        }

        // A rule inspecting a side-bound buffer on both sides tries the request side, then the response side.
        bool side = r.Side ?? true;
        if (!BuffersMatch(r, flow, s, side, payloadToServer, out explanation) && (r.Side is not null || !r.HasSidedBuffer
            || !BuffersMatch(r, flow, s, false, payloadToServer, out explanation)))
        {
            return false;
        }

        return true;
    }

    private static bool BuffersMatch(CompiledRule r, FlowEvent flow, Scratch s, bool toServer, bool? payloadToServer, out string? explanation)
    {
        explanation = null;
        Rule rule = r.Rule;
        StringBuilder? why = null;
        foreach (BufferPlan b in r.Plans)
        {
            bool matched;
            if (b.Buffer == RuleBuilder.PayloadBuffer)
            {
                if (flow.Payload is null)
                {
                    return false;
                }

                matched = (payloadToServer != false && MatchBuffer(b.Options, s.Payload(b, toServer: true).Span, s))
                    || (payloadToServer != true && MatchBuffer(b.Options, s.Payload(b, toServer: false).Span, s))
                    || (!r.PacketOnly && StreamMatches(b, flow, payloadToServer, s));
            }
            else
            {
                // An app-layer buffer that is present but empty (an empty User-Agent) is inspected: bsize:0 and
                // negated contents match it, as in Suricata; an absent one is not. A multi-buffer matches when one
                // of its values satisfies all of the buffer's options.
                matched = false;
                if (s.Get(b, toServer) is { } values)
                {
                    foreach (ReadOnlyMemory<byte> value in values)
                    {
                        if (MatchBuffer(b.Options, value.Span, s, inspectEmpty: true))
                        {
                            matched = true;
                            break;
                        }
                    }
                }
            }

            if (!matched)
            {
                return false;
            }

            why ??= new StringBuilder();
            why.Append(why.Length == 0 ? "" : "; ").Append(b.DisplayName).Append(": ");
            bool first = true;
            foreach (RuleOption o in b.Options)
            {
                why.Append(first ? "" : ", ").Append(o switch
                {
                    ContentMatch c => (c.Negated ? "!" : "") + "\"" + Printable(c.Pattern.Span) + "\"",
                    PcreMatch p => (p.Negated ? "!" : "") + "pcre /" + p.Pattern + "/",
                    _ => o.Keyword,
                });
                first = false;
            }
        }

        explanation = why is null ? "header match" : "matched " + why;
        return true;
    }

    /// <summary>
    /// A packet's stream so far matches where its packet alone did not, and the match needs this packet's data (the
    /// stream before it does not match): a pattern split over segments alerts once, at the packet that completes it.
    /// </summary>
    private static bool StreamMatches(BufferPlan b, FlowEvent flow, bool? toServer, Scratch s)
    {
        PayloadBuffers p = flow.Payload!;
        if (flow.Kind != FlowEventKind.Packet || p.Stream.IsEmpty || b.Transforms.Length > 0 || (toServer is bool ts && ts == (flow.IsReply == true)))
        {
            return false;
        }

        ReadOnlySpan<byte> stream = p.Stream.Span;
        return MatchBuffer(b.Options, stream, s) && !MatchBuffer(b.Options, stream[..Math.Clamp(p.StreamNewFrom, 0, stream.Length)], s);
    }

    private static string Printable(ReadOnlySpan<byte> bytes)
    {
        var sb = new StringBuilder(bytes.Length);
        foreach (byte b in bytes)
        {
            if (b is >= 0x20 and < 0x7F and not (byte)'|' and not (byte)'"')
            {
                sb.Append((char)b);
            }
            else
            {
                sb.Append('|').Append(b.ToString("X2", CultureInfo.InvariantCulture)).Append('|');
            }
        }

        return sb.ToString();
    }

    private static bool HeaderMatches(Rule rule, FlowEvent flow, Scratch s)
    {
        bool forward = rule.SourcePorts.Matches(flow.Source.Port) && rule.DestinationPorts.Matches(flow.Destination.Port)
            && rule.Source.Matches(s.SourceKey) && rule.Destination.Matches(s.DestinationKey);
        if (forward || rule.Direction != RuleDirection.Both)
        {
            return forward;
        }

        return rule.SourcePorts.Matches(flow.Destination.Port) && rule.DestinationPorts.Matches(flow.Source.Port)
            && rule.Source.Matches(s.DestinationKey) && rule.Destination.Matches(s.SourceKey);
    }

    private static bool MatchBuffer(RuleOption[] options, ReadOnlySpan<byte> buffer, Scratch s, bool inspectEmpty = false)
    {
        if (buffer.IsEmpty && !inspectEmpty)
        {
            // An empty payload is no payload: Suricata does not run payload options on packets without data.
            return false;
        }

        int steps = 0;
        string? text = null;
        s.Variables.Clear();
        return MatchFrom(options, 0, buffer, 0, ref steps, ref text, s.Variables);
    }

    /// <summary>
    /// Matches options[index..] from the detection pointer <paramref name="prevEnd"/>. Content and pcre may match at
    /// several places and are retried at later occurrences when what follows fails; every other option is an
    /// <see cref="IBufferCondition"/> with one outcome. All steps together are bounded by <see cref="MaxBacktrackSteps"/>.
    /// </summary>
    private static bool MatchFrom(RuleOption[] options, int index, ReadOnlySpan<byte> buffer, int prevEnd, ref int steps, ref string? text, ByteVariables vars)
    {
        if (index == options.Length)
        {
            return true;
        }

        if (++steps > MaxBacktrackSteps)
        {
            return false;
        }

        switch (options[index])
        {
            case ContentMatch c:
            {
                if (!Window(c, buffer.Length, prevEnd, vars, out int start, out int end))
                {
                    return false;
                }

                ReadOnlySpan<byte> pattern = c.Pattern.Span;
                if (c.Negated)
                {
                    return Find(buffer, pattern, start, end, c.Nocase, c.EndsWith) < 0
                        && MatchFrom(options, index + 1, buffer, prevEnd, ref steps, ref text, vars);
                }

                int from = start;
                while (true)
                {
                    int at = Find(buffer, pattern, from, end, c.Nocase, c.EndsWith);
                    if (at < 0)
                    {
                        return false;
                    }

                    if (MatchFrom(options, index + 1, buffer, at + pattern.Length, ref steps, ref text, vars))
                    {
                        return true;
                    }

                    if (++steps > MaxBacktrackSteps)
                    {
                        return false;
                    }

                    from = at + 1;
                }
            }

            case PcreMatch p:
            {
                text ??= Encoding.Latin1.GetString(buffer);
                int startAt = p.Relative ? Math.Min(prevEnd, text.Length) : 0;
                System.Text.RegularExpressions.Match m;
                try
                {
                    // The (input, beginning, length) overload makes '^' anchor at the relative start, as in Suricata.
                    m = p.Relative ? p.Regex.Match(text, startAt, text.Length - startAt) : p.Regex.Match(text);
                }
                catch (RegexMatchTimeoutException)
                {
                    return false;
                }

                if (p.Negated)
                {
                    return !m.Success && MatchFrom(options, index + 1, buffer, prevEnd, ref steps, ref text, vars);
                }

                return m.Success && MatchFrom(options, index + 1, buffer, m.Index + m.Length, ref steps, ref text, vars);
            }

            case IBufferCondition condition:
            {
                int position = prevEnd;
                return condition.Matches(buffer, ref position, vars)
                    && MatchFrom(options, index + 1, buffer, position, ref steps, ref text, vars);
            }

            default:
                return false;
        }
    }

    /// <summary>The [start, end) window a content may occupy; false when a byte_extract variable it names is unset.</summary>
    private static bool Window(ContentMatch c, int length, int prevEnd, ByteVariables vars, out int start, out int end)
    {
        end = length;
        start = 0;
        if (c.StartsWith)
        {
            end = Math.Min(length, c.Pattern.Length);
            return true;
        }

        long distance = 0, within = 0, offset = 0, depth = 0;
        if ((c.Distance is { } d && !vars.TryResolve(d, out distance)) || (c.Within is { } w && !vars.TryResolve(w, out within))
            || (c.Offset is { } o && !vars.TryResolve(o, out offset)) || (c.Depth is { } p && !vars.TryResolve(p, out depth)))
        {
            return false;
        }

        if (c.IsRelative)
        {
            start = (int)Math.Clamp(prevEnd + distance, 0, length);
            if (c.Within is not null)
            {
                end = (int)Math.Clamp(prevEnd + distance + within, 0, length);
            }
        }
        else
        {
            start = (int)Math.Clamp(offset, 0, length);
            if (c.Depth is not null)
            {
                end = (int)Math.Clamp(offset + depth, 0, length);
            }
        }

        return true;
    }

    /// <summary>First index in [start, end - pattern.Length] where the pattern occurs, or -1.</summary>
    private static int Find(ReadOnlySpan<byte> buffer, ReadOnlySpan<byte> pattern, int start, int end, bool nocase, bool endsWith)
    {
        if (end - start < pattern.Length)
        {
            return -1;
        }

        if (endsWith)
        {
            int at = buffer.Length - pattern.Length;
            return at >= start && at + pattern.Length <= end && Equal(buffer.Slice(at, pattern.Length), pattern, nocase) ? at : -1;
        }

        ReadOnlySpan<byte> window = buffer[start..end];
        if (!nocase)
        {
            int i = window.IndexOf(pattern);
            return i < 0 ? -1 : start + i;
        }

        for (int i = 0; i + pattern.Length <= window.Length; i++)
        {
            if (Equal(window.Slice(i, pattern.Length), pattern, true))
            {
                return start + i;
            }
        }

        return -1;
    }

    private static bool Equal(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, bool nocase)
    {
        if (!nocase)
        {
            return a.SequenceEqual(b);
        }

        for (int i = 0; i < a.Length; i++)
        {
            if (Lower(a[i]) != Lower(b[i]))
            {
                return false;
            }
        }

        return true;
    }

    private static byte Lower(byte b) => b is >= (byte)'A' and <= (byte)'Z' ? (byte)(b | 0x20) : b;

    private readonly record struct ProtocolSpec(Transport Transport, bool AnyTransport, string? L7);

    private enum L7Need
    {
        None,
        Http,
        Tls,
        Ssh,
        Dns,
        Other,
    }

    private sealed class CompiledRule(Rule rule, ProtocolSpec spec, int index, FlowbitNames bitNames, ThresholdConfig? thresholdConfig)
    {
        public Rule Rule { get; } = rule;

        public StatefulRule State { get; } = new(index, rule, bitNames, thresholdConfig);

        public ProtocolSpec Spec { get; } = spec;

        public int Index { get; } = index;

        public NumericRange? Dsize { get; } = rule.Options.OfType<NumericRangeOption>().FirstOrDefault(o => o.Keyword == "dsize")?.Range;

        /// <summary>The app-layer protocol the rule's protocol requires, as an enum for the per-candidate check.</summary>
        public L7Need L7 { get; } = spec.L7 switch
        {
            "http" => L7Need.Http,
            "tls" => L7Need.Tls,
            "ssh" => L7Need.Ssh,
            "dns" => L7Need.Dns,
            null => L7Need.None,
            _ => L7Need.Other,
        };

        /// <summary><c>tcp-pkt</c> or <c>flow:no_stream</c>: inspects single packets only, never the stream.</summary>
        public bool PacketOnly { get; } = rule.Protocol == "tcp-pkt" || rule.Flow?.Stream == false;

        /// <summary><c>tcp-stream</c> or <c>flow:only_stream</c>: inspects the reassembled stream, not single packets.</summary>
        public bool StreamOnly { get; } = rule.Protocol == "tcp-stream" || rule.Flow?.Stream == true;

        /// <summary>True when the rule inspects an app-layer buffer (http.*, dns.query, tls.* ...) or fact (dns.opcode, tls.version), not only the payload.</summary>
        public bool UsesAppBuffers { get; } = rule.Buffers.Any(b => Canonical(b.Buffer, spec.L7) != RuleBuilder.PayloadBuffer)
            || rule.Options.OfType<KeptOption>().Any(k => AppLayerKeywords.Compile(k) is not null);

        /// <summary>The side of a transaction the rule inspects (true to_server, false to_client, null both).</summary>
        public bool? Side { get; } = AppLayerBuffers.SideOf(rule);

        public bool HasSidedBuffer { get; } = rule.Buffers.Any(b => AppLayerBuffers.IsSided(Canonical(b.Buffer, spec.L7)));

        /// <summary>Checks of value keywords on app-layer facts (dns.opcode, tls.version).</summary>
        public Func<FlowEvent, bool>[] AppKeywords { get; } =
            [.. rule.Options.OfType<KeptOption>().Select(AppLayerKeywords.Compile).OfType<Func<FlowEvent, bool>>()];

        public IEventCondition[] EventConditions { get; } = [.. rule.Options.OfType<IEventCondition>()];

        public BufferPlan[] Plans { get; } = [.. rule.Buffers.Select(b => new BufferPlan(b, spec.L7))];
    }

    /// <summary>One buffer of a rule as the engine runs it: the canonical buffer, its transforms and its options.</summary>
    private sealed class BufferPlan(BufferMatches matches, string? l7)
    {
        public string Buffer { get; } = Canonical(matches.Buffer, l7);

        public TransformOption[] Transforms { get; } = [.. matches.Transforms];

        /// <summary>Buffer and transforms: equal keys mean equal bytes for one event.</summary>
        public string Key { get; } = matches.Transforms.Count == 0 ? Canonical(matches.Buffer, l7)
            : Canonical(matches.Buffer, l7) + "|" + string.Join("|", matches.Transforms.Select(t => t.Key));

        public string DisplayName { get; } = matches.Key;

        private readonly char _source = Canonical(matches.Buffer, l7) switch
        {
            var b when b.StartsWith("http.", StringComparison.Ordinal) || b == "file.data" => 'h',
            var b when b.StartsWith("dns.", StringComparison.Ordinal) => 'd',
            var b when b.StartsWith("tls.", StringComparison.Ordinal) || b.StartsWith("ja3", StringComparison.Ordinal) => 't',
            var b when b.StartsWith("ssh.", StringComparison.Ordinal) => 's',
            _ => 'o',
        };

        /// <summary>False when the event lacks the facts this buffer is made from (an HTTP buffer on a flow without HTTP).</summary>
        public bool MayExist(FlowEvent flow) => _source switch
        {
            'h' => flow.Http is not null,
            'd' => flow.Dns is not null,
            't' => flow.Tls is not null,
            's' => flow.Ssh is not null,
            _ => true,
        };

        public RuleOption[] Options { get; } = [.. matches.Options];

        public byte[] Transform(ReadOnlySpan<byte> input)
        {
            byte[] bytes = input.ToArray();
            foreach (TransformOption t in Transforms)
            {
                bytes = t.Apply(bytes);
            }

            return bytes;
        }
    }

    /// <summary>Per-thread state of one evaluation: buffers extracted once per event, prefilter results.</summary>
    private sealed class Scratch
    {
        private readonly Dictionary<string, List<ReadOnlyMemory<byte>>?> _toServer = new(StringComparer.Ordinal);
        private readonly Dictionary<string, List<ReadOnlyMemory<byte>>?> _toClient = new(StringComparer.Ordinal);
        private readonly Dictionary<string, byte[]> _payloads = new(StringComparer.Ordinal);
        private FlowEvent? _flow;

        public Scratch(SignatureEngine engine)
        {
            Seen = new bool[engine._rules.Length];
            foreach ((string buffer, MultiPatternMatcher m) in engine._matchers)
            {
                Found[buffer] = m.CreateMatches();
            }
        }

        public bool[] Seen { get; }

        public Dictionary<string, PrefilterMatches> Found { get; } = new(StringComparer.Ordinal);

        public List<int> Candidates { get; } = [];

        public List<SignatureMatch> Hits { get; } = [];

        public ByteVariables Variables { get; } = new();

        /// <summary>The event's addresses as numbers, computed once and looked up in every rule's address ranges.</summary>
        public AddressRanges.Key SourceKey { get; private set; }

        public AddressRanges.Key DestinationKey { get; private set; }

        /// <summary>The state view of <see cref="Hits"/>, parallel to it.</summary>
        public List<StatefulRule> Matched { get; } = [];

        public List<StatefulRule> Ordered { get; } = [];

        private int[] _order = [];
        private bool[] _reported = [];

        public int[] Order(int count) => _order.Length >= count ? _order : _order = new int[Math.Max(count, 2 * _order.Length)];

        public bool[] Reported(int count) => _reported.Length >= count ? _reported : _reported = new bool[Math.Max(count, 2 * _reported.Length)];

        public void Reset(FlowEvent flow)
        {
            _flow = flow;
            _toServer.Clear();
            _toClient.Clear();
            _payloads.Clear();
            SourceKey = AddressRanges.Key.Of(flow.Source.Ip);
            DestinationKey = AddressRanges.Key.Of(flow.Destination.Ip);
        }

        /// <summary>
        /// The (transformed) values of a non-payload buffer on one side (one value unless a multi-buffer), or null when
        /// the event lacks it. Cached per event under the plan's key (buffer and transforms).
        /// </summary>
        public List<ReadOnlyMemory<byte>>? Get(BufferPlan plan, bool toServer)
        {
            var cache = toServer || !AppLayerBuffers.IsSided(plan.Buffer) ? _toServer : _toClient;
            if (cache.TryGetValue(plan.Key, out List<ReadOnlyMemory<byte>>? values))
            {
                return values;
            }

            List<ReadOnlyMemory<byte>>? raw = Raw(plan.Buffer, toServer);
            if (plan.Transforms.Length > 0 && raw is not null)
            {
                values = new List<ReadOnlyMemory<byte>>(raw.Count);
                foreach (ReadOnlyMemory<byte> value in raw)
                {
                    values.Add(plan.Transform(value.Span));
                }

                cache[plan.Key] = values;
                return values;
            }

            return raw;
        }

        /// <summary>The untransformed values, cached under the buffer's own name (its key without transforms).</summary>
        private List<ReadOnlyMemory<byte>>? Raw(string buffer, bool toServer)
        {
            var cache = toServer || !AppLayerBuffers.IsSided(buffer) ? _toServer : _toClient;
            if (!cache.TryGetValue(buffer, out List<ReadOnlyMemory<byte>>? values))
            {
                cache[buffer] = values = AppLayerBuffers.Extract(_flow!, buffer, toServer);
            }

            return values;
        }

        /// <summary>One direction of the payload after the plan's transforms (cached per event), or the payload itself.</summary>
        public ReadOnlyMemory<byte> Payload(BufferPlan plan, bool toServer)
        {
            PayloadBuffers? payload = _flow!.Payload;
            if (payload is null)
            {
                return ReadOnlyMemory<byte>.Empty;
            }

            ReadOnlyMemory<byte> raw = toServer ? payload.ToServer : payload.ToClient;
            if (plan.Transforms.Length == 0 || raw.IsEmpty)
            {
                return raw;
            }

            string key = (toServer ? ">" : "<") + plan.Key;
            if (!_payloads.TryGetValue(key, out byte[]? bytes))
            {
                _payloads[key] = bytes = plan.Transform(raw.Span);
            }

            return bytes;
        }
    }
}
