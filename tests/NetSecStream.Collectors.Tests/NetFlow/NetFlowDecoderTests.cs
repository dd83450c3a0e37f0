using System.Net;
using NetSecStream.Collectors.NetFlow;
using NetSecStream.Core.Events;

namespace NetSecStream.Collectors.Tests.NetFlow;

public sealed class NetFlowDecoderTests
{
    private const uint Export = 1_700_000_000;
    private const long Now = Export * 1000L;
    private static readonly NetFlowAddress Exporter = NetFlowAddress.FromIPAddress(NetFlowPackets.Exporter);

    private readonly NetFlowDecoder _decoder = new(new NetFlowOptions());
    private readonly NetFlowRecordBuffer _records = new();

    private NetFlowDecodeResult Decode(byte[] datagram, long nowMs = Now, NetFlowAddress? exporter = null)
    {
        _records.Clear();
        return _decoder.Decode(datagram, exporter ?? Exporter, nowMs, _records);
    }

    [Fact]
    public void V5_Records_CarryTupleCountersAndSysUptimeRelativeTimes()
    {
        var result = Decode(NetFlowPackets.V5(sysUptimeMs: 100_000, Export, sequence: 0, records: 3));

        Assert.True(result.IsClean);
        Assert.Equal(3, result.Records);
        var r = _records[2];
        Assert.Equal(5, r.Version);
        Assert.Equal("10.0.0.3", r.SourceAddress.ToString());
        Assert.Equal("10.1.0.1", r.DestinationAddress.ToString());
        Assert.Equal(40002, r.SourcePort);
        Assert.Equal(443, r.DestinationPort);
        Assert.Equal(6, r.Protocol);
        Assert.Equal(0x1B, r.TcpFlags);
        Assert.Equal(1000UL, r.Bytes);
        Assert.Equal(10UL, r.Packets);
        Assert.Equal(Now - 5000, r.StartMs);
        Assert.Equal(Now - 1000, r.EndMs);
        Assert.Equal(1u, r.InputInterface);
        Assert.Equal(2u, r.OutputInterface);
    }

    [Fact]
    public void V5_CountThatOverrunsTheDatagram_IsBadLength()
    {
        var datagram = NetFlowPackets.V5(100_000, Export, 0, records: 2);
        var result = Decode(datagram[..^10]);

        Assert.Equal(NetFlowRejectReason.BadLength, result.FirstFailure);
        Assert.Equal(0, result.Records);
    }

    [Fact]
    public void V9_DataBeforeItsTemplate_IsCountedAsTemplateMissing_ThenDecodesOnceTheTemplateCame()
    {
        byte[] data = NetFlowPackets.V9Header(60_000, Export, 1).Set(300)
            .V9Record("10.0.0.1", "10.0.0.2", 1234, 53, 17, 100, 1, 59_000, 59_500, 0).EndSet().ToArray();
        byte[] template = NetFlowPackets.V9Header(60_000, Export, 2).V9Template(300).ToArray();

        var first = Decode(data);
        Assert.Equal(NetFlowRejectReason.TemplateMissing, first.FirstFailure);
        Assert.Equal(1, _decoder.Telemetry.Rejected(NetFlowRejectReason.TemplateMissing));

        Assert.True(Decode(template).IsClean);
        var again = Decode(data);
        Assert.True(again.IsClean);
        Assert.Equal(1, again.Records);
        Assert.Equal("10.0.0.1", _records[0].SourceAddress.ToString());
        Assert.Equal(53, _records[0].DestinationPort);
        Assert.Equal(Now - 1000, _records[0].StartMs);
        Assert.Equal(Now - 500, _records[0].EndMs);
    }

    [Fact]
    public void V9_TemplateAfterDataInOneDatagram_StillDecodesTheData()
    {
        byte[] datagram = NetFlowPackets.V9Header(60_000, Export, 1, count: 2)
            .Set(300).V9Record("10.0.0.1", "10.0.0.2", 1, 2, 6, 100, 1, 0, 0, 0x12).EndSet()
            .V9Template(300).ToArray();

        var result = Decode(datagram);

        Assert.True(result.IsClean);
        Assert.Equal(1, result.Records);
    }

