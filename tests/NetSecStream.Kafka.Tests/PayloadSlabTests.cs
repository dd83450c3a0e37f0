using System.Text;
using Confluent.Kafka;
using NetSecStream.Core.Components;
using NetSecStream.Core.Telemetry;

namespace NetSecStream.Kafka.Tests;

/// <summary>
/// Message payloads copied into pooled slabs: each record keeps its own bytes while its batch is held, however many
/// other batches are released and their slabs reused, and released slabs are reused instead of allocated.
/// </summary>
public sealed class PayloadSlabTests
{
    private static readonly SerializationContext Context = new(MessageComponentType.Value, "t");

    [Fact]
    public void HeldBatches_KeepTheirBytes_WhileReleasedSlabsAreReused()
    {
        // Arrange: small slabs, so every batch spans several and reuse starts at once.
        var pool = new PayloadSlabPool(slabBytes: 4096, maxPooled: 64);
        var random = new Random(42);
        var held = new List<(SlabBatch Batch, List<byte[]> Expected)>();

        // Act: 2,000 batches of 1-40 payloads of 1-1,024 bytes; every third batch is kept, the others released at once.
        for (int b = 0; b < 2000; b++)
        {
            var batch = new SlabBatch(pool, 40);
            var expected = new List<byte[]>();
            int count = random.Next(1, 41);
            for (int i = 0; i < count; i++)
            {
                var bytes = new byte[random.Next(1, 1025)];
                random.NextBytes(bytes);
                expected.Add(bytes);
                batch.Add(new RawRecord(pool.Deserialize(bytes, isNull: false, Context), "t/0", i));
            }

            pool.Seal(batch);
            if (b % 3 == 0)
            {
                held.Add((batch, expected));
            }
            else
            {
                batch.ReleasePayloads();
            }

            // Assert: every held batch still reads exactly what was consumed into it.
            if (b % 97 == 0)
            {
                AssertIntact(held);
            }
        }

        AssertIntact(held);
        long allocatedWhileHolding = Interlocked.Read(ref pool.Allocated);
        foreach (var (batch, _) in held)
        {
            batch.ReleasePayloads();
            batch.ReleasePayloads();
        }

        // Assert: after everything is released, new batches take slabs from the pool.
        for (int b = 0; b < 200; b++)
        {
            var batch = new SlabBatch(pool, 8);
            for (int i = 0; i < 8; i++)
            {
                batch.Add(new RawRecord(pool.Deserialize(new byte[500], isNull: false, Context), "t/0", i));
            }

            pool.Seal(batch);
            batch.ReleasePayloads();
        }

        Assert.Equal(allocatedWhileHolding, Interlocked.Read(ref pool.Allocated));
    }

    [Fact]
    public void LargeAndEmptyPayloads_AreNotPooled()
    {
        var pool = new PayloadSlabPool(slabBytes: 4096, maxPooled: 4);
        var large = Enumerable.Range(0, 2000).Select(i => (byte)i).ToArray();

        var copy = pool.Deserialize(large, isNull: false, Context);
        var none = pool.Deserialize(ReadOnlySpan<byte>.Empty, isNull: true, Context);

        Assert.True(copy.Span.SequenceEqual(large));
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(copy, out var segment));
        Assert.Equal(large.Length, segment.Array!.Length);
        Assert.True(none.IsEmpty);
        Assert.Equal(0, Interlocked.Read(ref pool.Allocated));
    }

    [Fact]
    public void Filter_HandsTheSlabReferencesToTheKeptRecords()
    {
        var pool = new PayloadSlabPool(slabBytes: 1024, maxPooled: 8);
        var batch = new SlabBatch(pool, 4);
        for (int i = 0; i < 4; i++)
        {
            batch.Add(new RawRecord(pool.Deserialize(Encoding.ASCII.GetBytes("payload-" + i), isNull: false, Context), "t/" + (i % 2), i));
        }

        pool.Seal(batch);

        var kept = batch.Filter(r => r.Origin == "t/1");
        batch.ReleasePayloads();

        // The original batch no longer holds the slab: its release left the kept records' bytes alone.
        var other = new SlabBatch(pool, 1);
        other.Add(new RawRecord(pool.Deserialize(Encoding.ASCII.GetBytes("overwrite?"), isNull: false, Context), "t/0", 9));
        pool.Seal(other);
        Assert.Equal(["payload-1", "payload-3"], kept.Select(r => Encoding.ASCII.GetString(r.Payload.Span)));
        kept.ReleasePayloads();
        other.ReleasePayloads();
    }

    [Fact]
    public async Task ConsumedRecords_ReadBackExactly_WhenThePipelineReleasesEachBatch()
    {
        // Arrange: 3,000 messages of varied sizes (some above a quarter slab) on a real mock cluster.
        using var cluster = new MockKafkaCluster();
        const string Topic = "slab-roundtrip";
        var random = new Random(7);
        var sent = Enumerable.Range(0, 3000).Select(i =>
        {
            var value = new byte[i % 50 == 0 ? 20_000 + i : random.Next(1, 2000)];
            random.NextBytes(value);
            BitConverter.TryWriteBytes(value.AsSpan(0, Math.Min(4, value.Length)), i);
            return value;
        }).ToList();
        cluster.Produce(Topic, sent.Select((v, i) => (Encoding.UTF8.GetBytes("k" + i), v)));
        var options = new KafkaOptions
        {
            BootstrapServers = cluster.BootstrapServers,
            FlowsTopic = Topic,
            GroupId = "slab-roundtrip-group",
            // The consumer runs at most 256 records (about 4 slabs) ahead of the reader.
            ConsumerBufferRecords = 256,
            Properties = { ["session.timeout.ms"] = "6000", ["heartbeat.interval.ms"] = "500" },
        };
        using var metrics = new NetSecMetrics();
        using var source = new KafkaRecordSource(options, metrics);
        await source.StartAsync(CancellationToken.None);
        using var read = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var received = new HashSet<string>(StringComparer.Ordinal);
        var sentSet = sent.Select(Convert.ToBase64String).ToHashSet(StringComparer.Ordinal);

        // Act: read each batch, check and release it, as the pipeline's decode stage does.
        int seen = 0;
        await foreach (var batch in source.ReadBatchesAsync(128, TimeSpan.FromMilliseconds(2), read.Token))
        {
            foreach (var record in batch)
            {
                received.Add(Convert.ToBase64String(record.Payload.Span));
            }

            seen += batch.Count;
            ((IPayloadBatch)batch).ReleasePayloads();
            if (seen >= sent.Count)
            {
                break;
            }
        }

        await source.StopAsync(CancellationToken.None);

        // Assert: every payload arrived intact, and slabs were reused: 3,000 messages of ~1 KB fill ~46 slabs, of which
        // the 256 records the consumer may run ahead (plus the ones librdkafka hands over in a burst) hold a few.
        Assert.Equal(sent.Count, seen);
        Assert.True(sentSet.SetEquals(received), $"{sentSet.Except(received).Count()} payloads differ");
        Assert.InRange(source.PayloadSlabsAllocated, 1, 20);
    }

    private static void AssertIntact(List<(SlabBatch Batch, List<byte[]> Expected)> held)
    {
        foreach (var (batch, expected) in held)
        {
            for (int i = 0; i < expected.Count; i++)
            {
                Assert.True(batch[i].Payload.Span.SequenceEqual(expected[i]), "a held payload changed");
            }
        }
    }
}
