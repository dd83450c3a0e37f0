using NetSecStream.Core.Events;
using NetSecStream.Core.Telemetry;
using NetSecStream.Core.Wire;
using NetSecStream.Pipeline;
using NetSecStream.Pipeline.Decide;
using NetSecStream.Pipeline.Detectors.Intel;
using NetSecStream.Pipeline.Enrichment;
using NetSecStream.Testing;
using Xunit.Abstractions;

namespace NetSecStream.Kafka.Tests;

/// <summary>
/// One <c>netsec process</c> member as the product wires it: Kafka source → flow_wire decoder (ECS JSON and binary) → Community ID → intel
/// detector (the shipped lists) → [recording sink, Kafka alerts sink], bad records → Kafka dead-letter topic.
/// The source is wrapped in a <see cref="TrackingSource"/> so a test can tell exactly which offsets it processed.
/// </summary>
internal sealed class Processor : IAsyncDisposable
{
    /// <summary>How long a processor may take to drain, commit and leave the group once told to stop.</summary>
    public static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);

    private readonly CancellationTokenSource _stop = new();
    private readonly NetSecMetrics _metrics = new();
    private readonly KafkaAlertSink _alertSink;
    private readonly KafkaDeadLetterSink _deadLetters;
    private readonly IntelDetector _intel;
    private Task? _run;

    public Processor(string name, KafkaOptions options, PipelineOptions pipelineOptions, ITestOutputHelper? log = null)
    {
        Name = name;
        Source = new KafkaRecordSource(options, _metrics, log is null ? null : new TestOutputLogger<KafkaRecordSource>(log, name));
        Tracking = new TrackingSource(Source);
        _alertSink = new KafkaAlertSink(options, _metrics);
        _deadLetters = new KafkaDeadLetterSink(options, _metrics);
        _intel = new IntelDetector(new IntelOptions { Paths = [Path.Combine(TestData.RepoRoot, "deploy", "intel")] }, _metrics);
        Pipeline = new FlowPipeline(
            pipelineOptions,
            new PipelineComponents(Tracking, new FlowWireDecoder(), [new CommunityIdEnricher()], [_intel], [Recorded, _alertSink], _deadLetters),
            new ModeResolver(new ModeOptions()),
            _metrics);
    }

    public string Name { get; }

    public KafkaRecordSource Source { get; }

    public TrackingSource Tracking { get; }

    public RecordingSink Recorded { get; } = new();

    public FlowPipeline Pipeline { get; }

    /// <summary>Records taken but not matched by a commit when the pipeline completed (see <see cref="TrackingSource.PipelineCompleted"/>).</summary>
    public int UnmatchedAtCompletion { get; private set; }

    public IReadOnlyList<Alert> Alerts => [.. Recorded.Alerts];

    public void Start()
    {
        if (_run is not null)
        {
            throw new InvalidOperationException(Name + " started twice");
        }

        _run = Task.Run(() => Pipeline.RunAsync(_stop.Token));
    }

    /// <summary>Stops reading, drains, commits and leaves the group; fails the test if that takes longer than <see cref="StopTimeout"/>.</summary>
    public async Task StopAsync()
    {
        var run = _run ?? throw new InvalidOperationException(Name + " was not started");
        await _stop.CancelAsync();
        try
        {
            await run.WaitAsync(StopTimeout);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"{Name} did not drain, commit and stop within {StopTimeout.TotalSeconds} s of its stop token firing");
        }

        UnmatchedAtCompletion = Tracking.PipelineCompleted();
    }

    /// <summary>
    /// A crash: the consumer stops at once without committing or leaving the group (<see cref="KafkaRecordSource.Abort"/>),
    /// and the pipeline is abandoned. Returns what the processor had confirmed (every sink accepted) at that moment.
    /// </summary>
    public IReadOnlyList<(string Origin, long Position)> Crash()
    {
        Source.Abort();
        var confirmed = Tracking.Confirmed();
        _stop.Cancel();
        return confirmed;
    }

    public async ValueTask DisposeAsync()
    {
        if (_run is { IsCompleted: false } run)
        {
            await _stop.CancelAsync();
            try
            {
                await run.WaitAsync(StopTimeout);
            }
#pragma warning disable CA1031 // Clean-up after a test that already failed or crashed this processor: its outcome is not the test's.
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        }
        else if (_run is { } finished)
        {
            // Observe the outcome so an abandoned pipeline's exception is not left unobserved.
            _ = finished.Exception;
        }

        Source.Dispose();
        _alertSink.Dispose();
        _deadLetters.Dispose();
        _intel.Dispose();
        _metrics.Dispose();
        _stop.Dispose();
    }
}
