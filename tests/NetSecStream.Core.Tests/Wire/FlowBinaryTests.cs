using System.Text;
using NetSecStream.Core.Components;
using NetSecStream.Core.Ecs;
using NetSecStream.Core.Events;
using NetSecStream.Core.Tests.Ecs;
using NetSecStream.Core.Wire;

namespace NetSecStream.Core.Tests.Wire;

/// <summary>The binary flow encoding: lossless against the ECS document, compact, and safe on hostile input.</summary>
public sealed class FlowBinaryTests
{
    private static IEnumerable<FlowEvent> Samples() =>
    [
        EcsSamples.HttpFlowV4(), EcsSamples.DnsFlowV6(), EcsSamples.TlsFlowFromWorld(), EcsSamples.IcmpEchoV4(),
        EcsSamples.Icmp6Unreachable(), EcsSamples.Minimal(),
    ];

    [Fact]
    public void Binary_ThousandRandomFlows_RoundTripFieldByFieldAndToTheSameEcsDocument()
    {
        var decoder = new FlowWireDecoder();
        var random = new Random(20261127);
        for (int i = 0; i < 1000; i++)
        {
            var flow = EcsSamples.RandomFlow(random);
            byte[] binary = FlowBinary.Serialize(flow);

            var result = decoder.Decode(binary);

            Assert.True(result.IsSuccess, $"flow {i}: {result.Error}");
            EcsSamples.AssertSameFlow(flow, result.Event!);
            Assert.Equal(Encoding.UTF8.GetString(EcsJson.SerializeFlow(flow)), Encoding.UTF8.GetString(EcsJson.SerializeFlow(result.Event!)));
        }
    }

    [Fact]
    public void Binary_NamedSamples_RoundTripAndTakeUnderHalfTheEcsBytes()
    {
        var decoder = new FlowWireDecoder();
        foreach (var flow in Samples())
        {
            byte[] binary = FlowBinary.Serialize(flow);
            byte[] json = EcsJson.SerializeFlow(flow);

            var read = decoder.Decode(binary);

            Assert.True(read.IsSuccess, read.Error);
            EcsSamples.AssertSameFlow(flow, read.Event!);
            Assert.True(binary.Length * 2 < json.Length, $"binary {binary.Length} bytes vs ECS {json.Length} bytes");
        }
    }

    [Fact]
    public void Binary_SecondReadOfTheSamePod_SharesItsLabelsAndStrings()
    {
        var decoder = new FlowWireDecoder();
        byte[] binary = FlowBinary.Serialize(EcsSamples.HttpFlowV4());

        var first = decoder.Decode(binary).Event!;
        var second = decoder.Decode(binary).Event!;

        Assert.Same(first.Source.Labels, second.Source.Labels);
        Assert.Same(first.Source.Namespace, second.Source.Namespace);
        Assert.Same(first.Source.Ip, second.Source.Ip);
    }

    [Fact]
    public void Binary_SecondReadOfTheSameHeaders_SharesTheHeaderList()
    {
        var decoder = new FlowWireDecoder();
        byte[] binary = FlowBinary.Serialize(EcsSamples.L7Transaction());

        var first = decoder.Decode(binary).Event!;
        var second = decoder.Decode(binary).Event!;

        Assert.NotEmpty(first.Http!.Headers!);
        Assert.Same(first.Http.Headers, second.Http!.Headers);
    }

    [Fact]
    public void Decoder_HeaderListCut_AfterTheSameHeadersWereCached_IsStillRejected()
    {
        var decoder = new FlowWireDecoder();
        byte[] binary = FlowBinary.Serialize(EcsSamples.L7Transaction());
        Assert.True(decoder.Decode(binary).IsSuccess);

        // Every truncation again, now that the header block sits in the cache: a cached block must not let a message
        // that ends inside it (or right after it) through.
        for (int length = 0; length < binary.Length; length++)
        {
            var result = decoder.Decode(binary.AsSpan(0, length));
            Assert.False(result.IsSuccess, $"a message cut to {length} of {binary.Length} bytes decoded");
        }
    }

    [Fact]
    public void Decoder_JsonAndBinaryOnOneTopic_BothDecode()
    {
        var decoder = new FlowWireDecoder();
        var flow = EcsSamples.DnsFlowV6();

        var fromJson = decoder.Decode(EcsJson.SerializeFlow(flow));
        var fromBinary = decoder.Decode(FlowBinary.Serialize(flow));

        EcsSamples.AssertSameFlow(flow, fromJson.Event!);
        EcsSamples.AssertSameFlow(flow, fromBinary.Event!);
    }

    [Fact]
    public void Binary_L7Transaction_RoundTripsEveryParserFact()
    {
        var flow = EcsSamples.L7Transaction();

        var read = new FlowWireDecoder().Decode(FlowBinary.Serialize(flow));

        Assert.True(read.IsSuccess, read.Error);
        EcsSamples.AssertSameFlow(flow, read.Event!);
        Assert.Equal(Encoding.UTF8.GetString(EcsJson.SerializeFlow(flow)), Encoding.UTF8.GetString(EcsJson.SerializeFlow(read.Event!)));
    }

    [Fact]
    public void Decoder_Version1Message_StillDecodes()
    {
        // Version 2 only added presence bits; a flow without the new facts is the same bytes but for the version.
        var flow = EcsSamples.HttpFlowV4();
        byte[] binary = FlowBinary.Serialize(flow);
        Assert.Equal(FlowBinary.Version, binary[1]);
        binary[1] = 1;

        var read = new FlowWireDecoder().Decode(binary);

        Assert.True(read.IsSuccess, read.Error);
        EcsSamples.AssertSameFlow(flow, read.Event!);
    }

