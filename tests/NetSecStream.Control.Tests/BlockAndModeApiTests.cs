using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using NetSecStream.Core;
using NetSecStream.Core.Events;
using NetSecStream.Policy.Enforcement;
using static NetSecStream.Control.Tests.ControlHarness;

namespace NetSecStream.Control.Tests;

/// <summary>Operators' blocks (POST/DELETE /api/blocks) through a hosted enforcement sync, and the namespace page's mode API.</summary>
public sealed class BlockAndModeApiTests
{
    /// <summary>A block request that passes validation (for the every-endpoint tests).</summary>
    public const string BlockBody = """{"source":"203.0.113.9","namespace":"shop","labels":{"app":"web"}}""";

    private static Alert Attack(string id, string attacker, DateTimeOffset time, string ns = "shop", string workload = "cart") => new()
    {
        Id = id,
        Timestamp = time,
        Detector = DetectorKinds.Intel,
        RuleId = "intel:feodo",
        RuleName = "C2 address on Feodo list",
        Severity = 1,
        RiskScore = 90,
        Mode = Mode.Alert,
        Explanation = "source on the Feodo tracker list",
        DedupeKey = "k-" + id,
        Flow = new FlowEvent
        {
            Timestamp = time,
            Source = new FlowEndpoint { Ip = IPAddress.Parse(attacker), Port = 41000, ReservedEntity = "world" },
            Destination = new FlowEndpoint
            {
                Ip = IPAddress.Parse("10.244.1.5"), Port = 8080, Namespace = ns, Workload = workload, Pod = workload + "-7d9f-x2",
                Labels = new Dictionary<string, string> { ["app"] = workload, ["pod-template-hash"] = "7d9f" },
            },
            IpProtocol = 6,
        },
    };

    private static IEnumerable<string> GitOpsFiles(ControlHarness h) =>
        Directory.Exists(Path.Combine(h.Dir, "gitops")) ? Directory.EnumerateFiles(Path.Combine(h.Dir, "gitops"), "*.yaml", SearchOption.AllDirectories) : [];

    private static IReadOnlyList<EnforcementAuditEntry> EnforcementAudit(ControlHarness h) =>
        JsonLinesEnforcementAudit.Read(Path.Combine(h.Dir, "enforcement-audit.jsonl"));

