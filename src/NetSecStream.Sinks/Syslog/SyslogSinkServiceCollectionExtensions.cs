using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NetSecStream.Core.Components;
using NetSecStream.Core.Telemetry;

namespace NetSecStream.Sinks.Syslog;

public static class SyslogSinkServiceCollectionExtensions
{
    /// <summary>
    /// Registers the <c>syslog</c> sink as <see cref="SyslogSink"/> and <see cref="IAlertSink"/>, bound to
    /// <paramref name="section"/> (normally <c>Sinks:Syslog</c>); bad values and unknown keys stop the host at start-up.
    /// </summary>
    public static IServiceCollection AddSyslogSink(this IServiceCollection services, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(section);
        services.AddOptions<SyslogSinkOptions>()
            .Bind(section, binder => binder.ErrorOnUnknownConfiguration = true)
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SyslogSinkOptions>, SyslogSinkOptionsValidator>());
        services.TryAddSingleton<NetSecMetrics>();
        services.TryAddSingleton(sp => new SyslogSink(
            sp.GetRequiredService<IOptions<SyslogSinkOptions>>().Value,
            sp.GetRequiredService<NetSecMetrics>(),
            sp.GetService<ILogger<SyslogSink>>()));
        services.AddSingleton<IAlertSink>(sp => sp.GetRequiredService<SyslogSink>());
        return services;
    }
}
