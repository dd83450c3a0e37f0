using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NetSecStream.Core.Components;
using NetSecStream.Core.Telemetry;

namespace NetSecStream.Collectors.Kubernetes;

public static class KubernetesServiceCollectionExtensions
{
    /// <summary>
    /// Registers the <c>kubernetes</c> enricher bound to <c>Enrichers:Kubernetes</c> (validated at start-up, unknown
    /// keys rejected) as <see cref="IFlowEnricher"/>. The host must start it (<see cref="INetSecComponent.StartAsync"/>)
    /// before flows reach it, and stop it on shutdown.
    /// </summary>
    public static IServiceCollection AddKubernetesEnricher(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<KubernetesEnrichmentOptions>()
            .Bind(configuration.GetSection(KubernetesEnrichmentOptions.SectionName), binder => binder.ErrorOnUnknownConfiguration = true)
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<KubernetesEnrichmentOptions>, KubernetesEnrichmentOptionsValidator>());
        services.TryAddSingleton(provider => new KubernetesEnricher(
            provider.GetRequiredService<IOptions<KubernetesEnrichmentOptions>>().Value,
            provider.GetService<NetSecMetrics>(),
            provider.GetService<ILogger<KubernetesEnricher>>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IFlowEnricher, KubernetesEnricher>(provider => provider.GetRequiredService<KubernetesEnricher>()));
        return services;
    }
}
