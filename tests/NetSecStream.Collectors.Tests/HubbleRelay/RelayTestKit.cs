using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using NetSecStream.Core.Components;
using NetSecStream.Core.Telemetry;

namespace NetSecStream.Collectors.Tests.HubbleRelay;

/// <summary>Records what one <see cref="NetSecMetrics"/> counted: instrument, component, reason and value.</summary>
internal sealed class MetricsRecorder : IDisposable
{
    private readonly MeterListener _listener = new();

    public MetricsRecorder(NetSecMetrics metrics)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter == metrics.Meter)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string? component = null;
            string? reason = null;
            foreach (var tag in tags)
            {
                component = tag.Key == "component" ? tag.Value as string : component;
                reason = tag.Key == "reason" ? tag.Value as string : reason;
            }

            Measurements.Enqueue((instrument.Name, component, reason, value));
        });
        _listener.Start();
    }

    public ConcurrentQueue<(string Instrument, string? Component, string? Reason, long Value)> Measurements { get; } = new();

    public long Total(string instrument, string? reason = null) =>
        Measurements.Where(m => m.Instrument == instrument && (reason is null || m.Reason == reason)).Sum(m => m.Value);

    public void Dispose() => _listener.Dispose();
}

internal static class FlowSources
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>Reads until the source ends (or <paramref name="count"/> flows arrived, then stops it), with a timeout.</summary>
    public static async Task<List<SourcedFlow>> ReadAsync(IFlowEventSource source, int? count = null)
    {
        using var stop = new CancellationTokenSource(Timeout);
        var flows = new List<SourcedFlow>();
        await foreach (var flow in source.ReadAsync(stop.Token))
        {
            flows.Add(flow);
            if (flows.Count == count)
            {
                break;
            }
        }

        Assert.False(stop.IsCancellationRequested, $"timed out after {flows.Count} flows");
        return flows;
    }
}
