using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NetSecStream.Core.Components;
using NetSecStream.Core.Telemetry;

namespace NetSecStream.Sinks.Hec;

public static class HecSinkServiceCollectionExtensions
{
    /// <summary>
    /// Registers the <c>hec</c> sink as <see cref="HecSink"/> and <see cref="IAlertSink"/>, bound to
    /// <paramref name="section"/> (normally <c>Sinks:Hec</c>); bad values and unknown keys stop the host at start-up.
    /// </summary>
    public static IServiceCollection AddHecSink(this IServiceCollection services, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(section);
        services.AddOptions<HecSinkOptions>()
            .Bind(section, binder => binder.ErrorOnUnknownConfiguration = true)
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<HecSinkOptions>, HecSinkOptionsValidator>());
        services.TryAddSingleton<NetSecMetrics>();
        services.TryAddSingleton(sp => new HecSink(
            sp.GetRequiredService<IOptions<HecSinkOptions>>().Value,
            sp.GetRequiredService<NetSecMetrics>(),
            sp.GetService<ILogger<HecSink>>()));
        services.AddSingleton<IAlertSink>(sp => sp.GetRequiredService<HecSink>());
        return services;
    }
}
