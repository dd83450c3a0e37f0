using Microsoft.Extensions.Logging;
using NetSecStream.Cli.Configuration;
using NetSecStream.Collectors.Hubble;
using NetSecStream.Core.Components;
using NetSecStream.Core.Configuration;
using NetSecStream.Core.Telemetry;
using NetSecStream.Pipeline;
using NetSecStream.Pipeline.Decide;
using NetSecStream.Pipeline.Detectors.Intel;
using NetSecStream.Pipeline.Enrichment;
using NetSecStream.Sinks.Files;

namespace NetSecStream.Cli.Hosting;

/// <summary>Builds a <see cref="FlowPipeline"/> from validated settings: the one place components are wired.</summary>
public static class PipelineAssembler
{
    /// <param name="settings">Validated settings.</param>
    /// <param name="source">Where records come from.</param>
    /// <param name="services">Metrics, logging and time.</param>
    /// <param name="defaultAlertDirectory">Alert directory when no sink URI is given.</param>
    /// <param name="deadLetterDirectory">Where undecodable records go.</param>
    public static FlowPipeline Build(AppSettings settings, IRecordSource source, ComponentServices services, string defaultAlertDirectory, string deadLetterDirectory)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(services);
        var decoder = (IFlowDecoder)Create(settings, HubbleFlowDecoder.ComponentId, services);
        var enrichers = new List<IFlowEnricher> { new CommunityIdEnricher() };
        var detectors = new List<IDetector>();
        var intelOptions = (IntelOptions)settings.ComponentOptions(ComponentCatalog.Get(IntelDetector.ComponentId));
        if (intelOptions.Enabled)
        {
            detectors.Add((IDetector)ComponentCatalog.Get(IntelDetector.ComponentId).Create(intelOptions, services));
        }

        var sinks = new List<IAlertSink>();
        var fileDescriptor = ComponentCatalog.Get(FileSink.ComponentId);
        var uris = settings.Sinks.Uris;
        if (uris.Count == 0)
        {
            var options = (FileSinkOptions)settings.ComponentOptions(fileDescriptor);
            if (string.IsNullOrEmpty(options.Directory))
            {
                options.Directory = defaultAlertDirectory;
            }

            sinks.Add((IAlertSink)fileDescriptor.Create(options, services));
        }

        foreach (string text in uris)
        {
            if (!SinkUri.TryParse(text, out var uri, out string? error))
            {
                throw new ConfigurationErrorException([error!]);
            }

            switch (uri!.Scheme)
            {
                case "file":
                    var options = (FileSinkOptions)settings.ComponentOptions(fileDescriptor);
                    options.Directory = uri.Uri.LocalPath;
                    sinks.Add((IAlertSink)fileDescriptor.Create(options, services));
                    break;
            }
        }

        var deadLetters = new FileDeadLetterSink(deadLetterDirectory, services.Metrics);
        var components = new PipelineComponents(source, decoder, enrichers, detectors, sinks, deadLetters);
        return new FlowPipeline(settings.Pipeline, components, new ModeResolver(settings.Modes), services.Metrics, services.LoggerFactory);
    }

    public static INetSecComponent Create(AppSettings settings, string id, ComponentServices services)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var descriptor = ComponentCatalog.Get(id);
        return descriptor.Create(settings.ComponentOptions(descriptor), services);
    }

    public static ComponentServices Services(NetSecMetrics metrics, ILoggerFactory loggerFactory) => new(metrics, loggerFactory, TimeProvider.System);
}
