namespace NetSecStream.Collectors.NetFlow;

/// <summary>What the decoder does with one template field.</summary>
internal enum FieldKind : byte
{
    Skip = 0,
    SourceV4,
    DestinationV4,
    SourceV6,
    DestinationV6,
    SourcePort,
    DestinationPort,
    Protocol,
    Tos,
    TcpFlags,
    Bytes,
    Packets,
    InputInterface,
    OutputInterface,
    FirstUptime,
    LastUptime,
    StartSeconds,
    EndSeconds,
    StartMilliseconds,
    EndMilliseconds,
    StartNtp,
    EndNtp,
    StartDeltaMicroseconds,
    EndDeltaMicroseconds,
    IcmpTypeCode,
    IcmpType,
    IcmpCode,
    Direction,
    ForwardingStatus,
    SamplingInterval,
    SamplerId,
    SamplingPacketInterval,
    SamplingPacketSpace,
    SamplingSize,
    SamplingPopulation,
    SamplerRandomInterval,
    InterfaceIndex,
    InterfaceName,
    InterfaceDescription,
    SystemInitMilliseconds,
}

/// <summary>One step of a compiled template: what to do with the next <see cref="Length"/> bytes.</summary>
internal readonly record struct FieldOp(FieldKind Kind, ushort Length, bool Variable);

/// <summary>
/// A template or options template compiled once into <see cref="FieldOp"/>s: enterprise and unknown fields become
/// skips (merged when adjacent), and of several fields that say the same thing (octetDeltaCount, octetTotalCount,
/// postOctetDeltaCount ...) only the preferred one is read.
/// </summary>
internal sealed class NetFlowTemplate
{
    /// <summary>Information element ids (IANA IPFIX registry; ids below 128 are NetFlow v9's field types).</summary>
    private static class Ie
    {
        public const ushort OctetDeltaCount = 1;
        public const ushort PacketDeltaCount = 2;
        public const ushort ProtocolIdentifier = 4;
        public const ushort IpClassOfService = 5;
        public const ushort TcpControlBits = 6;
        public const ushort SourceTransportPort = 7;
        public const ushort SourceIPv4Address = 8;
        public const ushort IngressInterface = 10;
        public const ushort DestinationTransportPort = 11;
        public const ushort DestinationIPv4Address = 12;
        public const ushort EgressInterface = 14;
        public const ushort FlowEndSysUpTime = 21;
        public const ushort FlowStartSysUpTime = 22;
        public const ushort PostOctetDeltaCount = 23;
        public const ushort PostPacketDeltaCount = 24;
        public const ushort SourceIPv6Address = 27;
        public const ushort DestinationIPv6Address = 28;
        public const ushort IcmpTypeCodeIPv4 = 32;
        public const ushort SamplingInterval = 34;
        public const ushort SamplerId = 48;
        public const ushort SamplerRandomInterval = 50;
        public const ushort FlowDirection = 61;
        public const ushort InterfaceName = 82;
        public const ushort InterfaceDescription = 83;
        public const ushort OctetTotalCount = 85;
        public const ushort PacketTotalCount = 86;
        public const ushort ForwardingStatus = 89;
        public const ushort IcmpTypeCodeIPv6 = 139;
        public const ushort FlowStartSeconds = 150;
        public const ushort FlowEndSeconds = 151;
        public const ushort FlowStartMilliseconds = 152;
        public const ushort FlowEndMilliseconds = 153;
        public const ushort FlowStartMicroseconds = 154;
        public const ushort FlowEndMicroseconds = 155;
        public const ushort FlowStartNanoseconds = 156;
        public const ushort FlowEndNanoseconds = 157;
        public const ushort FlowStartDeltaMicroseconds = 158;
        public const ushort FlowEndDeltaMicroseconds = 159;
        public const ushort SystemInitTimeMilliseconds = 160;
        public const ushort IcmpTypeIPv4 = 176;
        public const ushort IcmpCodeIPv4 = 177;
        public const ushort IcmpTypeIPv6 = 178;
        public const ushort IcmpCodeIPv6 = 179;
        public const ushort InitiatorOctets = 231;
        public const ushort InitiatorPackets = 298;
        public const ushort SelectorId = 302;
        public const ushort SamplingPacketInterval = 305;
        public const ushort SamplingPacketSpace = 306;
        public const ushort SamplingSize = 309;
        public const ushort SamplingPopulation = 310;
    }

