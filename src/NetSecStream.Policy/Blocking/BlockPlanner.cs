using System.Net;
using NetSecStream.Core;
using NetSecStream.Core.Events;
using NetSecStream.Core.Selectors;

namespace NetSecStream.Policy.Blocking;

/// <summary>
/// Decides, for a block-mode alert, who the offender is and which workload to protect:
/// <list type="bullet">
/// <item>outside → workload (an attacker reaching in): ingress deny from the attacker's address on the targeted workload;</item>
/// <item>workload → outside (a pod calling a C2): egress deny to that address on the calling workload;</item>
/// <item>workload → workload (lateral movement): ingress deny from the initiator's workload (labels and namespace) on the target.</item>
/// </list>
/// The initiator is the flow's source unless the dataplane marked the event as a reply. Infrastructure (allowlisted
/// namespaces and addresses, Cilium's reserved entities) is never the offender nor the protected workload, and a
/// workload is only selected by stable labels: with none, no rule is made (an empty selector would take the whole namespace).
/// </summary>
public sealed class BlockPlanner(BlockAllowlist allowlist)
{
    /// <summary>Labels beyond this many (by key order) are left out of a selector; the rest still identify the workload.</summary>
    public const int MaxSelectorLabels = 16;

    private const int MaxReasonLength = 512;

    // Per-pod or per-revision labels: a selector with them would miss the workload's other and future pods.
    private static readonly HashSet<string> VolatileLabels = new(StringComparer.Ordinal)
    {
        "pod-template-hash", "controller-revision-hash", "pod-template-generation", "statefulset.kubernetes.io/pod-name",
        "apps.kubernetes.io/pod-index", "controller-uid", "batch.kubernetes.io/controller-uid", "io.kubernetes.pod.namespace",
    };

    public BlockAllowlist Allowlist { get; } = allowlist ?? throw new ArgumentNullException(nameof(allowlist));

    /// <summary>A plan, or why there is none; never throws for odd alerts.</summary>
    public (BlockPlan? Plan, BlockRefusal? Refusal) Plan(Alert alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        if (alert.Mode != Mode.Block || alert.RequestsBlock == false)
        {
            return Refuse(BlockRefusal.NotBlockMode, $"mode {alert.Mode}{(alert.RequestsBlock == false ? ", rule does not ask for a block" : "")}");
        }

        return PlanFlow(alert, Reason(alert));
    }

    /// <summary>
    /// An operator's block for what <paramref name="alert"/> saw, whatever its mode or rule says: the same offender and
    /// protected workload as a block-mode alert, through the same allowlist.
    /// </summary>
    public (BlockPlan? Plan, BlockRefusal? Refusal) PlanExplicit(Alert alert, string reason)
    {
        ArgumentNullException.ThrowIfNull(alert);
        return PlanFlow(alert, Truncate(reason));
    }

