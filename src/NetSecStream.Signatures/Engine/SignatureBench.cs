using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using NetSecStream.Core.Events;
using NetSecStream.Signatures.Keywords;
using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Engine;

/// <summary>Throughput of one engine path over a synthetic event set.</summary>
public sealed record SignatureBenchResult(string Path, int Events, int Alerts, double Seconds, double BuildSeconds)
{
    public double EventsPerSecond => Seconds > 0 ? Events / Seconds : 0;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Path}: {Events} events, {Alerts} alerts, {EventsPerSecond:F0} events/s (build {BuildSeconds:F2} s)");
}

/// <summary>
/// Benchmark of the signature engine: the same rules and synthetic events through the prefilter path and the naive
/// path in one run, each timed after one untimed warm-up pass over the events. Events are built from the rules' own contents (so some match) with DNS/HTTP/TLS facts and payloads.
/// </summary>
public static class SignatureBench
{
    public static IReadOnlyList<SignatureBenchResult> Run(RuleSetLoadResult load, int events = 2000, int seed = 1)
    {
        ArgumentNullException.ThrowIfNull(load);
        List<FlowEvent> set = SyntheticEvents(load.Rules, events, seed);
        var results = new List<SignatureBenchResult>();
        foreach (bool prefilter in new[] { true, false })
        {
            var build = Stopwatch.StartNew();
            using var engine = new SignatureEngine(load, prefilter);
            double buildSeconds = build.Elapsed.TotalSeconds;
            var matches = new List<SignatureMatch>();
            // Warm-up pass: pcre matchers are built on first use, which a steady-state rate should not include.
            foreach (FlowEvent flow in set)
            {
                matches.Clear();
                engine.Match(flow, matches);
            }

            int alerts = 0;
            var sw = Stopwatch.StartNew();
            foreach (FlowEvent flow in set)
            {
                matches.Clear();
                engine.Match(flow, matches);
                alerts += matches.Count;
            }

            results.Add(new SignatureBenchResult(prefilter ? "prefilter" : "naive", set.Count, alerts, sw.Elapsed.TotalSeconds, buildSeconds));
        }

        return results;
    }

    /// <summary>Deterministic synthetic events: random headers, and buffers seeded with contents of random rules.</summary>
    public static List<FlowEvent> SyntheticEvents(IReadOnlyList<Rule> rules, int count, int seed)
    {
        ArgumentNullException.ThrowIfNull(rules);
        var rng = new Random(seed);
        var list = new List<FlowEvent>(count);
        ushort[] ports = [80, 443, 53, 8080, 25, 445, 22, 3389, 1024, 40000];
        for (int i = 0; i < count; i++)
        {
            var buffers = new Dictionary<string, StringBuilder>(StringComparer.Ordinal);
            int picks = rng.Next(0, 4);
            for (int p = 0; p < picks && rules.Count > 0; p++)
            {
                Rule rule = rules[rng.Next(rules.Count)];
                foreach (BufferMatches b in rule.Buffers)
                {
                    string key = b.Buffer == "file.data" ? RuleBuilder.PayloadBuffer : b.Buffer;
                    if (!buffers.TryGetValue(key, out StringBuilder? sb))
                    {
                        buffers[key] = sb = new StringBuilder();
                    }

                    foreach (RuleOption o in b.Options)
                    {
                        if (o is ContentMatch { Negated: false } c)
                        {
                            sb.Append(Encoding.Latin1.GetString(c.Pattern.Span));
                            if (rng.Next(3) == 0)
                            {
                                sb.Append(' ');
                            }
                        }
                    }
                }
            }

            string? Get(string name) => buffers.TryGetValue(name, out StringBuilder? sb) ? sb.ToString() : null;
            bool external = rng.Next(2) == 0;
            var client = IPAddress.Parse(string.Create(CultureInfo.InvariantCulture, $"10.{rng.Next(256)}.{rng.Next(256)}.{rng.Next(1, 255)}"));
            var server = external
                ? IPAddress.Parse(string.Create(CultureInfo.InvariantCulture, $"198.51.100.{rng.Next(1, 255)}"))
                : IPAddress.Parse(string.Create(CultureInfo.InvariantCulture, $"192.168.{rng.Next(256)}.{rng.Next(1, 255)}"));
            bool reply = rng.Next(4) == 0;
            ushort serverPort = ports[rng.Next(ports.Length)];
            var clientEp = new FlowEndpoint { Ip = client, Port = (ushort)rng.Next(1024, 65535) };
            var serverEp = new FlowEndpoint { Ip = server, Port = serverPort };
            string noise = new string('x', rng.Next(0, 40));
            string? payload = Get(RuleBuilder.PayloadBuffer);
            string? uri = Get("http.uri") ?? Get("http.uri.raw");
            string? host = Get("http.host");
            string? method = Get("http.method");
            string? ua = Get("http.user_agent");
            string? header = Get("http.header");
            bool http = uri is not null || host is not null || method is not null || ua is not null || header is not null || rng.Next(5) == 0;
            string? query = Get("dns.query");
            string? sni = Get("tls.sni");
            string? ja3 = Get("ja3.hash");
            list.Add(new FlowEvent
            {
                Timestamp = DateTimeOffset.UnixEpoch.AddSeconds(i),
                Source = reply ? serverEp : clientEp,
                Destination = reply ? clientEp : serverEp,
                IpProtocol = query is not null || serverPort == 53 ? (byte)17 : (byte)6,
                IsReply = reply,
                Dns = query is not null || serverPort == 53 ? new DnsFacts { Query = (query ?? "example") + ".com" } : null,
                Http = http ? new HttpFacts
                {
                    Uri = uri ?? "/",
                    Host = host ?? "example.com",
                    Method = method ?? "GET",
                    UserAgent = ua ?? "Mozilla/5.0",
                    StatusCode = rng.Next(2) == 0 ? 200 : 404,
                    Headers = header is null ? [new("Accept", "*/*")] : [new("X-Test", header)],
                } : null,
                Tls = sni is not null || ja3 is not null || serverPort == 443 ? new TlsFacts { Sni = sni ?? "example.org", Ja3 = ja3 } : null,
                Payload = new PayloadBuffers
                {
                    ToServer = Encoding.Latin1.GetBytes(noise + (reply ? "" : payload ?? "")),
                    ToClient = Encoding.Latin1.GetBytes(reply ? noise + (payload ?? "") : "HTTP/1.1 200 OK\r\n"),
                },
            });
        }

        return list;
    }
}
