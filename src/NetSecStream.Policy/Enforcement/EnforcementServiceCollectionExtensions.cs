using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NetSecStream.Core.Telemetry;

namespace NetSecStream.Policy.Enforcement;

public static class EnforcementServiceCollectionExtensions
{
    /// <summary>
    /// Hosts the enforcement sync (section <c>Enforcement</c>, validated at start, unknown keys rejected) as a hosted
    /// service, and exposes it as <see cref="IBlockSubmitter"/> for whatever feeds it alerts. Needs
    /// <see cref="NetSecMetrics"/> and logging registered.
    /// </summary>
    public static IServiceCollection AddEnforcement(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<EnforcementOptions>()
            .Bind(configuration.GetSection(EnforcementOptions.SectionName), o => o.ErrorOnUnknownConfiguration = true)
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<EnforcementOptions>, EnforcementOptionsValidator>();
        services.AddSingleton(sp => EnforcementService.Create(sp.GetRequiredService<IOptions<EnforcementOptions>>().Value, sp.GetRequiredService<NetSecMetrics>(),
            sp.GetRequiredService<ILoggerFactory>(), sp.GetService<TimeProvider>() ?? TimeProvider.System));
        services.AddSingleton<IBlockSubmitter>(sp => sp.GetRequiredService<EnforcementService>());
        services.AddHostedService(sp => sp.GetRequiredService<EnforcementService>());
        return services;
    }
}