    /// <summary>NetFlow v9 options scope field type for an interface (RFC 3954 section 6.1).</summary>
    private const ushort V9ScopeInterface = 2;

    public const ushort VariableLength = 0xFFFF;

    private NetFlowTemplate(ushort id, bool isOptions, FieldOp[] ops, int minRecordLength, byte[] definition)
    {
        Id = id;
        IsOptions = isOptions;
        Ops = ops;
        MinRecordLength = minRecordLength;
        Definition = definition;
    }

    public ushort Id { get; }

    public bool IsOptions { get; }

    public FieldOp[] Ops { get; }

    /// <summary>The shortest record (variable-length fields counted as one byte); at least 1.</summary>
    public int MinRecordLength { get; }

    /// <summary>The template's bytes as sent, to tell a refresh from a redefinition without recompiling.</summary>
    public byte[] Definition { get; }

    /// <summary>Unix milliseconds when the exporter last sent this template.</summary>
    public long LastSeenMs { get; set; }

    public bool SameDefinition(ReadOnlySpan<byte> definition) => definition.SequenceEqual(Definition);

    /// <summary>One field specifier as read from a template record.</summary>
    internal readonly record struct FieldSpec(ushort Id, ushort Length, uint Enterprise, bool Scope);

    /// <summary>Compiles field specifiers; null when the template cannot describe a record (no length at all).</summary>
    public static NetFlowTemplate? Compile(ushort id, bool isOptions, bool v9, ReadOnlySpan<FieldSpec> fields, ReadOnlySpan<byte> definition)
    {
        // Pick, for the counters, the most preferred of the fields present.
        int bytesRank = int.MaxValue;
        int packetsRank = int.MaxValue;
        foreach (var f in fields)
        {
            if (f.Enterprise == 0 && !f.Scope)
            {
                bytesRank = Math.Min(bytesRank, BytesRank(f.Id));
                packetsRank = Math.Min(packetsRank, PacketsRank(f.Id));
            }
        }

        var ops = new List<FieldOp>(fields.Length);
        int minLength = 0;
        foreach (var f in fields)
        {
            // A field that repeats (outer then inner header in Huawei's and Cisco's tunnel templates) is read each
            // time and the last one wins, as in pmacct: the inner header is the flow.
            bool variable = !v9 && f.Length == VariableLength;
            var kind = f.Enterprise != 0 ? FieldKind.Skip : Classify(f, v9, bytesRank, packetsRank);
            if (!variable && !LengthFits(kind, f.Length))
            {
                kind = FieldKind.Skip;
            }

            if (variable && kind is not (FieldKind.InterfaceName or FieldKind.InterfaceDescription))
            {
                kind = FieldKind.Skip;
            }

            minLength += variable ? 1 : f.Length;
            if (f.Length == 0 && !variable)
            {
                continue;
            }

            // Adjacent fixed-length skips become one.
            if (kind == FieldKind.Skip && !variable && ops.Count > 0 && ops[^1] is { Kind: FieldKind.Skip, Variable: false } last
                && last.Length + f.Length <= ushort.MaxValue)
            {
                ops[^1] = last with { Length = (ushort)(last.Length + f.Length) };
                continue;
            }

            ops.Add(new FieldOp(kind, f.Length, variable));
        }

        if (minLength == 0)
        {
            return null;
        }

        return new NetFlowTemplate(id, isOptions, [.. ops], minLength, definition.ToArray());
    }

    private static int BytesRank(ushort id) => id switch
    {
        Ie.OctetDeltaCount => 0,
        Ie.OctetTotalCount => 1,
        Ie.PostOctetDeltaCount => 2,
        Ie.InitiatorOctets => 3,
        _ => int.MaxValue,
    };

    private static int PacketsRank(ushort id) => id switch
    {
        Ie.PacketDeltaCount => 0,
        Ie.PacketTotalCount => 1,
        Ie.PostPacketDeltaCount => 2,
        Ie.InitiatorPackets => 3,
        _ => int.MaxValue,
    };

