using NetSecStream.Core.Components;
using NetSecStream.Core.Configuration;
using NetSecStream.Pipeline.Detectors.Intel;
using NetSecStream.Pipeline.Enrichment;
using NetSecStream.Pipeline.InProcess;

namespace NetSecStream.Cli.Hosting;

/// <summary>
/// Every component NetSecStream can be built from, by id. docs/specs/component.md is the contract each meets;
/// tests/NetSecStream.Cli.Tests/ComponentContractTests checks every entry here against it.
/// </summary>
public static class ComponentCatalog
{
    public static IReadOnlyList<ComponentDescriptor> All { get; } =
    [
        ComponentDescriptor.WithoutOptions(InProcessRecordSource.ComponentId, ComponentKind.Source, _ => new InProcessRecordSource()),
        ComponentDescriptor.WithoutOptions(CommunityIdEnricher.ComponentId, ComponentKind.Enricher, _ => new CommunityIdEnricher()),
        ComponentDescriptor.For<IntelOptions>(IntelDetector.ComponentId, ComponentKind.Detector, IntelOptions.Section, new IntelOptionsValidator(),
            (options, services) => new IntelDetector(options, services.Metrics, services.LoggerFactory.CreateLogger<IntelDetector>())),
    ];

    public static ComponentDescriptor Get(string id) =>
        All.FirstOrDefault(c => c.Id == id) ?? throw new KeyNotFoundException($"no component with id '{id}'");
}
