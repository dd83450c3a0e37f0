namespace NetSecStream.Signatures.Rules;

/// <summary>The protocols a rule header may name.</summary>
public static class RuleProtocols
{
    private static readonly HashSet<string> Packet = new(StringComparer.Ordinal)
    {
        "ip", "ipv4", "ip4", "ipv6", "ip6", "tcp", "udp", "icmp", "icmpv4", "icmpv6", "sctp", "igmp", "pkthdr", "tcp-pkt", "tcp-stream",
    };

    private static readonly HashSet<string> AppLayer = new(StringComparer.Ordinal)
    {
        "http", "http1", "http2", "dns", "tls", "ssh", "ftp", "ftp-data", "smtp", "smb", "dcerpc", "krb5", "snmp", "dhcp", "nfs", "ntp",
        "tftp", "sip", "rdp", "mqtt", "quic", "imap", "pop3", "modbus", "dnp3", "enip", "ike", "rfb", "bittorrent-dht", "pgsql",
        "telnet", "websocket", "ldap", "mdns", "doh2", "template", "ssl", "ja4", "irc",
    };

    public static IReadOnlySet<string> PacketProtocols => Packet;

    public static IReadOnlySet<string> AppLayerProtocols => AppLayer;

    public static bool IsAppLayer(string name) => AppLayer.Contains(name);

    public static bool IsKnown(string name) => Packet.Contains(name) || AppLayer.Contains(name);
}
