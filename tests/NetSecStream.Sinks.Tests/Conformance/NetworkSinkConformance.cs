using System.Text;
using NetSecStream.Core.Components;
using NetSecStream.Core.Telemetry;
using NetSecStream.Sinks.Elasticsearch;
using NetSecStream.Sinks.Hec;
using NetSecStream.Sinks.Syslog;
using NetSecStream.Sinks.Tests.Siem;
using NetSecStream.Sinks.Webhook;
using NetSecStream.Testing;
using NetSecStream.Testing.Elasticsearch;

namespace NetSecStream.Sinks.Tests.Conformance;

// The HTTP sinks (HEC, webhook, Elasticsearch) under the same conformance suite as every other sink, against in-process
// receivers that the outage test turns to 503 and back. The syslog sink is not in the suite yet: against syslog-ng its hostile-alert case
// (a 2 MiB alert over TCP) now and then did not return within 30 s, which is still to be found; SyslogSinkTests cover it
// against syslog-ng otherwise (escaping of hostile values, restart without loss).

/// <summary>An HTTP sink against the in-process receiver; the outage test makes it answer 503 until it comes back.</summary>
public abstract class HttpReceiverSinkConformanceTests : SinkConformanceTests, IAsyncLifetime
{
    private volatile bool _down;

    protected NetSecMetrics Metrics { get; } = new();

    private protected FakeHttpReceiver Receiver { get; private set; } = null!;

    protected override bool CanStopDestination => true;

    /// <summary>What the receiver answers when it accepts a request.</summary>
    protected abstract string AcceptedAnswer { get; }

    public async Task InitializeAsync()
    {
        Receiver = await FakeHttpReceiver.StartAsync();
        Receiver.Check = _ => _down ? (503, "{\"text\":\"Server is busy\",\"code\":9}") : (200, AcceptedAnswer);
    }

    public async Task DisposeAsync() => await Receiver.DisposeAsync();

    protected override Task StopDestinationAsync()
    {
        _down = true;
        return Task.CompletedTask;
    }

    protected override Task StartDestinationAsync()
    {
        _down = false;
        return Task.CompletedTask;
    }

    protected override Task<IReadOnlyList<string>> ReadDeliveredAsync() =>
        Task.FromResult<IReadOnlyList<string>>([.. Receiver.Accepted.Select(r => Encoding.UTF8.GetString(r.Body))]);

    protected override void Dispose(bool disposing)
    {
        Metrics.Dispose();
        base.Dispose(disposing);
    }
}

/// <summary>The <c>hec</c> sink (Splunk HTTP Event Collector).</summary>
public sealed class HecSinkConformanceTests : HttpReceiverSinkConformanceTests
{
    protected override string AcceptedAnswer => "{\"text\":\"Success\",\"code\":0}";

    protected override IAlertSink CreateSink() => new HecSink(new HecSinkOptions
    {
        Url = Receiver.BaseAddress.ToString(),
        Token = "conformance-token",
        InitialBackoff = TimeSpan.FromMilliseconds(20),
        MaxBackoff = TimeSpan.FromMilliseconds(100),
        RetryTimeout = TimeSpan.FromSeconds(2),
    }, Metrics);
}

/// <summary>The <c>webhook</c> sink (signed JSON POST).</summary>
public sealed class WebhookSinkConformanceTests : HttpReceiverSinkConformanceTests
{
    protected override string AcceptedAnswer => "ok";

    protected override IAlertSink CreateSink() => new WebhookSink(new WebhookSinkOptions
    {
        Url = new Uri(Receiver.BaseAddress, "/hooks/netsec").ToString(),
        Secret = "conformance-secret",
        InitialBackoff = TimeSpan.FromMilliseconds(20),
        MaxBackoff = TimeSpan.FromMilliseconds(100),
        RetryTimeout = TimeSpan.FromSeconds(2),
    }, Metrics);
}

/// <summary>The <c>elasticsearch</c> sink against the in-process Elasticsearch; the outage test makes it answer 503.</summary>
public sealed class ElasticsearchSinkConformanceTests : SinkConformanceTests, IAsyncLifetime
{
    private readonly NetSecMetrics _metrics = new();
    private FakeElasticsearch _server = null!;

    protected override bool CanStopDestination => true;

    public async Task InitializeAsync() => _server = await FakeElasticsearch.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    protected override Task StopDestinationAsync()
    {
        _server.Faults.OutageUntil = DateTimeOffset.MaxValue;
        return Task.CompletedTask;
    }

    protected override Task StartDestinationAsync()
    {
        _server.Faults.OutageUntil = DateTimeOffset.MinValue;
        return Task.CompletedTask;
    }

    protected override IAlertSink CreateSink() => new ElasticsearchSink(new ElasticsearchSinkOptions
    {
        Url = _server.Url,
        InitialBackoff = TimeSpan.FromMilliseconds(20),
        MaxBackoff = TimeSpan.FromMilliseconds(200),
    }, _metrics);

    protected override Task<IReadOnlyList<string>> ReadDeliveredAsync() =>
        Task.FromResult<IReadOnlyList<string>>([.. _server.AllDocuments().Select(d => Encoding.UTF8.GetString(d.Source))]);

    protected override void Dispose(bool disposing)
    {
        _metrics.Dispose();
        base.Dispose(disposing);
    }
}

/// <summary>
/// The <c>syslog</c> sink (CEF over TCP, octet counting) against a real syslog-ng (installed by test.sh). Its outage case
/// is SyslogSinkTests' restart test (the daemon needs a pause between stop and start that this suite does not give).
/// </summary>
public sealed class SyslogSinkConformanceTests : SinkConformanceTests
{
    private readonly NetSecMetrics _metrics = new();
    private readonly SyslogNg _daemon;

    public SyslogSinkConformanceTests()
    {
        _daemon = new SyslogNg("syslog", "tcp");
        _daemon.Start();
    }

    protected override TimeSpan DeliveryTimeout => TimeSpan.FromSeconds(30);

    protected override IAlertSink CreateSink() => new SyslogSink(new SyslogSinkOptions
    {
        Host = "127.0.0.1",
        Port = _daemon.Port,
        Transport = SyslogTransport.Tcp,
        Hostname = "node-a",
        InitialBackoff = TimeSpan.FromMilliseconds(50),
        MaxBackoff = TimeSpan.FromMilliseconds(200),
        RetryTimeout = TimeSpan.FromSeconds(5),
    }, _metrics);

    protected override Task<IReadOnlyList<string>> ReadDeliveredAsync() => Task.FromResult<IReadOnlyList<string>>(_daemon.Lines());

    protected override void Dispose(bool disposing)
    {
        _daemon.Dispose();
        _metrics.Dispose();
        base.Dispose(disposing);
    }
}
