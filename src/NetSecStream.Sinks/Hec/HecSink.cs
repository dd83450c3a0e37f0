using System.Buffers;
using System.IO.Compression;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NetSecStream.Core.Components;
using NetSecStream.Core.Ecs;
using NetSecStream.Core.Events;
using NetSecStream.Core.Telemetry;
using NetSecStream.Sinks.Siem;

namespace NetSecStream.Sinks.Hec;

/// <summary>
/// The <c>hec</c> sink: alerts to Splunk's HTTP Event Collector (<c>POST /services/collector/event</c>), a batch as
/// concatenated JSON events (<c>time</c>, <c>host</c>, <c>source</c>, <c>sourcetype</c>, optional <c>index</c>, and the
/// ECS alert as <c>event</c>), gzip-compressed. A write returns once the collector answered 2xx for every request of the
/// batch; 429, 5xx and network errors are retried with backoff, other 4xx (a bad token, a disabled index) fail at once
/// with the collector's answer. Indexer acknowledgements are not used: a 2xx is taken as accepted. A retried request
/// may be indexed twice if the collector accepted it but its answer was lost.
/// </summary>
public sealed class HecSink : IAlertSink, IDisposable
{
    public const string ComponentId = "hec";

    private readonly HecSinkOptions _options;
    private readonly NetSecMetrics _metrics;
    private readonly ILogger _logger;
    private readonly HttpDelivery _delivery;
    private volatile bool _stopped;
    private readonly string _host;
    private readonly string _authorization;

    public HecSink(HecSinkOptions options, NetSecMetrics metrics, ILogger<HecSink>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(metrics);
        var validation = new HecSinkOptionsValidator().Validate(null, options);
        if (validation.Failed)
        {
            throw new ArgumentException(validation.FailureMessage, nameof(options));
        }

        _options = options;
        _metrics = metrics;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        Endpoint = EventEndpoint(new Uri(options.Url));
        _host = string.IsNullOrEmpty(options.Host) ? Environment.MachineName : options.Host;
        _authorization = options.Token;
        _delivery = new HttpDelivery(ComponentId, options.Timeout, options.CaFile,
            new HttpRetryPolicy(options.InitialBackoff, options.MaxBackoff, options.RetryTimeout), metrics, _logger);
    }

    public string Id => ComponentId;

    public ComponentKind Kind => ComponentKind.Sink;

    /// <summary>Every accepted write has been answered already; after this, writes throw.</summary>
    public Task StopAsync(CancellationToken cancellationToken)
    {
        _stopped = true;
        return Task.CompletedTask;
    }

    /// <summary>Where events are posted.</summary>
    public Uri Endpoint { get; }

    public static Uri EventEndpoint(Uri baseUrl)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        return baseUrl.AbsolutePath.Contains("/services/collector", StringComparison.Ordinal)
            ? baseUrl
            : new Uri(baseUrl, baseUrl.AbsolutePath.TrimEnd('/') + "/services/collector/event");
    }

    public async ValueTask WriteAsync(IReadOnlyList<Alert> alerts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alerts);
        if (alerts.Count == 0)
        {
            return;
        }

        ObjectDisposedException.ThrowIf(_stopped, this);
        _metrics.EventsIn(ComponentId, alerts.Count);
        var body = new ArrayBufferWriter<byte>(64 * 1024);
        var one = new ArrayBufferWriter<byte>(4096);
        using var writer = new Utf8JsonWriter(one, EcsJson.WriterOptions);
        int inBody = 0;
        int sent = 0;
        foreach (var alert in alerts)
        {
            one.ResetWrittenCount();
            writer.Reset(one);
            try
            {
                WriteEvent(writer, alert);
                writer.Flush();
            }
#pragma warning disable CA1031 // One alert that cannot be serialised must not block the stream forever.
            catch (Exception ex) when (ex is not OutOfMemoryException)
#pragma warning restore CA1031
            {
                _metrics.EventRejected(ComponentId, "unserialisable");
                SiemSinkLog.AlertUnformattable(_logger, ex, ComponentId, alert?.Id ?? "null");
                continue;
            }

            if (inBody > 0 && body.WrittenCount + one.WrittenCount + 1 > _options.MaxRequestBytes)
            {
                await PostAsync(body.WrittenMemory, cancellationToken);
                sent += inBody;
                body.ResetWrittenCount();
                inBody = 0;
            }

            body.Write(one.WrittenSpan);
            body.Write("\n"u8);
            inBody++;
        }

        if (inBody > 0)
        {
            await PostAsync(body.WrittenMemory, cancellationToken);
            sent += inBody;
        }

        _metrics.EventsOut(ComponentId, sent);
    }

    public void Dispose() => _delivery.Dispose();

    private void WriteEvent(Utf8JsonWriter writer, Alert alert)
    {
        writer.WriteStartObject();
        writer.WriteNumber("time", alert.Timestamp.ToUnixTimeMilliseconds() / 1000m);
        writer.WriteString("host", _host);
        writer.WriteString("source", _options.Source);
        writer.WriteString("sourcetype", _options.SourceType);
        if (!string.IsNullOrEmpty(_options.Index))
        {
            writer.WriteString("index", _options.Index);
        }

        writer.WritePropertyName("event");
        EcsJson.WriteAlert(writer, alert);
        writer.WriteEndObject();
    }

    private Task PostAsync(ReadOnlyMemory<byte> json, CancellationToken cancellationToken)
    {
        byte[] payload = _options.Gzip ? Compress(json.Span) : json.ToArray();
        return _delivery.SendAsync(Endpoint, () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, Endpoint) { Content = new ByteArrayContent(payload) };
            request.Headers.Authorization = new AuthenticationHeaderValue("Splunk", _authorization);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            if (_options.Gzip)
            {
                request.Content.Headers.ContentEncoding.Add("gzip");
            }

            return request;
        }, cancellationToken);
    }

    private static byte[] Compress(ReadOnlySpan<byte> data)
    {
        using var output = new MemoryStream(data.Length / 4 + 64);
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }
}
