using System.Diagnostics.Metrics;
using System.Net;
using System.Text.Json;
using NetSecStream.Core;
using NetSecStream.Core.Events;
using NetSecStream.Core.Telemetry;

namespace NetSecStream.Sinks.Tests.Files;

/// <summary>A clock the test moves by hand.</summary>
internal sealed class ManualTimeProvider(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}

/// <summary>A fresh folder under the temp directory, deleted afterwards.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "netsec-sink-tests", Guid.NewGuid().ToString("N"));
    }

    public string Path { get; }

    public string[] Files(string pattern) =>
        Directory.Exists(Path) ? [.. Directory.GetFiles(Path, pattern).Order(StringComparer.Ordinal)] : [];

    public void Dispose()
    {
        if (Directory.Exists(Path))
        {
            Directory.Delete(Path, recursive: true);
        }
    }
}

/// <summary>Sums the NetSecMetrics counters of one metrics instance by (instrument, component).</summary>
internal sealed class MetricsRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly Dictionary<(string Instrument, string Component), long> _totals = [];
    private readonly Lock _lock = new();

    public MetricsRecorder(NetSecMetrics metrics)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, metrics.Meter))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string component = "";
            foreach (var tag in tags)
            {
                if (tag.Key == "component")
                {
                    component = tag.Value as string ?? "";
                }
            }

            lock (_lock)
            {
                _totals[(instrument.Name, component)] = Total(instrument.Name, component) + value;
            }
        });
        _listener.Start();
    }

    public long Total(string instrument, string component)
    {
        lock (_lock)
        {
            return _totals.TryGetValue((instrument, component), out long total) ? total : 0;
        }
    }

    public void Dispose() => _listener.Dispose();
}

internal static class SinkSamples
{
    public static readonly DateTimeOffset Start = new(2025, 6, 1, 12, 30, 45, TimeSpan.Zero);

    public static FlowEvent Flow(int n) => new()
    {
        Timestamp = Start.AddMilliseconds(n),
        Source = new FlowEndpoint { Ip = IPAddress.Parse("10.1.0.7"), Port = (ushort)(40000 + n), Namespace = "shop", Pod = "web-1" },
        Destination = new FlowEndpoint { Ip = IPAddress.Parse("10.1.0.9"), Port = 443 },
        IpProtocol = 6,
        Direction = TrafficDirection.Egress,
        Verdict = DataplaneVerdict.Forwarded,
        CollectorId = "hubble_file",
    };

    public static Alert Alert(int n) => new()
    {
        Id = "alert-" + n.ToString("D6", System.Globalization.CultureInfo.InvariantCulture),
        Timestamp = Start.AddMilliseconds(n),
        Detector = DetectorKinds.Signature,
        RuleId = "1000001",
        RuleName = "test rule",
        Severity = 2,
        RiskScore = 50,
        Mode = Mode.Alert,
        Explanation = "matched content \"ünïcode\"",
        DedupeKey = "k" + n.ToString(System.Globalization.CultureInfo.InvariantCulture),
        Flow = Flow(n),
    };

    public static Alert[] Alerts(int from, int count)
    {
        var alerts = new Alert[count];
        for (int i = 0; i < count; i++)
        {
            alerts[i] = Alert(from + i);
        }

        return alerts;
    }

    /// <summary>Every line of the file, each parsed; fails the test if a line is not JSON or the file lacks its final newline.</summary>
    public static List<JsonElement> ReadLines(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        Assert.True(bytes.Length == 0 || bytes[^1] == (byte)'\n', path + " does not end with a newline");
        var lines = new List<JsonElement>();
        foreach (string line in File.ReadAllLines(path))
        {
            using var doc = JsonDocument.Parse(line);
            lines.Add(doc.RootElement.Clone());
        }

        return lines;
    }

    public static string EventId(JsonElement line) => line.GetProperty("event").GetProperty("id").GetString()!;
}