    [Fact]
    public void Templates_AreKeptPerExporterAndSourceId()
    {
        Decode(NetFlowPackets.V9Header(60_000, Export, 1, sourceId: 7).V9Template(300).ToArray());
        byte[] sameIdOtherSource = NetFlowPackets.V9Header(60_000, Export, 1, sourceId: 8).Set(300)
            .V9Record("10.0.0.1", "10.0.0.2", 1, 2, 6, 100, 1, 0, 0, 0).EndSet().ToArray();
        byte[] sameSourceOtherExporter = NetFlowPackets.V9Header(60_000, Export, 1, sourceId: 7).Set(300)
            .V9Record("10.0.0.1", "10.0.0.2", 1, 2, 6, 100, 1, 0, 0, 0).EndSet().ToArray();

        Assert.Equal(NetFlowRejectReason.TemplateMissing, Decode(sameIdOtherSource).FirstFailure);
        Assert.Equal(NetFlowRejectReason.TemplateMissing, Decode(sameSourceOtherExporter, exporter: NetFlowAddress.FromIPAddress(IPAddress.Parse("192.0.2.2"))).FirstFailure);
        Assert.True(Decode(sameSourceOtherExporter).IsClean);
    }

    [Fact]
    public void Template_NotRefreshedWithinTheTimeout_Expires()
    {
        var decoder = new NetFlowDecoder(new NetFlowOptions { TemplateTimeout = TimeSpan.FromMinutes(1) });
        var records = new NetFlowRecordBuffer();
        decoder.Decode(NetFlowPackets.V9Header(60_000, Export, 1).V9Template(300).ToArray(), Exporter, Now, records);
        byte[] data = NetFlowPackets.V9Header(60_000, Export, 2).Set(300).V9Record("10.0.0.1", "10.0.0.2", 1, 2, 6, 1, 1, 0, 0, 0).EndSet().ToArray();

        Assert.True(decoder.Decode(data, Exporter, Now + 59_000, records).IsClean);
        Assert.Equal(NetFlowRejectReason.TemplateExpired, decoder.Decode(data, Exporter, Now + 121_000, records).FirstFailure);
        Assert.Equal(NetFlowRejectReason.TemplateMissing, decoder.Decode(data, Exporter, Now + 122_000, records).FirstFailure);
    }

    [Fact]
    public void Ipfix_VariableLengthAndEnterpriseFields_AreSteppedOver_AndIPv6Decoded()
    {
        byte[] datagram = NetFlowPackets.IpfixHeader(Export, 0)
            .Set(2).U16(400).U16(8)
                .U16(27).U16(16).U16(28).U16(16)
                .U16(0x8000 | 1234).U16(0xFFFF).U32(9) // enterprise, variable length
                .U16(7).U16(2).U16(11).U16(2).U16(4).U16(1)
                .U16(82).U16(0xFFFF) // interfaceName, variable length (not in a flow)
                .U16(152).U16(8)
            .EndSet()
            .Set(400)
                .Ip("2001:db8::1").Ip("2001:db8::2").U8(3).Bytes([1, 2, 3]).U16(5353).U16(53).U8(17).U8(0).U64((ulong)Now - 10)
                .Ip("2001:db8::3").Ip("2001:db8::4").U8(255).U16(300).Bytes(new byte[300]).U16(1).U16(2).U8(6)
                    .U8(255).U16(2).Bytes([65, 66]).U64((ulong)Now)
            .EndSet()
            .Ipfix();

        var result = Decode(datagram);

        Assert.True(result.IsClean, NetFlowRejectReasons.Name(result.FirstFailure));
        Assert.Equal(2, result.Records);
        Assert.Equal("2001:db8::1", _records[0].SourceAddress.ToString());
        Assert.Equal(5353, _records[0].SourcePort);
        Assert.Equal(Now - 10, _records[0].StartMs);
        Assert.Equal("2001:db8::4", _records[1].DestinationAddress.ToString());
        Assert.Equal(6, _records[1].Protocol);
    }

    [Fact]
    public void Ipfix_VariableLengthFieldPastTheSet_IsTruncatedRecord()
    {
        byte[] datagram = NetFlowPackets.IpfixHeader(Export, 0)
            .Set(2).U16(400).U16(2).U16(8).U16(4).U16(82).U16(0xFFFF).EndSet()
            .Set(400).Ip("10.0.0.1").U8(200).Bytes([1, 2, 3]).EndSet()
            .Ipfix();

        var result = Decode(datagram);

        Assert.Equal(NetFlowRejectReason.TruncatedRecord, result.FirstFailure);
        Assert.Equal(0, result.Records);
    }

