using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using NetSecStream.Behaviour.Features;
using NetSecStream.Core.Events;
using static NetSecStream.Control.Tests.ControlHarness;

namespace NetSecStream.Control.Tests;

public sealed class ControlApiTests
{
    private const string PolicyBody = """{"yaml":"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  podSelector: {}\n"}""";

    /// <summary>Every API endpoint with the least role that may call it (a body that passes validation where one is needed).</summary>
    public static TheoryData<string, string, string?, string> Endpoints => new()
    {
        { "GET", "/api/alerts", null, "viewer" },
        { "GET", "/api/alerts/a00000001", null, "viewer" },
        { "GET", "/api/alerts/export-labels", null, "viewer" },
        { "POST", "/api/alerts/a00000002/transition", """{"state":"acknowledged"}""", "analyst" },
        { "POST", "/api/alerts/bulk", """{"ids":["a00000003"],"state":"acknowledged"}""", "analyst" },
        { "GET", "/api/audit", null, "admin" },
        { "GET", "/api/tokens", null, "admin" },
        { "POST", "/api/tokens", """{"role":"viewer","name":"x"}""", "admin" },
        { "DELETE", "/api/tokens/999", null, "admin" },
        { "GET", "/api/session", null, "viewer" },
        { "GET", "/api/rules", null, "viewer" },
        { "PUT", "/api/rules/1000001/enabled", """{"enabled":false}""", "admin" },
        { "POST", "/api/rules/files/up.rules", "alert tcp any any -> any 80 (msg:\"up\"; content:\"x\"; sid:1000009; rev:1;)\n", "admin" },
        { "GET", "/api/models", null, "viewer" },
        { "GET", "/api/models/active", null, "viewer" },
        { "GET", "/api/models/shadow", null, "viewer" },
        { "PUT", "/api/models/active", """{"name":"workload-baseline"}""", "admin" },
        { "PUT", "/api/models/shadow", """{"name":"workload-baseline"}""", "admin" },
        { "DELETE", "/api/models/shadow", null, "admin" },
        { "GET", "/api/modes", null, "viewer" },
        { "PUT", "/api/modes/default", """{"mode":"alert"}""", "admin" },
        { "PUT", "/api/modes/namespaces/shop", """{"mode":"block"}""", "admin" },
        { "DELETE", "/api/modes/namespaces/nothing-set", null, "admin" },
        { "PUT", "/api/modes/workloads/shop/frontend", """{"mode":"log"}""", "admin" },
        { "DELETE", "/api/modes/workloads/shop/nothing-set", null, "admin" },
        { "GET", "/api/alerts/timeline", null, "viewer" },
        { "GET", "/api/rules/1000001", null, "viewer" },
        { "GET", "/api/blocks", null, "viewer" },
        { "GET", "/api/policies", null, "viewer" },
        { "GET", "/api/policies/networkpolicy_shop_nothing", null, "viewer" },
        { "GET", "/api/workloads", null, "viewer" },
        { "POST", "/api/policies/validate", PolicyBody, "analyst" },
        { "POST", "/api/policies/plan", PolicyBody, "analyst" },
        { "POST", "/api/policies", PolicyBody, "admin" },
        { "POST", "/api/policies/networkpolicy_shop_nothing/apply", null, "admin" },
        { "DELETE", "/api/policies/networkpolicy_shop_nothing", null, "admin" },
        { "POST", "/api/blocks", BlockAndModeApiTests.BlockBody, "admin" },
        { "POST", "/api/blocks/preview", BlockAndModeApiTests.BlockBody, "admin" },
        { "DELETE", "/api/blocks/0123456789abcdef", null, "admin" },
        { "GET", "/api/modes/namespaces", null, "viewer" },
        { "PUT", "/api/modes/selectors", """{"selectors":[{"selector":"app=web","mode":"log"}]}""", "admin" },
        { "GET", "/readyz", null, "viewer" },
        { "GET", "/openapi/v1.json", null, "viewer" },
    };

    private static async Task<ControlHarness> SeededAsync()
    {
        string rules = Path.Combine(Path.GetTempPath(), "netsec-control-rules-" + Guid.NewGuid().ToString("N") + ".rules");
        await File.WriteAllTextAsync(rules, """
            alert tcp any any -> any 80 (msg:"test one evil"; content:"evil"; sid:1000001; rev:1;)
            alert tcp any any -> any 443 (msg:"test two"; content:"bad"; sid:1000002; rev:2;)

            """);
        var harness = await StartAsync(new Dictionary<string, string?>
        {
            ["Detectors:Signatures:Paths:0"] = rules,
        });
        harness.Store.InsertAlerts([.. Enumerable.Range(1, 10).Select(i => MakeAlert(i))]);
        return harness;
    }

