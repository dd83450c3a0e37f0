namespace NetSecStream.Collectors.Generator;

/// <summary>
/// The bad addresses the generator's attack episodes use. They are shipped as indicator feeds in
/// <c>deploy/intel/netsec-demo-c2.txt</c> and <c>deploy/intel/netsec-demo-mining.csv</c>, so the intel detector
/// can be demonstrated end to end. Every address lies in a documentation range (RFC 5737) and every domain under
/// <c>.example</c> (RFC 2606): nothing here points at a real host.
/// </summary>
public static class DemoIndicators
{
    /// <summary>Name of the plain-text C2 feed under <c>deploy/intel</c>.</summary>
    public const string C2FeedFile = "netsec-demo-c2.txt";

    /// <summary>Name of the CSV mining-pool feed under <c>deploy/intel</c>.</summary>
    public const string MiningFeedFile = "netsec-demo-mining.csv";

    /// <summary>Command-and-control servers the c2_beacon episodes call.</summary>
    public static IReadOnlyList<string> C2Addresses { get; } =
        ["203.0.113.66", "203.0.113.140", "203.0.113.201"];

    /// <summary>A C2 block listed as a CIDR; the episodes also beacon to <see cref="C2CidrMember"/> inside it.</summary>
    public const string C2Cidr = "203.0.113.224/28";

    public const string C2CidrMember = "203.0.113.231";

    /// <summary>Domains the c2_beacon episodes resolve before beaconing.</summary>
    public static IReadOnlyList<string> C2Domains { get; } =
        ["update.cdn-telemetry.example", "sync.winupdate-check.example", "beacon.c2-demo.example"];

    /// <summary>Mining pools (stratum) the crypto_mining episodes connect to.</summary>
    public static IReadOnlyList<string> MiningPoolAddresses { get; } =
        ["198.51.100.10", "198.51.100.11", "198.51.100.12"];

    /// <summary>A pool block listed as a CIDR; the episodes also mine at <see cref="MiningPoolCidrMember"/>.</summary>
    public const string MiningPoolCidr = "198.51.100.48/29";

    public const string MiningPoolCidrMember = "198.51.100.50";

    public static IReadOnlyList<string> MiningPoolDomains { get; } =
        ["xmr.pool-demo.example", "stratum.hashfarm-demo.example", "eth.minepool-demo.example"];

    /// <summary>Stratum ports mining clients use.</summary>
    public static IReadOnlyList<int> StratumPorts { get; } = [3333, 4444, 14444];
}
