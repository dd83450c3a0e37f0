using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using NetSecStream.Cli.Hosting;
using NetSecStream.Collectors.Generator;
using NetSecStream.Collectors.Hubble;
using NetSecStream.Collectors.NetFlow;
using NetSecStream.Collectors.Pcap;
using NetSecStream.Core.Components;
using NetSecStream.Core.Telemetry;
using NetSecStream.Pipeline;
using NetSecStream.Pipeline.InProcess;
using Confluent.Kafka;

namespace NetSecStream.Cli.Commands;

/// <summary>
/// <c>netsec bench</c>: generated traffic through the embedded pipeline (decode, enrich, intel, decide, durable
/// file sink), and in the same run a decode-only baseline over the same events, so the two figures share one
/// machine state.
/// </summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var events = new Option<long>("--events", "-n") { Description = "Events to push through the pipeline.", DefaultValueFactory = _ => 200_000 };
        var seed = new Option<int>("--seed") { Description = "Generator seed.", DefaultValueFactory = _ => 7 };
        var scenario = new Option<string>("--scenario") { Description = "Generator scenario.", DefaultValueFactory = _ => "demo" };
        var json = new Option<bool>("--json") { Description = "Print the result as one JSON object." };
        var keep = new Option<string?>("--keep-output") { Description = "Keep the alert files in this directory instead of a deleted temporary one." };
        var transport = new Option<string>("--transport") { Description = "in-process (default): decode-only baseline; kafka: through librdkafka's mock cluster, raw-consume baseline.", DefaultValueFactory = _ => "in-process" };
        transport.AcceptOnlyFromAmong("in-process", "kafka");
        var collector = new Option<string?>("--collector") { Description = "Measure a component instead of the pipeline: prefilter (the signature engine's multi-pattern matchers over ET Open's contents, MB/s each beside a naive scan; --events patterns), netflow (records/s decoded from the NetFlow/IPFIX captures in the test data; --events records) or pcap (packets/s through flow assembly and L7 extraction of --pcap, beside tshark), signatures (the signature engine with ET Open, beside the naive engine), behaviour (the behaviour scoring stage with Detectors:Behaviour:ModelPath, beside one-at-a-time scoring), elasticsearch (--events alerts/s through the elasticsearch sink into the in-process Elasticsearch, beside raw bulk POSTs), control (--events alerts into a fresh triage store, then filtered alert list queries through the control API: p50/p99 per filter, first and deep cursor pages; --keep-output keeps the store)." };
        collector.AcceptOnlyFromAmong("netflow", "pcap", "prefilter", "signatures", "behaviour", "elasticsearch", "control");
        var rules = new Option<string[]>("--rules") { Description = "Rule files or directories for --collector signatures (default: ET Open under NETSEC_TESTDATA or ../shared/data)." };
        var pcap = new Option<string?>("--pcap") { Description = "Capture file for --collector pcap." };
        var repeat = new Option<int>("--repeat") { Description = "Passes over the capture for --collector pcap.", DefaultValueFactory = _ => 20 };
        var command = new Command("bench", "Measure end-to-end throughput and event-to-alert latency against a decode-only baseline.")
        {
            events, seed, scenario, json, keep, transport, collector, pcap, repeat, rules,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((parse, token) => parse.GetValue(collector) == "control"
            ? RunControlAsync(parse.GetValue(events), parse.GetValue(seed), (parse.GetValue(rules) ?? []).FirstOrDefault(), parse.GetValue(keep), parse.GetValue(json), token)
            : parse.GetValue(collector) == "elasticsearch"
            ? RunElasticsearchAsync(parse.GetValue(events), parse.GetValue(json), token)
            : parse.GetValue(collector) == "behaviour"
            ? Task.FromResult(RunBehaviour(parse, parse.GetValue(events), parse.GetValue(seed), parse.GetValue(scenario)!, parse.GetValue(json)))
            : parse.GetValue(collector) == "signatures"
            ? Task.FromResult(RunSignatures(parse, parse.GetValue(events), parse.GetValue(seed), parse.GetValue(scenario)!, parse.GetValue(rules) ?? [], parse.GetValue(json)))
            : parse.GetValue(collector) is { } which
            ? Task.FromResult(RunCollector(which, parse.GetValue(events), parse.GetValue(pcap), parse.GetValue(repeat), parse.GetValue(json)))
            : parse.GetValue(transport) == "kafka"
            ? RunKafkaAsync(parse, parse.GetValue(events), parse.GetValue(seed), parse.GetValue(scenario)!, parse.GetValue(json), token)
            : RunAsync(parse, parse.GetValue(events), parse.GetValue(seed), parse.GetValue(scenario)!, parse.GetValue(json), parse.GetValue(keep), token));
        return command;
    }

    /// <summary>
    /// <c>--collector signatures</c>: the signature engine with a real ruleset (ET Open by default), one thread, over the
    /// generator's flows (metadata events) and over payload-bearing events built from the rules' own contents, each
    /// beside the naive engine (every rule evaluated) in the same run.
    /// </summary>
    private static int RunSignatures(ParseResult parse, long count, int seed, string scenario, string[] rulePaths, bool asJson)
    {
        if (count is < 1 or > 5_000_000)
        {
            Console.Error.WriteLine("netsec bench: --events must be between 1 and 5000000 with --collector signatures");
            return NetSecCli.ConfigurationErrorExitCode;
        }

        var settings = NetSecCli.LoadSettings(parse);
        if (settings is null)
        {
            return NetSecCli.ConfigurationErrorExitCode;
        }

        if (rulePaths.Length == 0)
        {
            string data = Environment.GetEnvironmentVariable("NETSEC_TESTDATA") is { Length: > 0 } d ? d : Path.Combine("..", "shared", "data");
            rulePaths = [Path.Combine(data, "rules", "et-open")];
        }

        Signatures.Rules.RuleSetLoadResult load;
        try
        {
            load = Signatures.Engine.SignatureEngine.Admit(Signatures.Rules.RuleSetLoader.Load(rulePaths));
        }
        catch (IOException ex)
        {
            Console.Error.WriteLine("netsec bench: " + ex.Message + " (set NETSEC_TESTDATA or give --rules)");
            return NetSecCli.ConfigurationErrorExitCode;
        }

        Console.Error.WriteLine($"[bench] signatures: {load.Loaded:N0} of {load.Total:N0} rules run; generating {count:N0} flows (scenario {scenario}, seed {seed}) ...");
        using var loggerFactory = NetSecCli.CreateLoggerFactory(settings, LogLevel.Warning);
        using var metrics = new NetSecMetrics();
        var decoder = (IFlowDecoder)PipelineAssembler.Create(settings, HubbleFlowDecoder.ComponentId, PipelineAssembler.Services(metrics, loggerFactory));
        var flows = new List<Core.Events.FlowEvent>((int)count);
        foreach (var generated in new TrafficGenerator().Generate(new GeneratorOptions(scenario, count, seed)))
        {
            if (decoder.Decode(generated.Json).Event is { } flow)
            {
                flows.Add(flow);
            }
        }

        var payloadEvents = Signatures.Engine.SignatureBench.SyntheticEvents(load.Rules, (int)Math.Min(count, 100_000), seed);
        var run = Signatures.Engine.SignatureScenarioBench.Run(load, flows, payloadEvents, naiveEvents: 2_000, m => Console.Error.WriteLine("[bench] " + m));
        var result = new BenchResult(run.Metadata.Events, Math.Round(run.Metadata.EventsPerSecond, 0), Math.Round(run.MetadataNaive.EventsPerSecond, 0), null, null,
            Math.Round(PeakRssMegabytes(), 1), 0, run.Metadata.Matches, Math.Round(run.Metadata.Seconds, 3),
            "metadata events/s through the signature engine with the prefilter, one thread; baseline: the naive engine (every rule on every event) over the first "
            + string.Create(CultureInfo.InvariantCulture, $"{run.MetadataNaive.Events:N0} of the same events. {run}"),
            Environment.ProcessorCount, Environment.Version.ToString());
        if (asJson)
        {
            Console.WriteLine(JsonSerializer.Serialize(result, CliJsonContext.Default.BenchResult));
        }
        else
        {
            Console.WriteLine(run.ToString());
        }

        return 0;
    }

    /// <summary>
    /// <c>--collector behaviour</c>: the behaviour scoring stage with the configured model (<c>Detectors:Behaviour:ModelPath</c>,
    /// default models/workload-baseline) over the generator's flows, beside one-at-a-time scoring in the same run.
    /// </summary>
    private static int RunBehaviour(ParseResult parse, long count, int seed, string scenario, bool asJson)
    {
        if (count is < 1 or > 5_000_000)
        {
            Console.Error.WriteLine("netsec bench: --events must be between 1 and 5000000 with --collector behaviour");
            return NetSecCli.ConfigurationErrorExitCode;
        }

        var settings = NetSecCli.LoadSettings(parse);
        if (settings is null)
        {
            return NetSecCli.ConfigurationErrorExitCode;
        }

        var options = (Behaviour.Detection.BehaviourOptions)settings.ComponentOptions(ComponentCatalog.Get(Behaviour.Detection.BehaviourDetector.ComponentId));
        if (!Directory.Exists(options.ModelPath))
        {
            Console.Error.WriteLine($"netsec bench: no behaviour model at {options.ModelPath} (set Detectors:Behaviour:ModelPath, or train one: netsec train --dataset generator --out {options.ModelPath})");
            return NetSecCli.ConfigurationErrorExitCode;
        }

        Console.Error.WriteLine($"[bench] behaviour: generating {count:N0} flows (scenario {scenario}, seed {seed}) ...");
        using var loggerFactory = NetSecCli.CreateLoggerFactory(settings, LogLevel.Warning);
        using var metrics = new NetSecMetrics();
        var decoder = (IFlowDecoder)PipelineAssembler.Create(settings, HubbleFlowDecoder.ComponentId, PipelineAssembler.Services(metrics, loggerFactory));
        var flows = new List<Core.Events.FlowEvent>((int)count);
        foreach (var generated in new TrafficGenerator().Generate(new GeneratorOptions(scenario, count, seed)))
        {
            if (decoder.Decode(generated.Json).Event is { } flow)
            {
                flows.Add(flow);
            }
        }

        var run = Behaviour.Detection.BehaviourBench.Run(flows, options.ModelPath, settings.Pipeline.BatchSize, options.ScoringParallelism, m => Console.Error.WriteLine("[bench] " + m));
        var result = new BenchResult(run.Events, Math.Round(run.BatchedPerSecond, 0), Math.Round(run.OneAtATimePerSecond, 0), null, null,
            Math.Round(PeakRssMegabytes(), 1), 0, run.BatchedAlerts,
            Math.Round(run.BatchedSeconds, 3),
            string.Create(CultureInfo.InvariantCulture,
                $"events/s through the behaviour scoring stage (model {run.Model}, threshold {run.Threshold:F2}; streaming features in order, batches of {run.BatchSize} scored score-only on {run.Parallelism} threads, explanations for the {run.BatchedAlerts:N0} alerts only); baseline: one event at a time (features, then the model's full Score with its explanation) over the same events in the same run, which found {run.OneAtATimeAlerts:N0} events at or above the threshold ({(run.BatchedAlerts == run.OneAtATimeAlerts ? "the same" : "DIFFERENT")})"),
            Environment.ProcessorCount, Environment.Version.ToString());
        if (asJson)
        {
            Console.WriteLine(JsonSerializer.Serialize(result, CliJsonContext.Default.BenchResult));
        }
        else
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"behaviour: {result.EventsPerSecond:N0} events/s batched, {result.BaselineEventsPerSecond:N0} events/s one at a time; {run.BatchedAlerts:N0} alerts\n{result.Baseline}"));
        }

        return 0;
    }

    /// <summary><c>--collector control</c>: a triage store of <paramref name="count"/> alerts, queried through the API.</summary>
    private static async Task<int> RunControlAsync(long count, int seed, string? rules, string? keep, bool asJson, CancellationToken token)
    {
        if (count is < 1_000 or > 20_000_000)
        {
            Console.Error.WriteLine("netsec bench: --events must be between 1000 and 20000000 with --collector control");
            return NetSecCli.ConfigurationErrorExitCode;
        }

        Console.Error.WriteLine($"[bench] {count:N0} alerts into a fresh triage store, then filtered alert list queries through the control API ...");
        var result = await ControlBench.RunAsync(count, seed, rules, keep, PeakRssMegabytes, token).ConfigureAwait(false);
        if (asJson)
        {
            Console.WriteLine(JsonSerializer.Serialize(result, ControlBenchJsonContext.Default.Result));
        }
        else
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"control: {result.Alerts:N0} alerts stored at {result.EventsPerSecond:N0}/s ({result.StoreMb:F0} MB); list queries p50 {result.P50Ms:F1} ms, worst p99 {result.MaxP99Ms:F1} ms"));
            foreach (var q in result.Queries)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {q.Query,-60} {q.Page,-22} {q.Items,3} items  p50 {q.P50Ms,7:F2} ms  p99 {q.P99Ms,7:F2} ms"));
            }
        }

        return 0;
    }

    /// <summary><c>--collector elasticsearch</c>: alerts/s through the sink into the in-process Elasticsearch, beside raw bulk POSTs.</summary>
    private static async Task<int> RunElasticsearchAsync(long count, bool asJson, CancellationToken token)
    {
        if (count is < 1 or > 10_000_000)
        {
            Console.Error.WriteLine("netsec bench: --events must be between 1 and 10000000 with --collector elasticsearch");
            return NetSecCli.ConfigurationErrorExitCode;
        }

        const int Batch = 5000;
        Console.Error.WriteLine($"[bench] {count:N0} alerts through the elasticsearch sink into the in-process Elasticsearch, {Batch} per bulk request ...");
        var run = await ElasticsearchBench.RunAsync((int)count, Batch, token).ConfigureAwait(false);
        var result = new BenchResult(run.Alerts, Math.Round(run.SinkPerSecond, 0), Math.Round(run.BaselinePerSecond, 0), null, null,
            Math.Round(PeakRssMegabytes(), 1), run.Alerts - run.Stored, run.Stored, Math.Round(run.Seconds, 3),
            string.Create(CultureInfo.InvariantCulture,
                $"alerts/s written by the elasticsearch sink (ECS serialisation, bulk create with _id, per-item results) in batches of {Batch}, uncompressed, best of {ElasticsearchBench.Rounds} interleaved rounds (each variant likewise), {run.BulkRequests} bulk requests, {run.Stored:N0} documents stored; with gzip (the default for remote clusters) {run.SinkGzipPerSecond:F0}/s; baseline: the same documents pre-serialised as bulk bodies and POSTed by a bare HttpClient"),
            Environment.ProcessorCount, Environment.Version.ToString());
        Console.WriteLine(asJson
            ? JsonSerializer.Serialize(result, CliJsonContext.Default.BenchResult)
            : string.Create(CultureInfo.InvariantCulture, $"elasticsearch: {result.EventsPerSecond:N0} alerts/s  baseline {result.BaselineEventsPerSecond:N0}/s  peak RSS {result.PeakRssMb:F0} MB\n{result.Baseline}"));
        return run.Stored == run.Alerts ? 0 : 1;
    }

    private static int RunCollector(string collector, long count, string? pcapPath, int repeat, bool asJson)
    {
        BenchResult result;
        if (collector == "prefilter")
        {
            Console.Error.WriteLine($"[bench] prefilter: up to {count:N0} patterns (ET Open's contents under NETSEC_TESTDATA or ../shared/data), 16 MB scanned per matcher ...");
            var run = Signatures.Engine.PrefilterBench.Run((int)Math.Clamp(count, 1, 262_144), 16);
            var best = run.Implementations.Skip(1).MaxBy(i => i.MegabytesPerSecond)!;
            string each = string.Join("; ", run.Implementations.Select(i => string.Create(CultureInfo.InvariantCulture,
                $"{i.Name} {i.MegabytesPerSecond:F1} MB/s (build {i.BuildSeconds:F2} s, {i.MemoryBytes / 1048576.0:F1} MB)")));
            result = new BenchResult(run.Patterns, Math.Round(best.MegabytesPerSecond, 1), Math.Round(run.Implementations[0].MegabytesPerSecond, 1), null, null,
                Math.Round(PeakRssMegabytes(), 1), run.AgreeWithBaseline ? 0 : 1, 0, 0,
                $"MB/s of the fastest matcher ({best.Name}) over {run.Patterns:N0} patterns ({run.PatternSource}); baseline: the naive scan. {each}"
                + (run.HyperscanUnavailableReason is { } why ? "; Hyperscan not run: " + why : ""),
                Environment.ProcessorCount, Environment.Version.ToString());
        }
        else if (collector == "netflow")
        {
            if (count is < 1 or > int.MaxValue)
            {
                Console.Error.WriteLine("netsec bench: --events must be between 1 and 2147483647 with --collector netflow");
                return NetSecCli.ConfigurationErrorExitCode;
            }

            Console.Error.WriteLine($"[bench] decoding {count:N0} NetFlow/IPFIX records from the test data's captures ...");
            var run = NetFlowBench.Run((int)count);
            result = new BenchResult(run.Records, Math.Round(run.DecodeAndMapRecordsPerSecond, 0), Math.Round(run.BaselineRecordsPerSecond, 0), null, null,
                Math.Round(PeakRssMegabytes(), 1), 0, 0, Math.Round(run.Records / run.DecodeAndMapRecordsPerSecond, 3),
                string.Create(CultureInfo.InvariantCulture, $"records/s decoded and mapped to flow events, one thread ({run.DecodeRecordsPerSecond:F0}/s decode only, {run.AllocatedBytesPerRecordDecode} bytes allocated per decoded record); baseline: a walk of the same datagrams' headers, sets and record boundaries"),
                Environment.ProcessorCount, Environment.Version.ToString());
        }
        else
        {
            if (pcapPath is null || !File.Exists(pcapPath))
            {
                Console.Error.WriteLine("netsec bench: --collector pcap needs --pcap <existing capture file>");
                return NetSecCli.ConfigurationErrorExitCode;
            }

            Console.Error.WriteLine($"[bench] {repeat} passes of {pcapPath} through decode, flow table, reassembly and L7 ...");
            var run = PcapBench.Run(pcapPath, Math.Max(1, repeat));
            result = new BenchResult(run.Packets, Math.Round(run.PacketsPerSecond, 0), Math.Round(run.BaselinePacketsPerSecond ?? 0, 0), null, null,
                Math.Round(PeakRssMegabytes(), 1), 0, 0, Math.Round(run.Seconds, 3),
                $"packets/s through decode, flow assembly, TCP reassembly and DNS/HTTP/TLS extraction ({run.Events:N0} flow events, {run.L7Transactions:N0} L7 transactions); baseline: tshark -T fields (dns.qry.name, http.host, http.request.uri, tls SNI) over the same file, process start included"
                + (run.BaselinePacketsPerSecond is null ? " (tshark not installed: no baseline)" : ""),
                Environment.ProcessorCount, Environment.Version.ToString());
        }

        if (asJson)
        {
            Console.WriteLine(JsonSerializer.Serialize(result, CliJsonContext.Default.BenchResult));
        }
        else
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{collector}: {result.EventsPerSecond:N0}/s  baseline {result.BaselineEventsPerSecond:N0}/s  peak RSS {result.PeakRssMb:F0} MB\n{result.Baseline}"));
        }

        return 0;
    }

    private static async Task<int> RunAsync(ParseResult parse, long count, int seed, string scenario, bool asJson, string? keepDir, CancellationToken token)
    {
        if (count is < 1 or > 50_000_000)
        {
            Console.Error.WriteLine("netsec bench: --events must be between 1 and 50000000");
            return NetSecCli.ConfigurationErrorExitCode;
        }

        var settings = NetSecCli.LoadSettings(parse);
        if (settings is null)
        {
            return NetSecCli.ConfigurationErrorExitCode;
        }

        Console.Error.WriteLine($"[bench] generating {count:N0} events (scenario {scenario}, seed {seed}) ...");
        var records = new List<byte[]>((int)count);
        foreach (var generated in new TrafficGenerator().Generate(new GeneratorOptions(scenario, count, seed)))
        {
            records.Add(generated.Json);
        }

        using var loggerFactory = NetSecCli.CreateLoggerFactory(settings, LogLevel.Warning);
        using var metrics = new NetSecMetrics();
        var services = PipelineAssembler.Services(metrics, loggerFactory);

        // Baseline: decode only, same events, same process, after a short warm-up of both paths.
        var decoder = (IFlowDecoder)PipelineAssembler.Create(settings, HubbleFlowDecoder.ComponentId, services);
        // Two untimed passes first, so the baseline is measured on fully optimised (tier-1) code.
        Decode(decoder, records, records.Count);
        Decode(decoder, records, records.Count);
        var baselineClock = Stopwatch.StartNew();
        int decoded = Decode(decoder, records, records.Count);
        double baselineSeconds = baselineClock.Elapsed.TotalSeconds;
        if (decoded != records.Count)
        {
            Console.Error.WriteLine($"[bench] warning: baseline decoded {decoded:N0} of {records.Count:N0} events");
        }

        // Warm-up: one pass of the whole pipeline over the first events (at most 100k) so the timed run measures
        // jitted, steady-state code, as a long-running processor would run.
        string warmDir = Path.Combine(Path.GetTempPath(), "netsec-bench-warmup-" + Guid.NewGuid().ToString("N"));
        var warmRecords = records.GetRange(0, Math.Min(records.Count, 100_000));
        Console.Error.WriteLine($"[bench] warm-up: {warmRecords.Count:N0} events through the pipeline ...");
        using (var warmMetrics = new NetSecMetrics())
        {
            var warmPipeline = PipelineAssembler.Build(settings, new MemoryRecordSource(warmRecords), PipelineAssembler.Services(warmMetrics, loggerFactory),
                Path.Combine(warmDir, "alerts"), Path.Combine(warmDir, "deadletter"));
            await warmPipeline.RunAsync(token).ConfigureAwait(false);
        }

        TryDelete(warmDir);
        string outDir = keepDir ?? Path.Combine(Path.GetTempPath(), "netsec-bench-" + Guid.NewGuid().ToString("N"));
        var source = new MemoryRecordSource(records);
        var pipeline = PipelineAssembler.Build(settings, source, services, Path.Combine(outDir, "alerts"), Path.Combine(outDir, "deadletter"));
        Console.Error.WriteLine($"[bench] baseline decode: {records.Count / baselineSeconds:N0} events/s; running the pipeline ...");
        var clock = Stopwatch.StartNew();
        await using (var progress = new ProgressReporter(pipeline.Stats, count))
        {
            progress.Start();
            await pipeline.RunAsync(token).ConfigureAwait(false);
        }

        double seconds = clock.Elapsed.TotalSeconds;
        var stats = pipeline.Stats;
        long alertLines = CountLines(Path.Combine(outDir, "alerts"), "alerts-");
        long lost = (count - source.CommittedPosition) + Math.Max(0, stats.Alerts - alertLines);
        var result = new BenchResult(
            count,
            Math.Round(count / seconds, 0),
            Math.Round(records.Count / baselineSeconds, 0),
            Round(stats.LatencyPercentileMs(50)),
            Round(stats.LatencyPercentileMs(99)),
            Math.Round(PeakRssMegabytes(), 1),
            lost,
            stats.Alerts,
            Math.Round(seconds, 3),
            "decode-only (hubble_json), single thread, same events, same process, after warm-up",
            Environment.ProcessorCount,
            Environment.Version.ToString());
        if (keepDir is null)
        {
            TryDelete(outDir);
        }

        if (asJson)
        {
            Console.WriteLine(JsonSerializer.Serialize(result, CliJsonContext.Default.BenchResult));
        }
        else
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"events {result.Events:N0}  pipeline {result.EventsPerSecond:N0} events/s  baseline (decode only) {result.BaselineEventsPerSecond:N0} events/s\n"
                + $"event-to-alert latency p50 {result.P50Ms:F2} ms  p99 {result.P99Ms:F2} ms  peak RSS {result.PeakRssMb:F0} MB  alerts {result.Alerts:N0}  lost {result.Lost}"));
        }

        return lost == 0 ? 0 : NetSecCli.RuntimeErrorExitCode;
    }

    private static async Task<int> RunKafkaAsync(ParseResult parse, long count, int seed, string scenario, bool asJson, CancellationToken token)
    {
        if (count is < 1 or > 5_000_000)
        {
            Console.Error.WriteLine("netsec bench: --events must be between 1 and 5000000 with --transport kafka");
            return NetSecCli.ConfigurationErrorExitCode;
        }

        var settings = NetSecCli.LoadSettings(parse);
        if (settings is null)
        {
            return NetSecCli.ConfigurationErrorExitCode;
        }

        using var loggerFactory = NetSecCli.CreateLoggerFactory(settings, LogLevel.Warning);
        using var metrics = new NetSecMetrics();
        var services = PipelineAssembler.Services(metrics, loggerFactory);
        Console.Error.WriteLine($"[bench] generating {count:N0} events (scenario {scenario}, seed {seed}) ...");
        var decoder = new HubbleFlowDecoder(new HubbleDecoderOptions(), null);
        var flows = new List<Core.Events.FlowEvent>((int)count);
        foreach (var generated in new TrafficGenerator().Generate(new GeneratorOptions(scenario, count, seed)))
        {
            // As `netsec collect` publishes them: Community ID computed at the collector (it is the message key).
            var flow = decoder.Decode(generated.Json).Event!;
            flow.CommunityId = Core.Events.CommunityId.Compute(flow);
            flows.Add(flow);
        }

        KafkaBench.Result result;
        try
        {
            result = await KafkaBench.RunAsync(settings, services, flows, token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or KafkaException or InvalidOperationException or SinkFailedException)
        {
            Console.Error.WriteLine("netsec bench: the Kafka run failed: " + ex);
            return NetSecCli.RuntimeErrorExitCode;
        }

        var output = new BenchResult(
            count,
            result.PipelinePerSecond,
            result.RawConsumePerSecond,
            Round(result.P50Ms),
            Round(result.P99Ms),
            Math.Round(PeakRssMegabytes(), 1),
            result.Lost,
            result.Alerts,
            result.PipelineSeconds,
            $"raw Confluent.Kafka consume of the same messages (mock cluster, {PipelineAssembler.KafkaOptionsFor(settings).Encoding} encoding); medians of {KafkaBench.Rounds} alternating rounds (raw / pipeline events/s: "
                + string.Join("; ", result.PerRound.Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.Raw:F0} / {r.Pipeline:F0}")))
                + $"); latency measured at {result.HalfLoadRate:N0} events/s over {result.HalfLoadEvents:N0} events",
            Environment.ProcessorCount,
            Environment.Version.ToString());
        if (asJson)
        {
            Console.WriteLine(JsonSerializer.Serialize(output, CliJsonContext.Default.BenchResult));
        }
        else
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"kafka: pipeline {output.EventsPerSecond:N0} events/s ({100 * output.EventsPerSecond / output.BaselineEventsPerSecond:F0}% of raw consume {output.BaselineEventsPerSecond:N0}/s)\n"
                + $"event-to-alert latency at half load p50 {output.P50Ms:F2} ms  p99 {output.P99Ms:F2} ms  peak RSS {output.PeakRssMb:F0} MB  lost {output.Lost}"));
        }

        return output.Lost == 0 ? 0 : NetSecCli.RuntimeErrorExitCode;
    }

    private static int Decode(IFlowDecoder decoder, List<byte[]> records, int count)
    {
        int ok = 0;
        for (int i = 0; i < count; i++)
        {
            if (decoder.Decode(records[i]).IsSuccess)
            {
                ok++;
            }
        }

        return ok;
    }

    private static long CountLines(string directory, string prefix)
    {
        if (!Directory.Exists(directory))
        {
            return 0;
        }

        long lines = 0;
        foreach (string file in Directory.EnumerateFiles(directory, prefix + "*"))
        {
            foreach (string line in File.ReadLines(file))
            {
                if (line.Length > 0)
                {
                    lines++;
                }
            }
        }

        return lines;
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // Temporary files; the OS cleans up.
        }
    }

    private static double? Round(double? value) => value is null ? null : Math.Round(value.Value, 3);

    /// <summary>Peak resident set size (VmHWM) on Linux; the runtime's peak working set elsewhere.</summary>
    internal static double PeakRssMegabytes()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    string kb = line["VmHWM:".Length..].Trim().Split(' ')[0];
                    return long.Parse(kb, CultureInfo.InvariantCulture) / 1024.0;
                }
            }
        }
        catch (IOException)
        {
            // Not Linux.
        }

        using var process = Process.GetCurrentProcess();
        return process.PeakWorkingSet64 / (1024.0 * 1024.0);
    }
}
