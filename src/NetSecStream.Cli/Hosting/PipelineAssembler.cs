using Microsoft.Extensions.Options;
using NetSecStream.Behaviour.Detection;
using NetSecStream.Cli.Configuration;
using NetSecStream.Collectors.Files;
using NetSecStream.Collectors.Hubble;
using NetSecStream.Collectors.HubbleRelay;
using NetSecStream.Collectors.Kubernetes;
using NetSecStream.Collectors.NetFlow;
using NetSecStream.Collectors.Pcap;
using NetSecStream.Core.Components;
using NetSecStream.Core.Configuration;
using NetSecStream.Core.Telemetry;
using NetSecStream.Core.Wire;
using NetSecStream.Kafka;
using NetSecStream.Pipeline;
using NetSecStream.Pipeline.Decide;
using NetSecStream.Pipeline.Detectors.Intel;
using NetSecStream.Pipeline.Enrichment;
using NetSecStream.Policy.Audit;
using NetSecStream.Policy.Enforcement;
using NetSecStream.Sinks.Delivery;
using NetSecStream.Sinks.Elasticsearch;
using NetSecStream.Sinks.Eve;
using NetSecStream.Signatures.Engine;
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
    /// <param name="role">What differs between roles: the decoder, the default sinks, the dead-letter path.</param>
    /// <param name="sinks">Given sinks instead of those the settings and role name (benchmarks, tests).</param>
    /// <param name="deadLetters">A given dead-letter sink instead of the role's.</param>
    /// <param name="additionalSinks">Sinks added to the others, unbuffered (the control plane's triage store in <c>netsec run</c>).</param>
    public static FlowPipeline Build(AppSettings settings, IRecordSource source, ComponentServices services, string defaultAlertDirectory, string deadLetterDirectory,
        bool alwaysWriteDefault = false, PipelineRole? role = null, IReadOnlyList<IAlertSink>? sinks = null, IDeadLetterSink? deadLetters = null,
        IReadOnlyList<IAlertSink>? additionalSinks = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(services);
        role ??= PipelineRole.Embedded;
        var decoder = CreateDecoder(settings, role.DecoderId, services);
        var enrichers = CreateEnrichers(settings, services);
        var detectors = new List<IDetector>();
        var intelOptions = (IntelOptions)settings.ComponentOptions(ComponentCatalog.Get(IntelDetector.ComponentId));
        if (intelOptions.Enabled)
        {
            detectors.Add((IDetector)Create(ComponentCatalog.Get(IntelDetector.ComponentId), intelOptions, services));
        }

        var behaviour = (BehaviourOptions)settings.ComponentOptions(ComponentCatalog.Get(BehaviourDetector.ComponentId));
        if (behaviour.Enabled)
        {
            detectors.Add((IDetector)Create(ComponentCatalog.Get(BehaviourDetector.ComponentId), behaviour, services));
        }

        var policy = (PolicyAuditOptions)settings.ComponentOptions(ComponentCatalog.Get(PolicyDetector.ComponentId));
        if (policy.Enabled)
        {
            detectors.Add((IDetector)Create(ComponentCatalog.Get(PolicyDetector.ComponentId), policy, services));
        }

        var signatures = (SignatureOptions)settings.ComponentOptions(ComponentCatalog.Get("signatures"));
        if (signatures.Paths.Count > 0 || signatures.ControlDirectory is not null)
        {
            detectors.Add((IDetector)Create(ComponentCatalog.Get("signatures"), signatures, services));
        }

        // Dead letters first: buffered sinks dead-letter spill records that fail their checksum.
        deadLetters ??= role.DeadLetterId == FileDeadLetterSink.ComponentId
            ? FileDeadLetters(settings, services, deadLetterDirectory)
            : (IDeadLetterSink)Create(settings, role.DeadLetterId, services);
        // Additional sinks (the control plane's triage store) write to local disk themselves and are not buffered.
        var components = new PipelineComponents(source, decoder, enrichers, detectors,
            [.. sinks ?? CreateSinks(settings, services, defaultAlertDirectory, alwaysWriteDefault, role, deadLetters), .. additionalSinks ?? []],
            deadLetters);
        foreach (var sink in components.Sinks)
        {
            // Documents Elasticsearch refuses for good (mapping errors) go where undecodable records go.
            if ((sink is BufferedSink buffered ? buffered.Inner : sink) is ElasticsearchSink elasticsearch)
            {
                elasticsearch.DeadLetters ??= components.DeadLetters;
            }
        }

        ModeTable modes;
        try
        {
            modes = ModeFileWatcher.CreateTable(settings.Modes, services.Metrics, services.LoggerFactory);
        }
        catch (InvalidOperationException ex)
        {
            throw new ConfigurationErrorException([ex.Message]);
        }

        return new FlowPipeline(settings.Pipeline, components, new ModeResolver(modes), services.Metrics, services.LoggerFactory);
    }

    /// <summary>
    /// Community ID always; Kubernetes identity (pod, namespace, labels, workload by address) when the
    /// <c>Enrichers:Kubernetes</c> section is configured, for sources that do not know it (NetFlow, pcap).
    /// </summary>
    public static List<IFlowEnricher> CreateEnrichers(AppSettings settings, ComponentServices services)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var enrichers = new List<IFlowEnricher>();
        if (settings.Configuration.GetSection(KubernetesEnrichmentOptions.SectionName).Exists())
        {
            enrichers.Add((IFlowEnricher)Create(settings, KubernetesEnricher.ComponentId, services));
        }

        enrichers.Add(new CommunityIdEnricher());
        return enrichers;
    }

    /// <summary>
    /// The source a <c>--source</c> id names, as a record source: collectors that decode their own input (NetFlow,
    /// pcap, Hubble Relay) are wrapped so their flows skip the decoder and their rejections are dead-lettered.
    /// </summary>
    public static IRecordSource CreateSource(AppSettings settings, string sourceId, ComponentServices services, Action<object>? adjust = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(services);
        if (!SourceIds.Contains(sourceId))
        {
            throw new ConfigurationErrorException([$"unknown source '{sourceId}' (one of: {string.Join(", ", SourceIds)})"]);
        }

        var descriptor = ComponentCatalog.Get(sourceId);
        var options = settings.ComponentOptions(descriptor);
        adjust?.Invoke(options);
        var component = Create(descriptor, options, services);
        return component switch
        {
            IRecordSource records => records,
            IFlowEventSource flows => new FlowEventRecordSource(flows, services.Metrics),
            _ => throw new ConfigurationErrorException([$"component '{sourceId}' is not a source"]),
        };
    }

    /// <summary>Sources a role can read from by <c>--source</c>.</summary>
    public static IReadOnlyList<string> SourceIds { get; } =
        [JsonLinesFileSource.ComponentId, NetFlowUdpSource.ComponentId, PcapFlowSource.ComponentId, HubbleRelaySource.ComponentId];

    private static List<IAlertSink> CreateSinks(AppSettings settings, ComponentServices services, string defaultAlertDirectory, bool alwaysWriteDefault,
        PipelineRole role, IDeadLetterSink deadLetters)
    {
        var sinks = new List<IAlertSink>();
        foreach (string id in role.AlwaysSinks)
        {
            sinks.Add((IAlertSink)Create(settings, id, services));
        }

        var fileDescriptor = ComponentCatalog.Get(FileSink.ComponentId);
        var uris = settings.Sinks.Uris;
        if ((uris.Count == 0 && role.DefaultFileSink) || alwaysWriteDefault)
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
            var uri = SinkUri.Parse(text);
            sinks.Add(uri.Registration.Create(uri, settings, services));
        }

        if (role.Enforces && EnforcementOptionsFor(settings) is { Enabled: true } enforcement)
        {
            sinks.Add((IAlertSink)Create(ComponentCatalog.Get(PolicySyncSink.ComponentId), enforcement, services));
        }

        return WithDelivery(sinks, settings, services, deadLetters);
    }

    /// <summary>
    /// Sinks that write to the local disk themselves (file, eve_file) are not buffered: a spill would go to the same
    /// disk, fail the same way (full, read-only) and double the writes. Every other sink is.
    /// </summary>
    public static IReadOnlySet<string> UnbufferedSinkIds { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        FileSink.ComponentId, EveFileSink.ComponentId,

        // Hands alerts to its own bounded queue and never fails: a spill would only delay blocks.
        PolicySyncSink.ComponentId,
    };

    /// <summary>The <c>Enforcement</c> section, its audit log defaulting to <c>Storage:DataDirectory/enforcement/audit.jsonl</c>.</summary>
    public static EnforcementOptions EnforcementOptionsFor(AppSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var options = (EnforcementOptions)settings.ComponentOptions(ComponentCatalog.Get(PolicySyncSink.ComponentId));
        if (string.IsNullOrWhiteSpace(options.AuditLogPath))
        {
            options.AuditLogPath = Path.Combine(settings.Storage.DataDirectory, "enforcement", "audit.jsonl");
        }

        return options;
    }

    /// <summary>
    /// Wraps every sink but the local-file ones in a <see cref="BufferedSink"/> configured from <c>Sinks:Delivery</c>
    /// (its spill under <c>Storage:DataDirectory/spill</c> unless set), so a destination that is down costs disk space,
    /// not the pipeline. Sinks sharing an id get spill folders <c>id</c>, <c>id_2</c>, ... in configuration order.
    /// </summary>
    public static List<IAlertSink> WithDelivery(IReadOnlyList<IAlertSink> sinks, AppSettings settings, ComponentServices services, IDeadLetterSink? deadLetters)
    {
        ArgumentNullException.ThrowIfNull(sinks);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(services);
        var delivery = DeliveryOptionsFor(settings);
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var wrapped = new List<IAlertSink>(sinks.Count);
        foreach (var sink in sinks)
        {
            int n = seen[sink.Id] = seen.GetValueOrDefault(sink.Id) + 1;
            var options = delivery.For(sink.Id);
            wrapped.Add(!options.Enabled || UnbufferedSinkIds.Contains(sink.Id) || sink is BufferedSink
                ? sink
                : new BufferedSink(sink, options, n == 1 ? sink.Id : $"{sink.Id}_{n}", services.Metrics, deadLetters,
                    services.LoggerFactory.CreateLogger<BufferedSink>(), services.Time));
        }

        return wrapped;
    }

    /// <summary>The <c>Sinks:Delivery</c> section, checked, with the spill folder defaulting to <c>Storage:DataDirectory/spill</c>.</summary>
    public static DeliveryOptions DeliveryOptionsFor(AppSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var options = new DeliveryOptions();
        settings.Configuration.GetSection(DeliveryOptions.SectionName).Bind(options, o => o.ErrorOnUnknownConfiguration = true);
        if (string.IsNullOrWhiteSpace(options.SpillDirectory))
        {
            options.SpillDirectory = Path.Combine(settings.Storage.DataDirectory, "spill");
        }

        var result = new DeliveryOptionsValidator().Validate(null, options);
        return result.Failed ? throw new ConfigurationErrorException([.. result.Failures ?? [result.FailureMessage]]) : options;
    }

    /// <summary>
    /// <c>Sinks:Elasticsearch</c> with what an <c>elasticsearch+https://user:password@host:9200?include_flows=true</c> URI
    /// says on top: the URL, basic credentials, <c>include_flows</c> and <c>namespace</c> (the default data-stream namespace).
    /// </summary>
    internal static ElasticsearchSinkOptions ElasticsearchOptionsFor(AppSettings settings, SinkUri sink)
    {
        var uri = sink.Uri;
        var options = (ElasticsearchSinkOptions)settings.ComponentOptions(ComponentCatalog.Get(ElasticsearchSink.ComponentId));
        string scheme = uri.Scheme.EndsWith("https", StringComparison.OrdinalIgnoreCase) ? "https" : "http";
        options.Url = $"{scheme}://{uri.Authority}{uri.AbsolutePath.TrimEnd('/')}";
        if (uri.UserInfo.Split(':', 2) is [{ Length: > 0 } user, var password])
        {
            options.Username = Uri.UnescapeDataString(user);
            options.Password = Uri.UnescapeDataString(password);
            options.ApiKey = null;
        }

        if (sink.Get("include_flows") is { } flows)
        {
            options.IncludeFlows = flows is "" or "true" or "1";
        }

        if (sink.Get("namespace") is { Length: > 0 } ns)
        {
            options.DefaultNamespace = ns;
        }

        return options;
    }

    public static IFlowDecoder CreateDecoder(AppSettings settings, string decoderId, ComponentServices services)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var descriptor = ComponentCatalog.Get(decoderId);
        var options = settings.ComponentOptions(descriptor);
        if (options is HubbleDecoderOptions hubble)
        {
            hubble.Cluster ??= settings.Cluster.Name;
        }

        return (IFlowDecoder)Create(descriptor, options, services);
    }

    public static IDeadLetterSink FileDeadLetters(AppSettings settings, ComponentServices services, string defaultDirectory)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var descriptor = ComponentCatalog.Get(FileDeadLetterSink.ComponentId);
        var options = (FileDeadLetterOptions)settings.ComponentOptions(descriptor);
        if (string.IsNullOrEmpty(options.Directory))
        {
            options.Directory = defaultDirectory;
        }

        return (IDeadLetterSink)Create(descriptor, options, services);
    }

    public static KafkaOptions KafkaOptionsFor(AppSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return (KafkaOptions)settings.ComponentOptions(ComponentCatalog.Get(KafkaRecordSource.ComponentId));
    }

    /// <summary>Builds a registered component from its configuration section; invalid options are a configuration error.</summary>
    public static INetSecComponent Create(AppSettings settings, string id, ComponentServices services)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var descriptor = ComponentCatalog.Get(id);
        return Create(descriptor, settings.ComponentOptions(descriptor), services);
    }

    public static INetSecComponent Create(ComponentDescriptor descriptor, object options, ComponentServices services)
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

