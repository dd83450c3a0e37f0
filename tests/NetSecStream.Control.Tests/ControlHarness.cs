using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using NetSecStream.Control.Ingest;
using NetSecStream.Control.Store;
using NetSecStream.Core;
using NetSecStream.Core.Events;
using NetSecStream.Core.Telemetry;
using NetSecStream.Policy.Enforcement;
using NetSecStream.Testing;

namespace NetSecStream.Control.Tests;

/// <summary>A control plane on the ASP.NET Core test host, over a fresh store, with one token per role.</summary>
public sealed class ControlHarness : IAsyncDisposable
{
    public static readonly DateTimeOffset T0 = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    private readonly NetSecMetrics _metrics = new();

    private ControlHarness(string dir, WebApplication app, Dictionary<string, string> tokens, EnforcementService? enforcement = null)
    {
        Enforcement = enforcement;
        Dir = dir;
        App = app;
        Tokens = tokens;
        Store = app.Services.GetRequiredService<TriageStore>();
        Ingest = app.Services.GetRequiredService<TriageIngest>();
    }

    public string Dir { get; }

    /// <summary>The hosted enforcement sync, when the harness was started with one.</summary>
    public EnforcementService? Enforcement { get; }

    public WebApplication App { get; }

    public TriageStore Store { get; }

    public TriageIngest Ingest { get; }

    /// <summary>Secrets by role name: viewer, analyst, admin.</summary>
    public IReadOnlyDictionary<string, string> Tokens { get; }

    // With enforcement, an enforcement sync writing to a GitOps directory (Dir/gitops) is hosted, with the options it is given
    // adjusted by the callback (audit log Dir/enforcement-audit.jsonl).
    public static async Task<ControlHarness> StartAsync(Dictionary<string, string?>? settings = null, ControlOptions? options = null,
        Action<EnforcementOptions>? enforcement = null)
    {
        string dir = Path.Combine(Path.GetTempPath(), "netsec-control-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings ?? []).Build();
        options ??= new ControlOptions();
        var metrics = new NetSecMetrics();
        EnforcementService? sync = null;
        if (enforcement is not null)
        {
            var enforcementOptions = new EnforcementOptions
            {
                Enabled = true,
                GitOpsDirectory = Path.Combine(dir, "gitops"),
                AuditLogPath = Path.Combine(dir, "enforcement-audit.jsonl"),
                Allowlist = new EnforcementAllowlistOptions { NodeCidrs = ["10.0.0.0/16"], ClusterDnsIps = ["10.96.0.10"] },
            };
            enforcement(enforcementOptions);
            Assert.False(new EnforcementOptionsValidator().Validate(null, enforcementOptions).Failed);
            sync = EnforcementService.Create(enforcementOptions, metrics, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance, TimeProvider.System);
        }

        var app = ControlServer.Build(options, ControlPaths.Resolve(options, dir), configuration, metrics,
            configureBuilder: b => b.WebHost.UseTestServer(), enforcement: sync);
        await app.StartAsync();
        var store = app.Services.GetRequiredService<TriageStore>();
        var tokens = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var role in new[] { ControlRole.Viewer, ControlRole.Analyst, ControlRole.Admin })
        {
            string name = ControlRoles.ToName(role);
            tokens[name] = store.CreateToken(role, name + "-user", "test").Secret;
        }

        return new ControlHarness(dir, app, tokens, sync);
    }

    /// <summary>A client without credentials (cookies kept, as a browser would).</summary>
    public HttpClient Anonymous() => App.GetTestServer().CreateClient();

    public HttpClient As(string role)
    {
        var client = Anonymous();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Tokens[role]);
        return client;
    }

    public static StringContent JsonBody(object value) => new(JsonSerializer.Serialize(value), Encoding.UTF8, "application/json");

    public static async Task<JsonElement> ReadJson(HttpResponseMessage response)
    {
        string text = await response.Content.ReadAsStringAsync();
        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.Clone();
    }

    public static async Task<JsonElement> Expect(HttpResponseMessage response, HttpStatusCode status)
    {
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        if (text.Length == 0)
        {
            return default;
        }

        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.Clone();
    }

    public static Alert MakeAlert(int i, string ns = "shop", string detector = DetectorKinds.Signature, int severity = 2, string? ruleId = null,
        DateTimeOffset? time = null, string? communityId = null)
    {
        var flow = Flows.Tcp("10.0.0." + (1 + (i % 200)), (ushort)(40000 + (i % 1000)), "10.1.0.9", 443, sourceNamespace: ns, time: time ?? T0.AddSeconds(i), workload: "web");
        flow.CommunityId = communityId ?? $"1:cid{i}=";
        return new Alert
        {
            Id = $"a{i:D8}",
            Timestamp = time ?? T0.AddSeconds(i),
            Detector = detector,
            RuleId = ruleId ?? "2100498",
            RuleName = "GPL ATTACK_RESPONSE id check returned root",
            Severity = severity,
            RiskScore = 75,
            Mode = Mode.Alert,
            Explanation = "content:\"uid=0|28|root|29|\"",
            DedupeKey = "k" + i,
            Flow = flow,
        };
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        if (Enforcement is not null)
        {
            await Enforcement.DisposeAsync();
        }

        _metrics.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
            // A file still open elsewhere; the temp folder is cleaned up later.
        }
    }
}
