using System.Text.RegularExpressions;
using NetSecStream.Core.Components;
using NetSecStream.Core.Events;
using Xunit;

namespace NetSecStream.Testing;

/// <summary>
/// The conformance suite every sink runs (docs/specs/component.md, "Delivery" and "Bad input"): open/close, batches of
/// 1 and 1,000, hostile alerts, a restart of the sink and, where the test destination can be stopped, an outage of the
/// destination, each without loss. A sink joins with one subclass: how to build it against a test destination and how
/// to read back what the destination holds. Alerts are recognised by a marker (<c>conf-</c> + 32 hex digits) in their
/// id, rule name and explanation, so a sink may write any format that keeps one of them.
/// </summary>
public abstract partial class SinkConformanceTests : IDisposable
{
    private readonly List<IAlertSink> _built = [];

    /// <summary>A new sink writing to this test's destination (the same destination every call).</summary>
    protected abstract IAlertSink CreateSink();

    /// <summary>Every document the destination holds now, as text.</summary>
    protected abstract Task<IReadOnlyList<string>> ReadDeliveredAsync();

    /// <summary>Whether <see cref="StopDestinationAsync"/> and <see cref="StartDestinationAsync"/> can take the destination away.</summary>
    protected virtual bool CanStopDestination => false;

    protected virtual Task StopDestinationAsync() => throw new NotSupportedException("this sink's test destination cannot be stopped");

    protected virtual Task StartDestinationAsync() => throw new NotSupportedException("this sink's test destination cannot be stopped");

    /// <summary>Whether <paramref name="exception"/> is a sink refusing a hostile alert clearly (not a crash).</summary>
    protected virtual bool IsClearRefusal(Exception exception) =>
        exception is ArgumentException or InvalidOperationException or IOException or FormatException or NotSupportedException;

    /// <summary>How long delivered data may take to become readable (replays, broker round trips).</summary>
    protected virtual TimeSpan DeliveryTimeout => TimeSpan.FromSeconds(20);

    [Fact]
    public async Task OpenAndClose_WithoutData()
    {
        var sink = CreateSink();
        Assert.Equal(ComponentKind.Sink, sink.Kind);
        Assert.Matches(LowerSnakeCase(), sink.Id);
        await sink.StartAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        await sink.StopAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(1000)]
    public async Task Batch_IsDelivered_Whole(int size)
    {
        var sink = await StartedSinkAsync();
        var batch = Alerts(size);
        await sink.WriteAsync(batch, CancellationToken.None);
        await sink.StopAsync(CancellationToken.None);
        await AssertDeliveredAsync(batch);
    }

