using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NetSecStream.Core.Components;
using NetSecStream.Core.Telemetry;

namespace NetSecStream.Sinks.Webhook;

public static class WebhookSinkServiceCollectionExtensions
{
    /// <summary>
    /// Registers the <c>webhook</c> sink as <see cref="WebhookSink"/> and <see cref="IAlertSink"/>, bound to
    /// <paramref name="section"/> (normally <c>Sinks:Webhook</c>); bad values and unknown keys stop the host at start-up.
    /// </summary>
    public static IServiceCollection AddWebhookSink(this IServiceCollection services, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(section);
        services.AddOptions<WebhookSinkOptions>()
            .Bind(section, binder => binder.ErrorOnUnknownConfiguration = true)
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WebhookSinkOptions>, WebhookSinkOptionsValidator>());
        services.TryAddSingleton<NetSecMetrics>();
        services.TryAddSingleton(sp => new WebhookSink(
            sp.GetRequiredService<IOptions<WebhookSinkOptions>>().Value,
            sp.GetRequiredService<NetSecMetrics>(),
            sp.GetService<ILogger<WebhookSink>>(),
            sp.GetService<TimeProvider>()));
        services.AddSingleton<IAlertSink>(sp => sp.GetRequiredService<WebhookSink>());
        return services;
    }
}
