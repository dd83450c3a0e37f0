using System.CommandLine;
using NetSecStream.Cli.Configuration;
using NetSecStream.Cli.Hosting;
using NetSecStream.Collectors.Files;
using NetSecStream.Collectors.Hubble;
using NetSecStream.Core.Components;
using NetSecStream.Core.Telemetry;
using NetSecStream.Kafka;

namespace NetSecStream.Cli.Commands;

/// <summary>
/// <c>netsec collect</c>: reads Hubble flows (a followed file or stdin), decodes and enriches them, and publishes
/// them to the Kafka flows topic. Undecodable lines and messages the broker refuses go to local dead-letter files.
/// </summary>
public static class CollectCommand
{
    public static Command Create()
    {
        var input = new Option<string?>("--input", "-i") { Description = "Hubble JSON-lines file to follow (like tail -F), or '-' for stdin. Same as --Sources:Hubble:Path." };
        var once = new Option<bool>("--once") { Description = "Read the file to its end and exit instead of following it." };
        var source = new Option<string>("--source") { Description = "Collector: hubble_file (default; --input), netflow (UDP, Collectors:NetFlow), pcap (Collectors:Pcap:File or :Interface), hubble_relay (Collectors:HubbleRelay:Address).", DefaultValueFactory = _ => JsonLinesFileSource.ComponentId };
        source.AcceptOnlyFromAmong([.. PipelineAssembler.SourceIds]);
        var command = new Command("collect", "Publish collected flows to Kafka (topic Kafka:FlowsTopic, keyed by Community ID).") { input, once, source };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((parse, token) => RunAsync(parse, parse.GetValue(input), parse.GetValue(once), parse.GetValue(source)!, token));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse, string? input, bool once, string sourceId, CancellationToken token)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        if (input is not null)
        {
            values["Sources:Hubble:Path"] = input;
            values["Sources:Hubble:Follow"] = input == "-" || once ? "false" : "true";
        }

        var settings = NetSecCli.LoadSettings(parse, values);
        if (settings is null)
        {
            return NetSecCli.ConfigurationErrorExitCode;
        }

        await using var app = RoleHost.Build(settings);
        var metrics = app.Services.GetRequiredService<NetSecMetrics>();
        var services = PipelineAssembler.Services(metrics, app.Services.GetRequiredService<ILoggerFactory>());
        IRecordSource source;
        IFlowDecoder decoder;
        List<IFlowEnricher> enrichers;
        IDeadLetterSink deadLetters;
        KafkaFlowPublisher publisher;
        try
        {
            if (sourceId == JsonLinesFileSource.ComponentId && string.IsNullOrEmpty(settings.Configuration["Sources:Hubble:Path"]))
            {
                throw new ConfigurationErrorException(["netsec collect needs a source: --input <file|-> or Sources:Hubble:Path, or --source netflow|pcap|hubble_relay"]);
            }

            source = PipelineAssembler.CreateSource(settings, sourceId, services);
            enrichers = PipelineAssembler.CreateEnrichers(settings, services);
            decoder = PipelineAssembler.CreateDecoder(settings, HubbleFlowDecoder.ComponentId, services);
            deadLetters = PipelineAssembler.FileDeadLetters(settings, services, Path.Combine(Path.GetFullPath(settings.Storage.DataDirectory), "deadletter"));
            var kafka = PipelineAssembler.KafkaOptionsFor(settings);
            var failures = new KafkaOptionsValidator().Validate(null, kafka);
            if (failures.Failed)
            {
                throw new ConfigurationErrorException([.. failures.Failures!]);
            }

            publisher = new KafkaFlowPublisher(kafka, metrics, deadLetters, app.Services.GetRequiredService<ILogger<KafkaFlowPublisher>>());
        }
        catch (ConfigurationErrorException ex)
        {
            Console.Error.WriteLine("netsec collect: " + ex.Message);
            return NetSecCli.ConfigurationErrorExitCode;
        }

        await using (publisher)
        {
            bool running = false;
            app.Services.GetRequiredService<ReadinessCheck>().Probe = () => (running, $"{publisher.Delivered} flows delivered, {publisher.InFlight} in flight");
            await RoleHost.StartEndpointsAsync(app, settings).ConfigureAwait(false);
            var starting = new List<INetSecComponent> { (INetSecComponent)deadLetters, decoder };
            starting.AddRange(enrichers);
            starting.Add(source);
            try
            {
                foreach (var component in starting)
                {
                    await component.StartAsync(token).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is InvalidDataException or InvalidOperationException or IOException)
            {
                // A source that cannot start (unreadable capture, unreachable relay, unlistable pods) names the cause.
                Console.Error.WriteLine("netsec collect: " + ex.Message);
                return NetSecCli.ConfigurationErrorExitCode;
            }

            running = true;
            Console.Error.WriteLine($"[netsec] collecting from {(sourceId == JsonLinesFileSource.ComponentId ? settings.Configuration["Sources:Hubble:Path"] : sourceId)} to {PipelineAssembler.KafkaOptionsFor(settings).FlowsTopic}");
            CollectSummary summary;
            try
            {
                summary = await KafkaCollector.RunAsync(source, decoder, enrichers, publisher, deadLetters, metrics, token).ConfigureAwait(false);
            }
            catch (InvalidDataException ex)
            {
                Console.Error.WriteLine("netsec collect: " + ex.Message);
                return NetSecCli.ConfigurationErrorExitCode;
            }

            running = false;
            starting.Reverse();
            foreach (var component in starting)
            {
                await component.StopAsync(CancellationToken.None).ConfigureAwait(false);
            }

            await RoleHost.StopEndpointsAsync(app, settings).ConfigureAwait(false);
            Console.Error.WriteLine($"[netsec] collected {summary.Read:N0} records: {summary.Published:N0} published, {summary.Rejected:N0} rejected, {summary.Failed:N0} refused by the broker (dead-lettered)");
            return summary.Failed == 0 ? 0 : NetSecCli.RuntimeErrorExitCode;
        }
    }
}
