using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NetSecStream.Core.Components;
using NetSecStream.Core.Telemetry;

namespace NetSecStream.Sinks.Files;

public static class FileSinkServiceCollectionExtensions
{
    /// <summary>
    /// Registers the <c>file</c> sink as <see cref="FileSink"/> and <see cref="IAlertSink"/>, bound to
    /// <paramref name="section"/> (normally <c>Sinks:File</c>); bad values and unknown keys stop the host at start-up.
    /// </summary>
    public static IServiceCollection AddFileSink(this IServiceCollection services, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(section);
        services.AddOptions<FileSinkOptions>()
            .Bind(section, binder => binder.ErrorOnUnknownConfiguration = true)
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<FileSinkOptions>, FileSinkOptionsValidator>());
        services.TryAddSingleton<NetSecMetrics>();
        services.TryAddSingleton(sp => new FileSink(
            sp.GetRequiredService<IOptions<FileSinkOptions>>().Value,
            sp.GetRequiredService<NetSecMetrics>(),
            sp.GetService<ILogger<FileSink>>(),
            sp.GetService<TimeProvider>()));
        services.AddSingleton<IAlertSink>(sp => sp.GetRequiredService<FileSink>());
        return services;
    }

    /// <summary>
    /// Registers <see cref="FileDeadLetterSink"/> as the <see cref="IDeadLetterSink"/>, bound to
    /// <paramref name="section"/> (normally <c>DeadLetter:File</c>).
    /// </summary>
    public static IServiceCollection AddFileDeadLetterSink(this IServiceCollection services, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(section);
        services.AddOptions<FileDeadLetterOptions>()
            .Bind(section, binder => binder.ErrorOnUnknownConfiguration = true)
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<FileDeadLetterOptions>, FileDeadLetterOptionsValidator>());
        services.TryAddSingleton<NetSecMetrics>();
        services.TryAddSingleton(sp => new FileDeadLetterSink(
            sp.GetRequiredService<IOptions<FileDeadLetterOptions>>().Value,
            sp.GetRequiredService<NetSecMetrics>(),
            sp.GetService<ILogger<FileDeadLetterSink>>(),
            sp.GetService<TimeProvider>()));
        services.TryAddSingleton<IDeadLetterSink>(sp => sp.GetRequiredService<FileDeadLetterSink>());
        return services;
    }
}
