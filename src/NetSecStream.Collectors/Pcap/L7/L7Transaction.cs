using NetSecStream.Core.Events;

namespace NetSecStream.Collectors.Pcap.L7;

/// <summary>
/// One application-layer exchange of a flow: a DNS query with its response, an HTTP request with its response, a TLS
/// handshake's hellos, one side's SSH identification string. The flow table turns each into one <see cref="FlowEvent"/> sharing the flow's 5-tuple.
/// </summary>
internal sealed class L7Transaction
{
    /// <summary>UTC ticks of the packet that started the exchange.</summary>
    public long Ticks { get; init; }

    public DnsFacts? Dns { get; set; }

    public HttpFacts? Http { get; set; }

    public TlsFacts? Tls { get; set; }

    public SshFacts? Ssh { get; set; }
}
