using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace NetSecStream.Control.UiTests;

/// <summary>
/// How the UI is served (embedded files, headers, caching, path handling) and the read endpoints it adds (timeline,
/// rule text), over real HTTP; these need no browser.
/// </summary>
public sealed class ControlUiHttpTests : IAsyncLifetime
{
    private UiServer _server = null!;

    public async Task InitializeAsync() => _server = await UiServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private HttpClient Client(string? role = null)
    {
        var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(_server.BaseUrl) };
        if (role is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _server.Tokens[role]);
        }

        return client;
    }

    [Fact]
    public async Task Ui_files_are_served_from_the_assembly_to_anyone_with_a_strict_content_security_policy_and_revalidation()
    {
        using var client = Client();
        using var root = await client.GetAsync("/");
        Assert.Equal(HttpStatusCode.Redirect, root.StatusCode);
        Assert.Equal("/ui/", root.Headers.Location?.OriginalString);
        using var bare = await client.GetAsync("/ui");
        Assert.Equal(HttpStatusCode.Redirect, bare.StatusCode);
        Assert.Equal("/ui/", bare.Headers.Location?.OriginalString);

        using var index = await client.GetAsync("/ui/");
        Assert.Equal(HttpStatusCode.OK, index.StatusCode);
        Assert.Equal("text/html", index.Content.Headers.ContentType?.MediaType);
        Assert.Contains("js/app.js", await index.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        string csp = index.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
        Assert.Equal("nosniff", index.Headers.GetValues("X-Content-Type-Options").Single());
        var etag = index.Headers.ETag;
        Assert.NotNull(etag);

        using var again = new HttpRequestMessage(HttpMethod.Get, "/ui/index.html");
        again.Headers.IfNoneMatch.Add(etag);
        using var notModified = await client.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);

        foreach (string file in new[] { "js/app.js", "js/alerts.js", "js/detail.js", "js/rules.js", "js/models.js", "js/chart.js", "js/api.js", "js/dom.js" })
        {
            using var script = await client.GetAsync("/ui/" + file);
            Assert.True(script.StatusCode == HttpStatusCode.OK, file);
            Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
        }

        using var css = await client.GetAsync("/ui/app.css");
        Assert.Equal("text/css", css.Content.Headers.ContentType?.MediaType);
        using var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/ui/app.css"));
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(css.Content.Headers.ContentLength, head.Content.Headers.ContentLength);
    }

    [Theory]
    [InlineData("/ui/missing.js")]
    [InlineData("/ui/js/../../NetSecStream.Control.dll")]
    [InlineData("/ui/%2e%2e/%2e%2e/etc/passwd")]
    [InlineData("/ui/js%5capp.js")]
    [InlineData("/ui/NetSecStream.Control.csproj")]
    [InlineData("/ui/js")]
    public async Task Paths_outside_the_embedded_files_or_of_unknown_types_are_not_found(string path)
    {
        using var client = Client();
        using var response = await client.GetAsync(path);
        // 401: the client normalised the dots away and the path left /ui/, where everything needs a login.
        Assert.True(response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.BadRequest or HttpStatusCode.Unauthorized, $"{path}: {(int)response.StatusCode}");
    }

    [Fact]
    public async Task Timeline_counts_alerts_per_bucket_and_severity_as_stored()
    {
        using var client = Client("viewer");
        using var response = await client.GetAsync("/api/alerts/timeline?buckets=60");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = doc.RootElement;
        int total = UiServer.SignatureAlerts + UiServer.BehaviourAlerts;
        Assert.Equal(total, root.GetProperty("total").GetInt64());
        // 123 minutes of alerts in at most 60 buckets: 5-minute buckets starting on a multiple of 5 minutes.
        Assert.Equal(300, root.GetProperty("bucket_seconds").GetInt64());
        var buckets = root.GetProperty("buckets").EnumerateArray().ToList();
        Assert.Equal(UiServer.T0, buckets[0].GetProperty("start").GetDateTimeOffset());
        Assert.Equal(25, buckets.Count);
        var expected = new long[buckets.Count, 4];
        for (int i = 0; i < UiServer.SignatureAlerts; i++)
        {
            expected[i / 5, UiServer.Severity(i) - 1]++;
        }

        for (int i = 0; i < UiServer.BehaviourAlerts; i++)
        {
            expected[(UiServer.SignatureAlerts + i) / 5, 1]++;
        }

        for (int b = 0; b < buckets.Count; b++)
        {
            long[] counts = [.. buckets[b].GetProperty("counts").EnumerateArray().Select(c => c.GetInt64())];
            Assert.Equal([expected[b, 0], expected[b, 1], expected[b, 2], expected[b, 3]], counts);
        }

        // Filters as the list's: one namespace, one explicit hour.
        using var filtered = await client.GetAsync("/api/alerts/timeline?namespace=payments&from=2026-11-26T12:00:00Z&to=2026-11-26T13:00:00Z&buckets=4");
        using var f = JsonDocument.Parse(await filtered.Content.ReadAsStringAsync());
        Assert.Equal(900, f.RootElement.GetProperty("bucket_seconds").GetInt64());
        Assert.Equal(4, f.RootElement.GetProperty("buckets").GetArrayLength());
        Assert.Equal(Enumerable.Range(0, 60).Count(i => UiServer.Namespace(i) == "payments"), f.RootElement.GetProperty("total").GetInt64());

        using var none = await client.GetAsync("/api/alerts/timeline?namespace=nowhere");
        using var n = JsonDocument.Parse(await none.Content.ReadAsStringAsync());
        Assert.Equal(0, n.RootElement.GetProperty("total").GetInt64());
        Assert.Equal(0, n.RootElement.GetProperty("buckets").GetArrayLength());
    }

    [Theory]
    [InlineData("buckets=0", "buckets")]
    [InlineData("buckets=1001", "buckets")]
    [InlineData("from=yesterday", "from")]
    [InlineData("from=2026-11-26T13:00:00Z&to=2026-11-26T12:00:00Z", "to")]
    [InlineData("detector=magic", "detector")]
    [InlineData("state=open", "state")]
    [InlineData("severity=1", "severity")]
    public async Task Timeline_rejects_bad_queries_naming_the_parameter(string query, string key)
    {
        using var client = Client("viewer");
        using var response = await client.GetAsync("/api/alerts/timeline?" + query);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.True(doc.RootElement.GetProperty("errors").TryGetProperty(key, out _), await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Rule_text_is_read_from_its_file_and_unknown_or_bad_sids_are_reported()
    {
        using var client = Client("viewer");
        using var response = await client.GetAsync($"/api/rules/{UiServer.RootRuleSid}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(1, doc.RootElement.GetProperty("line").GetInt32());
        Assert.StartsWith("alert tcp any any -> any any (msg:\"GPL ATTACK_RESPONSE", doc.RootElement.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Equal("seed.rules", doc.RootElement.GetProperty("rule").GetProperty("file").GetString());

        using var missing = await client.GetAsync("/api/rules/42");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        using var bad = await client.GetAsync("/api/rules/abc");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public async Task Ui_endpoints_need_a_login_and_are_in_the_openapi_document()
    {
        using var anonymous = Client();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/alerts/timeline")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync($"/api/rules/{UiServer.RootRuleSid}")).StatusCode);
        using var viewer = Client("viewer");
        string openapi = await viewer.GetStringAsync("/openapi/v1.json");
        Assert.Contains("/api/alerts/timeline", openapi, StringComparison.Ordinal);
        Assert.Contains("/api/rules/{sid}", openapi, StringComparison.Ordinal);
        Assert.DoesNotContain("/ui/", openapi, StringComparison.Ordinal);
    }

    [Fact]
    public void Rule_text_follows_continuation_lines_and_is_bounded()
    {
        string file = Path.Combine(_server.Dir, "multi.rules");
        File.WriteAllText(file, "# comment\nalert tcp any any -> any any (msg:\"a\"; \\\n  content:\"b\"; sid:5; rev:1;)\nalert ip any any -> any any (sid:6;)\n");
        Assert.Equal("alert tcp any any -> any any (msg:\"a\";   content:\"b\"; sid:5; rev:1;)", Ui.UiEndpoints.ReadRuleText(file, 2));
        Assert.Null(Ui.UiEndpoints.ReadRuleText(Path.Combine(_server.Dir, "gone.rules"), 1));
        File.WriteAllText(file, string.Concat(Enumerable.Repeat("xxxxxxxxxx\\\n", 10_000)) + "end\n");
        Assert.Equal(64 * 1024, Ui.UiEndpoints.ReadRuleText(file, 1)!.Length);
    }
}
