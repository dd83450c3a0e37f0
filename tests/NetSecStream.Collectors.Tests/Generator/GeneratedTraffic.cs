using System.Globalization;
using System.Net;
using System.Text.Json;
using NetSecStream.Collectors.Generator;
using NetSecStream.Core.Events;

namespace NetSecStream.Collectors.Tests.Generator;

/// <summary>One generated line, parsed back from its JSON the way a consumer would see it.</summary>
internal sealed record ParsedFlow(
    long Line,
    string Label,
    string? Episode,
    string CommunityId,
    DateTimeOffset Time,
    string Verdict,
    IPAddress Source,
    IPAddress Destination,
    byte Protocol,
    ushort SourcePort,
    ushort DestinationPort,
    byte IcmpType,
    byte IcmpCode,
    TcpFlags Flags,
    bool IsReply,
    bool DestinationIsWorld,
    string? DnsQuery,
    IReadOnlyList<string> DnsIps,
    string? HttpMethod,
    int? HttpCode,
    long? ContentLength,
    string? SourcePod,
    string DestinationZone)
{
    public static ParsedFlow From(GeneratedEvent generated)
    {
        using var doc = JsonDocument.Parse(generated.Json);
        var flow = doc.RootElement.GetProperty("flow");
        var ip = flow.GetProperty("IP");
        var l4 = flow.GetProperty("l4");
        byte protocol;
        ushort sourcePort = 0;
        ushort destinationPort = 0;
        byte icmpType = 0;
        byte icmpCode = 0;
        var flags = TcpFlags.None;
        if (l4.TryGetProperty("TCP", out var tcp))
        {
            protocol = 6;
            sourcePort = tcp.GetProperty("source_port").GetUInt16();
            destinationPort = tcp.GetProperty("destination_port").GetUInt16();
            if (tcp.TryGetProperty("flags", out var f))
            {
                foreach (var (name, bit) in new[] { ("SYN", TcpFlags.Syn), ("ACK", TcpFlags.Ack), ("FIN", TcpFlags.Fin), ("RST", TcpFlags.Rst), ("PSH", TcpFlags.Psh) })
                {
                    if (f.TryGetProperty(name, out var set) && set.GetBoolean())
                    {
                        flags |= bit;
                    }
                }
            }
        }
        else if (l4.TryGetProperty("UDP", out var udp))
        {
            protocol = 17;
            sourcePort = udp.GetProperty("source_port").GetUInt16();
            destinationPort = udp.GetProperty("destination_port").GetUInt16();
        }
        else
        {
            protocol = 1;
            var icmp = l4.GetProperty("ICMPv4");
            icmpType = icmp.TryGetProperty("type", out var t) ? t.GetByte() : (byte)0;
            icmpCode = icmp.TryGetProperty("code", out var c) ? c.GetByte() : (byte)0;
        }

        string? query = null;
        var ips = new List<string>();
        string? method = null;
        int? code = null;
        long? contentLength = null;
        if (flow.TryGetProperty("l7", out var l7))
        {
            if (l7.TryGetProperty("dns", out var dns))
            {
                query = dns.GetProperty("query").GetString();
                if (dns.TryGetProperty("ips", out var answer))
                {
                    ips.AddRange(answer.EnumerateArray().Select(a => a.GetString()!));
                }
            }

            if (l7.TryGetProperty("http", out var http))
            {
                method = http.GetProperty("method").GetString();
                code = http.TryGetProperty("code", out var status) ? status.GetInt32() : null;
                foreach (var header in http.GetProperty("headers").EnumerateArray())
                {
                    if (header.GetProperty("key").GetString() == "Content-Length")
                    {
                        contentLength = long.Parse(header.GetProperty("value").GetString()!, CultureInfo.InvariantCulture);
                    }
                }
            }
        }

        var destination = flow.GetProperty("destination");
        var destinationLabels = destination.GetProperty("labels").EnumerateArray().Select(l => l.GetString()!).ToList();
        bool world = destinationLabels.Contains("reserved:world");
        string zone = destination.TryGetProperty("namespace", out var ns) ? ns.GetString()! : destinationLabels[0];
        string? sourcePod = flow.GetProperty("source").TryGetProperty("pod_name", out var pod) ? pod.GetString() : null;
        return new ParsedFlow(
            generated.Line,
            generated.Label,
            generated.Episode,
            generated.CommunityId,
            DateTimeOffset.Parse(flow.GetProperty("time").GetString()!, CultureInfo.InvariantCulture),
            flow.GetProperty("verdict").GetString()!,
            IPAddress.Parse(ip.GetProperty("source").GetString()!),
            IPAddress.Parse(ip.GetProperty("destination").GetString()!),
            protocol,
            sourcePort,
            destinationPort,
            icmpType,
            icmpCode,
            flags,
            flow.TryGetProperty("is_reply", out var reply) && reply.GetBoolean(),
            world,
            query,
            ips,
            method,
            code,
            contentLength,
            sourcePod,
            zone);
    }

    /// <summary>The flow as the core event model holds it, for Community ID.</summary>
    public FlowEvent ToFlowEvent() => new()
    {
        Timestamp = Time,
        Source = new FlowEndpoint { Ip = Source, Port = SourcePort },
        Destination = new FlowEndpoint { Ip = Destination, Port = DestinationPort },
        IpProtocol = Protocol,
        IcmpType = Protocol == 1 ? IcmpType : null,
        IcmpCode = Protocol == 1 ? IcmpCode : null,
        TcpFlags = Flags,
    };
}

/// <summary>A 20,000-event demo run (seed 7) generated once for the tests that only read it.</summary>
public sealed class DemoRunFixture
{
    public const int Events = 20_000;

    public DemoRunFixture()
    {
        Generated = new TrafficGenerator().Generate(new GeneratorOptions("demo", Events, Seed: 7)).ToList();
        Parsed = Generated.Select(ParsedFlow.From).ToList();
    }

    public IReadOnlyList<GeneratedEvent> Generated { get; }

    internal IReadOnlyList<ParsedFlow> Parsed { get; }
}