    [Fact]
    public void Decoder_EveryTruncationOfEverySample_IsRejectedWithTheFieldItBrokeAt()
    {
        var decoder = new FlowWireDecoder();
        foreach (var flow in Samples().Append(EcsSamples.L7Transaction()))
        {
            byte[] binary = FlowBinary.Serialize(flow);
            for (int length = 1; length < binary.Length; length++)
            {
                var result = decoder.Decode(binary.AsSpan(0, length));

                Assert.False(result.IsSuccess, $"a {length}-byte prefix of {binary.Length} decoded");
                Assert.StartsWith("invalid netsec binary flow: ", result.Error, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void Decoder_MillionMutatedMessages_NeverThrowAndEitherDecodeOrSayWhy()
    {
        var decoder = new FlowWireDecoder();
        var random = new Random(7);
        var seeds = Samples().Append(EcsSamples.L7Transaction()).Select(FlowBinary.Serialize).ToArray();
        int rejected = 0;
        for (int i = 0; i < 1_000_000; i++)
        {
            byte[] message = (byte[])seeds[i % seeds.Length].Clone();
            int mutations = 1 + random.Next(4);
            for (int m = 0; m < mutations; m++)
            {
                message[1 + random.Next(message.Length - 1)] = (byte)random.Next(256);
            }

            int length = random.Next(4) == 0 ? random.Next(1, message.Length + 1) : message.Length;
            var result = decoder.Decode(message.AsSpan(0, length));

            if (!result.IsSuccess)
            {
                rejected++;
                Assert.False(string.IsNullOrEmpty(result.Error));
            }
        }

        Assert.InRange(rejected, 1, 1_000_000);
    }

    [Theory]
    [InlineData(new byte[] { 0x00, 0x03 }, "version: unsupported version 3")]
    [InlineData(new byte[] { 0x00 }, "version: message ends early")]
    [InlineData(new byte[] { 0x00, 0x01, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01 }, "fields: varint too long")]
    [InlineData(new byte[] { 0x00, 0x01, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01 }, "fields: unknown field bits")] // bit 35
    [InlineData(new byte[] { 0x00, 0x01, 0x80, 0x80, 0x08 }, "fields: unknown field bits")] // bit 17 (ssh) is version 2's
    [InlineData(new byte[] { 0x00, 0x02, 0x80, 0x80, 0x10 }, "fields: unknown field bits")] // bit 18
    public void Decoder_BrokenHeader_IsRejectedWithReason(byte[] message, string reason)
    {
        var result = new FlowWireDecoder().Decode(message);

        Assert.False(result.IsSuccess);
        Assert.Contains(reason, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Decoder_LabelCountLargerThanTheMessage_IsRejectedBeforeAllocating()
    {
        var flow = EcsSamples.Minimal();
        byte[] good = FlowBinary.Serialize(new FlowEvent
        {
            Timestamp = flow.Timestamp,
            IpProtocol = 6,
            Source = new FlowEndpoint { Ip = flow.Source.Ip, Labels = new Dictionary<string, string> { ["a"] = "b" } },
            Destination = flow.Destination,
        });
        // The source facts block: length 6, bits 0x08 (labels), count 1, "a", "b". Claim 4000 labels instead.
        int block = good.AsSpan().IndexOf((ReadOnlySpan<byte>)[0x06, 0x08, 0x01, 0x01, (byte)'a', 0x01, (byte)'b']);
        Assert.True(block > 0);
        byte[] hostile = [.. good[..block], 0x07, 0x08, 0xA0, 0x1F, .. good[(block + 3)..]];

        var result = new FlowWireDecoder().Decode(hostile);

        Assert.False(result.IsSuccess);
        Assert.Contains("source.labels: entry count exceeds the message", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Decoder_TrailingBytes_AreRejected()
    {
        byte[] binary = [.. FlowBinary.Serialize(EcsSamples.Minimal()), 0x00];

        var result = new FlowWireDecoder().Decode(binary);

        Assert.Contains("1 bytes after the end of the flow", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Decoder_OversizedRecord_IsRejectedWithTheKey()
    {
        var decoder = new FlowWireDecoder(new FlowWireDecoderOptions { MaxRecordBytes = 16 });

        var result = decoder.Decode(FlowBinary.Serialize(EcsSamples.HttpFlowV4()));

        Assert.Contains("Decoders:FlowWire:MaxRecordBytes (16)", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_OutOfRange_NameTheirKeys()
    {
        var result = new FlowWireDecoderOptionsValidator().Validate(null, new FlowWireDecoderOptions { MaxRecordBytes = 0, InternCapacity = 1 });

        Assert.Contains(result.Failures!, f => f.StartsWith("Decoders:FlowWire:MaxRecordBytes", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.StartsWith("Decoders:FlowWire:InternCapacity", StringComparison.Ordinal));
    }

    [Fact]
    public void Decoder_IsADecoderComponent()
    {
        var decoder = new FlowWireDecoder();

        Assert.IsAssignableFrom<IFlowDecoder>(decoder);
        Assert.Equal("flow_wire", decoder.Id);
        Assert.Equal(ComponentKind.Decoder, decoder.Kind);
    }
}
