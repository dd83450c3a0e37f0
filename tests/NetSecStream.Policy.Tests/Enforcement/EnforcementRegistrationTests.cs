using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using NetSecStream.Core.Telemetry;
using NetSecStream.Policy.Enforcement;
using static NetSecStream.Policy.Tests.Blocking.BlockAlerts;

namespace NetSecStream.Policy.Tests.Enforcement;

/// <summary><c>AddEnforcement</c>, as the control plane hosts the sync: options bound and checked, one service behind both interfaces.</summary>
public sealed class EnforcementRegistrationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("netsec-enforce-di-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static ServiceProvider Provider(Dictionary<string, string?> values)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var services = new ServiceCollection();
        services.AddSingleton<NetSecMetrics>();
        services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        services.AddEnforcement(configuration);
        return services.BuildServiceProvider();
    }

    [Fact]
    public async Task ValidSection_GivesOneHostedService_ThatTakesBlocks()
    {
        await using var provider = Provider(new()
        {
            ["Enforcement:Enabled"] = "true",
            ["Enforcement:GitOpsDirectory"] = Path.Combine(_dir, "gitops"),
            ["Enforcement:AuditLogPath"] = Path.Combine(_dir, "audit.jsonl"),
            ["Enforcement:Allowlist:Cidrs:0"] = "10.0.0.0/8",
        });

        var hosted = Assert.Single(provider.GetServices<IHostedService>());
        Assert.Same(provider.GetRequiredService<EnforcementService>(), hosted);
        Assert.Same(hosted, provider.GetRequiredService<IBlockSubmitter>());
        await hosted.StartAsync(CancellationToken.None);
        Assert.Equal(BlockSubmission.Queued, provider.GetRequiredService<IBlockSubmitter>().Submit(Attack()));
        Assert.Equal(BlockSubmission.Refused, provider.GetRequiredService<IBlockSubmitter>().Submit(Attack("10.1.1.1")));
        await hosted.StopAsync(CancellationToken.None);
        Assert.Single(Directory.GetFiles(Path.Combine(_dir, "gitops"), "*.yaml"));
    }

    [Fact]
    public void BadValuesAndUnknownKeys_FailWithTheirKeys()
    {
        using var bad = Provider(new() { ["Enforcement:Enabled"] = "true", ["Enforcement:DefaultTtl"] = "00:00:00" });
        var failure = Assert.Throws<OptionsValidationException>(() => bad.GetRequiredService<IOptions<EnforcementOptions>>().Value);
        Assert.Contains(failure.Failures, f => f.StartsWith("Enforcement:DefaultTtl", StringComparison.Ordinal));

        using var unknown = Provider(new() { ["Enforcement:DryRn"] = "true" });
        var error = Assert.Throws<InvalidOperationException>(() => unknown.GetRequiredService<IOptions<EnforcementOptions>>().Value);
        Assert.Contains("DryRn", error.Message, StringComparison.Ordinal);
    }
}
