using System.Net;
using System.Net.Sockets;
using NetSecStream.Core.Events;

namespace NetSecStream.Signatures.Engine.State;

/// <summary>
/// The identity of a flow for per-flow state: the Community ID when the collector computed one (both directions share
/// it), else the 5-tuple with the endpoints in a canonical order. Both forms start with the address family, so an IPv4
/// flow and an IPv6 flow never share state.
/// </summary>
public static class FlowStateKey
{
    public static string Of(FlowEvent flow)
    {
        ArgumentNullException.ThrowIfNull(flow);
        char family = flow.Source.Ip.AddressFamily == AddressFamily.InterNetworkV6 ? '6' : '4';
        if (flow.CommunityId is { Length: > 0 } id)
        {
            return string.Concat(family.ToString(), "|c|", id);
        }

        FlowEndpoint a = flow.Source, b = flow.Destination;
        if (Compare(a.Ip, a.Port, b.Ip, b.Port) > 0)
        {
            (a, b) = (b, a);
        }

        return string.Join('|', family, flow.IpProtocol, a.Ip, a.Port, b.Ip, b.Port);
    }

    /// <summary>The unordered pair of the event's addresses (threshold <c>track by_both</c>).</summary>
    public static string AddressPair(FlowEvent flow)
    {
        ArgumentNullException.ThrowIfNull(flow);
        IPAddress a = flow.Source.Ip, b = flow.Destination.Ip;
        if (Compare(a, 0, b, 0) > 0)
        {
            (a, b) = (b, a);
        }

        return string.Concat(a.ToString(), "|", b.ToString());
    }

    private static int Compare(IPAddress a, ushort aPort, IPAddress b, ushort bPort)
    {
        Span<byte> x = stackalloc byte[16];
        Span<byte> y = stackalloc byte[16];
        a.TryWriteBytes(x, out int xl);
        b.TryWriteBytes(y, out int yl);
        int c = xl.CompareTo(yl);
        if (c == 0)
        {
            c = x[..xl].SequenceCompareTo(y[..yl]);
        }

        return c != 0 ? c : aPort.CompareTo(bPort);
    }
}
