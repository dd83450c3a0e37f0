using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NetSecStream.Core.Components;
using NetSecStream.Core.Telemetry;

namespace NetSecStream.Collectors.HubbleRelay;

public static class HubbleRelayServiceCollectionExtensions
{
    /// <summary>
    /// Registers the <c>hubble_relay</c> source bound to <c>Collectors:HubbleRelay</c> (validated at start-up, unknown
    /// keys rejected) as <see cref="IFlowEventSource"/>.
    /// </summary>
    public static IServiceCollection AddHubbleRelaySource(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<HubbleRelayOptions>()
            .Bind(configuration.GetSection(HubbleRelayOptions.SectionName), binder => binder.ErrorOnUnknownConfiguration = true)
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<HubbleRelayOptions>, HubbleRelayOptionsValidator>());
        services.TryAddSingleton(provider => new HubbleRelaySource(
            provider.GetRequiredService<IOptions<HubbleRelayOptions>>().Value,
            provider.GetService<NetSecMetrics>(),
            provider.GetService<ILogger<HubbleRelaySource>>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IFlowEventSource, HubbleRelaySource>(provider => provider.GetRequiredService<HubbleRelaySource>()));
        return services;
    }
}
