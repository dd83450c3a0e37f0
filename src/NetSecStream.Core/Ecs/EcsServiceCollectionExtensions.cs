using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using NetSecStream.Core.Components;
using NetSecStream.Core.Telemetry;

namespace NetSecStream.Core.Ecs;

public static class EcsServiceCollectionExtensions
{
    /// <summary>
    /// Registers the <c>ecs_json</c> decoder bound to <c>Decoders:Ecs</c> (validated at start-up, unknown keys
    /// rejected) as <see cref="IFlowDecoder"/>.
    /// </summary>
    public static IServiceCollection AddEcsDecoder(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<EcsDecoderOptions>()
            .Bind(configuration.GetSection(EcsDecoderOptions.SectionName), binder => binder.ErrorOnUnknownConfiguration = true)
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<EcsDecoderOptions>, EcsDecoderOptionsValidator>());
        services.TryAddSingleton(provider => new EcsFlowDecoder(
            provider.GetRequiredService<IOptions<EcsDecoderOptions>>().Value,
            provider.GetService<NetSecMetrics>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IFlowDecoder, EcsFlowDecoder>(provider => provider.GetRequiredService<EcsFlowDecoder>()));
        return services;
    }
}
