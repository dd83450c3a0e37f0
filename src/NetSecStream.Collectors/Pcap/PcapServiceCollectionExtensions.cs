using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NetSecStream.Core.Components;
using NetSecStream.Core.Telemetry;

namespace NetSecStream.Collectors.Pcap;

public static class PcapServiceCollectionExtensions
{
    /// <summary>
    /// Registers the <c>pcap</c> source bound to <c>Collectors:Pcap</c> (validated at start-up, unknown keys rejected)
    /// as <see cref="IFlowEventSource"/>.
    /// </summary>
    public static IServiceCollection AddPcapFlowSource(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<PcapOptions>()
            .Bind(configuration.GetSection(PcapOptions.SectionName), binder => binder.ErrorOnUnknownConfiguration = true)
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PcapOptions>, PcapOptionsValidator>());
        services.TryAddSingleton(provider => new PcapFlowSource(
            provider.GetRequiredService<IOptions<PcapOptions>>().Value,
            provider.GetService<NetSecMetrics>(),
            provider.GetService<ILogger<PcapFlowSource>>()));
        services.AddSingleton<IFlowEventSource>(provider => provider.GetRequiredService<PcapFlowSource>());
        return services;
    }
}
