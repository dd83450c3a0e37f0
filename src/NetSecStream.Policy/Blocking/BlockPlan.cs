using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace NetSecStream.Policy.Blocking;

/// <summary>Which traffic of the protected workload a block denies.</summary>
public enum BlockDirection
{
    /// <summary>Traffic from the offender into the workload (an attacker, a pod moving laterally).</summary>
    Ingress,

    /// <summary>Traffic from the workload to the offender (a compromised pod calling its C2).</summary>
    Egress,
}

/// <summary>The workload a block protects, selected by its namespace and its stable (non per-pod) labels; never empty.</summary>
public sealed record BlockTarget(string Namespace, IReadOnlyDictionary<string, string> Labels)
{
    public string Key => Namespace + "/" + BlockKeys.Labels(Labels);
}

/// <summary>The offender: a network (an address as /32 or /128) or a workload (namespace and labels).</summary>
public sealed record BlockPeer
{
    private BlockPeer(IPNetwork? network, string? ns, IReadOnlyDictionary<string, string>? labels)
    {
        Network = network;
        Namespace = ns;
        Labels = labels;
    }

    public IPNetwork? Network { get; }

    public string? Namespace { get; }

    public IReadOnlyDictionary<string, string>? Labels { get; }

    public static BlockPeer ForNetwork(IPNetwork network) => new(network, null, null);

    public static BlockPeer ForWorkload(string ns, IReadOnlyDictionary<string, string> labels) => new(null, ns, labels);

    /// <summary>Stable text naming the peer, e.g. <c>cidr:203.0.113.7/32</c> or <c>pod:shop/app=cart</c>; repeat offenders are counted by it.</summary>
    public string Key => Network is { } network ? "cidr:" + network : "pod:" + Namespace + "/" + BlockKeys.Labels(Labels!);
}

/// <summary>
/// What a block-mode alert asks for once the offender and the protected workload are known. <c>Reason</c> is
/// human-readable (detector, rule and why) for the policy's annotation and the audit log.
/// </summary>
public sealed record BlockPlan(BlockTarget Target, BlockDirection Direction, BlockPeer Peer, string AlertId, string Reason)
{
    /// <summary>Deterministic in target, direction and peer, so the same block asked twice is the same object.</summary>
    public string Hash => BlockKeys.Hash(Direction + "|" + Target.Key + "|" + Peer.Key);
}

/// <summary>Why an alert produced no block (the audit log's reason and the refusal metric's tag).</summary>
public sealed record BlockRefusal(string Reason, string Detail)
{
    public const string AllowlistedPeer = "allowlisted_peer";
    public const string AllowlistedTarget = "allowlisted_target";
    public const string NoWorkload = "no_workload";
    public const string TargetUnidentified = "target_unidentified";
    public const string PeerUnidentified = "peer_unidentified";
    public const string NotBlockMode = "not_block_mode";
}

internal static class BlockKeys
{
    public static string Labels(IReadOnlyDictionary<string, string> labels) =>
        string.Join(",", labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => l.Key + "=" + l.Value));

    public static string Hash(string text)
    {
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(text), digest);
        return Convert.ToHexStringLower(digest[..8]);
    }
}
