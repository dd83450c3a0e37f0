namespace NetSecStream.Collectors.NetFlow;

/// <summary>
/// One decoded flow record (NetFlow v5, v9 or IPFIX data record) as plain values, written by
/// <see cref="NetFlowDecoder"/> without allocating. Counters are as exported (not multiplied by the sampling rate);
/// <see cref="SamplingRate"/> says by how much the exporter sampled (1 when it did not say).
/// </summary>
public struct NetFlowRecord
{
    /// <summary>Export protocol: 5, 9 or 10 (IPFIX).</summary>
    public byte Version { get; set; }

    /// <summary>The exporter (the datagram's source address).</summary>
    public NetFlowAddress Exporter { get; set; }

    /// <summary>v9 source id, IPFIX observation domain, v5 engine type and id (<c>type &lt;&lt; 8 | id</c>).</summary>
    public uint ObservationDomain { get; set; }

    public ushort TemplateId { get; set; }

    public NetFlowAddress SourceAddress { get; set; }
    public NetFlowAddress DestinationAddress { get; set; }
    public ushort SourcePort { get; set; }
    public ushort DestinationPort { get; set; }
    public byte Protocol { get; set; }
    public byte Tos { get; set; }
    public ushort TcpFlags { get; set; }
    public ulong Bytes { get; set; }
    public ulong Packets { get; set; }

    /// <summary>Flow start and end, Unix milliseconds; 0 when the record did not carry them.</summary>
    public long StartMs { get; set; }
    public long EndMs { get; set; }

    /// <summary>When the exporter sent the datagram, Unix milliseconds.</summary>
    public long ExportMs { get; set; }

    public uint InputInterface { get; set; }
    public uint OutputInterface { get; set; }

    /// <summary>ICMP type (high byte) and code (low byte), when <see cref="HasIcmp"/>.</summary>
    public ushort IcmpTypeCode { get; set; }
    public bool HasIcmp { get; set; }

    /// <summary>0 ingress, 1 egress (IPFIX flowDirection), 255 unknown.</summary>
    public byte Direction { get; set; }

    /// <summary>IPFIX forwardingStatus (field 89): top two bits 01 forwarded, 10 dropped, 11 consumed; 0 unknown.</summary>
    public byte ForwardingStatus { get; set; }

    /// <summary>Packets observed per packet sampled (1 = not sampled or unknown).</summary>
    public uint SamplingRate { get; set; }
}
