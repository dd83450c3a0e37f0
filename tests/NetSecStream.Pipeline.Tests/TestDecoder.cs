using System.Globalization;
using System.Net;
using System.Text;
using NetSecStream.Core.Components;
using NetSecStream.Core.Events;

namespace NetSecStream.Pipeline.Tests;

/// <summary>
/// A minimal decoder for pipeline tests: "src,sport,dst,dport,namespace[,dns]" per record, so the tests exercise
/// the graph without depending on a collector's format.
/// </summary>
internal sealed class CsvFlowDecoder : IFlowDecoder
{
    public string Id => "test_csv";

    public ComponentKind Kind => ComponentKind.Decoder;

    public static byte[] Record(string source, int sourcePort, string destination, int destinationPort, string ns, string? dns = null, int second = 0) =>
        Encoding.UTF8.GetBytes(string.Join(',', source, sourcePort, destination, destinationPort, ns, dns ?? "", second));

    public DecodeResult Decode(ReadOnlySpan<byte> payload)
    {
        string[] parts = Encoding.UTF8.GetString(payload).Split(',');
        if (parts.Length < 5)
        {
            return DecodeResult.Fail($"expected 5 fields, got {parts.Length}");
        }

        if (!IPAddress.TryParse(parts[0], out var source) || !IPAddress.TryParse(parts[2], out var destination))
        {
            return DecodeResult.Fail("bad address");
        }

        int second = parts.Length > 6 ? int.Parse(parts[6], CultureInfo.InvariantCulture) : 0;
        return DecodeResult.Ok(new FlowEvent
        {
            Timestamp = new DateTimeOffset(2026, 11, 26, 0, 0, 0, TimeSpan.Zero).AddSeconds(second),
            Source = new FlowEndpoint { Ip = source, Port = ushort.Parse(parts[1], CultureInfo.InvariantCulture), Namespace = parts[4] },
            Destination = new FlowEndpoint { Ip = destination, Port = ushort.Parse(parts[3], CultureInfo.InvariantCulture) },
            IpProtocol = 6,
            Direction = TrafficDirection.Egress,
            Dns = parts.Length > 5 && parts[5].Length > 0 ? new DnsFacts { Query = parts[5] } : null,
        });
    }
}
