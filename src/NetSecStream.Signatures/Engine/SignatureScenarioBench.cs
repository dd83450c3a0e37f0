using System.Diagnostics;
using System.Globalization;
using NetSecStream.Core.Events;
using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Engine;

/// <summary>One path (prefilter or naive) over one event set.</summary>
public sealed record SignatureRate(string Path, int Events, long PayloadBytes, int Matches, double Seconds)
{
    public double EventsPerSecond => Seconds > 0 ? Events / Seconds : 0;

    public double MegabytesPerSecond => Seconds > 0 ? PayloadBytes / 1048576.0 / Seconds : 0;
}

/// <summary>What <see cref="SignatureScenarioBench.Run"/> measured.</summary>
public sealed record SignatureScenarioResult(
    int RulesLoaded, int RulesTotal, double LoadSeconds, double BuildSeconds, long EngineMemoryBytes,
    SignatureRate Metadata, SignatureRate MetadataNaive, SignatureRate Payload, SignatureRate PayloadNaive)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{RulesLoaded:N0} of {RulesTotal:N0} rules run (load {LoadSeconds:F2} s, engine build {BuildSeconds:F2} s, {EngineMemoryBytes / 1048576.0:F0} MB); "
        + $"metadata events: {Metadata.EventsPerSecond:F0}/s with the prefilter, {MetadataNaive.EventsPerSecond:F0}/s naive; "
        + $"payload events: {Payload.MegabytesPerSecond:F2} MB/s ({Payload.EventsPerSecond:F0}/s) with the prefilter, {PayloadNaive.MegabytesPerSecond:F3} MB/s naive");
}

/// <summary>
/// The signature engine at ruleset scale, one thread: metadata events (flows with DNS/HTTP/TLS facts and no payload, as
/// Hubble and NetFlow report them) and payload events (packets with payload) through the prefilter engine, and the
/// same events through the naive engine (every rule evaluated) in the same run. The naive path is slow at ET Open
/// scale, so it runs over a prefix of each set (<c>naiveEvents</c>); rates are per event either way.
/// Each timed pass follows an untimed pass over the same events (pcre is compiled on first use).
/// </summary>
public static class SignatureScenarioBench
{
    public static SignatureScenarioResult Run(
        RuleSetLoadResult load, IReadOnlyList<FlowEvent> metadataEvents, IReadOnlyList<FlowEvent> payloadEvents, int naiveEvents, Action<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(load);
        ArgumentNullException.ThrowIfNull(metadataEvents);
        ArgumentNullException.ThrowIfNull(payloadEvents);
        long before = GC.GetTotalMemory(forceFullCollection: true);
        var build = Stopwatch.StartNew();
        using var engine = new SignatureEngine(load, usePrefilter: true);
        double buildSeconds = build.Elapsed.TotalSeconds;
        long memory = Math.Max(0, GC.GetTotalMemory(forceFullCollection: true) - before);
        using var naive = new SignatureEngine(load, usePrefilter: false);

        progress?.Invoke($"metadata events: {metadataEvents.Count:N0} with the prefilter ...");
        SignatureRate metadata = Time(engine, "prefilter", metadataEvents, metadataEvents.Count);
        progress?.Invoke($"metadata events: {Math.Min(naiveEvents, metadataEvents.Count):N0} naive ...");
        SignatureRate metadataNaive = Time(naive, "naive", metadataEvents, naiveEvents);
        progress?.Invoke($"payload events: {payloadEvents.Count:N0} with the prefilter ...");
        SignatureRate payload = Time(engine, "prefilter", payloadEvents, payloadEvents.Count);
        progress?.Invoke($"payload events: {Math.Min(naiveEvents, payloadEvents.Count):N0} naive ...");
        SignatureRate payloadNaive = Time(naive, "naive", payloadEvents, naiveEvents);
        return new SignatureScenarioResult(load.Loaded, load.Total, load.Elapsed.TotalSeconds, buildSeconds, memory, metadata, metadataNaive, payload, payloadNaive);
    }

    private static SignatureRate Time(SignatureEngine engine, string path, IReadOnlyList<FlowEvent> events, int count)
    {
        count = Math.Min(count, events.Count);
        var matches = new List<SignatureMatch>();
        // One untimed pass over the same events: pcre compiles and its DFA states fill on first use, which a
        // long-running processor pays once, not per event.
        for (int i = 0; i < count; i++)
        {
            matches.Clear();
            engine.Match(events[i], matches);
        }

        long bytes = 0;
        int found = 0;
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < count; i++)
        {
            FlowEvent flow = events[i];
            matches.Clear();
            engine.Match(flow, matches);
            found += matches.Count;
            if (flow.Payload is { } p)
            {
                bytes += p.ToServer.Length + p.ToClient.Length;
            }
        }

        return new SignatureRate(path, count, bytes, found, clock.Elapsed.TotalSeconds);
    }
}
