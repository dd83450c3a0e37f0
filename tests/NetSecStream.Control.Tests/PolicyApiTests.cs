using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using NetSecStream.Control.Policies;
using NetSecStream.Core.Events;
using NetSecStream.Core.Telemetry;
using NetSecStream.Policy.Enforcement;
using NetSecStream.Policy.Parsing;
using NetSecStream.Testing;
using static NetSecStream.Control.Tests.ControlHarness;

namespace NetSecStream.Control.Tests;

public sealed class PolicyApiTests
{
    public static string WebIngress(int port) => $"""
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata:
          name: web-ingress
          namespace: shop
        spec:
          podSelector:
            matchLabels:
              app: web
          policyTypes:
            - Ingress
          ingress:
            - from:
                - podSelector:
                    matchLabels:
                      app: frontend
              ports:
                - port: {port}
                  protocol: TCP

        """;

    /// <summary>
    /// The scenario's flows and, worked out by hand from the policy's meaning (not by the evaluator), what the policy of
    /// <see cref="WebIngress"/> does to them: it selects shop/web, whose ingress becomes default-deny except from
    /// shop/frontend on the port.
    /// </summary>
    public static List<FlowEvent> ScenarioFlows()
    {
        var flows = new List<FlowEvent>();
        int i = 0;
        void Add(int count, Func<int, FlowEvent> make)
        {
            for (int n = 0; n < count; n++)
            {
                flows.Add(make(i++));
            }
        }

        Add(3, k => LabelledFlows.Pods("shop", "frontend", "shop", "web", 8080, k));   // A
        Add(2, k => LabelledFlows.Pods("shop", "frontend", "shop", "web", 9090, k));   // B
        Add(1, k => LabelledFlows.Pods("shop", "admin", "shop", "web", 8080, k));      // C
        Add(4, k => LabelledFlows.Pods("shop", "frontend", "shop", "db", 5432, k));    // D
        Add(1, k => LabelledFlows.Pods("billing", "api", "shop", "web", 8080, k));     // E
        Add(2, k => LabelledFlows.FromWorld("203.0.113.9", "shop", "web", 8080, k));   // F
        return flows;
    }

    /// <summary>Allowed, denied, not selected for the scenario with the policy on <paramref name="port"/> (8080 or 9090).</summary>
    public static (int Allowed, int Denied, int NotSelected) Expected(int port) => port == 8080 ? (3, 2 + 1 + 1 + 2, 4) : (2, 3 + 1 + 1 + 2, 4);

    private static HttpRequestMessage Body(HttpMethod method, string path, object body) => new(method, path) { Content = JsonBody(body) };

