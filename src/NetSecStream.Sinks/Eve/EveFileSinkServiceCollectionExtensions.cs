using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NetSecStream.Core.Components;
using NetSecStream.Core.Telemetry;

namespace NetSecStream.Sinks.Eve;

public static class EveFileSinkServiceCollectionExtensions
{
    /// <summary>
    /// Registers the <c>eve_file</c> sink as <see cref="EveFileSink"/> and <see cref="IAlertSink"/>, bound to
    /// <paramref name="section"/> (normally <c>Sinks:Eve</c>); bad values and unknown keys stop the host at start-up.
    /// </summary>
    public static IServiceCollection AddEveFileSink(this IServiceCollection services, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(section);
        services.AddOptions<EveFileSinkOptions>()
            .Bind(section, binder => binder.ErrorOnUnknownConfiguration = true)
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<EveFileSinkOptions>, EveFileSinkOptionsValidator>());
        services.TryAddSingleton<NetSecMetrics>();
        services.TryAddSingleton(sp => new EveFileSink(
            sp.GetRequiredService<IOptions<EveFileSinkOptions>>().Value,
            sp.GetRequiredService<NetSecMetrics>(),
            sp.GetService<ILogger<EveFileSink>>(),
            sp.GetService<TimeProvider>()));
        services.AddSingleton<IAlertSink>(sp => sp.GetRequiredService<EveFileSink>());
        return services;
    }
}
