using NetSecStream.Core.Events;
using NetSecStream.Policy.Model;

namespace NetSecStream.Policy.Evaluation;

/// <summary>
/// Judges flows against declared policies the way Cilium's dataplane would, per connection: the source's egress
/// (when the source is a pod) and the destination's ingress (when the destination is a pod) must both allow it.
/// Per direction: a matching deny rule denies; an endpoint selected by a policy that isolates the direction is
/// default-deny, and then some allow rule of some selecting policy must match. Rules that need facts a flow does not
/// carry (L7, named ports, FQDN peers) give "not evaluated" where they could decide.
/// Verdicts are cached by the facts that decide them (the two endpoint identities, the addresses where CIDR rules
/// could apply, the port and protocol) in a bounded map: generated and real traffic repeats heavily.
/// Not thread-safe: one evaluator per thread, or a lock around it.
/// </summary>
public sealed class PolicyEvaluator
{
    public const int DefaultCacheCapacity = 262_144;

    /// <summary>Distinct endpoint identities kept before the interner starts over.</summary>
    public const int MaxIdentities = 65_536;

    private readonly Dictionary<string, PolicyDefinition[]> _byNamespace;
    private readonly PolicyDefinition[] _clusterwide;
    private readonly bool _hasCidrPeers;
    private readonly int _cacheCapacity;
    private readonly Dictionary<VerdictKey, PolicyVerdict> _cache = [];
    private readonly Dictionary<IdentityKey, EndpointIdentity> _identities = [];
    private int _nextIdentity = 1;

    public PolicyEvaluator(IReadOnlyList<PolicyDefinition> policies, int cacheCapacity = DefaultCacheCapacity)
    {
        ArgumentNullException.ThrowIfNull(policies);
        ArgumentOutOfRangeException.ThrowIfNegative(cacheCapacity);
        Policies = policies;
        _cacheCapacity = cacheCapacity;
        _byNamespace = policies.Where(p => p.Namespace is not null)
            .GroupBy(p => p.Namespace!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.ToArray(), StringComparer.Ordinal);
        _clusterwide = [.. policies.Where(p => p.Namespace is null)];
        _hasCidrPeers = policies.Any(p => p.HasCidrPeers);
    }

    public IReadOnlyList<PolicyDefinition> Policies { get; }

    public long CacheHits { get; private set; }

    public long CacheMisses { get; private set; }

    public int CacheCount => _cache.Count;

    public PolicyVerdict Evaluate(FlowEvent flow)
    {
        ArgumentNullException.ThrowIfNull(flow);
        return Evaluate(flow.Source, flow.Destination, flow.IpProtocol);
    }

    public PolicyVerdict Evaluate(FlowEndpoint source, FlowEndpoint destination, byte protocol)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        var src = Intern(source);
        var dst = Intern(destination);
        var srcIp = IpNetwork.ToValue(source.Ip, out bool srcV4);
        var dstIp = IpNetwork.ToValue(destination.Ip, out bool dstV4);
        ushort port = protocol is 6 or 17 or 132 ? destination.Port : (ushort)0;
        var key = new VerdictKey(src.Id, dst.Id,
            _hasCidrPeers && src.MatchesCidrs ? srcIp : UInt128.Zero,
            _hasCidrPeers && dst.MatchesCidrs ? dstIp : UInt128.Zero,
            port, protocol, srcV4, dstV4);
        if (_cache.TryGetValue(key, out var cached))
        {
            CacheHits++;
            return cached;
        }

        CacheMisses++;
        var verdict = Decide(src, srcIp, srcV4, dst, dstIp, dstV4, port, protocol);
        if (_cache.Count >= _cacheCapacity)
        {
            // Bounded: start over rather than track recency; the working set refills within a few batches.
            _cache.Clear();
        }

        if (_cacheCapacity > 0)
        {
            _cache[key] = verdict;
        }