    [Fact]
    public async Task Validate_ReportsDiagnosticsByLine_SummaryFormAndSelection()
    {
        await using var h = await StartAsync();
        h.App.Services.GetRequiredService<RecentFlows>().Add(ScenarioFlows());
        using var analyst = h.As("analyst");

        var ok = await Expect(await analyst.PostAsync("/api/policies/validate", JsonBody(new { yaml = WebIngress(8080) })), HttpStatusCode.OK);
        Assert.True(ok.GetProperty("valid").GetBoolean());
        Assert.Equal(0, ok.GetProperty("diagnostics").GetArrayLength());
        var summary = Assert.Single(ok.GetProperty("policies").EnumerateArray());
        Assert.Equal("networkpolicy_shop_web-ingress", summary.GetProperty("id").GetString());
        Assert.Equal("pods app=web in namespace shop", summary.GetProperty("endpoint_selector").GetString());
        Assert.Contains(summary.GetProperty("rules").EnumerateArray(), r => r.GetString() == "ingress (line 13): allow from pods app=frontend in the same namespace on 8080/TCP");
        var form = ok.GetProperty("form");
        Assert.Equal("NetworkPolicy", form.GetProperty("kind").GetString());
        Assert.Equal("web", form.GetProperty("selector").GetProperty("app").GetString());
        Assert.Equal(8080, form.GetProperty("ingress")[0].GetProperty("ports")[0].GetProperty("port").GetInt32());
        Assert.Equal("frontend", form.GetProperty("ingress")[0].GetProperty("peers")[0].GetProperty("labels").GetProperty("app").GetString());
        var selected = ok.GetProperty("selection").GetProperty("selected").EnumerateArray().Select(w => w.GetProperty("namespace").GetString() + "/" + w.GetProperty("name").GetString()).ToList();
        Assert.Equal(["shop/web"], selected);
        var peers = ok.GetProperty("selection").GetProperty("peers").EnumerateArray().Select(p => p.GetProperty("namespace").GetString() + "/" + p.GetProperty("workload").GetString()).ToList();
        Assert.Equal(["shop/frontend"], peers);

        // A broken line: the diagnostic names it.
        string broken = WebIngress(8080).Replace("  podSelector:", "  podSelector: [unclosed", StringComparison.Ordinal);
        var bad = await Expect(await analyst.PostAsync("/api/policies/validate", JsonBody(new { yaml = broken })), HttpStatusCode.OK);
        Assert.False(bad.GetProperty("valid").GetBoolean());
        var diagnostic = bad.GetProperty("diagnostics")[0];
        Assert.Equal("error", diagnostic.GetProperty("severity").GetString());
        Assert.InRange(diagnostic.GetProperty("line").GetInt32(), 6, 9);

        // A rule the evaluator cannot judge is a warning, and the form says why it cannot show the policy.
        string named = WebIngress(8080).Replace("- port: 8080", "- port: http", StringComparison.Ordinal);
        var warned = await Expect(await analyst.PostAsync("/api/policies/validate", JsonBody(new { yaml = named })), HttpStatusCode.OK);
        Assert.Equal(JsonValueKind.Null, warned.GetProperty("form").ValueKind);
        Assert.Contains("http", warned.GetProperty("form_note").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plan_CountsTheScenarioExactly_OnTopOfAppliedPolicies_AndSaysWhatTheChangeDoes()
    {
        await using var h = await StartAsync();
        using var analyst = h.As("analyst");
        using var admin = h.As("admin");

        var empty = await Expect(await analyst.PostAsync("/api/policies/plan", JsonBody(new { yaml = WebIngress(8080) })), HttpStatusCode.OK);
        Assert.Equal(0, empty.GetProperty("window_flows").GetInt32());
        Assert.Contains("No recent flows", empty.GetProperty("message").GetString(), StringComparison.Ordinal);

        h.App.Services.GetRequiredService<RecentFlows>().Add(ScenarioFlows());
        var plan = await Expect(await analyst.PostAsync("/api/policies/plan", JsonBody(new { yaml = WebIngress(8080) })), HttpStatusCode.OK);
        var (allowed, denied, notSelected) = Expected(8080);
        Assert.Equal(13, plan.GetProperty("judged").GetInt64());
        Assert.Equal(allowed, plan.GetProperty("allowed").GetInt64());
        Assert.Equal(denied, plan.GetProperty("denied").GetInt64());
        Assert.Equal(notSelected, plan.GetProperty("not_selected").GetInt64());
        Assert.Equal(0, plan.GetProperty("not_evaluated").GetInt64());
        Assert.Equal(denied, plan.GetProperty("newly_denied").GetInt64());
        Assert.Equal(0, plan.GetProperty("policies_in_force").GetInt32());
        var entry = Assert.Single(plan.GetProperty("entries").EnumerateArray());
        Assert.Equal("shop/web-ingress", entry.GetProperty("policy").GetString());
        Assert.Equal(denied, entry.GetProperty("denied").GetInt64());

        // Applied, then the port changed: on top of the applied version, frontend on 8080 (3) is newly denied and on 9090 (2) newly allowed.
        var saved = await Expect(await admin.PostAsync("/api/policies", JsonBody(new { yaml = WebIngress(8080) })), HttpStatusCode.Created);
        string id = saved.GetProperty("policy").GetProperty("id").GetString()!;
        await Expect(await admin.PostAsync($"/api/policies/{id}/apply", null), HttpStatusCode.OK);
        var change = await Expect(await analyst.PostAsync("/api/policies/plan", JsonBody(new { yaml = WebIngress(9090), replaces = id })), HttpStatusCode.OK);
        (allowed, denied, notSelected) = Expected(9090);
        Assert.Equal(allowed, change.GetProperty("allowed").GetInt64());
        Assert.Equal(denied, change.GetProperty("denied").GetInt64());
        Assert.Equal(notSelected, change.GetProperty("not_selected").GetInt64());
        Assert.Equal(3, change.GetProperty("newly_denied").GetInt64());
        Assert.Equal(2, change.GetProperty("newly_allowed").GetInt64());
        Assert.Equal(1, change.GetProperty("policies_in_force").GetInt32());
        var example = change.GetProperty("newly_denied_examples")[0];
        Assert.StartsWith("shop/", example.GetProperty("destination").GetString(), StringComparison.Ordinal);
        Assert.Equal(8080, example.GetProperty("port").GetInt32());

        await Expect(await analyst.PostAsync("/api/policies/plan", JsonBody(new { yaml = WebIngress(9090), replaces = "networkpolicy_shop_nothing" })), HttpStatusCode.NotFound);
        var errors = await Expect(await analyst.PostAsync("/api/policies/plan", JsonBody(new { yaml = "kind: NetworkPolicy\nmetadata: [\n" })), HttpStatusCode.BadRequest);
        Assert.True(errors.GetProperty("diagnostics").GetArrayLength() > 0);
    }

    [Fact]
    public async Task Plan_CountsThePoliciesOfDetectorsPolicyPaths_AsInForce()
    {
        string file = Path.Combine(Path.GetTempPath(), "netsec-configured-" + Guid.NewGuid().ToString("N") + ".yaml");
        // shop/db takes only shop/api: the scenario's 4 flows from frontend to db are denied before any edit.
        await File.WriteAllTextAsync(file, WebIngress(5432).Replace("web-ingress", "db-ingress", StringComparison.Ordinal)
            .Replace("app: web", "app: db", StringComparison.Ordinal).Replace("app: frontend", "app: api", StringComparison.Ordinal));
        try
        {
            await using var h = await StartAsync(new Dictionary<string, string?> { ["Detectors:Policy:Paths:0"] = file });
            h.App.Services.GetRequiredService<RecentFlows>().Add(ScenarioFlows());
            using var analyst = h.As("analyst");
            var plan = await Expect(await analyst.PostAsync("/api/policies/plan", JsonBody(new { yaml = WebIngress(8080) })), HttpStatusCode.OK);
            var (allowed, denied, _) = Expected(8080);
            Assert.Equal(1, plan.GetProperty("policies_in_force").GetInt32());
            Assert.Equal(allowed, plan.GetProperty("allowed").GetInt64());
            Assert.Equal(denied + 4, plan.GetProperty("denied").GetInt64());
            Assert.Equal(0, plan.GetProperty("not_selected").GetInt64());
            Assert.Equal(denied, plan.GetProperty("newly_denied").GetInt64());

            // Planning the configured policy itself replaces it, rather than counting it twice.
            string same = await File.ReadAllTextAsync(file);
            var replanned = await Expect(await analyst.PostAsync("/api/policies/plan", JsonBody(new { yaml = same })), HttpStatusCode.OK);
            Assert.Equal(0, replanned.GetProperty("newly_denied").GetInt64());
            Assert.Equal(4, replanned.GetProperty("denied").GetInt64());
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Save_List_Get_Apply_Delete_WritesTheAppliedFolder_AndTheAuditLog()
    {
        await using var h = await StartAsync();
        using var admin = h.As("admin");
        using var viewer = h.As("viewer");

        var created = await Expect(await admin.PostAsync("/api/policies", JsonBody(new { yaml = WebIngress(8080) })), HttpStatusCode.Created);
        string id = created.GetProperty("policy").GetProperty("id").GetString()!;
        Assert.Equal("draft", created.GetProperty("policy").GetProperty("state").GetString());
        await Expect(await admin.PostAsync("/api/policies", JsonBody(new { yaml = WebIngress(8081) })), HttpStatusCode.OK);

        var list = await Expect(await viewer.GetAsync("/api/policies"), HttpStatusCode.OK);
        var item = Assert.Single(list.GetProperty("items").EnumerateArray());
        Assert.Equal(id, item.GetProperty("id").GetString());
        Assert.Equal("NetworkPolicy", item.GetProperty("kind").GetString());
        Assert.Equal("shop", item.GetProperty("namespace").GetString());
        Assert.Equal("web-ingress", item.GetProperty("name").GetString());
        Assert.StartsWith("admin-user", item.GetProperty("updated_by").GetString(), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Null, item.GetProperty("applied_at").ValueKind);

        var detail = await Expect(await viewer.GetAsync($"/api/policies/{id}"), HttpStatusCode.OK);
        Assert.Equal(WebIngress(8081), detail.GetProperty("yaml").GetString());

        var applied = await Expect(await admin.PostAsync($"/api/policies/{id}/apply", null), HttpStatusCode.OK);
        Assert.Equal("applied", applied.GetProperty("policy").GetProperty("state").GetString());
        string path = applied.GetProperty("applied_path").GetString()!;
        Assert.Equal(WebIngress(8081), await File.ReadAllTextAsync(path));
        // The folder is what Detectors:Policy:Paths reads: it loads as one policy.
        var loaded = PolicyLoader.Load([Path.GetDirectoryName(path)!]);
        Assert.False(loaded.HasErrors);
        Assert.Equal("shop/web-ingress", Assert.Single(loaded.Policies).FullName);

        // An edit after apply is a draft again until applied.
        var edited = await Expect(await admin.PostAsync("/api/policies", JsonBody(new { yaml = WebIngress(8082) })), HttpStatusCode.OK);
        Assert.Equal("draft", edited.GetProperty("policy").GetProperty("state").GetString());
        Assert.Equal(WebIngress(8081), edited.GetProperty("applied_yaml").GetString());

        await Expect(await admin.DeleteAsync($"/api/policies/{id}"), HttpStatusCode.OK);
        Assert.False(File.Exists(path));
        await Expect(await viewer.GetAsync($"/api/policies/{id}"), HttpStatusCode.NotFound);
        Assert.Equal(0, (await Expect(await viewer.GetAsync("/api/policies"), HttpStatusCode.OK)).GetProperty("items").GetArrayLength());

        var audit = await Expect(await admin.GetAsync("/api/audit"), HttpStatusCode.OK);
        var actions = audit.EnumerateArray()
            .Where(e => e.GetProperty("target").GetString() == "policy/" + id).Select(e => e.GetProperty("action").GetString()).ToList();
        Assert.Equal(["policy.create", "policy.update", "policy.apply", "policy.update", "policy.delete"], actions.AsEnumerable().Reverse());
    }

    [Fact]
    public async Task BadInput_IsRefusedWithClearErrors()
    {
        await using var h = await StartAsync(options: new ControlOptions { Policies = { MaxPolicyBytes = 2048 } });
        using var admin = h.As("admin");

        var refused = await Expect(await admin.PostAsync("/api/policies", JsonBody(new { yaml = WebIngress(8080).Replace("  podSelector:", "  podSelector: [", StringComparison.Ordinal) })), HttpStatusCode.BadRequest);
        Assert.Equal("the policy has errors", refused.GetProperty("title").GetString());
        Assert.True(refused.GetProperty("diagnostics")[0].GetProperty("line").GetInt32() > 0);

        var empty = await Expect(await admin.PostAsync("/api/policies", JsonBody(new { yaml = "" })), HttpStatusCode.BadRequest);
        Assert.Contains("yaml", empty.GetProperty("errors").EnumerateObject().Select(p => p.Name));
        await Expect(await admin.PostAsync("/api/policies", JsonBody(new { yaml = WebIngress(80), extra = 1 })), HttpStatusCode.BadRequest);
        await Expect(await admin.PostAsync("/api/policies", new StringContent(WebIngress(80), Encoding.UTF8, "text/plain")), HttpStatusCode.UnsupportedMediaType);
        string two = WebIngress(80) + "---\n" + WebIngress(80).Replace("web-ingress", "other", StringComparison.Ordinal);
        var several = await Expect(await admin.PostAsync("/api/policies", JsonBody(new { yaml = two })), HttpStatusCode.BadRequest);
        Assert.Contains("2 policies", several.GetProperty("errors").GetProperty("yaml")[0].GetString(), StringComparison.Ordinal);

        // Over Control:Policies:MaxPolicyBytes, and over the API's body limit.
        string large = WebIngress(80) + "# " + new string('x', 4096) + "\n";
        await Expect(await admin.PostAsync("/api/policies/validate", JsonBody(new { yaml = large })), HttpStatusCode.RequestEntityTooLarge);
        await Expect(await admin.PostAsync("/api/policies/validate", JsonBody(new { yaml = new string('x', 2 * 1024 * 1024) })), HttpStatusCode.RequestEntityTooLarge);

        foreach (var (method, path) in new[] { (HttpMethod.Get, "/api/policies/networkpolicy_shop_nothing"), (HttpMethod.Post, "/api/policies/networkpolicy_shop_nothing/apply"),
                     (HttpMethod.Delete, "/api/policies/networkpolicy_shop_nothing"), (HttpMethod.Get, "/api/policies/..%2Fescape") })
        {
            var missing = await Expect(await admin.SendAsync(new HttpRequestMessage(method, path)), HttpStatusCode.NotFound);
            Assert.Equal("application/problem+json", "application/problem+json");
            Assert.NotNull(missing.GetProperty("title").GetString());
        }
    }

    [Fact]
    public async Task CookieSession_ChangesNeedTheCsrfToken()
    {
        await using var h = await StartAsync();
        using var browser = h.Anonymous();
        var login = await browser.PostAsync("/api/session", JsonBody(new { token = h.Tokens["admin"] }));
        var session = await Expect(login, HttpStatusCode.OK);
        string csrf = session.GetProperty("csrf_token").GetString()!;
        string cookies = string.Join("; ", login.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]));
        HttpRequestMessage WithCookie(HttpMethod method, string path, object? body, string? token)
        {
            var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonBody(body) };
            request.Headers.Add("Cookie", cookies);
            if (token is not null)
            {
                request.Headers.Add("X-CSRF-TOKEN", token);
            }

            return request;
        }

        var refused = await Expect(await browser.SendAsync(WithCookie(HttpMethod.Post, "/api/policies", new { yaml = WebIngress(8080) }, null)), HttpStatusCode.BadRequest);
        Assert.Contains("CSRF", refused.GetProperty("title").GetString(), StringComparison.Ordinal);
        await Expect(await browser.SendAsync(WithCookie(HttpMethod.Post, "/api/policies/validate", new { yaml = WebIngress(8080) }, "forged")), HttpStatusCode.BadRequest);
        Assert.Empty(h.App.Services.GetRequiredService<PolicyStore>().List());
        var created = await Expect(await browser.SendAsync(WithCookie(HttpMethod.Post, "/api/policies", new { yaml = WebIngress(8080) }, csrf)), HttpStatusCode.Created);
        string id = created.GetProperty("policy").GetProperty("id").GetString()!;
        await Expect(await browser.SendAsync(WithCookie(HttpMethod.Post, $"/api/policies/{id}/apply", null, null)), HttpStatusCode.BadRequest);
        await Expect(await browser.SendAsync(WithCookie(HttpMethod.Delete, $"/api/policies/{id}", null, null)), HttpStatusCode.BadRequest);
        await Expect(await browser.SendAsync(WithCookie(HttpMethod.Post, $"/api/policies/{id}/apply", null, csrf)), HttpStatusCode.OK);
    }

    [Fact]
    public async Task Workloads_ListsNamespacesAndWorkloadsWithLabels_WithoutPodSpecificOnes()
    {
        await using var h = await StartAsync();
        using var viewer = h.As("viewer");
        var none = await Expect(await viewer.GetAsync("/api/workloads"), HttpStatusCode.OK);
        Assert.Equal(0, none.GetProperty("namespaces").GetArrayLength());

        h.App.Services.GetRequiredService<RecentFlows>().Add(ScenarioFlows());
        var seen = await Expect(await viewer.GetAsync("/api/workloads"), HttpStatusCode.OK);
        var names = seen.GetProperty("namespaces").EnumerateArray()
            .SelectMany(n => n.GetProperty("workloads").EnumerateArray().Select(w => n.GetProperty("name").GetString() + "/" + w.GetProperty("name").GetString())).ToList();
        Assert.Equal(["billing/api", "shop/admin", "shop/db", "shop/frontend", "shop/web"], names);
        var frontend = seen.GetProperty("namespaces")[1].GetProperty("workloads")[2];
        Assert.Equal("frontend", frontend.GetProperty("labels").GetProperty("app").GetString());
        Assert.False(frontend.GetProperty("labels").TryGetProperty("pod-template-hash", out _));
        Assert.Equal(13, seen.GetProperty("flows").GetInt32());
    }

    [Fact]
    public void RecentFlowsWindow_IsBounded_AndDropsReplies()
    {
        var window = new RecentFlows(capacity: 5, maxWorkloads: 2);
        var flows = ScenarioFlows();
        window.Add(flows);
        Assert.Equal(5, window.Count);
        Assert.Equal(13, window.Added);
        Assert.Equal(flows.TakeLast(5).Select(f => f.Timestamp), window.Snapshot().Select(f => f.Timestamp));
        var reply = LabelledFlows.Pods("shop", "web", "shop", "frontend", 40000);
        window.Add([new FlowEvent { Timestamp = reply.Timestamp, Source = reply.Source, Destination = reply.Destination, IpProtocol = 6, IsReply = true, CollectorId = "t" }]);
        Assert.Equal(13, window.Added);
        Assert.Equal(2, window.Workloads().Workloads.Count);
    }

    [Fact]
    public async Task OpenApi_DocumentsEveryPolicyEndpoint()
    {
        await using var h = await StartAsync();
        using var viewer = h.As("viewer");
        var document = await Expect(await viewer.GetAsync("/openapi/v1.json"), HttpStatusCode.OK);
        var paths = document.GetProperty("paths");
        foreach (string path in new[] { "/api/policies", "/api/policies/{id}", "/api/policies/validate", "/api/policies/plan", "/api/policies/{id}/apply", "/api/workloads" })
        {
            Assert.True(paths.TryGetProperty(path, out var operations), path + " is not in the OpenAPI document");
            Assert.All(operations.EnumerateObject(), o => Assert.Contains("policies", o.Value.GetProperty("tags").EnumerateArray().Select(t => t.GetString())));
        }

        Assert.True(paths.GetProperty("/api/policies/{id}").TryGetProperty("delete", out _));
    }

    [Fact]
    public async Task RecentFlowsSink_FeedsTheWindow_AndIgnoresAlerts()
    {
        var window = new RecentFlows(capacity: 100, maxWorkloads: 10);
        var sink = new RecentFlowsSink(window);
        Assert.Equal("recent_flows", sink.Id);
        await sink.WriteAsync([MakeAlert(1)], CancellationToken.None);
        Assert.Equal(0, window.Count);
        await sink.WriteFlowsAsync(ScenarioFlows(), CancellationToken.None);
        Assert.Equal(13, window.Count);
    }

    [Fact]
    public async Task BacktestPaths_AreLoadedAtStart_BadLinesCounted()
    {
        string data = Environment.GetEnvironmentVariable("NETSEC_TESTDATA") ?? "/work/shared/data";
        string sample = Path.Combine(data, "hubble", "hubble-otel", "basic-sample-400-tcp-flows.json");
        Assert.True(File.Exists(sample), $"{sample} is missing (set NETSEC_TESTDATA)");
        string file = Path.Combine(Path.GetTempPath(), "netsec-backtest-" + Guid.NewGuid().ToString("N") + ".json");
        await File.WriteAllLinesAsync(file, [.. await File.ReadAllLinesAsync(sample), "{not json", ""]);
        try
        {
            // Independently of the loader: decoded lines that are neither replies nor packets.
            var decoder = new NetSecStream.Collectors.Hubble.HubbleFlowDecoder();
            int expected = (await File.ReadAllLinesAsync(sample)).Select(l => decoder.Decode(Encoding.UTF8.GetBytes(l)).Event)
                .Count(f => f is not null && f.IsReply != true && f.Kind != FlowEventKind.Packet);
            await using var h = await StartAsync(options: new ControlOptions { Backtest = { Paths = [file] } });
            var loader = h.App.Services.GetRequiredService<RecentFlowsLoader>();
            for (int i = 0; i < 200 && !loader.Done; i++)
            {
                await Task.Delay(25);
            }

            Assert.True(loader.Done);
            Assert.Equal(1, loader.Rejected);
            Assert.Equal(expected, h.App.Services.GetRequiredService<RecentFlows>().Count);
            Assert.True(expected > 0);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Options_AreValidated_NamingTheKey()
    {
        var options = new ControlOptions { Backtest = { MaxFlows = 0, Paths = ["/nonexistent/flows.json"] }, Policies = { MaxPolicyBytes = 10 } };
        var result = new ControlOptionsValidator().Validate(null, options);
        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.StartsWith("Control:Backtest:MaxFlows", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.StartsWith("Control:Backtest:Paths:0", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.StartsWith("Control:Policies:MaxPolicyBytes", StringComparison.Ordinal));

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Control:Backtest:MaxFlow"] = "5" }).Build();
        var bound = new ControlOptions();
        Assert.Throws<InvalidOperationException>(() => configuration.GetSection("Control").Bind(bound, o => o.ErrorOnUnknownConfiguration = true));
    }

    [Fact]
    public async Task ApplyAndDelete_GoToTheEnforcementTargets_WithTheirAuditLog()
    {
        string dir = Path.Combine(Path.GetTempPath(), "netsec-control-enf-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        string gitops = Path.Combine(dir, "gitops");
        string auditLog = Path.Combine(dir, "enforcement-audit.jsonl");
        using var metrics = new NetSecMetrics();
        var enforcementOptions = new EnforcementOptions { Enabled = true, GitOpsDirectory = gitops, AuditLogPath = auditLog };
        var enforcement = EnforcementService.Create(enforcementOptions, metrics, NullLoggerFactory.Instance, TimeProvider.System);
        var options = new ControlOptions();
        var app = ControlServer.Build(options, ControlPaths.Resolve(options, dir), new ConfigurationBuilder().Build(), metrics,
            configureBuilder: b => b.WebHost.UseTestServer(), logging: NullLoggerProvider.Instance, enforcement: enforcement);
        await app.StartAsync();
        try
        {
            var store = app.Services.GetRequiredService<Store.TriageStore>();
            string secret = store.CreateToken(Store.ControlRole.Admin, "admin-user", "test").Secret;
            using var admin = app.GetTestServer().CreateClient();
            admin.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", secret);
            await Expect(await admin.PostAsync("/api/policies", JsonBody(new { yaml = WebIngress(8080) })), HttpStatusCode.Created);
            var applied = await Expect(await admin.PostAsync("/api/policies/networkpolicy_shop_web-ingress/apply", null), HttpStatusCode.OK);
            Assert.Equal(0, applied.GetProperty("enforcement_errors").GetArrayLength());

            string written = Path.Combine(gitops, "networkpolicy_shop_web-ingress.yaml");
            var parsed = PolicyParser.ParseFile(written);
            Assert.False(parsed.HasErrors, string.Join("; ", parsed.Diagnostics));
            Assert.Equal("shop/web-ingress", Assert.Single(parsed.Policies).FullName);
            Assert.Equal(8080, parsed.Policies[0].Ingress[0].Ports[0].Port);

            await Expect(await admin.DeleteAsync("/api/policies/networkpolicy_shop_web-ingress"), HttpStatusCode.OK);
            Assert.False(File.Exists(written));
            var entries = JsonLinesEnforcementAudit.Read(auditLog);
            Assert.Contains(entries, e => e.Action == AuditActions.ApplyPolicy && e.ObjectReference == "NetworkPolicy/shop/web-ingress" && e.Cluster == "gitops");
            Assert.Contains(entries, e => e.Action == AuditActions.DeletePolicy && e.ObjectReference == "NetworkPolicy/shop/web-ingress");
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
            await enforcement.DisposeAsync();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }
}
