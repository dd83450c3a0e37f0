using Confluent.Kafka;

namespace NetSecStream.Kafka;

/// <summary>
/// Produces a batch and completes when the broker acknowledged all of it (or throws on the first refusal), so a sink
/// built on it can return "accepted" truthfully. Retrying a failed batch may duplicate messages (at-least-once).
/// </summary>
internal sealed class BatchProducer : IDisposable
{
    private readonly IProducer<byte[], byte[]> _producer;

    public BatchProducer(ProducerConfig config, Action<Error> onError)
    {
        _producer = new ProducerBuilder<byte[], byte[]>(config).SetErrorHandler((_, error) => onError(error)).Build();
    }

    public async Task ProduceAllAsync(string topic, IReadOnlyList<Message<byte[], byte[]>> messages, CancellationToken cancellationToken)
    {
        if (messages.Count == 0)
        {
            return;
        }

        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int remaining = messages.Count;
        void OnDelivery(DeliveryReport<byte[], byte[]> report)
        {
            if (report.Error.IsError)
            {
                done.TrySetException(new ProduceException<byte[], byte[]>(report.Error, report));
            }
            else if (Interlocked.Decrement(ref remaining) == 0)
            {
                done.TrySetResult();
            }
        }

        foreach (var message in messages)
        {
            while (true)
            {
                try
                {
                    _producer.Produce(topic, message, OnDelivery);
                    break;
                }
                catch (ProduceException<byte[], byte[]> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull)
                {
                    await Task.Delay(5, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        await done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public void Flush(TimeSpan timeout) => _producer.Flush(timeout);

    public void Dispose() => _producer.Dispose();
}