        return verdict;
    }

    private EndpointIdentity Intern(FlowEndpoint endpoint)
    {
        var key = new IdentityKey(endpoint.Labels, endpoint.Namespace, endpoint.ReservedEntity);
        if (_identities.TryGetValue(key, out var identity))
        {
            return identity;
        }

        if (_identities.Count >= MaxIdentities)
        {
            // Ids are never reused, so cached verdicts of dropped identities can never be hit by new ones.
            _identities.Clear();
        }

        identity = EndpointIdentity.Create(_nextIdentity++, endpoint);
        _identities[key] = identity;
        return identity;
    }

    private PolicyVerdict Decide(EndpointIdentity src, UInt128 srcIp, bool srcV4, EndpointIdentity dst, UInt128 dstIp, bool dstV4, ushort port, byte protocol)
    {
        SideVerdict? egress = src.IsPod ? DecideSide(src, PolicyDirection.Egress, dst, dstIp, dstV4, port, protocol) : null;
        SideVerdict? ingress = dst.IsPod ? DecideSide(dst, PolicyDirection.Ingress, src, srcIp, srcV4, port, protocol) : null;
        if (egress is null && ingress is null)
        {
            return PolicyVerdict.NotSelected;
        }

        SideVerdict[] sides = egress is null ? [ingress!.Value] : ingress is null ? [egress.Value] : [egress.Value, ingress.Value];
        foreach (var kind in (VerdictKind[])[VerdictKind.Denied, VerdictKind.NotEvaluated, VerdictKind.Allowed])
        {
            var deciding = sides.Where(s => s.Kind == kind).ToArray();
            if (deciding.Length > 0)
            {
                var pairs = deciding.SelectMany(s => s.Policies.Select(p => (Policy: p, s.Subject))).Distinct().ToArray();
                var policies = pairs.Select(p => p.Policy).Distinct(StringComparer.Ordinal).ToArray();
                return new PolicyVerdict(kind, policies, string.Join("; ", deciding.Select(s => s.Reason)))
                {
                    Subjects = [.. policies.Select(p => pairs.First(x => x.Policy == p).Subject)],
                };
            }
        }

        return PolicyVerdict.NotSelected;
    }

    private PolicyDefinition[] Selecting(EndpointIdentity subject, PolicyDirection direction)
    {
        var memo = direction == PolicyDirection.Ingress ? subject.SelectingIngress : subject.SelectingEgress;
        if (memo is not null)
        {
            return memo;
        }

        var selecting = new List<PolicyDefinition>();
        if (_byNamespace.TryGetValue(subject.Namespace!, out var local))
        {
            selecting.AddRange(local.Where(p => p.Concerns(direction) && p.Subject.Matches(subject.Labels)));
        }

        selecting.AddRange(_clusterwide.Where(p => p.Concerns(direction) && p.Subject.Matches(subject.Labels)));
        memo = [.. selecting];
        if (direction == PolicyDirection.Ingress)
        {
            subject.SelectingIngress = memo;
        }
        else
        {
            subject.SelectingEgress = memo;
        }

        return memo;
    }

    private SideVerdict? DecideSide(EndpointIdentity subject, PolicyDirection direction, EndpointIdentity peer, UInt128 peerIp, bool peerV4, ushort port, byte protocol)
    {
        var selecting = Selecting(subject, direction);
        if (selecting.Length == 0)
        {
            return null;
        }

        string dir = direction == PolicyDirection.Ingress ? "ingress" : "egress";
        string where = $"{dir} of {subject.Describe()}";
        var maybeDeny = new List<(PolicyDefinition Policy, string Why)>();
        foreach (var policy in selecting)
        {
            foreach (var rule in policy.DenyRules(direction))
            {
                var match = RuleMatcher.Match(rule, peer, peerIp, peerV4, port, protocol, out string? why);
                if (match == RuleMatch.Yes)
                {
                    return new SideVerdict(VerdictKind.Denied, [policy.FullName], $"{dir}Deny of {policy.FullName} ({where}, line {rule.Location.Line})", subject.Namespace!);
                }

                if (match == RuleMatch.Maybe)
                {
                    maybeDeny.Add((policy, why!));
                }
            }
        }

        if (maybeDeny.Count > 0)
        {
            return new SideVerdict(VerdictKind.NotEvaluated, [.. maybeDeny.Select(m => m.Policy.FullName).Distinct(StringComparer.Ordinal)],
                $"{where}: a {dir}Deny rule of {string.Join(", ", maybeDeny.Select(m => $"{m.Policy.FullName} ({m.Why})").Distinct(StringComparer.Ordinal))} may apply", subject.Namespace!);
        }

        if (direction == PolicyDirection.Ingress && peer.Entity == "host")
        {
            return new SideVerdict(VerdictKind.Allowed, [], $"{where}: from the local host, which Cilium allows by default (allow-localhost)", subject.Namespace!);
        }

        var maybeAllow = new List<(PolicyDefinition Policy, string Why)>();
        foreach (var policy in selecting)
        {
            foreach (var rule in policy.AllowRules(direction))
            {
                var match = RuleMatcher.Match(rule, peer, peerIp, peerV4, port, protocol, out string? why);
                if (match == RuleMatch.Yes)
                {
                    return new SideVerdict(VerdictKind.Allowed, [policy.FullName], $"{where} allowed by {policy.FullName} (line {rule.Location.Line})", subject.Namespace!);
                }

                if (match == RuleMatch.Maybe)
                {
                    maybeAllow.Add((policy, why!));
                }
            }
        }

        var isolating = selecting.Where(p => p.Isolates(direction)).Select(p => p.FullName).Distinct(StringComparer.Ordinal).ToArray();
        if (isolating.Length == 0)
        {
            return new SideVerdict(VerdictKind.Allowed, [], $"{where}: selected by {string.Join(", ", selecting.Select(p => p.FullName).Distinct(StringComparer.Ordinal))} without default deny", subject.Namespace!);
        }

        if (maybeAllow.Count > 0)
        {
            return new SideVerdict(VerdictKind.NotEvaluated, [.. maybeAllow.Select(m => m.Policy.FullName).Distinct(StringComparer.Ordinal)],
                $"{where}: only rules that are not evaluated could allow it: {string.Join(", ", maybeAllow.Select(m => $"{m.Policy.FullName} ({m.Why})").Distinct(StringComparer.Ordinal))}", subject.Namespace!);
        }

        return new SideVerdict(VerdictKind.Denied, isolating, $"default deny ({where}): selected by {string.Join(", ", isolating)}; no rule allows", subject.Namespace!);
    }

    private readonly record struct SideVerdict(VerdictKind Kind, string[] Policies, string Reason, string Subject);

    private readonly record struct VerdictKey(int Source, int Destination, UInt128 SourceIp, UInt128 DestinationIp, ushort Port, byte Protocol, bool SourceV4, bool DestinationV4);

    /// <summary>Label sets are compared by reference: decoders hand out one instance per distinct set, and content is the fallback cost we avoid.</summary>
    private readonly struct IdentityKey(IReadOnlyDictionary<string, string>? labels, string? ns, string? entity) : IEquatable<IdentityKey>
    {
        private readonly IReadOnlyDictionary<string, string>? _labels = labels;
        private readonly string? _namespace = ns;
        private readonly string? _entity = entity;

        public bool Equals(IdentityKey other) => ReferenceEquals(_labels, other._labels)
            && string.Equals(_namespace, other._namespace, StringComparison.Ordinal) && string.Equals(_entity, other._entity, StringComparison.Ordinal);

        public override bool Equals(object? obj) => obj is IdentityKey other && Equals(other);

        public override int GetHashCode() => HashCode.Combine(
            _labels is null ? 0 : System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(_labels),
            _namespace is null ? 0 : StringComparer.Ordinal.GetHashCode(_namespace),
            _entity is null ? 0 : StringComparer.Ordinal.GetHashCode(_entity));
    }
}