    private static FieldKind Classify(FieldSpec f, bool v9, int bytesRank, int packetsRank)
    {
        if (f.Scope && v9)
        {
            // v9 scope fields have their own type numbers (1 system, 2 interface, 3 line card, 4 cache, 5 template).
            return f.Id == V9ScopeInterface ? FieldKind.InterfaceIndex : FieldKind.Skip;
        }

        int rank = BytesRank(f.Id);
        if (rank != int.MaxValue)
        {
            return rank == bytesRank ? FieldKind.Bytes : FieldKind.Skip;
        }

        rank = PacketsRank(f.Id);
        if (rank != int.MaxValue)
        {
            return rank == packetsRank ? FieldKind.Packets : FieldKind.Skip;
        }

        return f.Id switch
        {
            Ie.ProtocolIdentifier => FieldKind.Protocol,
            Ie.IpClassOfService => FieldKind.Tos,
            Ie.TcpControlBits => FieldKind.TcpFlags,
            Ie.SourceTransportPort => FieldKind.SourcePort,
            Ie.SourceIPv4Address => FieldKind.SourceV4,
            Ie.IngressInterface => f.Scope ? FieldKind.InterfaceIndex : FieldKind.InputInterface,
            Ie.DestinationTransportPort => FieldKind.DestinationPort,
            Ie.DestinationIPv4Address => FieldKind.DestinationV4,
            Ie.EgressInterface => FieldKind.OutputInterface,
            Ie.FlowEndSysUpTime => FieldKind.LastUptime,
            Ie.FlowStartSysUpTime => FieldKind.FirstUptime,
            Ie.SourceIPv6Address => FieldKind.SourceV6,
            Ie.DestinationIPv6Address => FieldKind.DestinationV6,
            Ie.IcmpTypeCodeIPv4 or Ie.IcmpTypeCodeIPv6 => FieldKind.IcmpTypeCode,
            Ie.IcmpTypeIPv4 or Ie.IcmpTypeIPv6 => FieldKind.IcmpType,
            Ie.IcmpCodeIPv4 or Ie.IcmpCodeIPv6 => FieldKind.IcmpCode,
            Ie.SamplingInterval => FieldKind.SamplingInterval,
            Ie.SamplerId or Ie.SelectorId => FieldKind.SamplerId,
            Ie.SamplerRandomInterval => FieldKind.SamplerRandomInterval,
            Ie.SamplingPacketInterval => FieldKind.SamplingPacketInterval,
            Ie.SamplingPacketSpace => FieldKind.SamplingPacketSpace,
            Ie.SamplingSize => FieldKind.SamplingSize,
            Ie.SamplingPopulation => FieldKind.SamplingPopulation,
            Ie.FlowDirection => FieldKind.Direction,
            Ie.InterfaceName => FieldKind.InterfaceName,
            Ie.InterfaceDescription => FieldKind.InterfaceDescription,
            Ie.ForwardingStatus => FieldKind.ForwardingStatus,
            Ie.FlowStartSeconds => FieldKind.StartSeconds,
            Ie.FlowEndSeconds => FieldKind.EndSeconds,
            Ie.FlowStartMilliseconds => FieldKind.StartMilliseconds,
            Ie.FlowEndMilliseconds => FieldKind.EndMilliseconds,
            Ie.FlowStartMicroseconds or Ie.FlowStartNanoseconds => FieldKind.StartNtp,
            Ie.FlowEndMicroseconds or Ie.FlowEndNanoseconds => FieldKind.EndNtp,
            Ie.FlowStartDeltaMicroseconds => FieldKind.StartDeltaMicroseconds,
            Ie.FlowEndDeltaMicroseconds => FieldKind.EndDeltaMicroseconds,
            Ie.SystemInitTimeMilliseconds => FieldKind.SystemInitMilliseconds,
            _ => FieldKind.Skip,
        };
    }

    /// <summary>Fields are read only at lengths that make sense for them (reduced-size encoding included).</summary>
    private static bool LengthFits(FieldKind kind, ushort length) => kind switch
    {
        FieldKind.Skip => true,
        FieldKind.SourceV4 or FieldKind.DestinationV4 => length == 4,
        FieldKind.SourceV6 or FieldKind.DestinationV6 => length == 16,
        FieldKind.StartNtp or FieldKind.EndNtp => length == 8,
        FieldKind.InterfaceName or FieldKind.InterfaceDescription => length <= 1024,
        _ => length is >= 1 and <= 8,
    };
}
