using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using NetSecStream.Cli.Commands.Bench;
using NetSecStream.Core.Ecs;
using NetSecStream.Core.Events;
using NetSecStream.Core.Telemetry;
using NetSecStream.Sinks.Elasticsearch;

namespace NetSecStream.Cli.Commands;

/// <summary>
/// <c>netsec bench --collector elasticsearch</c>: N alerts through the real <c>elasticsearch</c> sink into the in-process
/// Elasticsearch (Kestrel on loopback, the one the tests use), beside a baseline that POSTs the same documents as
/// pre-serialised bulk bodies with a bare HttpClient: the difference is what the sink costs (ECS serialisation, bulk
/// framing, response parsing, its client).
/// </summary>
internal static class ElasticsearchBench
{
    public const int Rounds = 3;

    public sealed record Run(long Alerts, double SinkPerSecond, double SinkGzipPerSecond, double BaselinePerSecond, double Seconds, long BulkRequests, int Stored);

    public static async Task<Run> RunAsync(int count, int batch, CancellationToken cancellationToken)
    {
        var alerts = new List<Alert>(count);
        for (int i = 0; i < count; i++)
        {
            alerts.Add(Alert(i));
        }

        // Warm-up (JIT, connections), then three rounds of the three variants, interleaved, each on a fresh server so
        // every create is new; the best round of each is reported (the machine is shared, so the slow ones measure others).
        await SinkAsync(alerts.GetRange(0, Math.Min(count, 50_000)), batch, compress: false, cancellationToken).ConfigureAwait(false);
        await BaselineAsync(alerts.GetRange(0, Math.Min(count, 50_000)), batch, cancellationToken).ConfigureAwait(false);
        (double Seconds, long Requests, int Stored) plain = (double.MaxValue, 0, 0), gzip = (double.MaxValue, 0, 0);
        double baseline = 0;
        for (int round = 0; round < Rounds; round++)
        {
            var p = await SinkAsync(alerts, batch, compress: false, cancellationToken).ConfigureAwait(false);
            var g = await SinkAsync(alerts, batch, compress: true, cancellationToken).ConfigureAwait(false);
            double b = await BaselineAsync(alerts, batch, cancellationToken).ConfigureAwait(false);
            plain = p.Seconds < plain.Seconds ? p : plain;
            gzip = g.Seconds < gzip.Seconds ? g : gzip;
            baseline = Math.Max(baseline, b);
            if (p.Stored != count || g.Stored != count)
            {
                plain = p.Stored != count ? p : g;
                break;
            }
        }

        return new Run(count, count / plain.Seconds, count / gzip.Seconds, baseline, plain.Seconds, plain.Requests, plain.Stored);
    }

    private static async Task<(double Seconds, long Requests, int Stored)> SinkAsync(List<Alert> alerts, int batch, bool compress, CancellationToken cancellationToken)
    {
        await using var server = await FakeElasticsearch.StartAsync().ConfigureAwait(false);
        server.RequireTimestamp = false;
        using var metrics = new NetSecMetrics();
        await using var sink = new ElasticsearchSink(new ElasticsearchSinkOptions
        {
            Url = server.Url,
            MaxBatchDocuments = batch,
            FlushInterval = TimeSpan.Zero,
            CompressRequests = compress,
        }, metrics, NullLogger<ElasticsearchSink>.Instance);
        await sink.StartAsync(cancellationToken).ConfigureAwait(false);
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < alerts.Count; i += batch)
        {
            // As the pipeline does: one batch at a time, the next only after the sink accepted this one.
            await sink.WriteAsync(alerts.GetRange(i, Math.Min(batch, alerts.Count - i)), cancellationToken).ConfigureAwait(false);
        }

        watch.Stop();
        await sink.StopAsync(cancellationToken).ConfigureAwait(false);
        return (watch.Elapsed.TotalSeconds, sink.BulkRequests, server.DocumentCount);
    }

    private static async Task<double> BaselineAsync(List<Alert> alerts, int batch, CancellationToken cancellationToken)
    {
        var bodies = new List<byte[]>();
        for (int i = 0; i < alerts.Count; i += batch)
        {
            using var body = new MemoryStream();
            foreach (var alert in alerts.GetRange(i, Math.Min(batch, alerts.Count - i)))
            {
                body.Write(Encoding.UTF8.GetBytes($"{{\"create\":{{\"_index\":\"{DataStreams.AlertStream(alert.Flow.Source.Namespace, "default")}\",\"_id\":\"{alert.Id}\"}}}}\n"));
                body.Write(EcsJson.SerializeAlert(alert));
                body.WriteByte((byte)'\n');
            }

            bodies.Add(body.ToArray());
        }

        await using var server = await FakeElasticsearch.StartAsync().ConfigureAwait(false);
        server.RequireTimestamp = false;
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        var watch = Stopwatch.StartNew();
        foreach (byte[] body in bodies)
        {
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
            using var response = await http.PostAsync(new Uri("/_bulk", UriKind.Relative), content, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw new InvalidOperationException($"baseline bulk answered {response.StatusCode}");
            }

            await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        }

        return alerts.Count / watch.Elapsed.TotalSeconds;
    }

    private static Alert Alert(int i)
    {
        string ns = (i % 4) switch { 0 => "shop", 1 => "payments", 2 => "kube-system", _ => "monitoring" };
        return new Alert
        {
            Id = $"bench-{i:D9}",
            Timestamp = new DateTimeOffset(2026, 11, 27, 9, 0, 0, TimeSpan.Zero).AddMilliseconds(i),
            Detector = "intel",
            RuleId = "intel-ip",
            RuleName = "Traffic to an address on the threat feed",
            Severity = 1 + i % 4,
            RiskScore = 50 + i % 50,
            Explanation = "203.0.113.66 is on feed bench",
            DedupeKey = $"intel-ip|{i % 1000}",
            Flow = new FlowEvent
            {
                Timestamp = new DateTimeOffset(2026, 11, 27, 9, 0, 0, TimeSpan.Zero).AddMilliseconds(i),
                Source = new FlowEndpoint { Ip = new IPAddress([10, 0, (byte)(i >> 8), (byte)i]), Port = (ushort)(30000 + i % 30000), Namespace = ns, Pod = $"pod-{i % 50}" },
                Destination = new FlowEndpoint { Ip = IPAddress.Parse("203.0.113.66"), Port = 443 },
                IpProtocol = 6,
                Direction = TrafficDirection.Egress,
                Verdict = DataplaneVerdict.Forwarded,
                Bytes = 1000 + i % 5000,
                Packets = 10,
                CollectorId = "bench",
            },
        };
    }
}