internal enum RuleMatch
{
    No,
    Yes,
    Maybe,
}

/// <summary>Whether one rule matches a peer and a destination port.</summary>
internal static class RuleMatcher
{
    public static RuleMatch Match(PolicyRule rule, EndpointIdentity peer, UInt128 ip, bool v4, ushort port, byte protocol, out string? why)
    {
        why = null;
        var peerMatch = RuleMatch.No;
        if (rule.AnyPeer)
        {
            peerMatch = RuleMatch.Yes;
        }
        else
        {
            foreach (var candidate in rule.Peers)
            {
                if (PeerMatches(candidate, peer, ip, v4))
                {
                    peerMatch = RuleMatch.Yes;
                    break;
                }
            }

            if (peerMatch == RuleMatch.No && rule.UnevaluatedPeers is not null)
            {
                peerMatch = RuleMatch.Maybe;
                why = rule.UnevaluatedPeers + " not evaluated";
            }
        }

        if (peerMatch == RuleMatch.No)
        {
            return RuleMatch.No;
        }

        if (rule.Ports.Count == 0)
        {
            return peerMatch;
        }

        var portMatch = RuleMatch.No;
        string? portWhy = null;
        foreach (var portRule in rule.Ports)
        {
            var match = PortMatches(portRule, port, protocol, out string? reason);
            if (match == RuleMatch.Yes)
            {
                portMatch = RuleMatch.Yes;
                break;
            }

            if (match == RuleMatch.Maybe && portMatch == RuleMatch.No)
            {
                portMatch = RuleMatch.Maybe;
                portWhy = reason;
            }
        }

        if (portMatch == RuleMatch.No)
        {
            return RuleMatch.No;
        }

        if (portMatch == RuleMatch.Maybe)
        {
            why = why is null ? portWhy : why + ", " + portWhy;
            return RuleMatch.Maybe;
        }

        return peerMatch;
    }

