using Microsoft.Extensions.Options;
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
    /// <param name="alwaysWriteDefault">Write to <paramref name="defaultAlertDirectory"/> even when sink URIs are given (replay's --out).</param>
    public static FlowPipeline Build(AppSettings settings, IRecordSource source, ComponentServices services, string defaultAlertDirectory, string deadLetterDirectory,
        bool alwaysWriteDefault = false)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(services);
        var decoderDescriptor = ComponentCatalog.Get(HubbleFlowDecoder.ComponentId);
        var decoderOptions = (HubbleDecoderOptions)settings.ComponentOptions(decoderDescriptor);
        decoderOptions.Cluster ??= settings.Cluster.Name;
        var decoder = (IFlowDecoder)Create(decoderDescriptor, decoderOptions, services);
        var enrichers = new List<IFlowEnricher> { new CommunityIdEnricher() };
        var detectors = new List<IDetector>();
        var intelOptions = (IntelOptions)settings.ComponentOptions(ComponentCatalog.Get(IntelDetector.ComponentId));
        if (intelOptions.Enabled)
        {
            detectors.Add((IDetector)Create(ComponentCatalog.Get(IntelDetector.ComponentId), intelOptions, services));
        }

        var sinks = new List<IAlertSink>();
        var fileDescriptor = ComponentCatalog.Get(FileSink.ComponentId);
        var uris = settings.Sinks.Uris;
        if (uris.Count == 0 || alwaysWriteDefault)
        {
            var options = (FileSinkOptions)settings.ComponentOptions(fileDescriptor);
            if (string.IsNullOrEmpty(options.Directory) || alwaysWriteDefault)
            {
                options.Directory = defaultAlertDirectory;
            }

            sinks.Add((IAlertSink)Create(fileDescriptor, options, services));
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
                    sinks.Add((IAlertSink)Create(fileDescriptor, options, services));
                    break;
            }
        }

        var deadLetterDescriptor = ComponentCatalog.Get(FileDeadLetterSink.ComponentId);
        var deadLetterOptions = (FileDeadLetterOptions)settings.ComponentOptions(deadLetterDescriptor);
        if (string.IsNullOrEmpty(deadLetterOptions.Directory))
        {
            deadLetterOptions.Directory = deadLetterDirectory;
        }

        var deadLetters = (IDeadLetterSink)Create(deadLetterDescriptor, deadLetterOptions, services);
        var components = new PipelineComponents(source, decoder, enrichers, detectors, sinks, deadLetters);
        return new FlowPipeline(settings.Pipeline, components, new ModeResolver(settings.Modes), services.Metrics, services.LoggerFactory);
    }

    /// <summary>Builds a registered component from its configuration section; invalid options are a configuration error.</summary>
    public static INetSecComponent Create(AppSettings settings, string id, ComponentServices services)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var descriptor = ComponentCatalog.Get(id);
        return Create(descriptor, settings.ComponentOptions(descriptor), services);
    }

    private static INetSecComponent Create(ComponentDescriptor descriptor, object options, ComponentServices services)
    {
        try
        {
            return descriptor.Create(options, services);
        }
        catch (OptionsValidationException ex)
        {
            throw new ConfigurationErrorException([.. ex.Failures]);
        }
    }

    public static ComponentServices Services(NetSecMetrics metrics, ILoggerFactory loggerFactory) => new(metrics, loggerFactory, TimeProvider.System);
}
