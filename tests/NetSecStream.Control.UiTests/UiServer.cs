using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using NetSecStream.Control.Store;
using NetSecStream.Core;
using NetSecStream.Core.Events;
using NetSecStream.Core.Telemetry;
using NetSecStream.Policy.Enforcement;
using NetSecStream.Testing;

namespace NetSecStream.Control.UiTests;

/// <summary>
/// A real control plane (Kestrel on 127.0.0.1, port 0) over a fresh SQLite store, seeded with alerts, two signature
/// rules and two model folders, with one token per role: what the browser tests drive.
/// </summary>
public sealed class UiServer : IAsyncDisposable
{
    public static readonly DateTimeOffset T0 = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    /// <summary>Signature alerts seeded; every third is in namespace payments, severity cycles 1-4.</summary>
    public const int SignatureAlerts = 120;

    public const int BehaviourAlerts = 3;

    public const long RootRuleSid = 2100498;

    public const long CurlRuleSid = 1000001;

    public const string BehaviourExplanation =
        "unusual for workload payments/api (profile payments/api) going to 203.0.113.7:4444: score 9.3 >= threshold 4.0 of model workload-baseline; "
        + "bytes_out = 5.2E+06 (typical 1.1E+04, robust z 12.4, 0.01% of normal flows as far); "
        + "dst_port_rarity = 0.998 (typical 0.02, robust z 8.1, 0.10% of normal flows as far); "
        + "destination never seen for this workload in training (new destinations: 0.50% of its flows)";

    private readonly NetSecMetrics _metrics;

    private UiServer(string dir, WebApplication app, NetSecMetrics metrics, Dictionary<string, string> tokens, EnforcementService? enforcement = null)
    {
        Enforcement = enforcement;
        Dir = dir;
        App = app;
        _metrics = metrics;
        Tokens = tokens;
        Store = app.Services.GetRequiredService<TriageStore>();
        BaseUrl = app.Urls.First(u => u.StartsWith("http://127.0.0.1:", StringComparison.Ordinal)).TrimEnd('/');
    }

    public string Dir { get; }

    public WebApplication App { get; }

    public TriageStore Store { get; }

    public string BaseUrl { get; }

    /// <summary>The enforcement sync (writing to <see cref="GitOpsDirectory"/>), when started with one.</summary>
    public EnforcementService? Enforcement { get; }

    public string GitOpsDirectory => Path.Combine(Dir, "gitops");

    /// <summary>Secrets by role name: viewer, analyst, admin.</summary>
    public IReadOnlyDictionary<string, string> Tokens { get; }