    [Fact]
    public void Ipfix_TemplateWithdrawal_ForgetsTheTemplate()
    {
        byte[] template = NetFlowPackets.IpfixHeader(Export, 0).Set(2).U16(400).U16(2).U16(8).U16(4).U16(12).U16(4).EndSet().Ipfix();
        byte[] data = NetFlowPackets.IpfixHeader(Export, 0).Set(400).Ip("10.0.0.1").Ip("10.0.0.2").EndSet().Ipfix();
        byte[] withdrawal = NetFlowPackets.IpfixHeader(Export, 1).Set(2).U16(400).U16(0).EndSet().Ipfix();

        Decode(template);
        Assert.True(Decode(data).IsClean);
        Assert.True(Decode(withdrawal).IsClean);
        Assert.Equal(NetFlowRejectReason.TemplateMissing, Decode(data).FirstFailure);
    }

    [Fact]
    public void SequenceGaps_AreCountedPerStream()
    {
        byte[] Ipfix(uint sequence, uint domain) => NetFlowPackets.IpfixHeader(Export, sequence, domain)
            .Set(2).U16(400).U16(2).U16(8).U16(4).U16(12).U16(4).EndSet()
            .Set(400).Ip("10.0.0.1").Ip("10.0.0.2").Ip("10.0.0.3").Ip("10.0.0.4").EndSet().Ipfix();

        Decode(Ipfix(0, 1)); // two records: next expected is 2
        Decode(Ipfix(0, 2)); // another domain, its own sequence
        Decode(Ipfix(2, 1));
        Assert.Equal(0, _decoder.Telemetry.SequenceGaps);

        Decode(Ipfix(10, 1)); // expected 4: six records lost
        Assert.Equal(1, _decoder.Telemetry.SequenceGaps);
        Assert.Equal(6, _decoder.Telemetry.SequenceLost);

        Decode(Ipfix(5, 1)); // late datagram: no new gap
        Decode(NetFlowPackets.V9Header(1, Export, 1).V9Template(300).ToArray());
        Decode(NetFlowPackets.V9Header(1, Export, 4).V9Template(300).ToArray()); // v9 counts datagrams: 2 and 3 lost
        Assert.Equal(2, _decoder.Telemetry.SequenceGaps);
        Assert.Equal(8, _decoder.Telemetry.SequenceLost);
    }

    [Fact]
    public void Templates_BeyondThePerExporterLimit_AreRejected()
    {
        var decoder = new NetFlowDecoder(new NetFlowOptions { MaxTemplatesPerExporter = 2 });
        var records = new NetFlowRecordBuffer();
        for (int id = 300; id < 303; id++)
        {
            decoder.Decode(NetFlowPackets.V9Header(1, Export, (uint)id).V9Template(id).ToArray(), Exporter, Now, records);
        }

        Assert.Equal(1, decoder.Telemetry.Rejected(NetFlowRejectReason.TemplateLimit));
    }

    [Fact]
    public void Exporters_BeyondTheLimit_EvictTheLeastRecentlyHeard()
    {
        var decoder = new NetFlowDecoder(new NetFlowOptions { MaxExporters = 3 });
        var records = new NetFlowRecordBuffer();
        for (uint i = 1; i <= 10; i++)
        {
            decoder.Decode(NetFlowPackets.V9Header(1, Export, 0).V9Template(300).ToArray(), NetFlowAddress.FromIPv4(i), Now + i, records);
        }

        Assert.Equal(3, decoder.ExporterCount);
    }

    [Fact]
    public void OptionsRecords_AreNotFlows_TheyGiveSamplingRatesAndInterfaceNames()
    {
        byte[] datagram = NetFlowPackets.V9Header(60_000, Export, 1, count: 4)
            // options template 256: scope interface (type 2), options samplingInterval (34) and samplerId (48)
            .Set(1).U16(256).U16(4).U16(8).U16(2).U16(4).U16(34).U16(4).U16(48).U16(1).EndSet()
            .Set(256).U32(5).U32(100).U8(1).EndSet()
            .V9Template(300)
            .Set(300).V9Record("10.0.0.1", "10.0.0.2", 1, 2, 6, 40, 2, 0, 0, 0x02).EndSet()
            .ToArray();

        var result = Decode(datagram);

        Assert.True(result.IsClean);
        Assert.Equal(1, result.OptionsRecords);
        Assert.Equal(1, result.Records);
        Assert.Equal(100u, _records[0].SamplingRate);
        Assert.Equal(100u, _decoder.DefaultSamplingRate(Exporter, 9, 0));

        var sampled = new NetFlowEventMapper(applySampling: true).Map(_records[0])!;
        var raw = new NetFlowEventMapper(applySampling: false).Map(_records[0])!;
        Assert.Equal(4000, sampled.Bytes);
        Assert.Equal(200, sampled.Packets);
        Assert.Equal(40, raw.Bytes);
    }

