using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NetSecStream.Collectors.Files;
using NetSecStream.Core.Components;
using NetSecStream.Core.Telemetry;

namespace NetSecStream.Collectors.Hubble;

public static class HubbleServiceCollectionExtensions
{
    /// <summary>
    /// Registers the <c>hubble_file</c> source bound to <c>Sources:Hubble</c> (validated at start-up, unknown keys
    /// rejected) as <see cref="IRecordSource"/>, and the <c>hubble_json</c> decoder bound to <c>Decoders:Hubble</c>
    /// as <see cref="IFlowDecoder"/>.
    /// </summary>
    public static IServiceCollection AddHubbleFileSource(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<HubbleFileSourceOptions>()
            .Bind(configuration.GetSection(HubbleFileSourceOptions.SectionName), binder => binder.ErrorOnUnknownConfiguration = true)
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<HubbleFileSourceOptions>, HubbleFileSourceOptionsValidator>());
        services.TryAddSingleton(provider => new JsonLinesFileSource(
            provider.GetRequiredService<IOptions<HubbleFileSourceOptions>>().Value,
            provider.GetService<ILogger<JsonLinesFileSource>>(),
            provider.GetService<NetSecMetrics>()));
        services.AddSingleton<IRecordSource>(provider => provider.GetRequiredService<JsonLinesFileSource>());
        return services.AddHubbleDecoder(configuration);
    }

    /// <summary>Registers the <c>hubble_json</c> decoder bound to <c>Decoders:Hubble</c> as <see cref="IFlowDecoder"/>.</summary>
    public static IServiceCollection AddHubbleDecoder(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<HubbleDecoderOptions>()
            .Bind(configuration.GetSection(HubbleDecoderOptions.SectionName), binder => binder.ErrorOnUnknownConfiguration = true)
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<HubbleDecoderOptions>, HubbleDecoderOptionsValidator>());
        services.TryAddSingleton(provider => new HubbleFlowDecoder(
            provider.GetRequiredService<IOptions<HubbleDecoderOptions>>().Value,
            provider.GetService<NetSecMetrics>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IFlowDecoder, HubbleFlowDecoder>(provider => provider.GetRequiredService<HubbleFlowDecoder>()));
        return services;
    }
}
