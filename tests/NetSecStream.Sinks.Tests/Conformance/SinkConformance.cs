using NetSecStream.Core.Components;
using NetSecStream.Core.Telemetry;
using NetSecStream.Sinks.Delivery;
using NetSecStream.Sinks.Eve;
using NetSecStream.Sinks.Files;
using NetSecStream.Sinks.Tests.Files;
using NetSecStream.Testing;

namespace NetSecStream.Sinks.Tests.Conformance;

// One subclass per sink runs the whole conformance suite (NetSecStream.Testing.SinkConformanceTests) against it.

/// <summary>The <c>file</c> sink; its destination (a local folder) cannot be taken away from a root test process, so no outage test.</summary>
public sealed class FileSinkConformanceTests : SinkConformanceTests
{
    private readonly TempDirectory _dir = new();
    private readonly NetSecMetrics _metrics = new();

    protected override IAlertSink CreateSink() => new FileSink(new FileSinkOptions { Directory = _dir.Path }, _metrics);

    protected override Task<IReadOnlyList<string>> ReadDeliveredAsync() =>
        Task.FromResult<IReadOnlyList<string>>([.. _dir.Files("alerts-*.ndjson").SelectMany(File.ReadLines)]);

    protected override void Dispose(bool disposing)
    {
        _metrics.Dispose();
        _dir.Dispose();
        base.Dispose(disposing);
    }
}

/// <summary>The <c>eve</c> sink (Suricata EVE JSON files).</summary>
public sealed class EveFileSinkConformanceTests : SinkConformanceTests
{
    private readonly TempDirectory _dir = new();
    private readonly NetSecMetrics _metrics = new();

    protected override IAlertSink CreateSink() => new EveFileSink(new EveFileSinkOptions { Directory = _dir.Path }, _metrics);

    protected override Task<IReadOnlyList<string>> ReadDeliveredAsync() =>
        Task.FromResult<IReadOnlyList<string>>([.. _dir.Files("eve-*.json").SelectMany(File.ReadLines)]);

    protected override void Dispose(bool disposing)
    {
        _metrics.Dispose();
        _dir.Dispose();
        base.Dispose(disposing);
    }
}

/// <summary><see cref="BufferedSink"/> around an in-memory destination that the outage test takes down and brings back.</summary>
public sealed class BufferedSinkConformanceTests : SinkConformanceTests
{
    private readonly TempDirectory _dir = new();
    private readonly NetSecMetrics _metrics = new();
    private readonly FlakySink _destination = new();

    protected override bool CanStopDestination => true;

    protected override IAlertSink CreateSink() => new BufferedSink(_destination, new DeliveryOptions
    {
        SpillDirectory = _dir.Path,
        Attempts = 2,
        InitialBackoff = TimeSpan.FromMilliseconds(1),
        MaxBackoff = TimeSpan.FromMilliseconds(50),
    }, "flaky", _metrics);

    protected override Task StopDestinationAsync()
    {
        _destination.Down = true;
        return Task.CompletedTask;
    }

    protected override Task StartDestinationAsync()
    {
        _destination.Down = false;
        return Task.CompletedTask;
    }

    protected override Task<IReadOnlyList<string>> ReadDeliveredAsync() =>
        Task.FromResult<IReadOnlyList<string>>([.. _destination.Alerts.Select(a => a.Id)]);

    protected override void Dispose(bool disposing)
    {
        _metrics.Dispose();
        _dir.Dispose();
        base.Dispose(disposing);
    }
}