/// <summary>How a role wires the shared pipeline.</summary>
/// <param name="DecoderId">Decoder of the source's records.</param>
/// <param name="DefaultFileSink">Whether a file sink is added when no sink URI is given.</param>
/// <param name="AlwaysSinks">Sinks every instance of the role writes to, by component id.</param>
/// <param name="DeadLetterId">Where undecodable records go, by component id.</param>
/// <param name="Enforces">Whether block-mode alerts go to the enforcement sync (<c>policy_sync</c>) when <c>Enforcement:Enabled</c>.</param>
public sealed record PipelineRole(string DecoderId, bool DefaultFileSink, IReadOnlyList<string> AlwaysSinks, string DeadLetterId, bool Enforces = false)
{
    /// <summary>
    /// <c>run</c>: as <see cref="Embedded"/>, and it is the control plane, so it enforces blocks. Replays, benchmarks and
    /// processors never do: only the control plane writes to clusters.
    /// </summary>
    public static PipelineRole Run { get; } = new(HubbleFlowDecoder.ComponentId, true, [], FileDeadLetterSink.ComponentId, Enforces: true);

    /// <summary><c>run</c>, <c>replay</c>, <c>bench</c>: Hubble records, file sink, file dead letters.</summary>
    public static PipelineRole Embedded { get; } = new(HubbleFlowDecoder.ComponentId, true, [], FileDeadLetterSink.ComponentId);

    /// <summary><c>process</c>: ECS flows from Kafka, alerts to the alerts topic, dead letters to the dead-letter topic.</summary>
    public static PipelineRole KafkaProcessor { get; } = new(FlowWireDecoder.ComponentId, false, [KafkaAlertSink.ComponentId], KafkaDeadLetterSink.ComponentId);
}
