using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using NetSecStream.Collectors.HubbleRelay;
using NetSecStream.Core.Components;

namespace NetSecStream.Collectors.Tests.HubbleRelay;

/// <summary>AddHubbleRelaySource: bound from its section, validated, unknown keys rejected.</summary>
public sealed class HubbleRelayRegistrationTests
{
    [Fact]
    public void AddHubbleRelaySource_BindsNestedSettings_AndRegistersTheSource()
    {
        using var provider = Provider(new Dictionary<string, string?>
        {
            ["Collectors:HubbleRelay:Address"] = "https://hubble-relay.kube-system.svc:443",
            ["Collectors:HubbleRelay:Tls:Enabled"] = "true",
            ["Collectors:HubbleRelay:Tls:ServerName"] = "ui.hubble-relay.cilium.io",
            ["Collectors:HubbleRelay:Allow:Namespaces:0"] = "shop",
            ["Collectors:HubbleRelay:Deny:Verdicts:0"] = "DROPPED",
            ["Collectors:HubbleRelay:ReconnectMaxBackoff"] = "00:01:00",
        }, (services, configuration) => services.AddHubbleRelaySource(configuration));

        var options = provider.GetRequiredService<IOptions<HubbleRelayOptions>>().Value;
        Assert.True(options.Tls.Enabled);
        Assert.Equal("ui.hubble-relay.cilium.io", options.Tls.ServerName);
        Assert.Equal(["shop"], options.Allow.Namespaces);
        Assert.Equal(["DROPPED"], options.Deny.Verdicts);
        Assert.Equal(TimeSpan.FromMinutes(1), options.ReconnectMaxBackoff);
        var source = Assert.Single(provider.GetServices<IFlowEventSource>());
        Assert.Equal(HubbleRelaySource.ComponentId, source.Id);
    }

    [Fact]
    public void AddHubbleRelaySource_UnknownKeyOrBadValue_FailsNamingTheKey()
    {
        using var unknown = Provider(
            new Dictionary<string, string?> { ["Collectors:HubbleRelay:Adress"] = "http://x:80" },
            (services, configuration) => services.AddHubbleRelaySource(configuration));
        Assert.Contains("Adress", Assert.ThrowsAny<InvalidOperationException>(() => unknown.GetRequiredService<IOptions<HubbleRelayOptions>>().Value).Message, StringComparison.Ordinal);

        using var bad = Provider(
            new Dictionary<string, string?> { ["Collectors:HubbleRelay:Address"] = "relay:4245" },
            (services, configuration) => services.AddHubbleRelaySource(configuration));
        var error = Assert.Throws<OptionsValidationException>(() => bad.GetRequiredService<IOptions<HubbleRelayOptions>>().Value);
        Assert.StartsWith("Collectors:HubbleRelay:Address must be an http(s) URL", Assert.Single(error.Failures), StringComparison.Ordinal);
    }

    private static ServiceProvider Provider(Dictionary<string, string?> settings, Action<IServiceCollection, IConfiguration> register)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        register(services, configuration);
        return services.BuildServiceProvider();
    }
}