    private static HttpRequestMessage Request(string method, string path, string? body)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, path.Contains("/rules/files/", StringComparison.Ordinal) ? "text/plain" : "application/json");
        }

        return request;
    }

    [Fact]
    public async Task Healthz_IsTheOnlyAnonymousEndpoint()
    {
        await using var h = await SeededAsync();
        using var client = h.Anonymous();
        var health = await client.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("Healthy", await health.Content.ReadAsStringAsync());
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task EveryEndpoint_WithoutCredentials_Is401ProblemJson(string method, string path, string? body, string role)
    {
        _ = role;
        await using var h = await SeededAsync();
        using var client = h.Anonymous();
        var response = await client.SendAsync(Request(method, path, body));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);

        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "nss_not-a-token");
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(Request(method, path, body))).StatusCode);
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task EveryEndpoint_EveryRole_AllowedFromItsRoleUp_ForbiddenBelow(string method, string path, string? body, string least)
    {
        await using var h = await SeededAsync();
        string[] roles = ["viewer", "analyst", "admin"];
        int needed = Array.IndexOf(roles, least);
        for (int r = 0; r < roles.Length; r++)
        {
            using var client = h.As(roles[r]);
            var response = await client.SendAsync(Request(method, path, body));
            string text = await response.Content.ReadAsStringAsync();
            if (r < needed)
            {
                Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{roles[r]} {method} {path}: {(int)response.StatusCode} {text}");
            }
            else
            {
                // Allowed: the answer is the endpoint's own (success, or 404 for the token id that does not exist, 409 for a repeat).
                Assert.True((int)response.StatusCode is >= 200 and < 300 or 404 or 409,
                    $"{roles[r]} {method} {path}: {(int)response.StatusCode} {text}");
                Assert.NotEqual(HttpStatusCode.Forbidden, response.StatusCode);
            }
        }
    }

    [Fact]
    public async Task AlertList_FiltersByEveryField_AndTime()
    {
        await using var h = await StartAsync();
        h.Store.InsertAlerts(
        [
            MakeAlert(1, ns: "shop", detector: DetectorKinds.Signature, severity: 1, ruleId: "r1"),
            MakeAlert(2, ns: "shop", detector: DetectorKinds.Behaviour, severity: 3, ruleId: "workload-baseline"),
            MakeAlert(3, ns: "billing", detector: DetectorKinds.Intel, severity: 2, ruleId: "feodo"),
            MakeAlert(4, ns: "billing", detector: DetectorKinds.Signature, severity: 1, ruleId: "r1"),
        ]);
        using var analyst = h.As("analyst");
        await Expect(await analyst.PostAsync("/api/alerts/a00000004/transition", JsonBody(new { state = "acknowledged" })), HttpStatusCode.OK);

        async Task<string[]> Ids(string query)
        {
            var page = await Expect(await analyst.GetAsync("/api/alerts" + query), HttpStatusCode.OK);
            return [.. page.GetProperty("items").EnumerateArray().Select(a => a.GetProperty("id").GetString()!)];
        }

        Assert.Equal(["a00000004", "a00000003", "a00000002", "a00000001"], await Ids(""));
        Assert.Equal(["a00000002", "a00000001"], await Ids("?namespace=shop"));
        Assert.Equal(["a00000004", "a00000001"], await Ids("?detector=signature"));
        Assert.Equal(["a00000004", "a00000001"], await Ids("?rule=r1"));
        Assert.Equal(["a00000003"], await Ids("?severity=2"));
        Assert.Equal(["a00000004"], await Ids("?state=acknowledged"));
        Assert.Equal(["a00000003", "a00000002", "a00000001"], await Ids("?state=new"));
        Assert.Equal(["a00000001"], await Ids("?namespace=shop&detector=signature&severity=1"));
        Assert.Equal(["a00000003", "a00000002"], await Ids($"?from={Uri.EscapeDataString(T0.AddSeconds(2).ToString("O"))}&to={Uri.EscapeDataString(T0.AddSeconds(4).ToString("O"))}"));
    }

    [Fact]
    public async Task AlertList_CursorPages_VisitEveryAlertOnce_NewestFirst()
    {
        await using var h = await StartAsync();
        // Several alerts share a timestamp: the row id breaks ties so no page repeats or skips one.
        h.Store.InsertAlerts([.. Enumerable.Range(0, 237).Select(i => MakeAlert(i, time: T0.AddSeconds(i / 3)))]);
        using var viewer = h.As("viewer");
        var seen = new List<string>();
        string? cursor = null;
        int pages = 0;
        do
        {
            var page = await Expect(await viewer.GetAsync("/api/alerts?limit=50" + (cursor is null ? "" : "&cursor=" + cursor)), HttpStatusCode.OK);
            seen.AddRange(page.GetProperty("items").EnumerateArray().Select(a => a.GetProperty("id").GetString()!));
            cursor = page.GetProperty("next_cursor").ValueKind == JsonValueKind.Null ? null : page.GetProperty("next_cursor").GetString();
            pages++;
        }
        while (cursor is not null);

        Assert.Equal(5, pages);
        Assert.Equal(237, seen.Count);
        Assert.Equal(237, seen.Distinct().Count());
        var times = seen.Select(id => int.Parse(id[1..], System.Globalization.CultureInfo.InvariantCulture) / 3).ToList();
        Assert.Equal(times.OrderByDescending(t => t).ToList(), times);
    }

    [Theory]
    [InlineData("?severity=9", "severity")]
    [InlineData("?severity=high", "severity")]
    [InlineData("?limit=0", "limit")]
    [InlineData("?limit=100000", "limit")]
    [InlineData("?from=yesterday", "from")]
    [InlineData("?state=closed", "state")]
    [InlineData("?detector=magic", "detector")]
    [InlineData("?cursor=garbage!", "cursor")]
    [InlineData("?sort=asc", "sort")]
    [InlineData("?namespace=a&namespace=b", "namespace")]
    public async Task AlertList_BadQuery_Is400NamingTheParameter(string query, string parameter)
    {
        await using var h = await StartAsync();
        using var viewer = h.As("viewer");
        var problem = await Expect(await viewer.GetAsync("/api/alerts" + query), HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(parameter, out var messages), problem.ToString());
        Assert.NotEmpty(messages.EnumerateArray().First().GetString()!);
    }

    [Fact]
    public async Task Transition_FollowsTheTriageStates_WithHistoryAssigneeAndAudit()
    {
        await using var h = await SeededAsync();
        using var analyst = h.As("analyst");
        var acked = await Expect(await analyst.PostAsync("/api/alerts/a00000001/transition", JsonBody(new { state = "acknowledged", assignee = "bob", comment = "looking" })), HttpStatusCode.OK);
        Assert.Equal("acknowledged", acked.GetProperty("alert").GetProperty("state").GetString());
        Assert.Equal("bob", acked.GetProperty("alert").GetProperty("assignee").GetString());

        var resolved = await Expect(await analyst.PostAsync("/api/alerts/a00000001/transition", JsonBody(new { state = "resolved", comment = "real attack, pod rebuilt" })), HttpStatusCode.OK);
        Assert.Equal("resolved", resolved.GetProperty("alert").GetProperty("state").GetString());
        var history = resolved.GetProperty("history").EnumerateArray().ToList();
        Assert.Equal(2, history.Count);
        Assert.Equal("new", history[0].GetProperty("from").GetString());
        Assert.Equal("analyst-user (token 2)", history[1].GetProperty("actor").GetString());
        Assert.Equal("real attack, pod rebuilt", history[1].GetProperty("comment").GetString());
        Assert.Equal("alert", resolved.GetProperty("ecs").GetProperty("event").GetProperty("kind").GetString());

        // Closed stays closed.
        var conflict = await Expect(await analyst.PostAsync("/api/alerts/a00000001/transition", JsonBody(new { state = "acknowledged" })), HttpStatusCode.Conflict);
        Assert.Contains("resolved", conflict.GetProperty("detail").GetString(), StringComparison.Ordinal);

        await Expect(await analyst.PostAsync("/api/alerts/nope/transition", JsonBody(new { state = "acknowledged" })), HttpStatusCode.NotFound);
        await Expect(await analyst.GetAsync("/api/alerts/nope"), HttpStatusCode.NotFound);

        using var admin = h.As("admin");
        var audit = await Expect(await admin.GetAsync("/api/audit?limit=10"), HttpStatusCode.OK);
        var entries = audit.EnumerateArray().Where(e => e.GetProperty("action").GetString() == "alert.transition").ToList();
        Assert.Equal(2, entries.Count);
        Assert.All(entries, e => Assert.Equal("analyst-user (token 2)", e.GetProperty("actor").GetString()));
        Assert.All(entries, e => Assert.Equal("a00000001", e.GetProperty("target").GetString()));
        Assert.Contains("\"to\":\"resolved\"", entries[0].GetProperty("details").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"state":"new"}""", 400, "state")]
    [InlineData("""{"state":"closed"}""", 400, "state")]
    [InlineData("""{}""", 400, "state")]
    [InlineData("""{"state":"resolved","colour":"red"}""", 400, null)]
    [InlineData("""{"state":"resolved",""", 400, null)]
    [InlineData("""[1,2]""", 400, null)]
    [InlineData("""{"state":5}""", 400, null)]
    public async Task Transition_BadBody_Is400(string body, int status, string? field)
    {
        await using var h = await SeededAsync();
        using var analyst = h.As("analyst");
        var response = await analyst.PostAsync("/api/alerts/a00000001/transition", new StringContent(body, Encoding.UTF8, "application/json"));
        var problem = await Expect(response, (HttpStatusCode)status);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        if (field is not null)
        {
            Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        }
        else
        {
            Assert.False(string.IsNullOrEmpty(problem.GetProperty("detail").GetString()));
        }

        // Nothing changed.
        Assert.Equal("new", h.Store.GetAlert("a00000001")!.Alert.State);
    }

    [Fact]
    public async Task Transition_NotJson_Is415()
    {
        await using var h = await SeededAsync();
        using var analyst = h.As("analyst");
        await Expect(await analyst.PostAsync("/api/alerts/a00000001/transition", new StringContent("state=resolved", Encoding.UTF8, "application/x-www-form-urlencoded")), HttpStatusCode.UnsupportedMediaType);
    }

    [Fact]
    public async Task Bulk_ReportsEachAlert_AndBoundsTheBatch()
    {
        await using var h = await SeededAsync();
        using var analyst = h.As("analyst");
        await Expect(await analyst.PostAsync("/api/alerts/a00000002/transition", JsonBody(new { state = "false_positive" })), HttpStatusCode.OK);
        var result = await Expect(await analyst.PostAsync("/api/alerts/bulk",
            JsonBody(new { ids = new[] { "a00000001", "a00000002", "missing", "a00000003", "a00000001" }, state = "resolved", comment = "campaign 7" })), HttpStatusCode.OK);
        Assert.Equal(2, result.GetProperty("changed").GetInt32());
        var outcomes = result.GetProperty("results").EnumerateArray().ToDictionary(r => r.GetProperty("id").GetString()!, r => r.GetProperty("result").GetString());
        Assert.Equal("changed", outcomes["a00000001"]);
        Assert.Equal("conflict", outcomes["a00000002"]);
        Assert.Equal("not_found", outcomes["missing"]);
        Assert.Equal("changed", outcomes["a00000003"]);
        Assert.Equal(4, outcomes.Count);

        await Expect(await analyst.PostAsync("/api/alerts/bulk", JsonBody(new { ids = Array.Empty<string>(), state = "resolved" })), HttpStatusCode.BadRequest);
        await Expect(await analyst.PostAsync("/api/alerts/bulk", JsonBody(new { ids = Enumerable.Range(0, 1001).Select(i => "x" + i), state = "resolved" })), HttpStatusCode.BadRequest);
        await Expect(await analyst.PostAsync("/api/alerts/bulk", JsonBody(new { ids = new[] { "a00000004" }, state = "bogus" })), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task ExportLabels_WritesTheFormatNetsecExportReads()
    {
        await using var h = await StartAsync();
        h.Store.InsertAlerts(
        [
            MakeAlert(1, communityId: "1:aaa="),
            MakeAlert(2, communityId: "1:bbb="),
            MakeAlert(3, communityId: "1:ccc="),
            MakeAlert(4, communityId: "1:ddd="),
        ]);
        using var analyst = h.As("analyst");
        await Expect(await analyst.PostAsync("/api/alerts/bulk", JsonBody(new { ids = new[] { "a00000001" }, state = "resolved" })), HttpStatusCode.OK);
        await Expect(await analyst.PostAsync("/api/alerts/bulk", JsonBody(new { ids = new[] { "a00000002" }, state = "false_positive" })), HttpStatusCode.OK);
        await Expect(await analyst.PostAsync("/api/alerts/bulk", JsonBody(new { ids = new[] { "a00000003" }, state = "acknowledged" })), HttpStatusCode.OK);

        var response = await h.As("viewer").GetAsync("/api/alerts/export-labels");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType?.MediaType);
        string text = await response.Content.ReadAsStringAsync();
        var errors = new List<InputError>();
        var labels = FlowInput.ReadLabels(new StringReader(text), "labels.jsonl", errors.Add);
        Assert.Empty(errors);
        Assert.Equal(2, labels.Count);
        Assert.Equal(FlowInput.AttackLabel, labels.ByCommunityId["1:aaa="]);
        Assert.Equal(FlowInput.NormalLabel, labels.ByCommunityId["1:bbb="]);
    }

    [Fact]
    public async Task Tokens_CreatedByAdmin_Work_RevokedStopWorking_BadRequestsAre400()
    {
        await using var h = await SeededAsync();
        using var admin = h.As("admin");
        var created = await Expect(await admin.PostAsync("/api/tokens", JsonBody(new { role = "analyst", name = "ci-bot" })), HttpStatusCode.Created);
        string secret = created.GetProperty("token").GetString()!;
        long id = created.GetProperty("info").GetProperty("id").GetInt64();
        Assert.StartsWith("nss_", secret, StringComparison.Ordinal);

        using var bot = h.Anonymous();
        bot.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", secret);
        await Expect(await bot.PostAsync("/api/alerts/a00000005/transition", JsonBody(new { state = "acknowledged" })), HttpStatusCode.OK);
        await Expect(await bot.GetAsync("/api/tokens"), HttpStatusCode.Forbidden);

        var list = await Expect(await admin.GetAsync("/api/tokens"), HttpStatusCode.OK);
        Assert.DoesNotContain(secret, list.ToString(), StringComparison.Ordinal);
        Assert.Contains(list.EnumerateArray(), t => t.GetProperty("name").GetString() == "ci-bot" && t.GetProperty("last_used_at").ValueKind != JsonValueKind.Null);

        await Expect(await admin.DeleteAsync($"/api/tokens/{id}"), HttpStatusCode.NoContent);
        await Expect(await bot.GetAsync("/api/alerts"), HttpStatusCode.Unauthorized);
        await Expect(await admin.DeleteAsync($"/api/tokens/{id}"), HttpStatusCode.NotFound);

        var bad = await Expect(await admin.PostAsync("/api/tokens", JsonBody(new { role = "root", name = "bad name!" })), HttpStatusCode.BadRequest);
        Assert.True(bad.GetProperty("errors").TryGetProperty("role", out _));
        Assert.True(bad.GetProperty("errors").TryGetProperty("name", out _));

        var audit = await Expect(await admin.GetAsync("/api/audit"), HttpStatusCode.OK);
        Assert.Contains(audit.EnumerateArray(), e => e.GetProperty("action").GetString() == "token.create" && e.GetProperty("actor").GetString() == "admin-user (token 3)");
        Assert.Contains(audit.EnumerateArray(), e => e.GetProperty("action").GetString() == "token.revoke");
        await Expect(await admin.GetAsync("/api/audit?limit=abc"), HttpStatusCode.BadRequest);
        await Expect(await admin.GetAsync("/api/audit?colour=red"), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Session_CookieLogin_ReadsFreely_ChangesNeedTheCsrfToken()
    {
        await using var h = await SeededAsync();
        using var browser = h.Anonymous();
        await Expect(await browser.PostAsync("/api/session", JsonBody(new { token = "nss_wrong" })), HttpStatusCode.Unauthorized);
        await Expect(await browser.PostAsync("/api/session", JsonBody(new { token = "" })), HttpStatusCode.BadRequest);

        var login = await browser.PostAsync("/api/session", JsonBody(new { token = h.Tokens["analyst"] }));
        var session = await Expect(login, HttpStatusCode.OK);
        string cookies = string.Join(";", login.Headers.GetValues("Set-Cookie"));
        Assert.Contains("netsec_session=", cookies, StringComparison.Ordinal);
        Assert.Contains("httponly", cookies, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookies, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("analyst", session.GetProperty("role").GetString());
        string csrf = session.GetProperty("csrf_token").GetString()!;
        Assert.Equal("X-CSRF-TOKEN", session.GetProperty("csrf_header").GetString());

        // The test server's client keeps no cookies: carry them as a browser would.
        string cookieHeader = string.Join("; ", login.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]));
        HttpRequestMessage WithCookies(HttpMethod method, string path, object? body = null, string? token = null)
        {
            var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonBody(body) };
            request.Headers.Add("Cookie", cookieHeader);
            if (token is not null)
            {
                request.Headers.Add("X-CSRF-TOKEN", token);
            }

            return request;
        }

        await Expect(await browser.SendAsync(WithCookies(HttpMethod.Get, "/api/alerts")), HttpStatusCode.OK);
        var refused = await Expect(await browser.SendAsync(WithCookies(HttpMethod.Post, "/api/alerts/a00000001/transition", new { state = "acknowledged" })), HttpStatusCode.BadRequest);
        Assert.Contains("CSRF", refused.GetProperty("title").GetString(), StringComparison.Ordinal);
        await Expect(await browser.SendAsync(WithCookies(HttpMethod.Post, "/api/alerts/a00000001/transition", new { state = "acknowledged" }, "forged")), HttpStatusCode.BadRequest);
        Assert.Equal("new", h.Store.GetAlert("a00000001")!.Alert.State);
        await Expect(await browser.SendAsync(WithCookies(HttpMethod.Post, "/api/alerts/a00000001/transition", new { state = "acknowledged" }, csrf)), HttpStatusCode.OK);

        // The cookie session keeps the token's role.
        await Expect(await browser.SendAsync(WithCookies(HttpMethod.Get, "/api/tokens")), HttpStatusCode.Forbidden);

        // Bearer calls need no CSRF token.
        using var bearer = h.As("analyst");
        await Expect(await bearer.PostAsync("/api/alerts/a00000002/transition", JsonBody(new { state = "acknowledged" })), HttpStatusCode.OK);

        // Revoking the token ends its sessions.
        using var admin = h.As("admin");
        await Expect(await admin.DeleteAsync("/api/tokens/2"), HttpStatusCode.NoContent);
        await Expect(await browser.SendAsync(WithCookies(HttpMethod.Get, "/api/alerts")), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Session_LogoutNeedsCsrf_ThenTheCookieIsCleared()
    {
        await using var h = await SeededAsync();
        using var browser = h.Anonymous();
        var login = await browser.PostAsync("/api/session", JsonBody(new { token = h.Tokens["viewer"] }));
        var session = await Expect(login, HttpStatusCode.OK);
        string cookieHeader = string.Join("; ", login.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]));
        var noCsrf = new HttpRequestMessage(HttpMethod.Delete, "/api/session");
        noCsrf.Headers.Add("Cookie", cookieHeader);
        await Expect(await browser.SendAsync(noCsrf), HttpStatusCode.BadRequest);
        var logout = new HttpRequestMessage(HttpMethod.Delete, "/api/session");
        logout.Headers.Add("Cookie", cookieHeader);
        logout.Headers.Add("X-CSRF-TOKEN", session.GetProperty("csrf_token").GetString());
        var done = await browser.SendAsync(logout);
        Assert.Equal(HttpStatusCode.NoContent, done.StatusCode);
        Assert.Contains(done.Headers.GetValues("Set-Cookie"), c => c.StartsWith("netsec_session=;", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Rules_ListDisableUpload_WithCheckReportAndAudit()
    {
        await using var h = await SeededAsync();
        using var admin = h.As("admin");
        var list = await Expect(await admin.GetAsync("/api/rules"), HttpStatusCode.OK);
        Assert.Equal(2, list.GetProperty("total").GetInt32());
        Assert.All(list.GetProperty("items").EnumerateArray(), r => Assert.True(r.GetProperty("enabled").GetBoolean()));
        var search = await Expect(await admin.GetAsync("/api/rules?q=EVIL"), HttpStatusCode.OK);
        Assert.Equal(1000001, Assert.Single(search.GetProperty("items").EnumerateArray()).GetProperty("sid").GetInt64());
        var paged = await Expect(await admin.GetAsync("/api/rules?limit=1"), HttpStatusCode.OK);
        Assert.Equal(1000001, paged.GetProperty("next_after_sid").GetInt64());
        var second = await Expect(await admin.GetAsync("/api/rules?limit=1&after_sid=1000001"), HttpStatusCode.OK);
        Assert.Equal(1000002, Assert.Single(second.GetProperty("items").EnumerateArray()).GetProperty("sid").GetInt64());

        var disabled = await Expect(await admin.PutAsync("/api/rules/1000002/enabled", JsonBody(new { enabled = false })), HttpStatusCode.OK);
        Assert.False(disabled.GetProperty("enabled").GetBoolean());
        string threshold = await File.ReadAllTextAsync(Path.Combine(h.Dir, "control", "rules", "disabled-rules.threshold.config"));
        Assert.Contains("suppress gen_id 1, sig_id 1000002", threshold, StringComparison.Ordinal);
        await Expect(await admin.PutAsync("/api/rules/424242/enabled", JsonBody(new { enabled = false })), HttpStatusCode.NotFound);
        await Expect(await admin.PutAsync("/api/rules/abc/enabled", JsonBody(new { enabled = false })), HttpStatusCode.BadRequest);
        await Expect(await admin.PutAsync("/api/rules/1000001/enabled", JsonBody(new { })), HttpStatusCode.BadRequest);

        var upload = await Expect(await admin.PostAsync("/api/rules/files/local.rules", new StringContent(
            "alert tcp any any -> any 22 (msg:\"ssh probe\"; content:\"SSH-\"; sid:2000001; rev:1;)\nalert tcp any any -> any any (msg:\"broken\"; nosuchkeyword; sid:2000002;)\n",
            Encoding.UTF8, "text/plain")), HttpStatusCode.Created);
        Assert.True(upload.GetProperty("stored").GetBoolean());
        Assert.Equal(2, upload.GetProperty("total").GetInt32());
        Assert.Equal(1, upload.GetProperty("loaded").GetInt32());
        var error = Assert.Single(upload.GetProperty("errors").EnumerateArray());
        Assert.Equal(2000002, error.GetProperty("sid").GetInt64());
        Assert.Equal(2, error.GetProperty("line").GetInt32());
        var after = await Expect(await admin.GetAsync("/api/rules"), HttpStatusCode.OK);
        Assert.Equal(3, after.GetProperty("total").GetInt32());

        var rejected = await Expect(await admin.PostAsync("/api/rules/files/junk.rules", new StringContent("this is not a rule\n", Encoding.UTF8, "text/plain")), HttpStatusCode.BadRequest);
        Assert.False(rejected.GetProperty("stored").GetBoolean());
        Assert.False(File.Exists(Path.Combine(h.Dir, "control", "rules", "junk.rules")));
        await Expect(await admin.PostAsync("/api/rules/files/..%2Fescape.rules", new StringContent("x", Encoding.UTF8, "text/plain")), HttpStatusCode.BadRequest);
        await Expect(await admin.PostAsync("/api/rules/files/notes.txt", new StringContent("x", Encoding.UTF8, "text/plain")), HttpStatusCode.BadRequest);
        await Expect(await admin.PostAsync("/api/rules/files/empty.rules", new StringContent("", Encoding.UTF8, "text/plain")), HttpStatusCode.BadRequest);

        var audit = await Expect(await admin.GetAsync("/api/audit"), HttpStatusCode.OK);
        Assert.Contains(audit.EnumerateArray(), e => e.GetProperty("action").GetString() == "rule.disable" && e.GetProperty("target").GetString() == "sid/1000002");
        Assert.Contains(audit.EnumerateArray(), e => e.GetProperty("action").GetString() == "rules.upload" && e.GetProperty("target").GetString() == "rules/local.rules");
    }

    [Fact]
    public async Task Rules_UploadOverTheLimit_Is413()
    {
        await using var h = await StartAsync(options: new ControlOptions { MaxRulesUploadBytes = 100 });
        using var admin = h.As("admin");
        await Expect(await admin.PostAsync("/api/rules/files/big.rules", new StringContent(new string('#', 500), Encoding.UTF8, "text/plain")), HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task Models_ListFoldersWithMetrics_AndMarkActiveAndShadow()
    {
        string models = Path.Combine(Path.GetTempPath(), "netsec-models-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(models, "baseline-a"));
        Directory.CreateDirectory(Path.Combine(models, "baseline-b"));
        Directory.CreateDirectory(Path.Combine(models, "old"));
        await File.WriteAllTextAsync(Path.Combine(models, "baseline-a", "metrics.json"), """{"roc_auc":0.97}""");
        await File.WriteAllTextAsync(Path.Combine(models, "baseline-b", "metrics.json"), """{"roc_auc":0.98}""");
        await using var h = await StartAsync(
            new Dictionary<string, string?> { ["Detectors:Behaviour:ModelPath"] = Path.Combine(models, "baseline-a"), ["Detectors:Behaviour:ShadowModelPath"] = Path.Combine(models, "baseline-b") },
            new ControlOptions { ModelsDirectory = models });
        using var viewer = h.As("viewer");
        var list = (await Expect(await viewer.GetAsync("/api/models"), HttpStatusCode.OK)).EnumerateArray().ToList();
        Assert.Equal(["baseline-a", "baseline-b", "old"], list.Select(m => m.GetProperty("name").GetString()));
        Assert.Equal("active", list[0].GetProperty("role").GetString());
        Assert.Equal("shadow", list[1].GetProperty("role").GetString());
        Assert.Equal(JsonValueKind.Null, list[2].GetProperty("role").ValueKind);
        Assert.Equal(0.97, list[0].GetProperty("metrics").GetProperty("roc_auc").GetDouble());
        Assert.Equal("baseline-a", (await Expect(await viewer.GetAsync("/api/models/active"), HttpStatusCode.OK)).GetProperty("name").GetString());
        Assert.Equal("baseline-b", (await Expect(await viewer.GetAsync("/api/models/shadow"), HttpStatusCode.OK)).GetProperty("name").GetString());
        Directory.Delete(models, recursive: true);
    }

    [Fact]
    public async Task Modes_SetAndRemovedByAdmin_WriteAModesFileTheConfigurationReads()
    {
        await using var h = await StartAsync(new Dictionary<string, string?> { ["Modes:Default"] = "log", ["Modes:Namespaces:payments"] = "block" });
        using var admin = h.As("admin");
        var initial = await Expect(await admin.GetAsync("/api/modes"), HttpStatusCode.OK);
        Assert.Equal("log", initial.GetProperty("default").GetString());
        Assert.Equal("block", initial.GetProperty("namespaces").GetProperty("payments").GetString());

        await Expect(await admin.PutAsync("/api/modes/default", JsonBody(new { mode = "ALERT" })), HttpStatusCode.OK);
        await Expect(await admin.PutAsync("/api/modes/namespaces/shop", JsonBody(new { mode = "block" })), HttpStatusCode.OK);
        var latest = await Expect(await admin.PutAsync("/api/modes/workloads/shop/frontend", JsonBody(new { mode = "log" })), HttpStatusCode.OK);
        Assert.Equal("alert", latest.GetProperty("default").GetString());
        Assert.Equal("log", latest.GetProperty("workloads").GetProperty("shop/frontend").GetString());

        var file = new ConfigurationBuilder().AddJsonFile(Path.Combine(h.Dir, "control", "modes.json")).Build();
        Assert.Equal("alert", file["Modes:Default"]);
        Assert.Equal("block", file["Modes:Namespaces:shop"]);
        Assert.Equal("block", file["Modes:Namespaces:payments"]);
        Assert.Equal("log", file["Modes:Workloads:shop/frontend"]);

        var removed = await Expect(await admin.DeleteAsync("/api/modes/namespaces/payments"), HttpStatusCode.OK);
        Assert.False(removed.GetProperty("namespaces").TryGetProperty("payments", out _));
        await Expect(await admin.DeleteAsync("/api/modes/namespaces/payments"), HttpStatusCode.NotFound);
        var bad = await Expect(await admin.PutAsync("/api/modes/namespaces/shop", JsonBody(new { mode = "drop" })), HttpStatusCode.BadRequest);
        Assert.True(bad.GetProperty("errors").TryGetProperty("mode", out _));
        var badName = await Expect(await admin.PutAsync("/api/modes/namespaces/Shop_1", JsonBody(new { mode = "log" })), HttpStatusCode.BadRequest);
        Assert.True(badName.GetProperty("errors").TryGetProperty("namespace", out _));
        await Expect(await admin.PutAsync("/api/modes/workloads/shop/-x", JsonBody(new { mode = "log" })), HttpStatusCode.BadRequest);
        await Expect(await h.As("analyst").PutAsync("/api/modes/default", JsonBody(new { mode = "block" })), HttpStatusCode.Forbidden);

        var audit = await Expect(await admin.GetAsync("/api/audit"), HttpStatusCode.OK);
        Assert.Equal(3, audit.EnumerateArray().Count(e => e.GetProperty("action").GetString() == "mode.set"));
        Assert.Contains(audit.EnumerateArray(), e => e.GetProperty("action").GetString() == "mode.remove" && e.GetProperty("target").GetString() == "namespace/payments");
    }

    [Fact]
    public async Task Models_ChosenByAdmin_AreWrittenForTheProcessors_OnlyIfLoadable()
    {
        string models = Path.Combine(Path.GetTempPath(), "netsec-models-" + Guid.NewGuid().ToString("N"));
        foreach (string name in new[] { "live", "candidate", "zip-only" })
        {
            Directory.CreateDirectory(Path.Combine(models, name));
        }

        await File.WriteAllTextAsync(Path.Combine(models, "live", "baseline.json"), "{}");
        await File.WriteAllTextAsync(Path.Combine(models, "candidate", "model.json"), "{}");
        await File.WriteAllTextAsync(Path.Combine(models, "candidate", "model.onnx"), "x");
        await File.WriteAllTextAsync(Path.Combine(models, "zip-only", "model.zip"), "x");
        await using var h = await StartAsync(new Dictionary<string, string?> { ["Detectors:Behaviour:ModelPath"] = Path.Combine(models, "live") }, new ControlOptions { ModelsDirectory = models });
        using var admin = h.As("admin");
        var shadow = await Expect(await admin.PutAsync("/api/models/shadow", JsonBody(new { name = "candidate" })), HttpStatusCode.OK);
        Assert.Equal("shadow", shadow.GetProperty("role").GetString());
        Assert.Equal("candidate", (await Expect(await admin.GetAsync("/api/models/shadow"), HttpStatusCode.OK)).GetProperty("name").GetString());
        Assert.Equal("live", (await Expect(await admin.GetAsync("/api/models/active"), HttpStatusCode.OK)).GetProperty("name").GetString());

        var file = new ConfigurationBuilder().AddJsonFile(Path.Combine(h.Dir, "control", "models.json")).Build();
        Assert.Equal(Path.Combine(models, "candidate"), file["Detectors:Behaviour:ShadowModelPath"]);

        var bad = await Expect(await admin.PutAsync("/api/models/active", JsonBody(new { name = "zip-only" })), HttpStatusCode.BadRequest);
        Assert.Contains("cannot load", bad.GetProperty("errors").GetProperty("name")[0].GetString(), StringComparison.Ordinal);
        await Expect(await admin.PutAsync("/api/models/active", JsonBody(new { name = "missing" })), HttpStatusCode.NotFound);
        await Expect(await admin.PutAsync("/api/models/active", JsonBody(new { name = "../etc" })), HttpStatusCode.BadRequest);

        var activated = await Expect(await admin.PutAsync("/api/models/active", JsonBody(new { name = "candidate" })), HttpStatusCode.OK);
        Assert.Equal("active", activated.GetProperty("role").GetString());
        await Expect(await admin.DeleteAsync("/api/models/shadow"), HttpStatusCode.NoContent);
        file = new ConfigurationBuilder().AddJsonFile(Path.Combine(h.Dir, "control", "models.json")).Build();
        Assert.Equal(Path.Combine(models, "candidate"), file["Detectors:Behaviour:ModelPath"]);
        Assert.Null(file["Detectors:Behaviour:ShadowModelPath"]);

        var audit = await Expect(await admin.GetAsync("/api/audit"), HttpStatusCode.OK);
        Assert.Contains(audit.EnumerateArray(), e => e.GetProperty("action").GetString() == "model.activate" && e.GetProperty("target").GetString() == "models/candidate");
        Assert.Contains(audit.EnumerateArray(), e => e.GetProperty("action").GetString() == "model.shadow");
        Directory.Delete(models, recursive: true);
    }

    [Fact]
    public async Task OpenApi_DocumentsEveryApiEndpoint()
    {
        await using var h = await SeededAsync();
        var doc = await Expect(await h.As("viewer").GetAsync("/openapi/v1.json"), HttpStatusCode.OK);
        var paths = doc.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToHashSet();
        foreach (string path in new[] { "/api/alerts", "/api/alerts/{id}", "/api/alerts/{id}/transition", "/api/alerts/bulk", "/api/alerts/export-labels",
            "/api/session", "/api/tokens", "/api/tokens/{id}", "/api/audit", "/api/rules", "/api/rules/{sid}/enabled", "/api/rules/files/{name}",
            "/api/models", "/api/models/active", "/api/models/shadow", "/api/modes", "/api/modes/namespaces/{ns}", "/api/modes/workloads/{ns}/{workload}", "/readyz" })
        {
            Assert.True(paths.Contains(path) || paths.Contains(path + "/"), $"{path} missing from the OpenAPI document: {string.Join(", ", paths)}");
        }
    }

    [Fact]
    public async Task UnknownApiPath_Is404ProblemForCallers_401ForStrangers()
    {
        await using var h = await SeededAsync();
        await Expect(await h.As("viewer").GetAsync("/api/nothing-here"), HttpStatusCode.NotFound);
        await Expect(await h.Anonymous().GetAsync("/api/nothing-here"), HttpStatusCode.Unauthorized);
    }
}
