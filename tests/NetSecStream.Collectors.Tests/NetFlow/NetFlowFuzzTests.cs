using System.Buffers.Binary;
using NetSecStream.Collectors.NetFlow;
using Xunit.Abstractions;

namespace NetSecStream.Collectors.Tests.NetFlow;

/// <summary>
/// One million random, truncated and mutated datagrams derived from the real captures (and from built datagrams when
/// the shared data is absent) go through one decoder that has learnt the captures' templates: it never throws, keeps
/// its state within bounds, and counts every rejection by reason.
/// </summary>
public sealed class NetFlowFuzzTests(ITestOutputHelper output)
{
    private const int Inputs = 1_000_000;

    [Fact]
    public void MillionMutatedDatagrams_NeverThrow_AndRejectionsAreCountedByReason()
    {
        var seeds = Seeds();
        var options = new NetFlowOptions { MaxExporters = 16, MaxTemplatesPerExporter = 64, MaxDomainsPerExporter = 8, TemplateTimeout = TimeSpan.FromMinutes(10) };
        var decoder = new NetFlowDecoder(options);
        var records = new NetFlowRecordBuffer();
        var exporters = seeds.Select(s => s.Exporter).Distinct().ToArray();

        // Learn the captures' templates so mutated data sets meet real templates.
        foreach (var seed in seeds)
        {
            decoder.Decode(seed.Payload, seed.Exporter, 0, records);
        }

        long rejectedBefore = decoder.Telemetry.TotalRejected;
        var random = new Random(20261127);
        byte[] buffer = new byte[70_000];
        long failures = 0, decodedRecords = 0, clean = 0;
        long now = 0;
        for (int i = 0; i < Inputs; i++)
        {
            records.Clear();
            var seed = seeds[random.Next(seeds.Count)];
            int length = Mutate(seed.Payload, buffer, random);
            var exporter = random.Next(64) == 0 ? NetFlowAddress.FromIPv4((uint)random.Next()) : exporters[random.Next(exporters.Length)];
            now += random.Next(64) == 0 ? 700_000 : 1; // now and then long enough for templates to expire
            var result = decoder.Decode(buffer.AsSpan(0, length), exporter, now, records);
            failures += result.Failures;
            decodedRecords += result.Records;
            clean += result.IsClean ? 1 : 0;
            Assert.True(decoder.ExporterCount <= options.MaxExporters);
        }

        var byReason = decoder.Telemetry.RejectsByReason();
        output.WriteLine($"{Inputs} inputs from {seeds.Count} seed datagrams: {clean} decoded cleanly, {decodedRecords} records, {failures} failures");
        foreach (var (reason, count) in byReason.OrderByDescending(kv => kv.Value))
        {
            output.WriteLine($"  {reason}: {count}");
        }

        Assert.Equal(failures, decoder.Telemetry.TotalRejected - rejectedBefore);
        Assert.True(byReason.Count >= 5, "the mutations should reach several rejection reasons");
        Assert.True(clean > 0 && failures > 0);
    }

    private sealed record Seed(NetFlowAddress Exporter, byte[] Payload);

    private List<Seed> Seeds()
    {
        var seeds = new List<Seed>();
        string? folder = NetFlowCaptures.RootOrSkip(output);
        if (folder is not null)
        {
            foreach (string file in Directory.GetFiles(folder, "*.pcap", SearchOption.AllDirectories).Where(f => !f.Contains("sflow", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
            {
                seeds.AddRange(NetFlowCaptures.Read(file).Select(d => new Seed(d.Exporter, d.Payload)));
            }
        }
        else
        {
            output.WriteLine("fuzzing from built datagrams only");
        }

        var exporter = NetFlowAddress.FromIPAddress(NetFlowPackets.Exporter);
        seeds.Add(new Seed(exporter, NetFlowPackets.V5(100_000, 1_700_000_000, 0, 30)));
        seeds.Add(new Seed(exporter, NetFlowPackets.V9Header(1, 1_700_000_000, 1).V9Template(300)
            .Set(300).V9Record("10.0.0.1", "10.0.0.2", 1, 2, 6, 1, 1, 0, 0, 2).V9Record("10.0.0.3", "10.0.0.4", 1, 2, 17, 1, 1, 0, 0, 0).EndSet().ToArray()));
        seeds.Add(new Seed(exporter, NetFlowPackets.IpfixHeader(1_700_000_000, 0)
            .Set(2).U16(400).U16(4).U16(27).U16(16).U16(28).U16(16).U16(0x8000 | 7).U16(0xFFFF).U32(9).U16(82).U16(0xFFFF).EndSet()
            .Set(3).U16(500).U16(2).U16(1).U16(10).U16(4).U16(82).U16(0xFFFF).EndSet()
            .Set(400).Ip("2001:db8::1").Ip("2001:db8::2").U8(1).U8(0).U8(255).U16(3).Bytes("abc"u8).EndSet()
            .Set(500).U32(1).U8(2).Bytes("e0"u8).EndSet()
            .Ipfix()));
        return seeds;
    }

    /// <summary>Copies the seed into the buffer with one mutation; returns the input's length.</summary>
    private static int Mutate(byte[] seed, byte[] buffer, Random random)
    {
        seed.CopyTo(buffer, 0);
        int length = seed.Length;
        switch (random.Next(8))
        {
            case 0: // truncated anywhere
                return random.Next(length + 1);
            case 1: // a few random bytes changed
                for (int n = random.Next(1, 9); n > 0 && length > 0; n--)
                {
                    buffer[random.Next(length)] = (byte)random.Next(256);
                }

                return length;
            case 2: // a 16-bit field (lengths, counts, ids) set to an edge value
            {
                if (length < 2)
                {
                    return length;
                }

                int[] edges = [0, 1, 2, 3, 4, 255, 256, 0x7FFF, 0x8000, 0xFFFE, 0xFFFF, length, length + 1];
                BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(random.Next(length - 1)), (ushort)edges[random.Next(edges.Length)]);
                return length;
            }

            case 3: // the header's version kept, everything after it random
            {
                int size = random.Next(2, 1500);
                random.NextBytes(buffer.AsSpan(2, size - 2));
                if (random.Next(2) == 0 && size >= 4)
                {
                    BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(2), (ushort)size);
                }

                return size;
            }

            case 4: // fully random
            {
                int size = random.Next(0, 2000);
                random.NextBytes(buffer.AsSpan(0, size));
                return size;
            }

            case 5: // the tail repeated (more records, or sets cut in half)
            {
                int cut = random.Next(length + 1);
                int extra = Math.Min(length - cut, buffer.Length - length);
                Array.Copy(seed, cut, buffer, length, extra);
                return length + extra;
            }

            case 6: // bit flips in the first 64 bytes (headers, set headers, template field specifiers)
                for (int n = random.Next(1, 4); n > 0 && length > 0; n--)
                {
                    buffer[random.Next(Math.Min(length, 64))] ^= (byte)(1 << random.Next(8));
                }

                return length;
            default: // unchanged: keeps templates fresh and the sequence moving
                return length;
        }
    }
}