    [Fact]
    public async Task Block_BySource_IsAppliedListedAndRevoked_WithBothAuditLogs()
    {
        await using var h = await StartAsync(enforcement: _ => { });
        using var admin = h.As("admin");
        var before = DateTimeOffset.UtcNow;

        var created = await Expect(await admin.PostAsync("/api/blocks", JsonBody(new
        {
            source = "203.0.113.9", @namespace = "shop", labels = new Dictionary<string, string> { ["app"] = "web" }, reason = "port scan",
        })), HttpStatusCode.Created);

        Assert.Equal("applied", created.GetProperty("outcome").GetString());
        Assert.Equal("cidr:203.0.113.9/32", created.GetProperty("plan").GetProperty("peer").GetString());
        Assert.Equal("ingress", created.GetProperty("plan").GetProperty("direction").GetString());
        var block = Assert.Single(created.GetProperty("blocks").EnumerateArray().ToList());
        string id = block.GetProperty("id").GetString()!;
        var expires = block.GetProperty("expires").GetDateTimeOffset();
        Assert.InRange(expires, before.AddHours(1).AddSeconds(-1), DateTimeOffset.UtcNow.AddHours(1).AddSeconds(1));
        Assert.StartsWith("admin-user", block.GetProperty("actor").GetString(), StringComparison.Ordinal);
        string file = Assert.Single(GitOpsFiles(h));
        Assert.Contains("203.0.113.9/32", await File.ReadAllTextAsync(file), StringComparison.Ordinal);

        var listed = await Expect(await h.As("viewer").GetAsync("/api/blocks"), HttpStatusCode.OK);
        Assert.Equal(id, Assert.Single(listed.EnumerateArray().ToList()).GetProperty("id").GetString());
        Assert.Equal("manual", listed[0].GetProperty("alert_id").GetString());
        Assert.Contains("port scan", listed[0].GetProperty("reason").GetString(), StringComparison.Ordinal);

        var revoked = await Expect(await admin.SendAsync(new HttpRequestMessage(HttpMethod.Delete, "/api/blocks/" + id) { Content = JsonBody(new { reason = "false positive" }) }),
            HttpStatusCode.OK);
        Assert.Equal("revoked", revoked.GetProperty("outcome").GetString());
        Assert.Empty(GitOpsFiles(h));
        Assert.Empty((await Expect(await admin.GetAsync("/api/blocks"), HttpStatusCode.OK)).EnumerateArray());
        await Expect(await admin.DeleteAsync("/api/blocks/" + id), HttpStatusCode.NotFound);

        var audit = await Expect(await admin.GetAsync("/api/audit"), HttpStatusCode.OK);
        Assert.Contains(audit.EnumerateArray(), e => e.GetProperty("action").GetString() == "block.create" && e.GetProperty("target").GetString() == id);
        Assert.Contains(audit.EnumerateArray(), e => e.GetProperty("action").GetString() == "block.revoke" && e.GetProperty("target").GetString() == id
            && e.GetProperty("details").GetString()!.Contains("false positive", StringComparison.Ordinal));
        var sync = EnforcementAudit(h);
        Assert.Contains(sync, e => e.Action == AuditActions.Apply && e.Actor!.StartsWith("admin-user", StringComparison.Ordinal));
        Assert.Contains(sync, e => e.Action == AuditActions.Revoke && e.Reason.Contains("false positive", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Block_FromAnAlert_BlocksItsSource_OnTheWorkloadItHit()
    {
        await using var h = await StartAsync(enforcement: o => o.MaxTtl = TimeSpan.FromHours(2));
        h.Store.InsertAlerts([Attack("intel-1", "198.51.100.23", DateTimeOffset.UtcNow)]);
        using var admin = h.As("admin");

        var preview = await Expect(await admin.PostAsync("/api/blocks/preview", JsonBody(new { alert_id = "intel-1" })), HttpStatusCode.OK);
        Assert.True(preview.GetProperty("allowed").GetBoolean());
        Assert.Equal("cart", preview.GetProperty("plan").GetProperty("labels").GetProperty("app").GetString());
        Assert.False(preview.GetProperty("plan").GetProperty("labels").TryGetProperty("pod-template-hash", out _));
        Assert.Empty(GitOpsFiles(h));

        var created = await Expect(await admin.PostAsync("/api/blocks", JsonBody(new { alert_id = "intel-1", ttl_seconds = 7200 })), HttpStatusCode.Created);
        Assert.Equal("cidr:198.51.100.23/32", created.GetProperty("plan").GetProperty("peer").GetString());
        Assert.Equal("shop", created.GetProperty("plan").GetProperty("namespace").GetString());
        Assert.Equal("intel-1", created.GetProperty("blocks")[0].GetProperty("alert_id").GetString());
        Assert.Single(GitOpsFiles(h));

        // The same again: already held, 200, nothing new.
        var again = await Expect(await admin.PostAsync("/api/blocks", JsonBody(new { alert_id = "intel-1", ttl_seconds = 60 })), HttpStatusCode.OK);
        Assert.Equal("already_held", again.GetProperty("outcome").GetString());

        await Expect(await admin.PostAsync("/api/blocks", JsonBody(new { alert_id = "no-such-alert" })), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Block_ByWorkloadName_TakesItsLabelsFromTheNewestAlert()
    {
        await using var h = await StartAsync(enforcement: _ => { });
        h.Store.InsertAlerts([Attack("intel-2", "198.51.100.24", DateTimeOffset.UtcNow, workload: "checkout")]);
        using var admin = h.As("admin");

        var created = await Expect(await admin.PostAsync("/api/blocks", JsonBody(new { source = "192.0.2.44", @namespace = "shop", workload = "checkout" })),
            HttpStatusCode.Created);
        Assert.Equal("checkout", created.GetProperty("plan").GetProperty("labels").GetProperty("app").GetString());

        var unknown = await Expect(await admin.PostAsync("/api/blocks", JsonBody(new { source = "192.0.2.44", @namespace = "shop", workload = "never-seen" })),
            HttpStatusCode.BadRequest);
        Assert.Contains("give labels", unknown.GetProperty("errors").GetProperty("workload")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Block_OfAnAllowlistedSource_Is422_NamingTheAllowlistEntry()
    {
        await using var h = await StartAsync(enforcement: o => o.Allowlist.Cidrs = ["198.51.100.0/24"]);
        using var admin = h.As("admin");

        var dns = await Expect(await admin.PostAsync("/api/blocks", JsonBody(new { source = "10.96.0.10", @namespace = "shop", labels = new { app = "web" } })),
            (HttpStatusCode)422);
        Assert.Equal("refused: allowlisted", dns.GetProperty("title").GetString());
        Assert.Contains("10.96.0.10/32 (Enforcement:Allowlist:ClusterDnsIps)", dns.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal("allowlisted_peer", dns.GetProperty("refusal").GetString());

        h.Store.InsertAlerts([Attack("intel-3", "198.51.100.77", DateTimeOffset.UtcNow)]);
        var preview = await Expect(await admin.PostAsync("/api/blocks/preview", JsonBody(new { alert_id = "intel-3" })), HttpStatusCode.OK);
        Assert.False(preview.GetProperty("allowed").GetBoolean());
        Assert.Contains("198.51.100.0/24 (Enforcement:Allowlist:Cidrs)", preview.GetProperty("detail").GetString(), StringComparison.Ordinal);

        var kubeSystem = await Expect(await admin.PostAsync("/api/blocks", JsonBody(new { source = "203.0.113.9", @namespace = "kube-system", labels = new { k8s_app = "dns" } })),
            (HttpStatusCode)422);
        Assert.Contains("kube-system is always allowlisted", kubeSystem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Empty(GitOpsFiles(h));
    }

    [Theory]
    [InlineData("""{"source":"203.0.113.9","alert_id":"a1","namespace":"shop","labels":{"app":"web"}}""", "alert_id")]
    [InlineData("""{"namespace":"shop","labels":{"app":"web"}}""", "alert_id")]
    [InlineData("""{"source":"999.1.1.1","namespace":"shop","labels":{"app":"web"}}""", "source")]
    [InlineData("""{"source":"203.0.113.0/24","namespace":"shop","labels":{"app":"web"}}""", "source")]
    [InlineData("""{"source":"127.0.0.1","namespace":"shop","labels":{"app":"web"}}""", "source")]
    [InlineData("""{"source":"0.0.0.0","namespace":"shop","labels":{"app":"web"}}""", "source")]
    [InlineData("""{"source":"ff02::1","namespace":"shop","labels":{"app":"web"}}""", "source")]
    [InlineData("""{"source":"239.1.1.1","namespace":"shop","labels":{"app":"web"}}""", "source")]
    [InlineData("""{"source":"203.0.113.9","namespace":"Shop!","labels":{"app":"web"}}""", "namespace")]
    [InlineData("""{"source":"203.0.113.9","namespace":"shop"}""", "labels")]
    [InlineData("""{"source":"203.0.113.9","namespace":"shop","labels":{"pod-template-hash":"7d9f"}}""", "labels")]
    [InlineData("""{"source":"203.0.113.9","namespace":"shop","labels":{"app":"web"},"workload":"web"}""", "workload")]
    [InlineData("""{"source":"203.0.113.9","namespace":"shop","labels":{"app":"web"},"ttl_seconds":0}""", "ttl_seconds")]
    [InlineData("""{"source":"203.0.113.9","namespace":"shop","labels":{"app":"web"},"ttl_seconds":10800}""", "ttl_seconds")]
    [InlineData("""{"alert_id":"a00000001","namespace":"shop"}""", "namespace")]
    [InlineData("""{"source":"203.0.113.9","namespace":"shop","labels":{"app":"web"},"colour":"red"}""", null)]
    [InlineData("""{"source":"203.0.113.9","namespace":"shop","labels":{"app":"web"},"ttl_seconds":"an hour"}""", null)]
    public async Task Block_BadInput_Is400_NamingTheField(string body, string? field)
    {
        await using var h = await StartAsync(enforcement: o => o.MaxTtl = TimeSpan.FromHours(2));
        using var admin = h.As("admin");
        var problem = await Expect(await admin.PostAsync("/api/blocks", new StringContent(body, Encoding.UTF8, "application/json")), HttpStatusCode.BadRequest);
        if (field is not null)
        {
            Assert.True(problem.GetProperty("errors").TryGetProperty(field, out var messages), problem.ToString());
            if (body.Contains("10800", StringComparison.Ordinal))
            {
                Assert.Contains("Enforcement:MaxTtl", messages[0].GetString(), StringComparison.Ordinal);
            }
        }

        Assert.Empty(GitOpsFiles(h));
    }

    [Fact]
    public async Task Block_OtherBadRequests_AreClear4xx()
    {
        await using var h = await StartAsync(enforcement: _ => { });
        using var admin = h.As("admin");
        await Expect(await admin.PostAsync("/api/blocks", new StringContent(BlockBody, Encoding.UTF8, "text/plain")), HttpStatusCode.UnsupportedMediaType);
        await Expect(await admin.PostAsync("/api/blocks", new StringContent("{", Encoding.UTF8, "application/json")), HttpStatusCode.BadRequest);
        var badId = await Expect(await admin.DeleteAsync("/api/blocks/NOT-AN-ID"), HttpStatusCode.BadRequest);
        Assert.True(badId.GetProperty("errors").TryGetProperty("id", out _));
        await Expect(await admin.DeleteAsync("/api/blocks/0123456789abcdef"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Blocks_WithEnforcementOff_Say_SoWith404And409()
    {
        await using var h = await StartAsync();
        using var admin = h.As("admin");
        var list = await Expect(await admin.GetAsync("/api/blocks"), HttpStatusCode.NotFound);
        Assert.Equal("Enforcement is off", list.GetProperty("title").GetString());
        foreach (var response in new[]
                 {
                     await admin.PostAsync("/api/blocks", new StringContent(BlockBody, Encoding.UTF8, "application/json")),
                     await admin.PostAsync("/api/blocks/preview", new StringContent(BlockBody, Encoding.UTF8, "application/json")),
                     await admin.DeleteAsync("/api/blocks/0123456789abcdef"),
                 })
        {
            var problem = await Expect(response, HttpStatusCode.Conflict);
            Assert.Equal("Enforcement is off", problem.GetProperty("title").GetString());
            Assert.Contains("Enforcement:Enabled", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Blocks_EveryRole_OnlyAdminsChange_ViewersRead()
    {
        await using var h = await StartAsync(enforcement: _ => { });
        foreach (string role in new[] { "viewer", "analyst" })
        {
            using var client = h.As(role);
            await Expect(await client.GetAsync("/api/blocks"), HttpStatusCode.OK);
            Assert.Equal(HttpStatusCode.Forbidden, (await client.PostAsync("/api/blocks", new StringContent(BlockBody, Encoding.UTF8, "application/json"))).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await client.PostAsync("/api/blocks/preview", new StringContent(BlockBody, Encoding.UTF8, "application/json"))).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await client.DeleteAsync("/api/blocks/0123456789abcdef")).StatusCode);
        }

        Assert.Empty(GitOpsFiles(h));
        await Expect(await h.As("admin").PostAsync("/api/blocks", new StringContent(BlockBody, Encoding.UTF8, "application/json")), HttpStatusCode.Created);
    }

    [Fact]
    public async Task Blocks_WithTheSessionCookie_NeedTheCsrfToken()
    {
        await using var h = await StartAsync(enforcement: _ => { });
        using var browser = h.Anonymous();
        var login = await browser.PostAsync("/api/session", JsonBody(new { token = h.Tokens["admin"] }));
        var session = await Expect(login, HttpStatusCode.OK);
        string csrf = session.GetProperty("csrf_token").GetString()!;
        string cookies = string.Join("; ", login.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]));
        HttpRequestMessage WithCookie(HttpMethod method, string path, string? body, string? token)
        {
            var request = new HttpRequestMessage(method, path) { Content = body is null ? null : new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.Add("Cookie", cookies);
            if (token is not null)
            {
                request.Headers.Add("X-CSRF-TOKEN", token);
            }

            return request;
        }

        await Expect(await browser.SendAsync(WithCookie(HttpMethod.Post, "/api/blocks", BlockBody, null)), HttpStatusCode.BadRequest);
        await Expect(await browser.SendAsync(WithCookie(HttpMethod.Post, "/api/blocks", BlockBody, "forged")), HttpStatusCode.BadRequest);
        Assert.Empty(GitOpsFiles(h));
        var created = await Expect(await browser.SendAsync(WithCookie(HttpMethod.Post, "/api/blocks", BlockBody, csrf)), HttpStatusCode.Created);
        string id = created.GetProperty("blocks")[0].GetProperty("id").GetString()!;

        await Expect(await browser.SendAsync(WithCookie(HttpMethod.Delete, "/api/blocks/" + id, null, null)), HttpStatusCode.BadRequest);
        Assert.Single(GitOpsFiles(h));
        await Expect(await browser.SendAsync(WithCookie(HttpMethod.Delete, "/api/blocks/" + id, null, csrf)), HttpStatusCode.OK);
        Assert.Empty(GitOpsFiles(h));
    }

    [Fact]
    public async Task NamespaceOverview_ListsNamespacesFromModesAlertsAndWorkloads_WithCountsAndWhoChangedThem()
    {
        await using var h = await StartAsync();
        var now = DateTimeOffset.UtcNow;
        h.Store.InsertAlerts(
        [
            Attack("n1", "198.51.100.1", now.AddMinutes(-5), "shop", "cart"),
            Attack("n2", "198.51.100.2", now.AddMinutes(-4), "shop", "cart"),
            Attack("n3", "198.51.100.3", now.AddMinutes(-3), "shop", "checkout"),
            Attack("n4", "198.51.100.4", now.AddDays(-2), "billing", "ledger"),
        ]);
        using var admin = h.As("admin");
        await Expect(await admin.PutAsync("/api/modes/namespaces/shop", JsonBody(new { mode = "block" })), HttpStatusCode.OK);
        await Expect(await admin.PutAsync("/api/modes/workloads/shop/cart", JsonBody(new { mode = "log" })), HttpStatusCode.OK);
        await Expect(await admin.PutAsync("/api/modes/namespaces/quiet", JsonBody(new { mode = "log" })), HttpStatusCode.OK);
        await Expect(await admin.PutAsync("/api/modes/selectors", JsonBody(new
        {
            selectors = new object[]
            {
                new { @namespace = "payments", selector = "tier in (db)", mode = "block" },
                new { selector = "app=canary", mode = "log" },
            },
        })), HttpStatusCode.OK);

        var overview = await Expect(await h.As("viewer").GetAsync("/api/modes/namespaces"), HttpStatusCode.OK);
        Assert.Equal("alert", overview.GetProperty("default").GetString());
        var byName = overview.GetProperty("namespaces").EnumerateArray().ToDictionary(n => n.GetProperty("name").GetString()!);
        Assert.Equal(["billing", "payments", "quiet", "shop"], byName.Keys.Order(StringComparer.Ordinal));

        var shop = byName["shop"];
        Assert.Equal("block", shop.GetProperty("mode").GetString());
        Assert.Equal(3, shop.GetProperty("alerts_24h").GetInt64());
        Assert.StartsWith("admin-user", shop.GetProperty("changed").GetProperty("by").GetString(), StringComparison.Ordinal);
        var workloads = shop.GetProperty("workloads").EnumerateArray().ToDictionary(w => w.GetProperty("name").GetString()!);
        Assert.Equal("log", workloads["cart"].GetProperty("mode").GetString());
        Assert.Equal(2, workloads["cart"].GetProperty("alerts_24h").GetInt64());
        Assert.Equal(JsonValueKind.Null, workloads["checkout"].GetProperty("mode").ValueKind);
        Assert.Equal("block", workloads["checkout"].GetProperty("effective").GetString());

        var billing = byName["billing"];
        Assert.Equal(JsonValueKind.Null, billing.GetProperty("mode").ValueKind);
        Assert.Equal("alert", billing.GetProperty("effective").GetString());
        Assert.Equal(0, billing.GetProperty("alerts_24h").GetInt64());
        Assert.Equal("ledger", Assert.Single(billing.GetProperty("workloads").EnumerateArray().ToList()).GetProperty("name").GetString());
        Assert.Equal("tier in (db)", Assert.Single(byName["payments"].GetProperty("selectors").EnumerateArray().ToList()).GetProperty("selector").GetString());
        Assert.Equal("app=canary", Assert.Single(overview.GetProperty("cluster_selectors").EnumerateArray().ToList()).GetProperty("selector").GetString());
    }

    [Fact]
    public async Task RecentFlows_ListTheirNamespacesAndWorkloads_AndGiveLabelsForABlockByWorkloadName()
    {
        await using var h = await StartAsync(enforcement: _ => { });
        var window = h.App.Services.GetRequiredService<NetSecStream.Control.Policies.RecentFlows>();
        var flow = Attack("unused", "198.51.100.99", DateTimeOffset.UtcNow, "inventory", "stock").Flow;
        window.Add([flow]);
        using var admin = h.As("admin");

        var overview = await Expect(await admin.GetAsync("/api/modes/namespaces"), HttpStatusCode.OK);
        var inventory = Assert.Single(overview.GetProperty("namespaces").EnumerateArray().ToList(), n => n.GetProperty("name").GetString() == "inventory");
        Assert.Equal(0, inventory.GetProperty("alerts_24h").GetInt64());
        Assert.Equal("stock", Assert.Single(inventory.GetProperty("workloads").EnumerateArray().ToList()).GetProperty("name").GetString());

        var created = await Expect(await admin.PostAsync("/api/blocks", JsonBody(new { source = "192.0.2.55", @namespace = "inventory", workload = "stock" })),
            HttpStatusCode.Created);
        var labels = created.GetProperty("plan").GetProperty("labels");
        Assert.Equal("stock", labels.GetProperty("app").GetString());
        Assert.False(labels.TryGetProperty("pod-template-hash", out _));
    }

    [Fact]
    public async Task Selectors_AreValidated_KeptByOtherModeChanges_AndWrittenForThePipeline()
    {
        await using var h = await StartAsync();
        using var admin = h.As("admin");
        var bad = await Expect(await admin.PutAsync("/api/modes/selectors", JsonBody(new
        {
            selectors = new object[]
            {
                new { selector = "app in (", mode = "log" },
                new { @namespace = "Bad_NS", selector = "app=x", mode = "log" },
                new { selector = "app=x", mode = "drop" },
            },
        })), HttpStatusCode.BadRequest);
        var errors = bad.GetProperty("errors");
        Assert.True(errors.TryGetProperty("selectors[0].selector", out _));
        Assert.True(errors.TryGetProperty("selectors[1].namespace", out _));
        Assert.True(errors.TryGetProperty("selectors[2].mode", out _));
        await Expect(await admin.PutAsync("/api/modes/selectors", JsonBody(new { })), HttpStatusCode.BadRequest);
        await Expect(await h.As("analyst").PutAsync("/api/modes/selectors", JsonBody(new { selectors = Array.Empty<object>() })), HttpStatusCode.Forbidden);

        await Expect(await admin.PutAsync("/api/modes/selectors", JsonBody(new { selectors = new[] { new { selector = "app=canary", mode = "LOG" } } })), HttpStatusCode.OK);
        // A later namespace change rewrites the file: the selectors stay.
        await Expect(await admin.PutAsync("/api/modes/namespaces/shop", JsonBody(new { mode = "block" })), HttpStatusCode.OK);

        using var file = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(h.Dir, "control", "modes.json")));
        var selector = Assert.Single(file.RootElement.GetProperty("Modes").GetProperty("Selectors").EnumerateArray().ToList());
        Assert.Equal("app=canary", selector.GetProperty("Selector").GetString());
        Assert.Equal("log", selector.GetProperty("Mode").GetString());
        var modes = await Expect(await admin.GetAsync("/api/modes"), HttpStatusCode.OK);
        Assert.Equal("app=canary", modes.GetProperty("selectors")[0].GetProperty("selector").GetString());
        var audit = await Expect(await admin.GetAsync("/api/audit"), HttpStatusCode.OK);
        Assert.Contains(audit.EnumerateArray(), e => e.GetProperty("action").GetString() == "mode.selectors");
    }
}
