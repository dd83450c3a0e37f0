using NetSecStream.Core.Components;
using NetSecStream.Core.Telemetry;

namespace NetSecStream.Kafka;

/// <summary>What one <c>netsec collect</c> run did.</summary>
public sealed record CollectSummary(long Read, long Published, long Rejected, long Failed);

/// <summary>
/// The <c>netsec collect</c> loop: records from a collector source are decoded, enriched (Community ID) and published
/// to the flows topic; undecodable records are dead-lettered with their reason and position. When the source ends
/// (or the token fires) it flushes the producer, so every accepted record is acknowledged or dead-lettered.
/// </summary>
public static class KafkaCollector
{
    private const int DeadLetterBatch = 256;

    public static async Task<CollectSummary> RunAsync(
        IRecordSource source,
        IFlowDecoder decoder,
        IReadOnlyList<IFlowEnricher> enrichers,
        KafkaFlowPublisher publisher,
        IDeadLetterSink deadLetters,
        NetSecMetrics metrics,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(decoder);
        ArgumentNullException.ThrowIfNull(enrichers);
        ArgumentNullException.ThrowIfNull(publisher);
        ArgumentNullException.ThrowIfNull(deadLetters);
        ArgumentNullException.ThrowIfNull(metrics);
        long read = 0;
        long rejected = 0;
        var pendingDeadLetters = new List<DeadLetter>();
        try
        {
            await foreach (var record in source.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                read++;
                var result = record.DecodeWith(decoder);
                if (result.Event is not { } flow)
                {
                    rejected++;
                    string reason = result.Error ?? "undecodable record";
                    metrics.DeadLettered("collect", "decode");
                    pendingDeadLetters.Add(new DeadLetter("collect", record.Origin, record.Position, reason, record.Payload, DateTimeOffset.UtcNow));
                    if (pendingDeadLetters.Count >= DeadLetterBatch)
                    {
                        await deadLetters.WriteAsync(pendingDeadLetters, cancellationToken).ConfigureAwait(false);
                        pendingDeadLetters.Clear();
                    }

                    continue;
                }

                foreach (var enricher in enrichers)
                {
                    enricher.Enrich(flow);
                }

                await publisher.PublishAsync(flow, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped: flush below what was already accepted.
        }

        if (pendingDeadLetters.Count > 0)
        {
            await deadLetters.WriteAsync(pendingDeadLetters, CancellationToken.None).ConfigureAwait(false);
        }

        await publisher.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        return new CollectSummary(read, publisher.Delivered, rejected, publisher.Failed);
    }
}
