using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using NetSecStream.Collectors.Kubernetes;
using NetSecStream.Core.Components;

namespace NetSecStream.Collectors.Tests.Kubernetes;

/// <summary>AddKubernetesEnricher: bound from its section, validated.</summary>
public sealed class KubernetesRegistrationTests
{
    [Fact]
    public void AddKubernetesEnricher_BindsAndRegistersTheEnricher()
    {
        using var provider = Provider(new Dictionary<string, string?>
        {
            ["Enrichers:Kubernetes:Namespaces:0"] = "shop",
            ["Enrichers:Kubernetes:Namespaces:1"] = "payments",
            ["Enrichers:Kubernetes:MaxPods"] = "5000",
            ["Enrichers:Kubernetes:Resync"] = "00:10:00",
        }, (services, configuration) => services.AddKubernetesEnricher(configuration));

        var options = provider.GetRequiredService<IOptions<KubernetesEnrichmentOptions>>().Value;
        Assert.Equal(["shop", "payments"], options.Namespaces);
        Assert.Equal(5000, options.MaxPods);
        Assert.Equal(TimeSpan.FromMinutes(10), options.Resync);
        var enricher = Assert.Single(provider.GetServices<IFlowEnricher>());
        Assert.Equal(KubernetesEnricher.ComponentId, enricher.Id);
    }

    [Fact]
    public void AddKubernetesEnricher_BadValue_FailsNamingTheKey()
    {
        using var provider = Provider(
            new Dictionary<string, string?> { ["Enrichers:Kubernetes:MaxPods"] = "0" },
            (services, configuration) => services.AddKubernetesEnricher(configuration));

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<KubernetesEnrichmentOptions>>().Value);
        Assert.StartsWith("Enrichers:Kubernetes:MaxPods must be", Assert.Single(error.Failures), StringComparison.Ordinal);
    }

    private static ServiceProvider Provider(Dictionary<string, string?> settings, Action<IServiceCollection, IConfiguration> register)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        register(services, configuration);
        return services.BuildServiceProvider();
    }
}