    /// <summary>An operator's block of <paramref name="source"/> reaching the workload <paramref name="ns"/>/<paramref name="labels"/> (ingress deny).</summary>
    public (BlockPlan? Plan, BlockRefusal? Refusal) PlanExplicit(IPAddress source, string ns, IReadOnlyDictionary<string, string> labels, string alertId, string reason)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(labels);
        var target = new FlowEndpoint { Ip = IPAddress.None, Namespace = ns, Labels = labels };
        return PlanFor(target, BlockDirection.Ingress, new FlowEndpoint { Ip = source }, alertId, Truncate(reason));
    }

    private (BlockPlan? Plan, BlockRefusal? Refusal) PlanFlow(Alert alert, string reason)
    {
        var flow = alert.Flow;
        var (initiator, responder) = flow.IsReply == true ? (flow.Destination, flow.Source) : (flow.Source, flow.Destination);
        bool initiatorInside = IsWorkload(initiator);
        bool responderInside = IsWorkload(responder);
        if (initiatorInside && responderInside)
        {
            return PlanFor(responder, BlockDirection.Ingress, initiator, alert.Id, reason);
        }

        if (responderInside)
        {
            return PlanFor(responder, BlockDirection.Ingress, initiator, alert.Id, reason);
        }

        if (initiatorInside)
        {
            return PlanFor(initiator, BlockDirection.Egress, responder, alert.Id, reason);
        }

        return Refuse(BlockRefusal.NoWorkload, $"neither {initiator.Ip} nor {responder.Ip} is a known workload");
    }

    private (BlockPlan?, BlockRefusal?) PlanFor(FlowEndpoint target, BlockDirection direction, FlowEndpoint offender, string alertId, string reason)
    {
        string ns = target.Namespace!;
        if (!KubernetesNames.IsDnsLabel(ns))
        {
            // It would end up in metadata.namespace and in Calico selectors: only a real namespace name may.
            return Refuse(BlockRefusal.TargetUnidentified, $"'{ns}' is not a namespace name");
        }

        if (Allowlist.IsNamespaceAllowlisted(ns))
        {
            return Refuse(BlockRefusal.AllowlistedTarget, $"namespace {ns} is allowlisted ({AllowlistedNamespaceEntry(ns)})");
        }

        var targetLabels = StableLabels(target.Labels);
        if (targetLabels.Count == 0)
        {
            return Refuse(BlockRefusal.TargetUnidentified, $"{ns}/{target.Pod ?? target.Ip.ToString()} has no stable labels to select it by");
        }

        if (BlockAllowlist.IsInfrastructureEntity(offender.ReservedEntity))
        {
            return Refuse(BlockRefusal.AllowlistedPeer, $"{offender.Ip} is the reserved entity {offender.ReservedEntity}");
        }

        if (Allowlist.FindEntry(offender.Ip) is { } entry)
        {
            return Refuse(BlockRefusal.AllowlistedPeer, $"{offender.Ip} is in the allowlisted network {entry.Network} (Enforcement:Allowlist:{entry.List})");
        }

        BlockPeer peer;
        if (IsWorkload(offender))
        {
            if (Allowlist.IsNamespaceAllowlisted(offender.Namespace))
            {
                return Refuse(BlockRefusal.AllowlistedPeer, $"namespace {offender.Namespace} is allowlisted ({AllowlistedNamespaceEntry(offender.Namespace!)})");
            }

            if (!KubernetesNames.IsDnsLabel(offender.Namespace))
            {
                return Refuse(BlockRefusal.PeerUnidentified, $"'{offender.Namespace}' is not a namespace name");
            }

            var offenderLabels = StableLabels(offender.Labels);
            if (offenderLabels.Count == 0)
            {
                // Not by address: pod addresses are reused, and the next pod given this one would be cut off.
                return Refuse(BlockRefusal.PeerUnidentified, $"{offender.Namespace}/{offender.Pod ?? offender.Ip.ToString()} has no stable labels to select it by");
            }

            peer = BlockPeer.ForWorkload(offender.Namespace!, offenderLabels);
        }
        else
        {
            peer = BlockPeer.ForNetwork(BlockAllowlist.HostNetwork(offender.Ip));
        }

        return (new BlockPlan(new BlockTarget(ns, targetLabels), direction, peer, alertId, reason), null);
    }

    /// <summary>Valid Kubernetes labels that name the workload rather than one pod, at most <see cref="MaxSelectorLabels"/>.</summary>
    public static IReadOnlyDictionary<string, string> StableLabels(IReadOnlyDictionary<string, string>? labels)
    {
        var stable = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (labels is null)
        {
            return stable;
        }

        foreach (var (key, value) in labels.OrderBy(l => l.Key, StringComparer.Ordinal))
        {
            if (stable.Count == MaxSelectorLabels)
            {
                break;
            }

            if (!VolatileLabels.Contains(key) && !key.StartsWith("io.cilium.", StringComparison.Ordinal)
                && LabelSelector.IsValidKey(key) && LabelSelector.IsValidValue(value))
            {
                stable[key] = value;
            }
        }

        return stable;
    }

    private static bool IsWorkload(FlowEndpoint endpoint) =>
        !string.IsNullOrEmpty(endpoint.Namespace) && !BlockAllowlist.IsInfrastructureEntity(endpoint.ReservedEntity);

    private static string Reason(Alert alert) => Truncate($"{alert.Detector} {alert.RuleId} ({alert.RuleName}): {alert.Explanation}");

    private static string Truncate(string reason) => reason.Length <= MaxReasonLength ? reason : reason[..MaxReasonLength];

    private static string AllowlistedNamespaceEntry(string ns) =>
        ns == BlockAllowlist.KubeSystem ? "kube-system is always allowlisted" : "Enforcement:Allowlist:Namespaces";

    private static (BlockPlan?, BlockRefusal?) Refuse(string reason, string detail) => (null, new BlockRefusal(reason, detail));
}
