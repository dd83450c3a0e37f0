using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using NetSecStream.Core.Components;
using NetSecStream.Core.Ecs;

namespace NetSecStream.Core.Tests.Ecs;

/// <summary>
/// The registration, checked through its service descriptors (this project has no container): the options binding
/// of <c>Decoders:Ecs</c>, its validator, and the decoder as <see cref="IFlowDecoder"/>.
/// </summary>
public sealed class EcsServiceCollectionExtensionsTests
{
    [Fact]
    public void AddEcsDecoder_BindsDecodersEcs()
    {
        var services = Register(new Dictionary<string, string?> { ["Decoders:Ecs:MaxRecordBytes"] = "2048", ["Decoders:Ecs:InternCapacity"] = "64" });

        var options = Configure(services);

        Assert.Equal(2048, options.MaxRecordBytes);
        Assert.Equal(64, options.InternCapacity);
    }

    [Fact]
    public void AddEcsDecoder_UnknownKey_IsRejectedNamingIt()
    {
        var services = Register(new Dictionary<string, string?> { ["Decoders:Ecs:MaxRecordByte"] = "10" });

        var ex = Assert.Throws<InvalidOperationException>(() => Configure(services));

        Assert.Contains("MaxRecordByte", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddEcsDecoder_RegistersTheValidatorAndValidatesOnStart()
    {
        var services = Register([]);

        Assert.Contains(services, d => d.ServiceType == typeof(IValidateOptions<EcsDecoderOptions>) && d.ImplementationType == typeof(EcsDecoderOptionsValidator));
        Assert.Contains(services, d => d.ServiceType == typeof(IStartupValidator));
    }

    [Fact]
    public void AddEcsDecoder_DecoderIsOneSingletonBehindIFlowDecoder()
    {
        var services = Register(new Dictionary<string, string?> { ["Decoders:Ecs:MaxRecordBytes"] = "4096" });
        var provider = new DescriptorProvider(services, Configure(services));

        var decoder = Assert.IsType<EcsFlowDecoder>(provider.GetService(typeof(IFlowDecoder)));

        Assert.Equal(4096, decoder.MaxRecordBytes);
        Assert.Same(decoder, provider.GetService(typeof(EcsFlowDecoder)));
        Assert.All(services.Where(d => d.ServiceType == typeof(IFlowDecoder) || d.ServiceType == typeof(EcsFlowDecoder)),
            d => Assert.Equal(ServiceLifetime.Singleton, d.Lifetime));
    }

    [Fact]
    public void AddEcsDecoder_Twice_RegistersOneDecoder()
    {
        var configuration = new ConfigurationBuilder().Build();
        var services = new ServiceCollection().AddEcsDecoder(configuration).AddEcsDecoder(configuration);

        Assert.Single(services, d => d.ServiceType == typeof(IFlowDecoder));
        Assert.Single(services, d => d.ServiceType == typeof(EcsFlowDecoder));
    }

    private static ServiceCollection Register(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddEcsDecoder(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        return services;
    }

    private static EcsDecoderOptions Configure(ServiceCollection services)
    {
        var options = new EcsDecoderOptions();
        foreach (var configure in services.Where(d => d.ServiceType == typeof(IConfigureOptions<EcsDecoderOptions>)).Select(d => d.ImplementationInstance))
        {
            ((IConfigureOptions<EcsDecoderOptions>)configure!).Configure(options);
        }

        return options;
    }

    /// <summary>Runs the registered singleton factories against the bound options; enough to resolve the decoder.</summary>
    private sealed class DescriptorProvider(ServiceCollection services, EcsDecoderOptions options) : IServiceProvider
    {
        private readonly Dictionary<Type, object> _singletons = [];

        public object? GetService(Type serviceType)
        {
            if (serviceType == typeof(IOptions<EcsDecoderOptions>))
            {
                return Options.Create(options);
            }

            if (_singletons.TryGetValue(serviceType, out object? existing))
            {
                return existing;
            }

            var descriptor = services.LastOrDefault(d => d.ServiceType == serviceType && d.ImplementationFactory is not null);
            if (descriptor is null)
            {
                return null;
            }

            object created = descriptor.ImplementationFactory!(this);
            _singletons[serviceType] = created;
            return created;
        }
    }
}
