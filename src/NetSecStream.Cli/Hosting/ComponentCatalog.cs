using NetSecStream.Collectors.Files;
using NetSecStream.Collectors.Hubble;
using NetSecStream.Collectors.HubbleRelay;
using NetSecStream.Collectors.Kubernetes;
using NetSecStream.Collectors.NetFlow;
using NetSecStream.Collectors.Pcap;
using NetSecStream.Core.Components;
using NetSecStream.Core.Configuration;
using NetSecStream.Core.Ecs;
using NetSecStream.Core.Wire;
using NetSecStream.Kafka;
using NetSecStream.Behaviour.Detection;
using NetSecStream.Pipeline.Detectors.Intel;
using NetSecStream.Pipeline.Enrichment;
using NetSecStream.Pipeline.InProcess;
using NetSecStream.Policy.Audit;
using NetSecStream.Policy.Enforcement;
using NetSecStream.Sinks.Elasticsearch;
using NetSecStream.Sinks.Eve;
using NetSecStream.Signatures.Engine;
using NetSecStream.Sinks.Files;
using NetSecStream.Sinks.Hec;
using NetSecStream.Sinks.Syslog;
using NetSecStream.Sinks.Webhook;

namespace NetSecStream.Cli.Hosting;

/// <summary>
/// Every component NetSecStream can be built from, by id. docs/specs/component.md is the contract each meets;
/// tests/NetSecStream.Cli.Tests/ComponentContractTests checks every entry here against it.
/// </summary>
public static class ComponentCatalog
{
    public static IReadOnlyList<ComponentDescriptor> All { get; } =
    [
        ComponentDescriptor.For<HubbleFileSourceOptions>(JsonLinesFileSource.ComponentId, ComponentKind.Source, HubbleFileSourceOptions.SectionName,
            new HubbleFileSourceOptionsValidator(),
            (options, services) => new JsonLinesFileSource(options, services.LoggerFactory.CreateLogger<JsonLinesFileSource>(), services.Metrics)),
        ComponentDescriptor.WithoutOptions(InProcessRecordSource.ComponentId, ComponentKind.Source, services => new InProcessRecordSource(services.Metrics)),
        ComponentDescriptor.For<HubbleDecoderOptions>(HubbleFlowDecoder.ComponentId, ComponentKind.Decoder, HubbleDecoderOptions.SectionName,
            new HubbleDecoderOptionsValidator(),
            (options, services) => new HubbleFlowDecoder(options, services.Metrics)),
        ComponentDescriptor.WithoutOptions(CommunityIdEnricher.ComponentId, ComponentKind.Enricher, _ => new CommunityIdEnricher()),
        ComponentDescriptor.For<IntelOptions>(IntelDetector.ComponentId, ComponentKind.Detector, IntelOptions.Section, new IntelOptionsValidator(),
            (options, services) => new IntelDetector(options, services.Metrics, services.LoggerFactory.CreateLogger<IntelDetector>())),
        ComponentDescriptor.For<BehaviourOptions>(BehaviourDetector.ComponentId, ComponentKind.Detector, BehaviourOptions.Section, new BehaviourOptionsValidator(),
            (options, services) => new BehaviourDetector(options, services.Metrics, services.LoggerFactory.CreateLogger<BehaviourDetector>())),
        ComponentDescriptor.For<PolicyAuditOptions>(PolicyDetector.ComponentId, ComponentKind.Detector, PolicyAuditOptions.Section, new PolicyAuditOptionsValidator(),
            (options, services) => new PolicyDetector(options, services.Metrics, services.LoggerFactory.CreateLogger<PolicyDetector>())),
        ComponentDescriptor.For<SignatureOptions>("signatures", ComponentKind.Detector, "Detectors:Signatures", new SignatureOptionsValidator(),
            (options, services) => new SignatureDetector(options, services.Metrics, services.LoggerFactory.CreateLogger<SignatureDetector>())),
        ComponentDescriptor.For<FileSinkOptions>(FileSink.ComponentId, ComponentKind.Sink, FileSinkOptions.SectionName, new FileSinkOptionsValidator(),
            (options, services) => new FileSink(options, services.Metrics, services.LoggerFactory.CreateLogger<FileSink>(), services.Time)),
        ComponentDescriptor.For<EveFileSinkOptions>(EveFileSink.ComponentId, ComponentKind.Sink, EveFileSinkOptions.SectionName, new EveFileSinkOptionsValidator(),
            (options, services) => new EveFileSink(options, services.Metrics, services.LoggerFactory.CreateLogger<EveFileSink>(), services.Time)),
        ComponentDescriptor.For<ElasticsearchSinkOptions>(ElasticsearchSink.ComponentId, ComponentKind.Sink, ElasticsearchSinkOptions.SectionName,
            new ElasticsearchSinkOptionsValidator(),
            (options, services) => new ElasticsearchSink(options, services.Metrics, services.LoggerFactory.CreateLogger<ElasticsearchSink>(), services.Time)),
        ComponentDescriptor.For<FileDeadLetterOptions>(FileDeadLetterSink.ComponentId, ComponentKind.Sink, FileDeadLetterOptions.SectionName,
            new FileDeadLetterOptionsValidator(),
            (options, services) => new FileDeadLetterSink(options, services.Metrics, services.LoggerFactory.CreateLogger<FileDeadLetterSink>(), services.Time)),
        ComponentDescriptor.For<KafkaOptions>(KafkaRecordSource.ComponentId, ComponentKind.Source, KafkaOptions.Section, new KafkaOptionsValidator(),
            (options, services) => new KafkaRecordSource(options, services.Metrics, services.LoggerFactory.CreateLogger<KafkaRecordSource>())),
        ComponentDescriptor.For<KafkaOptions>(KafkaFlowPublisher.ComponentId, ComponentKind.Sink, KafkaOptions.Section, new KafkaOptionsValidator(),
            (options, services) => new KafkaFlowPublisher(options, services.Metrics, null, services.LoggerFactory.CreateLogger<KafkaFlowPublisher>())),
        ComponentDescriptor.For<KafkaOptions>(KafkaAlertSink.ComponentId, ComponentKind.Sink, KafkaOptions.Section, new KafkaOptionsValidator(),
            (options, services) => new KafkaAlertSink(options, services.Metrics, services.LoggerFactory.CreateLogger<KafkaAlertSink>())),
        ComponentDescriptor.For<KafkaOptions>(KafkaDeadLetterSink.ComponentId, ComponentKind.Sink, KafkaOptions.Section, new KafkaOptionsValidator(),
            (options, services) => new KafkaDeadLetterSink(options, services.Metrics, services.LoggerFactory.CreateLogger<KafkaDeadLetterSink>())),
        ComponentDescriptor.For<EcsDecoderOptions>(EcsFlowDecoder.ComponentId, ComponentKind.Decoder, EcsDecoderOptions.SectionName, new EcsDecoderOptionsValidator(),
            (options, services) => new EcsFlowDecoder(options, services.Metrics)),
        ComponentDescriptor.For<NetFlowOptions>(NetFlowUdpSource.ComponentId, ComponentKind.Source, NetFlowOptions.SectionName, new NetFlowOptionsValidator(),
            (options, services) => new NetFlowUdpSource(options, services.Metrics, services.LoggerFactory.CreateLogger<NetFlowUdpSource>())),
        ComponentDescriptor.For<PcapOptions>(PcapFlowSource.ComponentId, ComponentKind.Source, PcapOptions.SectionName, new PcapOptionsValidator(),
            (options, services) => new PcapFlowSource(options, services.Metrics, services.LoggerFactory.CreateLogger<PcapFlowSource>())),
        ComponentDescriptor.For<HubbleRelayOptions>(HubbleRelaySource.ComponentId, ComponentKind.Source, HubbleRelayOptions.SectionName, new HubbleRelayOptionsValidator(),
            (options, services) => new HubbleRelaySource(options, services.Metrics, services.LoggerFactory.CreateLogger<HubbleRelaySource>())),
        ComponentDescriptor.For<KubernetesEnrichmentOptions>(KubernetesEnricher.ComponentId, ComponentKind.Enricher, KubernetesEnrichmentOptions.SectionName,
            new KubernetesEnrichmentOptionsValidator(),
            (options, services) => new KubernetesEnricher(options, services.Metrics, services.LoggerFactory.CreateLogger<KubernetesEnricher>())),
        ComponentDescriptor.For<SyslogSinkOptions>(SyslogSink.ComponentId, ComponentKind.Sink, SyslogSinkOptions.SectionName, new SyslogSinkOptionsValidator(),
            (options, services) => new SyslogSink(options, services.Metrics, services.LoggerFactory.CreateLogger<SyslogSink>())),
        ComponentDescriptor.For<HecSinkOptions>(HecSink.ComponentId, ComponentKind.Sink, HecSinkOptions.SectionName, new HecSinkOptionsValidator(),
            (options, services) => new HecSink(options, services.Metrics, services.LoggerFactory.CreateLogger<HecSink>())),
        ComponentDescriptor.For<WebhookSinkOptions>(WebhookSink.ComponentId, ComponentKind.Sink, WebhookSinkOptions.SectionName, new WebhookSinkOptionsValidator(),
            (options, services) => new WebhookSink(options, services.Metrics, services.LoggerFactory.CreateLogger<WebhookSink>(), services.Time)),
        ComponentDescriptor.For<EnforcementOptions>(PolicySyncSink.ComponentId, ComponentKind.Sink, EnforcementOptions.SectionName, new EnforcementOptionsValidator(),
            (options, services) =>
            {
                var sync = EnforcementService.Create(options, services.Metrics, services.LoggerFactory, services.Time);
                return new PolicySyncSink(sync, services.Metrics, owned: sync);
            }),
        ComponentDescriptor.For<FlowWireDecoderOptions>(FlowWireDecoder.ComponentId, ComponentKind.Decoder, FlowWireDecoderOptions.SectionName, new FlowWireDecoderOptionsValidator(),
            (options, services) => new FlowWireDecoder(options, services.Metrics)),
    ];

    public static ComponentDescriptor Get(string id) =>
        All.FirstOrDefault(c => c.Id == id) ?? throw new KeyNotFoundException($"no component with id '{id}'");
}
