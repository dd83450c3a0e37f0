using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NetSecStream.Core.Components;
using NetSecStream.Core.Telemetry;

namespace NetSecStream.Sinks.Elasticsearch;

public static class ElasticsearchSinkServiceCollectionExtensions
{
    /// <summary>
    /// Registers the <c>elasticsearch</c> sink as <see cref="ElasticsearchSink"/> and <see cref="IAlertSink"/>, bound to
    /// <paramref name="section"/> (normally <c>Sinks:Elasticsearch</c>); bad values and unknown keys stop the host at
    /// start-up. The registered <see cref="IDeadLetterSink"/>, if any, receives the documents Elasticsearch refuses.
    /// </summary>
    public static IServiceCollection AddElasticsearchSink(this IServiceCollection services, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(section);
        services.AddOptions<ElasticsearchSinkOptions>()
            .Bind(section, binder => binder.ErrorOnUnknownConfiguration = true)
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ElasticsearchSinkOptions>, ElasticsearchSinkOptionsValidator>());
        services.TryAddSingleton<NetSecMetrics>();
        services.TryAddSingleton(sp => new ElasticsearchSink(
            sp.GetRequiredService<IOptions<ElasticsearchSinkOptions>>().Value,
            sp.GetRequiredService<NetSecMetrics>(),
            sp.GetService<ILogger<ElasticsearchSink>>(),
            sp.GetService<TimeProvider>())
        {
            DeadLetters = sp.GetService<IDeadLetterSink>(),
        });
        services.AddSingleton<IAlertSink>(sp => sp.GetRequiredService<ElasticsearchSink>());
        return services;
    }
}
