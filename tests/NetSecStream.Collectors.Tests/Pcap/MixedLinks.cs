namespace NetSecStream.Collectors.Tests.Pcap;

/// <summary>
/// What mixed-links.pcapng holds: mergecap's concatenation of five shared captures with BSD loopback, Linux cooked,
/// raw IP, Cisco HDLC and Ethernet link types (suricata-verify UriTestSig02, detect-pcre-02, tls-alpn-log-detect-02,
/// decode-chdlc-01; dns-tunnel/dnscat2), as tshark reads it.
/// </summary>
internal static class MixedLinks
{
    public const int Packets = 84;

    public const int DnsQueries = 12;

    public const string TlsServerName = "p130-contacts.icloud.com";

    public static readonly string[] HttpHosts = ["www.emergingthreats.net", "view.atdmt.com"];
}
