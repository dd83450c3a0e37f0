using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using NetSecStream.Cli.Configuration;
using NetSecStream.Cli.Hosting;
using NetSecStream.Collectors;
using NetSecStream.Collectors.Files;
using NetSecStream.Collectors.NetFlow;
using NetSecStream.Collectors.Pcap;
using NetSecStream.Core.Components;
using NetSecStream.Core.Telemetry;
using NetSecStream.Pipeline;

namespace NetSecStream.Cli.Commands;

/// <summary><c>netsec replay &lt;file&gt;</c>: runs the pipeline over a capture once and exits.</summary>
public static class ReplayCommand
{
    public static Command Create()
    {
        var input = new Argument<string>("file") { Description = "A capture: Hubble flows as JSON lines ('-' reads stdin), a pcap/pcapng of packets, or a pcap of NetFlow/IPFIX export datagrams." };
        var format = new Option<string?>("--format") { Description = "hubble, pcap or netflow; detected from the file's content when omitted." };
        format.AcceptOnlyFromAmong("hubble", "pcap", "netflow");
        var output = new Option<string?>("--out", "-o") { Description = "Directory for ECS NDJSON alerts (default: ./netsec-data/replay-<time>). Dead letters go to <out>/deadletter." };
        var rules = new Option<string[]>("--rules") { Description = "Suricata rule file or directory, repeatable (same as Detectors:Signatures:Paths)." };
        var sinks = new Option<string[]>("--sink") { Description = "Additional sink URI, repeatable (file:///path/to/dir); alerts go to --out as well." };
        var summary = new Option<string?>("--summary-json") { Description = "Write a JSON summary (events_in, events_rejected, alerts, alerts_by_detector, elapsed_s, events_per_s) to this file." };
        var command = new Command("replay", "Run the pipeline over a flow file once, write alerts, print a summary, exit.")
        {
            input, format, output, sinks, summary, rules,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((parse, token) => RunAsync(parse, parse.GetValue(input)!, parse.GetValue(format), parse.GetValue(output), parse.GetValue(sinks) ?? [], parse.GetValue(summary), parse.GetValue(rules) ?? [], token));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse, string input, string? format, string? outDir, string[] sinkUris, string? summaryPath, string[] rulePaths, CancellationToken token)
    {
        var values = NetSecCli.SinkUriValues(sinkUris);
        for (int i = 0; i < rulePaths.Length; i++)
        {
            values[$"Detectors:Signatures:Paths:{i}"] = rulePaths[i];
        }

        var settings = NetSecCli.LoadSettings(parse, values);
        if (settings is null)
        {
            return NetSecCli.ConfigurationErrorExitCode;
        }

        if (input != "-" && !File.Exists(input))
        {
            Console.Error.WriteLine($"netsec replay: input file '{input}' not found");
            return NetSecCli.ConfigurationErrorExitCode;
        }

        outDir ??= Path.Combine(settings.Storage.DataDirectory, "replay-" + DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", System.Globalization.CultureInfo.InvariantCulture));
        using var loggerFactory = NetSecCli.CreateLoggerFactory(settings, LogLevel.Warning);
        using var metrics = new NetSecMetrics();
        var services = PipelineAssembler.Services(metrics, loggerFactory);
        var kind = format switch
        {
            "hubble" => CaptureKind.Hubble,
            "pcap" => CaptureKind.Pcap,
            "netflow" => CaptureKind.NetFlow,
            _ => input == "-" ? CaptureKind.Hubble : CaptureFormat.Detect(input),
        };
        FlowPipeline pipeline;
        try
        {
            IRecordSource source = kind switch
            {
                CaptureKind.Pcap => PipelineAssembler.CreateSource(settings, PcapFlowSource.ComponentId, services, o =>
                {
                    var pcap = (PcapOptions)o;
                    pcap.File = input;
                    pcap.Interface = null;

                    // Signature rules alert per packet, as Suricata does (pcap_cnt in EVE): inspect packet by packet.
                    pcap.PacketEvents |= rulePaths.Length > 0;
                }),
                CaptureKind.NetFlow => new FlowEventRecordSource(
                    new NetFlowPcapSource(input, (NetFlowOptions)settings.ComponentOptions(ComponentCatalog.Get(NetFlowUdpSource.ComponentId)), metrics,
                        loggerFactory.CreateLogger<NetFlowPcapSource>()),
                    metrics),
                _ => new JsonLinesFileSource(new HubbleFileSourceOptions { Path = input, Follow = false }, loggerFactory.CreateLogger<JsonLinesFileSource>(), metrics),
            };
            pipeline = PipelineAssembler.Build(settings, source, services, outDir, Path.Combine(outDir, "deadletter"), alwaysWriteDefault: true);
        }
        catch (ConfigurationErrorException ex)
        {
            Console.Error.WriteLine("netsec replay: " + ex.Message);
            return NetSecCli.ConfigurationErrorExitCode;
        }

        var clock = Stopwatch.StartNew();
        await using (var progress = new ProgressReporter(pipeline.Stats))
        {
            progress.Start();
            try
            {
                await pipeline.RunAsync(token).ConfigureAwait(false);
            }
            catch (SinkFailedException ex)
            {
                Console.Error.WriteLine("netsec replay: " + ex.Message);
                return NetSecCli.RuntimeErrorExitCode;
            }
            catch (InvalidDataException ex)
            {
                // The file is not what --format (or detection) said: an input error, reported without a stack trace.
                Console.Error.WriteLine($"netsec replay: {input}: {ex.Message}");
                return NetSecCli.ConfigurationErrorExitCode;
            }
        }

        double elapsed = clock.Elapsed.TotalSeconds;
        var stats = pipeline.Stats;
        var result = new ReplaySummary(
            input, Path.GetFullPath(outDir), stats.RecordsIn, stats.Rejected, stats.Alerts,
            stats.AlertsByDetector, Math.Round(elapsed, 3), Math.Round(stats.RecordsIn / Math.Max(elapsed, 1e-9), 1));
        string json = JsonSerializer.Serialize(result, CliJsonContext.Default.ReplaySummary);
        if (summaryPath is not null)
        {
            string? dir = Path.GetDirectoryName(Path.GetFullPath(summaryPath));
            if (dir is not null)
            {
                Directory.CreateDirectory(dir);
            }

            await File.WriteAllTextAsync(summaryPath, json + "\n", CancellationToken.None).ConfigureAwait(false);
        }

        Console.WriteLine(json);
        return 0;
    }
}

public sealed record ReplaySummary(
    [property: JsonPropertyName("input")] string Input,
    [property: JsonPropertyName("out")] string Out,
    [property: JsonPropertyName("events_in")] long EventsIn,
    [property: JsonPropertyName("events_rejected")] long EventsRejected,
    [property: JsonPropertyName("alerts")] long Alerts,
    [property: JsonPropertyName("alerts_by_detector")] IReadOnlyDictionary<string, long> AlertsByDetector,
    [property: JsonPropertyName("elapsed_s")] double ElapsedSeconds,
    [property: JsonPropertyName("events_per_s")] double EventsPerSecond);

public sealed record BenchResult(
    [property: JsonPropertyName("events")] long Events,
    [property: JsonPropertyName("events_per_s")] double EventsPerSecond,
    [property: JsonPropertyName("baseline_events_per_s")] double BaselineEventsPerSecond,
    [property: JsonPropertyName("p50_ms")] double? P50Ms,
    [property: JsonPropertyName("p99_ms")] double? P99Ms,
    [property: JsonPropertyName("peak_rss_mb")] double PeakRssMb,
    [property: JsonPropertyName("lost")] long Lost,
    [property: JsonPropertyName("alerts")] long Alerts,
    [property: JsonPropertyName("elapsed_s")] double ElapsedSeconds,
    [property: JsonPropertyName("baseline")] string Baseline,
    [property: JsonPropertyName("processors")] int Processors,
    [property: JsonPropertyName("runtime")] string Runtime);

[JsonSourceGenerationOptions(WriteIndented = false)]
[JsonSerializable(typeof(ReplaySummary))]
[JsonSerializable(typeof(BenchResult))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