    [Fact]
    public async Task HostileAlerts_AreWrittenOrRefusedClearly_AndTheSinkGoesOn()
    {
        var sink = await StartedSinkAsync();
        foreach (var hostile in HostileAlerts())
        {
            try
            {
                await sink.WriteAsync([hostile], CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
            }
            catch (Exception ex) when (IsClearRefusal(ex))
            {
                // A clear refusal is allowed; a crash, a hang or a silent stop is not.
                Assert.False(string.IsNullOrWhiteSpace(ex.Message));
            }
        }

        var good = Alerts(3);
        await sink.WriteAsync(good, CancellationToken.None);
        await sink.StopAsync(CancellationToken.None);
        await AssertDeliveredAsync(good);
    }

    [Fact]
    public async Task SinkRestart_LosesNothing()
    {
        var first = await StartedSinkAsync();
        var before = Alerts(50);
        await first.WriteAsync(before, CancellationToken.None);
        await first.StopAsync(CancellationToken.None);

        var second = await StartedSinkAsync();
        var after = Alerts(50);
        await second.WriteAsync(after, CancellationToken.None);
        await second.StopAsync(CancellationToken.None);
        await AssertDeliveredAsync([.. before, .. after]);
    }

    [Fact]
    public async Task DestinationOutage_LosesNothing()
    {
        if (!CanStopDestination)
        {
            return;
        }

        var sink = await StartedSinkAsync();
        var before = Alerts(20);
        await sink.WriteAsync(before, CancellationToken.None);
        await StopDestinationAsync();
        var during = Alerts(20);

        // As the pipeline does: a failed write is retried until it is accepted; the destination comes back meanwhile.
        var write = WriteUntilAcceptedAsync(sink, during);
        await Task.Delay(TimeSpan.FromMilliseconds(300));
        await StartDestinationAsync();
        await write.WaitAsync(DeliveryTimeout);
        var after = Alerts(20);
        await WriteUntilAcceptedAsync(sink, after).WaitAsync(DeliveryTimeout);
        await AssertDeliveredAsync([.. before, .. during, .. after]);
        await sink.StopAsync(CancellationToken.None);
    }

    /// <summary>Alerts with unique markers.</summary>
    public static List<Alert> Alerts(int count, DateTimeOffset? time = null)
    {
        var alerts = new List<Alert>(count);
        for (int i = 0; i < count; i++)
        {
            string marker = "conf-" + Guid.NewGuid().ToString("N");
            alerts.Add(new Alert
            {
                Id = marker,
                Timestamp = time ?? DateTimeOffset.UtcNow,
                Detector = DetectorKinds.Intel,
                RuleId = "conformance",
                RuleName = marker,
                Severity = 2,
                RiskScore = 50,
                Explanation = marker,
                DedupeKey = marker,
                Flow = Flows.Tcp("10.0.0.1", (ushort)(1024 + (i % 60000)), "203.0.113.66", 443, "shop"),
            });
        }

        return alerts;
    }

    /// <summary>Huge strings, control characters, invalid UTF-16, NaN and infinite risk scores.</summary>
    public static IEnumerable<Alert> HostileAlerts()
    {
        Alert Make(string text, double risk) => new()
        {
            Id = "hostile-" + Guid.NewGuid().ToString("N"),
            Timestamp = DateTimeOffset.UtcNow,
            Detector = DetectorKinds.Signature,
            RuleId = text.Length > 64 ? "huge" : text,
            RuleName = text,
            Severity = 1,
            RiskScore = risk,
            Explanation = text,
            DedupeKey = "hostile",
            Flow = Flows.Tcp("10.0.0.1", 1, "10.0.0.2", 2, "shop"),
        };

        yield return Make(new string('x', 2 * 1024 * 1024), 50);
        yield return Make("bell\a nul\0 esc\u001b newline\n quote\" backslash\\ \u2028", 50);
        yield return Make("lone surrogate \ud800 end", 50);
        yield return Make("nan", double.NaN);
        yield return Make("infinity", double.PositiveInfinity);
    }

    public void Dispose()
    {
        foreach (var sink in _built)
        {
            try
            {
                sink.StopAsync(CancellationToken.None).Wait(TimeSpan.FromSeconds(10));
            }
            catch (AggregateException)
            {
                // Stopped by the test already, or failing to stop: the test itself reported that.
            }

            (sink as IDisposable)?.Dispose();
        }

        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
    }

    protected async Task<IAlertSink> StartedSinkAsync()
    {
        var sink = CreateSink();
        _built.Add(sink);
        await sink.StartAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        return sink;
    }

    protected async Task AssertDeliveredAsync(IReadOnlyList<Alert> expected)
    {
        var wanted = expected.Select(a => a.Id).ToHashSet(StringComparer.Ordinal);
        var deadline = DateTime.UtcNow + DeliveryTimeout;
        HashSet<string> seen;
        while (true)
        {
            seen = [];
            foreach (string document in await ReadDeliveredAsync())
            {
                foreach (Match match in Marker().Matches(document))
                {
                    seen.Add(match.Value);
                }
            }

            if (wanted.IsSubsetOf(seen) || DateTime.UtcNow > deadline)
            {
                break;
            }

            await Task.Delay(100);
        }

        var missing = wanted.Except(seen).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} of {wanted.Count} alerts never reached the destination (first: {missing.FirstOrDefault()})");
    }

    private static async Task WriteUntilAcceptedAsync(IAlertSink sink, IReadOnlyList<Alert> alerts)
    {
        while (true)
        {
            try
            {
                await sink.WriteAsync(alerts, CancellationToken.None);
                return;
            }
#pragma warning disable CA1031 // Whatever a sink throws while its destination is away, the pipeline retries.
            catch (Exception)
#pragma warning restore CA1031
            {
                await Task.Delay(100);
            }
        }
    }

    [GeneratedRegex("^[a-z][a-z0-9]*(_[a-z0-9]+)*$")]
    private static partial Regex LowerSnakeCase();

    [GeneratedRegex("conf-[0-9a-f]{32}")]
    private static partial Regex Marker();
}