    /// <param name="enforcement">Host an enforcement sync that writes block rules to <see cref="GitOpsDirectory"/>, allowlisting the
    /// cluster DNS address 10.96.0.10 and the node network 10.0.0.0/16.</param>
    public static async Task<UiServer> StartAsync(bool enforcement = false)
    {
        string dir = Path.Combine(Path.GetTempPath(), "netsec-control-ui-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        string rules = Path.Combine(dir, "seed.rules");
        await File.WriteAllTextAsync(rules,
            $"alert tcp any any -> any any (msg:\"GPL ATTACK_RESPONSE id check returned root\"; content:\"uid=0|28|root|29|\"; classtype:bad-unknown; sid:{RootRuleSid}; rev:7;)\n"
            + $"alert tcp any any -> any 80 (msg:\"LOCAL curl user agent\"; content:\"curl/\"; nocase; classtype:policy-violation; sid:{CurlRuleSid}; rev:1;)\n");
        string models = Path.Combine(dir, "models");
        Directory.CreateDirectory(Path.Combine(models, "workload-baseline"));
        Directory.CreateDirectory(Path.Combine(models, "workload-candidate"));
        await File.WriteAllTextAsync(Path.Combine(models, "workload-baseline", "metrics.json"), """{"auc": 0.9731, "precision_at_threshold": 0.91, "flows": 182344}""");
        await File.WriteAllTextAsync(Path.Combine(models, "workload-candidate", "metrics.json"), """{"auc": 0.9812, "precision_at_threshold": 0.93, "flows": 240001}""");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Detectors:Signatures:Paths:0"] = rules,
            ["Detectors:Behaviour:ModelPath"] = Path.Combine(models, "workload-baseline"),
            ["Detectors:Behaviour:ShadowModelPath"] = Path.Combine(models, "workload-candidate"),
        }).Build();
        var options = new ControlOptions { Urls = "http://127.0.0.1:0", ModelsDirectory = models };
        var metrics = new NetSecMetrics();
        var sync = enforcement
            ? EnforcementService.Create(new EnforcementOptions
            {
                Enabled = true,
                GitOpsDirectory = Path.Combine(dir, "gitops"),
                AuditLogPath = Path.Combine(dir, "enforcement", "audit.jsonl"),
                Allowlist = new EnforcementAllowlistOptions { NodeCidrs = ["10.0.0.0/16"], ClusterDnsIps = ["10.96.0.10"] },
            }, metrics, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance, TimeProvider.System)
            : null;
        var app = ControlServer.Build(options, ControlPaths.Resolve(options, dir), configuration, metrics, logging: Microsoft.Extensions.Logging.Abstractions.NullLoggerProvider.Instance,
            enforcement: sync);
        await app.StartAsync();
        var store = app.Services.GetRequiredService<TriageStore>();
        var tokens = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var role in new[] { ControlRole.Viewer, ControlRole.Analyst, ControlRole.Admin })
        {
            string name = ControlRoles.ToName(role);
            tokens[name] = store.CreateToken(role, name + "-user", "test").Secret;
        }

        store.InsertAlerts([.. Enumerable.Range(0, SignatureAlerts).Select(SignatureAlert), .. Enumerable.Range(0, BehaviourAlerts).Select(BehaviourAlert)]);
        return new UiServer(dir, app, metrics, tokens, sync);
    }

    public static string Namespace(int i) => i % 3 == 0 ? "payments" : "shop";

    public static int Severity(int i) => 1 + (i % 4);

    public static Alert SignatureAlert(int i)
    {
        var time = T0.AddMinutes(i);
        var flow = Flows.Tcp("10.0.0." + (1 + (i % 200)), (ushort)(40000 + i), "10.1.0.9", 443, sourceNamespace: Namespace(i), time: time, workload: "web");
        flow.CommunityId = string.Create(CultureInfo.InvariantCulture, $"1:sig{i}=");
        return new Alert
        {
            Id = string.Create(CultureInfo.InvariantCulture, $"sig-{i:D4}"),
            Timestamp = time,
            Detector = DetectorKinds.Signature,
            RuleId = RootRuleSid.ToString(CultureInfo.InvariantCulture),
            RuleName = "GPL ATTACK_RESPONSE id check returned root",
            RuleCategory = "bad-unknown",
            Severity = Severity(i),
            RiskScore = 90 - (20 * (Severity(i) - 1)),
            Mode = Mode.Alert,
            Explanation = $"Suricata rule 1:{RootRuleSid}:7 content:\"uid=0|28|root|29|\" matched payload at offset 12.",
            DedupeKey = "sig|" + i,
            Flow = flow,
        };
    }

    public static Alert BehaviourAlert(int i)
    {
        // After every signature alert, so the behaviour alerts are the newest, first in the list.
        var time = T0.AddMinutes(SignatureAlerts + i);
        var flow = Flows.Tcp("10.2.0." + (10 + i), (ushort)(50000 + i), "203.0.113.7", 4444, sourceNamespace: "payments", time: time, workload: "api");
        flow.CommunityId = string.Create(CultureInfo.InvariantCulture, $"1:beh{i}=");
        return new Alert
        {
            Id = string.Create(CultureInfo.InvariantCulture, $"beh-{i:D4}"),
            Timestamp = time,
            Detector = DetectorKinds.Behaviour,
            RuleId = "behaviour:workload-baseline",
            RuleName = "Unusual traffic for workload payments/api",
            Severity = 2,
            RiskScore = 88,
            Mode = Mode.Alert,
            Explanation = BehaviourExplanation,
            DedupeKey = "beh|" + i,
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