    [Fact]
    public void IpfixOptions_InterfaceNames_AreKeptPerStream()
    {
        byte[] datagram = NetFlowPackets.IpfixHeader(Export, 0)
            .Set(3).U16(500).U16(2).U16(1).U16(10).U16(4).U16(82).U16(0xFFFF).EndSet()
            .Set(500).U32(7).U8(4).Bytes("eth0"u8).U32(8).U8(4).Bytes("eth1"u8).EndSet()
            .Ipfix();

        var result = Decode(datagram);

        Assert.True(result.IsClean);
        Assert.Equal(2, result.OptionsRecords);
        Assert.True(_decoder.TryGetInterfaceName(Exporter, 10, 1, 8, out string? name));
        Assert.Equal("eth1", name);
    }

    [Fact]
    public void Mapper_BuildsFlowEventsWithSharedAddressesAndNetflowCollectorId()
    {
        Decode(NetFlowPackets.V5(100_000, Export, 0, records: 2));
        var mapper = new NetFlowEventMapper(applySampling: true);

        var a = mapper.Map(_records[0])!;
        var b = mapper.Map(_records[1])!;

        Assert.Equal("netflow", a.CollectorId);
        Assert.Equal("192.0.2.1", a.NodeName);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(Now - 1000), a.Timestamp);
        Assert.Same(a.Destination.Ip, b.Destination.Ip);
        Assert.Equal(TcpFlags.Fin | TcpFlags.Syn | TcpFlags.Psh | TcpFlags.Ack, a.TcpFlags);
        Assert.Equal(Transport.Tcp, a.Transport);
    }

    [Theory]
    [InlineData(new byte[0], NetFlowRejectReason.TruncatedHeader)]
    [InlineData(new byte[] { 0, 9, 0 }, NetFlowRejectReason.TruncatedHeader)]
    [InlineData(new byte[] { 0, 7, 0, 0 }, NetFlowRejectReason.UnsupportedVersion)]
    [InlineData(new byte[] { 0, 10, 0, 200, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, NetFlowRejectReason.BadLength)]
    [InlineData(new byte[] { 0, 9, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 44, 0, 2 }, NetFlowRejectReason.BadSetLength)]
    public void BadDatagrams_AreRejectedWithTheirReason(byte[] datagram, NetFlowRejectReason reason)
    {
        var result = Decode(datagram);

        Assert.Equal(reason, result.FirstFailure);
        Assert.Equal(1, _decoder.Telemetry.Rejected(reason));
    }

    [Fact]
    public void BadTemplates_AreRejected()
    {
        // Template id below 256, then a field list that runs past its set.
        Assert.Equal(NetFlowRejectReason.BadTemplate, Decode(NetFlowPackets.V9Header(1, Export, 0).Set(0).U16(5).U16(1).U16(8).U16(4).EndSet().ToArray()).FirstFailure);
        Assert.Equal(NetFlowRejectReason.BadTemplate, Decode(NetFlowPackets.V9Header(1, Export, 0).Set(0).U16(300).U16(9).U16(8).U16(4).EndSet().ToArray()).FirstFailure);
    }

    [Fact]
    public void OptionsValidator_MessagesStartWithTheFullKey()
    {
        var result = new NetFlowOptionsValidator().Validate(null, new NetFlowOptions
        {
            Port = -1,
            Listen = "nowhere",
            QueueDatagrams = 0,
            TemplateTimeout = TimeSpan.Zero,
        });

        Assert.True(result.Failed);
        Assert.Contains("Collectors:NetFlow:Port must be 0-65535, 0 for any free port (was -1)", result.Failures);
        Assert.All(result.Failures, f => Assert.StartsWith("Collectors:NetFlow:", f, StringComparison.Ordinal));
        Assert.Equal(4, result.Failures.Count());
        Assert.True(new NetFlowOptionsValidator().Validate(null, new NetFlowOptions()).Succeeded);
    }
}
