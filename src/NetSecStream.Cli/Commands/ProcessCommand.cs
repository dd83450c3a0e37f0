using System.CommandLine;
using NetSecStream.Cli.Configuration;
using NetSecStream.Cli.Hosting;
using NetSecStream.Core.Components;
using NetSecStream.Core.Telemetry;
using NetSecStream.Kafka;
using NetSecStream.Pipeline;

namespace NetSecStream.Cli.Commands;

/// <summary>
/// <c>netsec process</c>: a member of the processors' consumer group on the flows topic. Runs the same graph as the
/// embedded pipeline, writes alerts to the alerts topic (and to any <c>--sink</c>), undecodable messages to the
/// dead-letter topic, and commits offsets only after every sink accepted the events. Ctrl-C drains, commits, leaves.
/// </summary>
public static class ProcessCommand
{
    public static Command Create()
    {
        var sinks = new Option<string[]>("--sink") { Description = "Additional sink URI, repeatable: file:///var/lib/netsec/alerts, kafka://broker:9092/topic." };
        var duration = new Option<TimeSpan?>("--duration") { Description = "Stop by itself after this long; default: until Ctrl-C." };
        var command = new Command("process", "Consume flows from Kafka as a consumer group, detect, and write alerts.") { sinks, duration };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((parse, token) => RunAsync(parse, parse.GetValue(sinks) ?? [], parse.GetValue(duration), token));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse, string[] sinkUris, TimeSpan? duration, CancellationToken token)
    {
        var values = NetSecCli.SinkUriValues(sinkUris);

        var settings = NetSecCli.LoadSettings(parse, values);
        if (settings is null)
        {
            return NetSecCli.ConfigurationErrorExitCode;
        }

        using var stopCts = CancellationTokenSource.CreateLinkedTokenSource(token);
        if (duration is { } limit)
        {
            stopCts.CancelAfter(limit);
        }

        await using var app = RoleHost.Build(settings);
        var metrics = app.Services.GetRequiredService<NetSecMetrics>();
        var services = PipelineAssembler.Services(metrics, app.Services.GetRequiredService<ILoggerFactory>());
        FlowPipeline pipeline;
        KafkaOptions kafka;
        try
        {
            kafka = PipelineAssembler.KafkaOptionsFor(settings);
            var source = (IRecordSource)PipelineAssembler.Create(settings, KafkaRecordSource.ComponentId, services);
            string dataDir = Path.GetFullPath(settings.Storage.DataDirectory);
            pipeline = PipelineAssembler.Build(settings, source, services, Path.Combine(dataDir, "alerts"), Path.Combine(dataDir, "deadletter"),
                role: PipelineRole.KafkaProcessor);
        }
        catch (ConfigurationErrorException ex)
        {
            Console.Error.WriteLine("netsec process: " + ex.Message);
            return NetSecCli.ConfigurationErrorExitCode;
        }

        app.Services.GetRequiredService<ReadinessCheck>().Probe = () => (pipeline.IsRunning, $"{pipeline.Stats.RecordsIn} events in, {pipeline.Stats.InFlightEvents} in flight");
        await RoleHost.StartEndpointsAsync(app, settings).ConfigureAwait(false);
        Console.Error.WriteLine($"[netsec] processing {kafka.FlowsTopic} as group {kafka.GroupId}; alerts to {kafka.AlertsTopic}; Ctrl-C to stop");
        int exitCode = 0;
        await using (var progress = new ProgressReporter(pipeline.Stats))
        {
            progress.Start();
            try
            {
                await pipeline.RunAsync(stopCts.Token).ConfigureAwait(false);
            }
            catch (SinkFailedException ex)
            {
                Console.Error.WriteLine("netsec process: " + ex.Message);
                exitCode = NetSecCli.RuntimeErrorExitCode;
            }
            catch (Confluent.Kafka.KafkaException ex)
            {
                Console.Error.WriteLine("netsec process: " + ex.Message);
                exitCode = NetSecCli.RuntimeErrorExitCode;
            }
        }

        await RoleHost.StopEndpointsAsync(app, settings).ConfigureAwait(false);
        Console.Error.WriteLine($"[netsec] stopped: {pipeline.Stats.RecordsIn:N0} events, {pipeline.Stats.Alerts:N0} alerts, {pipeline.Stats.Rejected:N0} rejected");
        return exitCode;
    }
}
