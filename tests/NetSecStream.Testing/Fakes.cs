using System.Collections.Concurrent;
using System.Net;
using NetSecStream.Core.Components;
using NetSecStream.Core.Events;

namespace NetSecStream.Testing;

/// <summary>A sink that keeps everything in memory and can be told to fail its next writes.</summary>
public sealed class RecordingSink(string id = "recording") : IAlertSink
{
    private int _failuresLeft;

    public string Id { get; } = id;

    public ComponentKind Kind => ComponentKind.Sink;

    public ConcurrentQueue<Alert> Alerts { get; } = new();

    public ConcurrentQueue<FlowEvent> Flows { get; } = new();

    private int _attempts;

    public int Attempts => Volatile.Read(ref _attempts);

    /// <summary>Write attempts per batch, keyed by the id of the batch's first alert.</summary>
    public ConcurrentDictionary<string, int> AttemptsByBatch { get; } = new(StringComparer.Ordinal);

    public bool Started { get; private set; }

    public bool Stopped { get; private set; }

    /// <summary>The next <paramref name="count"/> writes throw (a sink outage).</summary>
    public void FailNext(int count) => Interlocked.Exchange(ref _failuresLeft, count);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        Started = true;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Stopped = true;
        return Task.CompletedTask;
    }

    public ValueTask WriteAsync(IReadOnlyList<Alert> alerts, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _attempts);
        if (alerts.Count > 0)
        {
            AttemptsByBatch.AddOrUpdate(alerts[0].Id, 1, (_, n) => n + 1);
        }

        if (Interlocked.Decrement(ref _failuresLeft) >= 0)
        {
            throw new IOException("injected sink failure");
        }

        foreach (var alert in alerts)
        {
            Alerts.Enqueue(alert);
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask WriteFlowsAsync(IReadOnlyList<FlowEvent> flows, CancellationToken cancellationToken)
    {
        foreach (var flow in flows)
        {
            Flows.Enqueue(flow);
        }

        return ValueTask.CompletedTask;
    }
}

public sealed class MemoryDeadLetterSink : IDeadLetterSink
{
    public ConcurrentQueue<DeadLetter> Items { get; } = new();

    public ValueTask WriteAsync(DeadLetter deadLetter, CancellationToken cancellationToken)
    {
        Items.Enqueue(deadLetter);
        return ValueTask.CompletedTask;
    }
}

/// <summary>Builds flow events for tests.</summary>
public static class Flows
{
    public static FlowEvent Tcp(string source, ushort sourcePort, string destination, ushort destinationPort,
        string? sourceNamespace = null, string? destinationNamespace = null, DateTimeOffset? time = null,
        TrafficDirection direction = TrafficDirection.Egress, string? dnsQuery = null, string? httpHost = null, string? workload = null) =>
        new()
        {
            Timestamp = time ?? new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero),
            Source = new FlowEndpoint { Ip = IPAddress.Parse(source), Port = sourcePort, Namespace = sourceNamespace, Workload = workload },
            Destination = new FlowEndpoint { Ip = IPAddress.Parse(destination), Port = destinationPort, Namespace = destinationNamespace },
            IpProtocol = 6,
            Direction = direction,
            Verdict = DataplaneVerdict.Forwarded,
            Dns = dnsQuery is null ? null : new DnsFacts { Query = dnsQuery },
            Http = httpHost is null ? null : new HttpFacts { Host = httpHost, Method = "GET", Uri = "/" },
            CollectorId = "test",
        };
}
