using System.CommandLine;
using Microsoft.Extensions.Options;
using NetSecStream.Cli.Configuration;
using NetSecStream.Cli.Hosting;
using NetSecStream.Collectors.Files;
using NetSecStream.Control.Ingest;
using NetSecStream.Core.Components;
using NetSecStream.Core.Telemetry;
using NetSecStream.Pipeline;
using NetSecStream.Pipeline.InProcess;
using NetSecStream.Policy.Enforcement;

namespace NetSecStream.Cli.Commands;

/// <summary>
/// <c>netsec run</c>: every role in one process (the embedded default). With no live source configured it streams
/// the <c>demo</c> scenario through the in-process transport; alerts go under <c>./netsec-data/</c>; Prometheus
/// metrics and health checks are served on <c>Metrics:Listen</c>; the control plane (triage store fed in process, API)
/// on <c>Control:Urls</c> unless <c>Control:Enabled=false</c>. Ctrl-C drains what is in flight and stops.
/// </summary>
public static class RunCommand
{
    public static Command Create()
    {
        var input = new Option<string?>("--input", "-i") { Description = "Follow a Hubble JSON-lines file (like tail -F; '-' = stdin) instead of the demo traffic. Same as --Sources:Hubble:Path=<file>." };
        var sinks = new Option<string[]>("--sink") { Description = "Sink URI, repeatable: file:///var/lib/netsec/alerts. Default: file sink under Storage:DataDirectory/alerts.", AllowMultipleArgumentsPerToken = false };
        var duration = new Option<TimeSpan?>("--duration") { Description = "Stop by itself after this long (e.g. 00:00:30); default: until Ctrl-C." };
        var source = new Option<string?>("--source") { Description = "Live collector instead of the demo traffic: hubble_file (--input), netflow (UDP, Collectors:NetFlow), pcap (Collectors:Pcap:File or :Interface), hubble_relay (Collectors:HubbleRelay:Address)." };
        source.AcceptOnlyFromAmong([.. PipelineAssembler.SourceIds]);
        var command = new Command("run", "Run every role in one process on the embedded transport (demo traffic unless a source is configured).")
        {
            input, sinks, duration, source,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((parse, token) => RunAsync(parse, parse.GetValue(input), parse.GetValue(sinks) ?? [], parse.GetValue(duration), parse.GetValue(source), token));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse, string? input, string[] sinkUris, TimeSpan? duration, string? sourceId, CancellationToken token)
    {
        var values = NetSecCli.SinkUriValues(sinkUris);
        if (input is not null)
        {
            values["Sources:Hubble:Path"] = input;
            values["Sources:Hubble:Follow"] = input == "-" ? "false" : "true";
        }

        var settings = NetSecCli.LoadSettings(parse, values);
        if (settings is null)
        {
            return NetSecCli.ConfigurationErrorExitCode;
        }

        string dataDir = Path.GetFullPath(settings.Storage.DataDirectory);
        Directory.CreateDirectory(dataDir);
        using var stopCts = CancellationTokenSource.CreateLinkedTokenSource(token);
        if (duration is { } limit)
        {
            stopCts.CancelAfter(limit);
        }

        await using var app = RoleHost.Build(settings);
        var metrics = app.Services.GetRequiredService<NetSecMetrics>();
        var loggerFactory = app.Services.GetRequiredService<ILoggerFactory>();
        var services = PipelineAssembler.Services(metrics, loggerFactory);

        IRecordSource source;
        DemoTrafficPublisher? demo = null;
        string sourcePath = settings.Configuration["Sources:Hubble:Path"] ?? "";
        if (sourcePath.Length > 0 && sourceId is null or JsonLinesFileSource.ComponentId)
        {
            source = (IRecordSource)PipelineAssembler.Create(settings, JsonLinesFileSource.ComponentId, services);
        }
        else if (sourceId is not null && sourceId != JsonLinesFileSource.ComponentId)
        {
            try
            {
                source = PipelineAssembler.CreateSource(settings, sourceId, services);
            }
            catch (ConfigurationErrorException ex)
            {
                Console.Error.WriteLine("netsec run: " + ex.Message);
                return NetSecCli.ConfigurationErrorExitCode;
            }

            sourcePath = sourceId;
        }
        else
        {
            var transport = new InProcessRecordSource(metrics);
            metrics.TrackQueue("in_process_transport", () => transport.Depth);
            demo = new DemoTrafficPublisher(settings.Demo, transport);
            source = transport;
        }

        WebApplication? control = null;
        IReadOnlyList<IAlertSink>? controlSinks = null;
        try
        {
            var (controlOptions, controlPaths) = ControlCommand.Options(settings);
            if (controlOptions.Enabled)
            {
                settings = ControlCommand.FollowedBy(settings, controlOptions, controlPaths);
                // One enforcement sync for the pipeline's block-mode alerts and the control plane's blocks and revokes, so
                // both see (and dedupe, rate-limit and expire) one list. The control plane hosts it: started before the
                // pipeline sends to it, stopped after.
                var enforcementOptions = PipelineAssembler.EnforcementOptionsFor(settings);
                EnforcementService? enforcement = null;
                if (enforcementOptions.Enabled)
                {
                    try
                    {
                        enforcement = EnforcementService.Create(enforcementOptions, metrics, loggerFactory, services.Time);
                    }
                    catch (OptionsValidationException ex)
                    {
                        throw new ConfigurationErrorException([.. ex.Failures]);
                    }
                }

                control = await ControlCommand.StartAsync(settings, controlOptions, controlPaths, metrics, kafka: null, enforcement).ConfigureAwait(false);
                // recent_flows: the policy editor plans against the flows this pipeline sees.
                var sinks = new List<IAlertSink>
                {
                    new TriageStoreSink(control.Services.GetRequiredService<TriageIngest>()),
                    new NetSecStream.Control.Policies.RecentFlowsSink(control.Services.GetRequiredService<NetSecStream.Control.Policies.RecentFlows>()),
                };
                if (enforcement is not null)
                {
                    sinks.Add(new PolicySyncSink(enforcement, metrics));
                }

                controlSinks = sinks;
                Console.Error.WriteLine($"[netsec] control plane on {ControlCommand.Addresses(control)} (API /api); triage store {controlPaths.Database}");
            }
        }
        catch (ConfigurationErrorException ex)
        {
            Console.Error.WriteLine("netsec run: " + ex.Message);
            return NetSecCli.ConfigurationErrorExitCode;
        }

        await using var controlLifetime = control;
        FlowPipeline pipeline;
        try
        {
            // With the control plane on, its policy_sync sink is among controlSinks (sharing its sync): the role must not add another.
            pipeline = PipelineAssembler.Build(settings, source, services, Path.Combine(dataDir, "alerts"), Path.Combine(dataDir, "deadletter"),
                role: control is null ? PipelineRole.Run : PipelineRole.Run with { Enforces = false }, additionalSinks: controlSinks);
        }
        catch (ConfigurationErrorException ex)
        {
            Console.Error.WriteLine("netsec run: " + ex.Message);
            return NetSecCli.ConfigurationErrorExitCode;
        }

        app.Services.GetRequiredService<ReadinessCheck>().Probe = () => (pipeline.IsRunning, $"{pipeline.Stats.RecordsIn} events in, {pipeline.Stats.InFlightEvents} in flight");
        await RoleHost.StartEndpointsAsync(app, settings).ConfigureAwait(false);

        Console.Error.WriteLine(demo is null
            ? $"[netsec] following {sourcePath}; alerts under {dataDir}; Ctrl-C to stop"
            : $"[netsec] streaming the '{settings.Demo.Scenario}' scenario at {settings.Demo.EventsPerSecond:N0} events/s; alerts under {dataDir}; Ctrl-C to stop");

        int exitCode = 0;
        await using (var progress = new ProgressReporter(pipeline.Stats))
        {
            progress.Start();

            // The demo stops by completing the transport, so the pipeline drains; a file source is cancelled.
            using var readCts = new CancellationTokenSource();
            using var registration = demo is null ? stopCts.Token.Register(readCts.Cancel) : default;
            var publishing = demo?.RunAsync(stopCts.Token) ?? Task.CompletedTask;
            try
            {
                await pipeline.RunAsync(readCts.Token).ConfigureAwait(false);
            }
            catch (SinkFailedException ex)
            {
                Console.Error.WriteLine("netsec run: " + ex.Message);
                exitCode = NetSecCli.RuntimeErrorExitCode;
                await stopCts.CancelAsync().ConfigureAwait(false);
            }
            catch (InvalidDataException ex)
            {
                // A capture the source cannot read (not pcap, not NetFlow): an input error, without a stack trace.
                Console.Error.WriteLine("netsec run: " + ex.Message);
                exitCode = NetSecCli.ConfigurationErrorExitCode;
                await stopCts.CancelAsync().ConfigureAwait(false);
            }

            await publishing.ConfigureAwait(false);
        }

        await RoleHost.StopEndpointsAsync(app, settings).ConfigureAwait(false);
        if (control is not null)
        {
            await control.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }

        Console.Error.WriteLine($"[netsec] stopped: {pipeline.Stats.RecordsIn:N0} events, {pipeline.Stats.Alerts:N0} alerts, {pipeline.Stats.Rejected:N0} rejected");
        return exitCode;
    }
}
