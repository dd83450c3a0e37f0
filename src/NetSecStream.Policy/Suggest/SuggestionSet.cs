using System.Globalization;
using NetSecStream.Core.Events;

namespace NetSecStream.Policy.Suggest;

/// <summary>Why the suggested rules deny a connection.</summary>
public static class DenyReasons
{
    /// <summary>The peer and port were forwarded, but fewer times than <c>--min-flows</c>.</summary>
    public const string BelowMinFlows = "below_min_flows";

    /// <summary>The peer and port were seen only dropped by the dataplane.</summary>
    public const string DroppedWhenLearned = "dropped_when_learned";

    /// <summary>The peer is allowed, on other ports.</summary>
    public const string PortNotAllowed = "port_not_allowed";

    /// <summary>Nothing is allowed with this peer in this direction.</summary>
    public const string PeerNotAllowed = "peer_not_allowed";
}

/// <summary>What the suggested rules say about one connection.</summary>
public readonly record struct Decision(bool Allowed, SuggestedPolicy? DeniedBy, bool DeniedAtEgress, string? Reason);

/// <summary>
/// The suggested policies, and a matcher that decides connections the way Cilium would for these allow rules: a pod
/// selected by any suggested policy is default-deny in both directions and takes a connection when any selecting
/// policy allows it; a connection needs the client's egress and the server's ingress.
/// </summary>
public sealed class SuggestionSet
{
    private readonly Dictionary<string, List<SuggestedPolicy>> _byNamespace = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TrafficLearner.LearnedWorkload> _learned;
    private readonly SuggestOptions _options;

    internal SuggestionSet(IReadOnlyList<SuggestedPolicy> policies, Dictionary<string, TrafficLearner.LearnedWorkload> learned, SuggestOptions options)
    {
        Policies = policies;
        _learned = learned;
        _options = options;
        foreach (var policy in policies)
        {
            if (!_byNamespace.TryGetValue(policy.Workload.Namespace, out var list))
            {
                list = [];
                _byNamespace[policy.Workload.Namespace] = list;
            }

            list.Add(policy);
        }
    }

    public IReadOnlyList<SuggestedPolicy> Policies { get; }

    public SuggestOptions Options => _options;

    /// <summary>The suggested policies whose endpoint selector selects <paramref name="endpoint"/>.</summary>
    public IEnumerable<SuggestedPolicy> Selecting(FlowEndpoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (endpoint.Namespace is null || !_byNamespace.TryGetValue(endpoint.Namespace, out var list))
        {
            yield break;
        }

        foreach (var policy in list)
        {
            if (policy.Workload.Matches(endpoint))
            {
                yield return policy;
            }
        }
    }

    /// <summary>Both ends: the client's egress, then the server's ingress.</summary>
    public Decision Decide(in Connection connection)
    {
        var egress = DecideEnd(connection, egress: true);
        return egress.Allowed ? DecideEnd(connection, egress: false) : egress;
    }

    /// <summary>One end only: the client's egress (<paramref name="egress"/>) or the server's ingress.</summary>
    public Decision DecideEnd(in Connection connection, bool egress)
    {
        var (subject, peer) = egress ? (connection.Client, connection.Server) : (connection.Server, connection.Client);
        var peerIdentity = PeerIdentity.Of(peer);
        var denying = Side(subject, peer, peerIdentity, connection.Port, egress);
        return denying is null
            ? new Decision(true, null, egress, null)
            : new Decision(false, denying, egress, Reason(denying, egress, peerIdentity.ToPeer(peer), connection.Port));
    }

    // The policy that denies (the first selecting one, for the report), or null when some selecting policy allows
    // or none selects the subject.
    private SuggestedPolicy? Side(FlowEndpoint subject, FlowEndpoint peer, PeerIdentity peerIdentity, PortProtocol port, bool egress)
    {
        SuggestedPolicy? first = null;
        foreach (var policy in Selecting(subject))
        {
            if (egress ? policy.AllowsEgress(peer, peerIdentity, port) : policy.AllowsIngress(peer, peerIdentity, port))
            {
                return null;
            }

            first ??= policy;
        }

        return first;
    }

    private string Reason(SuggestedPolicy policy, bool egress, SuggestedPeer peer, PortProtocol port)
    {
        if (_learned.TryGetValue(policy.Workload.Key, out var learned))
        {
            var table = egress ? learned.Egress : learned.Ingress;
            if (table.TryGetValue((peer.Key, port), out var observed))
            {
                if (observed.Forwarded > 0 && observed.Forwarded < _options.MinFlows)
                {
                    return DenyReasons.BelowMinFlows;
                }

                if (observed.Forwarded == 0)
                {
                    return DenyReasons.DroppedWhenLearned;
                }
            }
        }

        var rules = egress ? policy.Egress : policy.Ingress;
        return rules.Any(r => r.Peers.Any(p => p.Equals(peer))) ? DenyReasons.PortNotAllowed : DenyReasons.PeerNotAllowed;
    }

    /// <summary>One line for people: <c>shop/frontend 10.0.3.148 -> data/postgresql 10.0.1.99 5432/TCP</c>.</summary>
    public static string Describe(in Connection connection) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{Name(connection.Client)} {connection.Client.Ip} -> {Name(connection.Server)} {connection.Server.Ip} {connection.Port} at {connection.Flow.Timestamp:O}");

    private static string Name(FlowEndpoint endpoint)
    {
        var identity = PeerIdentity.Of(endpoint);
        return identity.Kind switch
        {
            PeerKind.Endpoint => identity.Workload!.ToString(),
            PeerKind.Entity => identity.Entity!,
            _ => "world",
        };
    }
}
