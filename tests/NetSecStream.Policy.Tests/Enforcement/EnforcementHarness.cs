using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using NetSecStream.Core.Telemetry;
using NetSecStream.Policy.Blocking;
using NetSecStream.Policy.Enforcement;
using NetSecStream.Testing.Kubernetes;

namespace NetSecStream.Policy.Tests.Enforcement;

/// <summary>A fake API server, a kubeconfig pointing at it, a temp directory for the audit log, and a clock.</summary>
internal sealed class EnforcementHarness : IAsyncDisposable
{
    private readonly List<EnforcementService> _services = [];

    private EnforcementHarness(FakeKubernetesApi api, string directory, TimeProvider time)
    {
        Api = api;
        Directory = directory;
        Time = time;
    }

    public FakeKubernetesApi Api { get; }

    public string Directory { get; }

    public TimeProvider Time { get; }

    /// <summary>The clock, when the harness was made with a fake one.</summary>
    public FakeTimeProvider FakeTime => (FakeTimeProvider)Time;

    public string Kubeconfig => Path.Combine(Directory, "kubeconfig");

    public string AuditPath => Path.Combine(Directory, "audit.jsonl");

    public NetSecMetrics Metrics { get; } = new();

    /// <param name="fakeTime">A fake clock starting at <see cref="Blocking.BlockAlerts.Start"/>; false: the system clock (retry delays are real).</param>
    public static async Task<EnforcementHarness> StartAsync(bool fakeTime = true)
    {
        var api = await FakeKubernetesApi.StartAsync();
        string directory = System.IO.Directory.CreateTempSubdirectory("netsec-enforce-").FullName;
        var harness = new EnforcementHarness(api, directory, fakeTime ? new FakeTimeProvider(Blocking.BlockAlerts.Start) : TimeProvider.System);
        FakeKubernetesApi.WriteKubeconfig(harness.Kubeconfig, ("c1", api.Url));
        return harness;
    }

    public EnforcementOptions Options(Action<EnforcementOptions>? adjust = null)
    {
        var options = new EnforcementOptions
        {
            Enabled = true,
            AuditLogPath = AuditPath,
            Clusters = [new EnforcementClusterOptions { Name = "c1", KubeConfig = Kubeconfig, Context = "c1", Flavor = PolicyFlavor.Cilium }],
            Allowlist = new EnforcementAllowlistOptions { NodeCidrs = ["10.0.0.0/16"], ClusterDnsIps = ["10.96.0.10"], ApiServerIps = ["10.96.0.1"] },
            RetryBaseDelay = TimeSpan.FromMilliseconds(5),
            MaxRetryDelay = TimeSpan.FromMilliseconds(50),
            RequestTimeout = TimeSpan.FromSeconds(5),
        };
        adjust?.Invoke(options);
        Assert.False(new EnforcementOptionsValidator().Validate(null, options).Failed);
        return options;
    }

    public async Task<EnforcementService> StartServiceAsync(EnforcementOptions options)
    {
        var service = EnforcementService.Create(options, Metrics, NullLoggerFactory.Instance, Time);
        _services.Add(service);
        await service.StartAsync(CancellationToken.None);
        return service;
    }

    public async Task StopAsync(EnforcementService service)
    {
        await service.DisposeAsync();
        _services.Remove(service);
    }

    public IReadOnlyList<JsonObject> CiliumPolicies => Api.Objects("cilium.io", "v2", "ciliumnetworkpolicies");

    public IReadOnlyList<EnforcementAuditEntry> Audit => File.Exists(AuditPath) ? JsonLinesEnforcementAudit.Read(AuditPath) : [];

    public IReadOnlyList<EnforcementAuditEntry> AuditOf(string action) => [.. Audit.Where(e => e.Action == action)];

    /// <summary>Waits (real time, at most 15 s) until <paramref name="condition"/> holds.</summary>
    public static async Task Eventually(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting until " + what);
            await Task.Delay(10);
        }
    }

    /// <summary>Waits until the audit log has <paramref name="count"/> entries in all.</summary>
    public Task AuditCount(int count) => Eventually(() => Audit.Count >= count, $"the audit log has {count} entries (has {Audit.Count})");

    public async ValueTask DisposeAsync()
    {
        foreach (var service in _services)
        {
            await service.DisposeAsync();
        }

        await Api.DisposeAsync();
        Metrics.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
