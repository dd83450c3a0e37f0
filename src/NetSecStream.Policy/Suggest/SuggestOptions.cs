namespace NetSecStream.Policy.Suggest;

/// <summary>Settings of <c>netsec policy suggest</c>.</summary>
public sealed class SuggestOptions
{
    /// <summary>A peer and port seen forwarded fewer times than this is not allowed (what the rules then deny).</summary>
    public int MinFlows { get; set; } = 1;

    /// <summary>
    /// When set, addresses outside the cluster that share an IPv4 network of this prefix length (and the IPv6 one of
    /// <see cref="AggregateCidrPrefixV6"/>) are allowed as that network, when <see cref="AggregateMinAddresses"/> or more of
    /// them were seen; their flows count together towards <see cref="MinFlows"/>.
    /// </summary>
    public int? AggregateCidrPrefix { get; set; }

    public int AggregateCidrPrefixV6 { get; set; } = 64;

    public int AggregateMinAddresses { get; set; } = 2;

    /// <summary>
    /// Ingress on a port from this many distinct outside addresses or more is allowed from the <c>world</c> entity:
    /// the service is public. 0 turns it off. Egress is never widened this way: a workload's outside destinations are
    /// few and known, and "anywhere on 443" is what exfiltration needs.
    /// </summary>
    public int WorldAfterAddresses { get; set; } = 16;

    /// <summary>
    /// Allow DNS (UDP and TCP 53) to kube-dns from every workload. A workload that caches names may send no query in
    /// the capture, and default-deny egress without DNS breaks every pod.
    /// </summary>
    public bool AllowDns { get; set; } = true;

    /// <summary>Bounds on what the learner keeps; beyond them flows are counted as not learned.</summary>
    public int MaxWorkloads { get; set; } = 10_000;

    public int MaxPeersPerWorkload { get; set; } = 50_000;

    /// <summary>Examples of denied flows kept per workload in the summary.</summary>
    public int ExamplesPerWorkload { get; set; } = 3;

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (MinFlows < 1)
        {
            errors.Add($"--min-flows {MinFlows}: must be 1 or more");
        }

        if (AggregateCidrPrefix is < 8 or > 32)
        {
            errors.Add($"--aggregate-cidr {AggregateCidrPrefix}: an IPv4 prefix length from 8 to 32");
        }

        if (AggregateCidrPrefixV6 is < 16 or > 128)
        {
            errors.Add($"--aggregate-cidr-v6 {AggregateCidrPrefixV6}: an IPv6 prefix length from 16 to 128");
        }

        if (AggregateMinAddresses < 1)
        {
            errors.Add($"aggregate minimum addresses {AggregateMinAddresses}: must be 1 or more");
        }

        if (WorldAfterAddresses < 0)
        {
            errors.Add($"--world-after {WorldAfterAddresses}: must be 0 (off) or more");
        }

        if (MaxWorkloads < 1 || MaxPeersPerWorkload < 1 || ExamplesPerWorkload < 0)
        {
            errors.Add("bounds must be positive");
        }

        return errors;
    }
}