    public static RuleMatch PortMatches(PortRule rule, ushort port, byte protocol, out string? why)
    {
        why = null;
        if (rule.Icmp)
        {
            if (protocol is 1 or 58)
            {
                why = "icmps not evaluated";
                return RuleMatch.Maybe;
            }

            return RuleMatch.No;
        }

        bool protocolMatches = rule.Protocol switch
        {
            PortProtocol.Tcp => protocol == 6,
            PortProtocol.Udp => protocol == 17,
            PortProtocol.Sctp => protocol == 132,
            _ => protocol is 6 or 17 or 132,
        };
        if (!protocolMatches)
        {
            return RuleMatch.No;
        }

        if (rule.NamedPort is not null)
        {
            why = $"named port '{rule.NamedPort}' cannot be resolved from a flow";
            return RuleMatch.Maybe;
        }

        if (rule.Port != 0 && (port < rule.Port || port > Math.Max(rule.Port, rule.EndPort)))
        {
            return RuleMatch.No;
        }

        if (rule.L7 is not null)
        {
            why = rule.L7 + " on port " + rule + " not evaluated";
            return RuleMatch.Maybe;
        }

        return RuleMatch.Yes;
    }

    public static bool PeerMatches(PolicyPeer candidate, EndpointIdentity peer, UInt128 ip, bool v4)
    {
        switch (candidate)
        {
            case SelectorPeer selector:
                if (!peer.IsPod)
                {
                    // Reserved identities carry only reserved: labels; selectors naming them reach them in any policy.
                    return selector.SelectsReserved && selector.Pods.Matches(peer.Labels);
                }

                return (selector.Namespace is null || string.Equals(selector.Namespace, peer.Namespace, StringComparison.Ordinal))
                    && (selector.NamespaceSelector is null || selector.NamespaceSelector.Matches(peer.NamespaceLabels))
                    && selector.Pods.Matches(peer.Labels);
            case CidrPeer cidr:
                if (!peer.MatchesCidrs || !cidr.Network.Contains(ip, v4))
                {
                    return false;
                }

                foreach (var excepted in cidr.Except)
                {
                    if (excepted.Contains(ip, v4))
                    {
                        return false;
                    }
                }

                return true;
            case EntityPeer entity:
                return EntityMatches(entity.Entity, peer, v4);
            default:
                return false;
        }
    }

    /// <summary>Cilium entities: <c>cluster</c> is everything but the world, <c>all</c> is everything.</summary>
    public static bool EntityMatches(string entity, EndpointIdentity peer, bool v4) => entity switch
    {
        "all" => true,
        "none" => false,
        "world" => peer.Entity == "world",
        "world-ipv4" => peer.Entity == "world" && v4,
        "world-ipv6" => peer.Entity == "world" && !v4,
        "cluster" => peer.Entity != "world",
        _ => string.Equals(peer.Entity, entity, StringComparison.Ordinal),
    };
}
