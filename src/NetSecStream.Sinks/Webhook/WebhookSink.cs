using System.Buffers;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NetSecStream.Core.Components;
using NetSecStream.Core.Ecs;
using NetSecStream.Core.Events;
using NetSecStream.Core.Telemetry;
using NetSecStream.Sinks.Siem;

namespace NetSecStream.Sinks.Webhook;

/// <summary>
/// The <c>webhook</c> sink: alerts as JSON POSTs (an array per batch, an object per alert, or Slack-compatible
/// <c>text</c>), signed with HMAC-SHA256 (<see cref="WebhookSignature"/>). A write returns once every request of the
/// batch was answered 2xx; 429, 408, 5xx and network errors are retried with backoff (each attempt freshly timestamped
/// and signed, with the same <c>X-NetSec-Delivery</c> id), other 4xx fail at once with the receiver's answer.
/// </summary>
public sealed class WebhookSink : IAlertSink, IDisposable
{
    public const string ComponentId = "webhook";

    private readonly WebhookSinkOptions _options;
    private readonly NetSecMetrics _metrics;
    private readonly ILogger _logger;
    private readonly HttpDelivery _delivery;
    private volatile bool _stopped;
    private readonly Uri _url;
    private readonly TimeProvider _time;

    public WebhookSink(WebhookSinkOptions options, NetSecMetrics metrics, ILogger<WebhookSink>? logger = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(metrics);
        var validation = new WebhookSinkOptionsValidator().Validate(null, options);
        if (validation.Failed)
        {
            throw new ArgumentException(validation.FailureMessage, nameof(options));
        }

        _options = options;
        _metrics = metrics;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _time = time ?? TimeProvider.System;
        _url = new Uri(options.Url);
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

    public async ValueTask WriteAsync(IReadOnlyList<Alert> alerts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alerts);
        if (alerts.Count == 0)
        {
            return;
        }

        ObjectDisposedException.ThrowIf(_stopped, this);
        _metrics.EventsIn(ComponentId, alerts.Count);
        var documents = new List<(Alert Alert, byte[] Json)>(alerts.Count);
        foreach (var alert in alerts)
        {
            try
            {
                documents.Add((alert, _options.Mode == WebhookBodyMode.Slack ? Encoding.UTF8.GetBytes(SlackLine(alert)) : EcsJson.SerializeAlert(alert)));
            }
#pragma warning disable CA1031 // One alert that cannot be serialised must not block the stream forever.
            catch (Exception ex) when (ex is not OutOfMemoryException)
#pragma warning restore CA1031
            {
                _metrics.EventRejected(ComponentId, "unserialisable");
                SiemSinkLog.AlertUnformattable(_logger, ex, ComponentId, alert?.Id ?? "null");
            }
        }

        if (documents.Count == 0)
        {
            return;
        }

        switch (_options.Mode)
        {
            case WebhookBodyMode.PerAlert:
                foreach (var (alert, json) in documents)
                {
                    await PostAsync(json, alert.Id, cancellationToken);
                }

                break;
            case WebhookBodyMode.Slack:
                await PostAsync(SlackBody(documents.Select(d => Encoding.UTF8.GetString(d.Json)).ToList()), documents[0].Alert.Id, cancellationToken);
                break;
            default:
                await PostAsync(ArrayBody(documents.Select(d => d.Json)), documents[0].Alert.Id, cancellationToken);
                break;
        }

        _metrics.EventsOut(ComponentId, documents.Count);
    }

    public void Dispose() => _delivery.Dispose();

    /// <summary>One alert as a Slack line: severity, rule, endpoints with namespace/workload, and the explanation.</summary>
    public static string SlackLine(Alert alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        ArgumentNullException.ThrowIfNull(alert.Flow);
        var flow = alert.Flow;
        static string Side(FlowEndpoint e) =>
            string.Create(CultureInfo.InvariantCulture, $"{e.Ip}:{e.Port}") + (e.Namespace is null ? "" : $" ({e.Namespace}/{e.Workload ?? e.Pod ?? "?"})");
        return string.Create(CultureInfo.InvariantCulture,
            $"[sev {alert.Severity}] {alert.RuleName} ({alert.Detector} {alert.RuleId}, {alert.Mode.ToString().ToLowerInvariant()}): {Side(flow.Source)} -> {Side(flow.Destination)}: {alert.Explanation}");
    }

    private byte[] SlackBody(List<string> lines)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"NetSecStream: {lines.Count} alert{(lines.Count == 1 ? "" : "s")}");
        foreach (string line in lines.Take(_options.MaxSlackLines))
        {
            text.Append('\n').Append(line);
        }

        if (lines.Count > _options.MaxSlackLines)
        {
            text.Append(CultureInfo.InvariantCulture, $"\n... and {lines.Count - _options.MaxSlackLines} more");
        }

        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, EcsJson.WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("text", text.ToString());
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static byte[] ArrayBody(IEnumerable<byte[]> documents)
    {
        using var body = new MemoryStream();
        body.WriteByte((byte)'[');
        bool first = true;
        foreach (byte[] json in documents)
        {
            if (!first)
            {
                body.WriteByte((byte)',');
            }

            first = false;
            body.Write(json);
        }

        body.WriteByte((byte)']');
        return body.ToArray();
    }

    private Task PostAsync(byte[] body, string deliveryId, CancellationToken cancellationToken) =>
        _delivery.SendAsync(_url, () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, _url) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Headers.Add(WebhookSignature.DeliveryHeader, deliveryId);
            if (!string.IsNullOrEmpty(_options.Secret))
            {
                long now = _time.GetUtcNow().ToUnixTimeSeconds();
                request.Headers.Add(WebhookSignature.TimestampHeader, now.ToString(CultureInfo.InvariantCulture));
                request.Headers.Add(WebhookSignature.SignatureHeader, WebhookSignature.Sign(_options.Secret, now, body));
            }

            return request;
        }, cancellationToken);
}
