using System.Net;
using NetSecStream.Core.Events;

namespace NetSecStream.Collectors.NetFlow;

/// <summary>
/// Turns <see cref="NetFlowRecord"/>s into <see cref="FlowEvent"/>s (collector id <c>netflow</c>). Addresses seen
/// again reuse one <see cref="IPAddress"/> (bounded cache), exporters one name string. The event's timestamp is the
/// flow's end (last switched), else its start, else the export time; the node is the exporter's address.
/// With <see cref="NetFlowOptions.ApplySampling"/> bytes and packets are multiplied by the record's sampling rate.
/// </summary>
public sealed class NetFlowEventMapper
{
    public const string CollectorId = "netflow";

    private const int MaxCachedAddresses = 65536;

    private readonly bool _applySampling;
    private readonly Dictionary<NetFlowAddress, IPAddress> _addresses = [];
    private readonly Dictionary<NetFlowAddress, string> _exporterNames = [];

    public NetFlowEventMapper(bool applySampling) => _applySampling = applySampling;

    /// <summary>Null when the record names no source or destination address (a layer-2 or MPLS-only record): it is not a flow we can inspect.</summary>
    public FlowEvent? Map(in NetFlowRecord record)
    {
        if (record.SourceAddress.Family == NetFlowAddress.None || record.DestinationAddress.Family == NetFlowAddress.None)
        {
            return null;
        }

        long timeMs = record.EndMs != 0 ? record.EndMs : record.StartMs != 0 ? record.StartMs : record.ExportMs;
        ulong rate = _applySampling ? record.SamplingRate : 1;
        bool icmp = record.HasIcmp && record.Protocol is 1 or 58;
        return new FlowEvent
        {
            Timestamp = DateTimeOffset.FromUnixTimeMilliseconds(Math.Clamp(timeMs, 0, 253_402_300_799_000)),
            Source = new FlowEndpoint { Ip = Address(record.SourceAddress), Port = icmp ? (ushort)0 : record.SourcePort },
            Destination = new FlowEndpoint { Ip = Address(record.DestinationAddress), Port = icmp ? (ushort)0 : record.DestinationPort },
            IpProtocol = record.Protocol,
            Direction = record.Direction switch
            {
                0 => TrafficDirection.Ingress,
                1 => TrafficDirection.Egress,
                _ => TrafficDirection.Unknown,
            },
            Verdict = (record.ForwardingStatus >> 6) switch
            {
                1 => DataplaneVerdict.Forwarded,
                2 => DataplaneVerdict.Dropped,
                _ => DataplaneVerdict.Unknown,
            },
            Bytes = Scale(record.Bytes, rate),
            Packets = Scale(record.Packets, rate),
            TcpFlags = record.Protocol == 6 ? (TcpFlags)(record.TcpFlags & 0x1FF) : TcpFlags.None,
            IcmpType = icmp ? (byte)(record.IcmpTypeCode >> 8) : null,
            IcmpCode = icmp ? (byte)record.IcmpTypeCode : null,
            CollectorId = CollectorId,
            NodeName = ExporterName(record.Exporter),
        };
    }

    private static long Scale(ulong count, ulong rate) =>
        rate <= 1 ? (long)Math.Min(count, long.MaxValue) : count > long.MaxValue / rate ? long.MaxValue : (long)(count * rate);

    private IPAddress Address(NetFlowAddress address)
    {
        if (!_addresses.TryGetValue(address, out var ip))
        {
            if (_addresses.Count >= MaxCachedAddresses)
            {
                _addresses.Clear();
            }

            ip = address.ToIPAddress();
            _addresses[address] = ip;
        }

        return ip;
    }

    private string ExporterName(NetFlowAddress exporter)
    {
        if (!_exporterNames.TryGetValue(exporter, out string? name))
        {
            if (_exporterNames.Count >= MaxCachedAddresses)
            {
                _exporterNames.Clear();
            }

            name = exporter.ToString();
            _exporterNames[exporter] = name;
        }

        return name;
    }
}
