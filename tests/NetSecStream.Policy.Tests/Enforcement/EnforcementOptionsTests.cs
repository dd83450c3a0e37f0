using NetSecStream.Policy.Enforcement;

namespace NetSecStream.Policy.Tests.Enforcement;

public sealed class EnforcementOptionsTests
{
    private static List<string> Failures(EnforcementOptions options) =>
        new EnforcementOptionsValidator().Validate(null, options).Failures?.ToList() ?? [];

    [Fact]
    public void Defaults_AreValid_AndDisabled()
    {
        var options = new EnforcementOptions();

        Assert.Empty(Failures(options));
        Assert.False(options.Enabled);
        Assert.Equal(TimeSpan.FromHours(1), options.DefaultTtl);
        Assert.Equal(TimeSpan.FromHours(24), options.MaxTtl);
    }

    [Fact]
    public void Enabled_NeedsATargetAndAnAuditLog()
    {
        var failures = Failures(new EnforcementOptions { Enabled = true });

        Assert.Contains(failures, f => f.StartsWith("Enforcement:Clusters must list", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Enforcement:AuditLogPath", StringComparison.Ordinal));
    }

    [Fact]
    public void BadValues_AreReportedByTheirKeys()
    {
        var options = new EnforcementOptions
        {
            Enabled = true,
            AuditLogPath = "/tmp/a.jsonl",
            GitOpsDirectory = "/tmp/g",
            Clusters = [new EnforcementClusterOptions { Name = "" }, new EnforcementClusterOptions { Name = "x", KubeConfig = "/no/such/kubeconfig" }],
            DefaultTtl = TimeSpan.FromHours(2),
            MaxTtl = TimeSpan.FromHours(1),
            RepeatOffenderFactor = 0.5,
            MaxNewBlocksPerMinute = 0,
            CalicoTier = "Not_A_Tier",
            Allowlist = new EnforcementAllowlistOptions { Cidrs = ["10.0.0.1/8"], ApiServerIps = ["nope"], Namespaces = ["Kube System"] },
        };

        var failures = Failures(options);

        foreach (string key in new[]
        {
            "Enforcement:GitOpsDirectory and Enforcement:Clusters", "Enforcement:Clusters:0:Name", "Enforcement:Clusters:1:KubeConfig",
            "Enforcement:MaxTtl", "Enforcement:RepeatOffenderFactor", "Enforcement:MaxNewBlocksPerMinute", "Enforcement:CalicoTier",
            "Enforcement:Allowlist:Cidrs:0", "Enforcement:Allowlist:ApiServerIps:0", "Enforcement:Allowlist:Namespaces:0",
        })
        {
            Assert.True(failures.Any(f => f.StartsWith(key, StringComparison.Ordinal)), $"no failure for {key} in: {string.Join(" | ", failures)}");
        }

        Assert.All(failures, f => Assert.StartsWith("Enforcement:", f, StringComparison.Ordinal));
    }

    [Fact]
    public void UnknownKubeconfigContext_IsAConfigurationError_NamingTheCluster()
    {
        string dir = Directory.CreateTempSubdirectory("netsec-kubeconfig-").FullName;
        try
        {
            string kubeconfig = Path.Combine(dir, "config");
            NetSecStream.Testing.Kubernetes.FakeKubernetesApi.WriteKubeconfig(kubeconfig, ("east", "http://127.0.0.1:1"));
            var options = new EnforcementOptions
            {
                Enabled = true,
                AuditLogPath = Path.Combine(dir, "audit.jsonl"),
                Clusters = [new EnforcementClusterOptions { Name = "west", KubeConfig = kubeconfig, Context = "west" }],
            };

            var error = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => EnforcementService.Create(options,
                new NetSecStream.Core.Telemetry.NetSecMetrics(), Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance, TimeProvider.System));

            Assert.StartsWith("Enforcement:Clusters:0:", Assert.Single(error.Failures), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Allowlist_AlwaysHoldsKubeSystem()
    {
        var allowlist = new EnforcementAllowlistOptions { Namespaces = ["monitoring"], Cidrs = [" 10.0.0.0/8 "] }.Build();

        Assert.True(allowlist.IsNamespaceAllowlisted("kube-system"));
        Assert.True(allowlist.IsNamespaceAllowlisted("monitoring"));
        Assert.True(allowlist.IsAddressAllowlisted(System.Net.IPAddress.Parse("10.1.2.3")));
    }
}
