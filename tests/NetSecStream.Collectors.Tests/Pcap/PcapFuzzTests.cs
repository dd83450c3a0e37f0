using NetSecStream.Collectors.Pcap;
using Xunit.Abstractions;

namespace NetSecStream.Collectors.Tests.Pcap;

/// <summary>
/// A million packets derived from the shared captures, truncated, bit-flipped, spliced or replaced by noise, go
/// through the decoder, the flow table, reassembly and the L7 parsers: nothing throws, every packet is counted, and
/// malformed ones are rejected with a reason.
/// </summary>
public sealed class PcapFuzzTests(ITestOutputHelper output)
{
    private const int Iterations = 1_000_000;
    private const int Seed = 20261127;

    [Fact]
    public void MutatedPackets_NeverThrow_AndRejectionsAreCountedByReason()
    {
        var corpus = LoadCorpus();
        Assert.True(corpus.Count > 1000, $"{corpus.Count} packets in the corpus");
        var random = new Random(Seed);
        var table = new FlowTable(
            new PcapOptions { File = "fuzz", MaxFlows = 200, IdleTimeout = TimeSpan.FromMinutes(10), MaxReassemblyBytesPerDirection = 16 * 1024, MaxOutOfOrderSegments = 4 },
            "fuzz");
        var buffer = new byte[70_000];
        long ticks = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero).UtcTicks;
        long events = 0;
        for (int i = 0; i < Iterations; i++)
        {
            var (linkType, original) = corpus[random.Next(corpus.Count)];
            int length = Mutate(random, original, buffer, corpus);
            ticks += random.Next(100) == 0 ? TimeSpan.TicksPerMinute : random.Next(10_000);
            if (random.Next(200) == 0)
            {
                linkType = random.Next(300);
            }

            table.Process(linkType, ticks, buffer.AsSpan(0, length), i + 1);
            events += table.Output.Count;
            table.Output.Clear();
        }

        table.FlushAll(Iterations);
        events += table.Output.Count;
        var stats = table.Statistics;
        output.WriteLine($"seed {Seed}: {stats.Packets} packets, {stats.FlowsCreated} flows, {events} events, {stats.L7Transactions} L7 transactions, {stats.TcpGaps} gaps, {stats.L7Errors} contained L7 errors, {stats.FlowsEvicted} evicted");
        foreach (var (reason, count) in stats.PacketsByReason.OrderByDescending(kv => kv.Value))
        {
            output.WriteLine($"  {reason}: {count}");
        }

        Assert.Equal(Iterations, stats.Packets);
        Assert.True(stats.PacketsRejected > 0);
        Assert.Contains("truncated_transport_header", stats.PacketsByReason.Keys);
        Assert.Contains("bad_ip_header", stats.PacketsByReason.Keys);
        Assert.Equal(0, stats.L7Errors);
        Assert.True(stats.L7Transactions > 0);
        Assert.Equal(stats.EventsEmitted, events);
        Assert.True(stats.FlowsEvicted > 0, "the small table never filled");
    }

    private static int Mutate(Random random, byte[] original, byte[] buffer, List<(int, byte[])> corpus)
    {
        original.CopyTo(buffer, 0);
        int length = original.Length;
        switch (random.Next(10))
        {
            case 0:
            case 1:
            case 2:
                // Truncated anywhere.
                return random.Next(length + 1);
            case 3:
            case 4:
            case 5:
                {
                    // A few bytes changed, most often in the headers where they matter most.
                    int flips = 1 + random.Next(4);
                    for (int f = 0; f < flips && length > 0; f++)
                    {
                        int at = random.Next(2) == 0 ? random.Next(Math.Min(length, 64)) : random.Next(length);
                        buffer[at] = (byte)random.Next(256);
                    }

                    return length;
                }

            case 6:
                {
                    // Headers of one packet, payload of another.
                    var (_, other) = corpus[random.Next(corpus.Count)];
                    int cut = random.Next(Math.Min(length, 80) + 1);
                    int tail = Math.Min(other.Length, buffer.Length - cut);
                    other.AsSpan(0, tail).CopyTo(buffer.AsSpan(cut));
                    return cut + tail;
                }

            case 7:
                {
                    // Noise after a real link header.
                    int keep = Math.Min(length, 14);
                    int noise = random.Next(1500);
                    random.NextBytes(buffer.AsSpan(keep, noise));
                    return keep + noise;
                }

            default:
                return length;
        }
    }

    private static List<(int LinkType, byte[] Frame)> LoadCorpus()
    {
        var corpus = new List<(int, byte[])>();
        foreach (string file in PcapFiles.All())
        {
            using var stream = File.OpenRead(file);
            var reader = new CaptureFileReader(stream);
            if (!reader.TryReadHeader(out _))
            {
                continue;
            }

            while (reader.ReadNext(out var frame) == CaptureReadStatus.Packet && frame.Length < 65_000)
            {
                corpus.Add((reader.LinkType, frame.ToArray()));
            }
        }

        return corpus;
    }
}
