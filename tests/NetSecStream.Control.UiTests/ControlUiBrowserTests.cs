using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using NetSecStream.Control.Api;
using NetSecStream.Control.Store;
using static Microsoft.Playwright.Assertions;

namespace NetSecStream.Control.UiTests;

/// <summary>
/// The web UI in a real browser against a real control plane: log in, filter, move with the keyboard, triage one alert
/// and several at once (checked in the store), open the detail, switch and upload rules, read the models page.
/// </summary>
public sealed class ControlUiBrowserTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private const string Rows = ".alerts-table tbody tr[data-id]";

    [Fact]
    public async Task Analyst_logs_in_filters_navigates_by_keyboard_and_triages_one_and_many_alerts()
    {
        await using var server = await UiServer.StartAsync();
        var (context, page, errors) = await browser.OpenAsync(server);
        await using var _ = context;

        // No session: the UI sends the browser to the login page, keeping where it was going.
        await page.GotoAsync("/");
        await Expect(page).ToHaveURLAsync(new Regex("/ui/#/login"));
        await page.Locator("#token").FillAsync("not-a-token");
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await Expect(page.Locator("#login-error")).ToHaveTextAsync("That token is unknown or revoked.");
        await BrowserFixture.ScreenshotAsync(page, "login");
        await page.Locator("#token").FillAsync(server.Tokens["analyst"]);
        await page.Locator("#token").PressAsync("Enter");

        // The first page: 50 newest alerts, newest first, with a cursor to older ones.
        await Expect(page.Locator(Rows)).ToHaveCountAsync(50);
        await Expect(page.Locator("#who-role")).ToHaveTextAsync("analyst");
        await Expect(page.Locator(Rows).First).ToHaveAttributeAsync("data-id", "beh-0002");
        await page.GetByRole(AriaRole.Button, new() { Name = "Load older alerts" }).ClickAsync();
        await Expect(page.Locator(Rows)).ToHaveCountAsync(100);

        // The chart counts every alert by severity.
        int[] bySeverity = new int[4];
        for (int i = 0; i < UiServer.SignatureAlerts; i++)
        {
            bySeverity[UiServer.Severity(i) - 1]++;
        }

        bySeverity[1] += UiServer.BehaviourAlerts;
        await Expect(page.Locator(".legend")).ToContainTextAsync($"critical {bySeverity[0]}");
        await Expect(page.Locator(".legend")).ToContainTextAsync($"high {bySeverity[1]}");
        Assert.True(await page.Locator(".chart .bar:not(.empty)").CountAsync() > 10);

        // '/' focuses the filter; Enter applies it.
        await page.Keyboard.PressAsync("/");
        await Expect(page.Locator("#f-namespace")).ToBeFocusedAsync();
        await page.Keyboard.TypeAsync("payments");
        await page.Keyboard.PressAsync("Enter");
        int payments = Enumerable.Range(0, UiServer.SignatureAlerts).Count(i => UiServer.Namespace(i) == "payments") + UiServer.BehaviourAlerts;
        await Expect(page.Locator(Rows)).ToHaveCountAsync(payments);
        string[] namespaces = await page.Locator(".alerts-table tbody td:nth-child(6)").EvaluateAllAsync<string[]>("cells => cells.map(c => c.textContent)");
        Assert.All(namespaces, ns => Assert.StartsWith("payments", ns, StringComparison.Ordinal));
        Assert.Contains("namespace=payments", page.Url, StringComparison.Ordinal);

        // A select applies at once.
        await page.Locator("#f-severity").SelectOptionAsync("1");
        int criticalPayments = Enumerable.Range(0, UiServer.SignatureAlerts).Count(i => UiServer.Namespace(i) == "payments" && UiServer.Severity(i) == 1);
        await Expect(page.Locator(Rows)).ToHaveCountAsync(criticalPayments);
        await Expect(page.Locator(".alerts-table .sev:not(.sev-1)")).ToHaveCountAsync(0);
        await page.GetByRole(AriaRole.Button, new() { Name = "Clear" }).ClickAsync();
        await Expect(page.Locator(Rows)).ToHaveCountAsync(50);

        // A bar of the chart narrows the range to its bucket: the first 5 minutes hold alerts 0-4.
        await page.Locator(".chart .bar:not(.empty)").First.ClickAsync();
        await Expect(page.Locator(Rows)).ToHaveCountAsync(5);
        await Expect(page.Locator("#f-from")).ToHaveValueAsync("2026-11-26T12:00");
        await Expect(page.Locator("#f-to")).ToHaveValueAsync("2026-11-26T12:05");
        await Expect(page.Locator(".legend")).ToContainTextAsync("critical 2");
        await page.GetByRole(AriaRole.Button, new() { Name = "Clear" }).ClickAsync();
        await Expect(page.Locator(Rows)).ToHaveCountAsync(50);

        // j/k move the current row; 'a' acknowledges it.
        await page.Locator("body").PressAsync("Escape");
        await page.Keyboard.PressAsync("j");
        await page.Keyboard.PressAsync("j");
        await page.Keyboard.PressAsync("j");
        await page.Keyboard.PressAsync("k");
        var current = page.Locator(".alerts-table tr.current");
        await Expect(current).ToHaveAttributeAsync("data-index", "2");
        string first = (await current.GetAttributeAsync("data-id"))!;
        await page.Keyboard.PressAsync("a");
        await Expect(page.Locator("#toast")).ToHaveTextAsync("1 alert moved to acknowledged");
        await Expect(current.Locator(".state")).ToHaveTextAsync("acknowledged");
        var stored = server.Store.GetAlert(first)!;
        Assert.Equal(TriageStates.Acknowledged, stored.Alert.State);
        Assert.StartsWith("analyst-user", Assert.Single(stored.History).Actor, StringComparison.Ordinal);

        // x selects; the bulk bar acts on the selection with its comment and assignee.
        await page.Keyboard.PressAsync("j");
        await page.Keyboard.PressAsync("x");
        await page.Keyboard.PressAsync("j");
        await page.Keyboard.PressAsync("x");
        await Expect(page.Locator(".selcount")).ToHaveTextAsync("2 selected");
        string[] bulk = [.. await page.Locator(".alerts-table tr.selected").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.id)")];
        Assert.Equal(2, bulk.Length);
        await page.Locator("#bulk-comment").FillAsync("scanner from the pentest window");
        await page.Locator("#bulk-assignee").FillAsync("alice");
        await page.Locator(".bulkbar button[data-action=acknowledged]").ClickAsync();
        await Expect(page.Locator("#toast")).ToHaveTextAsync("2 alerts moved to acknowledged");
        await Expect(page.Locator(".alerts-table tr.selected")).ToHaveCountAsync(0);
        foreach (string id in bulk)
        {
            var detail = server.Store.GetAlert(id)!;
            Assert.Equal(TriageStates.Acknowledged, detail.Alert.State);
            Assert.Equal("alice", detail.Alert.Assignee);
            Assert.Equal("scanner from the pentest window", Assert.Single(detail.History).Comment);
        }

        // The current row (the last selected) is resolved with 'r'; 'f' on a closed alert is refused and said so.
        await page.Locator("body").PressAsync("Escape");
        await page.Keyboard.PressAsync("r");
        await Expect(page.Locator("#toast")).ToHaveTextAsync("1 alert moved to resolved");
        string resolved = (await current.GetAttributeAsync("data-id"))!;
        Assert.Equal(bulk[1], resolved);
        Assert.Equal(TriageStates.Resolved, server.Store.GetAlert(resolved)!.Alert.State);
        await page.Keyboard.PressAsync("f");
        await Expect(page.Locator("#toast")).ToContainTextAsync("could not move from their state");
        Assert.Equal(TriageStates.Resolved, server.Store.GetAlert(resolved)!.Alert.State);
        await BrowserFixture.ScreenshotAsync(page, "triage-list", forReadme: true);

        // Enter opens the detail: flow facts, the matched rule's text, the history of both steps.
        await page.Keyboard.PressAsync("Enter");
        await Expect(page).ToHaveURLAsync(new Regex($"#/alerts/{resolved}$"));
        await Expect(page.Locator("#detail-title")).ToContainTextAsync("GPL ATTACK_RESPONSE id check returned root");
        var alert = server.Store.GetAlert(resolved)!.Alert;
        await Expect(page.Locator("table[aria-label='Flow facts']")).ToContainTextAsync($"{alert.SourceIp}:{alert.SourcePort}");
        await Expect(page.Locator("table[aria-label='Flow facts']")).ToContainTextAsync("network.community_id");
        await Expect(page.Locator("pre[aria-label='Rule text']")).ToContainTextAsync($"sid:{UiServer.RootRuleSid}");
        await Expect(page.Locator("table[aria-label='Triage history'] tbody tr")).ToHaveCountAsync(2);
        await Expect(page.Locator("table[aria-label='Triage history']")).ToContainTextAsync("scanner from the pentest window");
        await Expect(page.Locator(".detail")).ToContainTextAsync("closed alerts stay closed");
        await BrowserFixture.ScreenshotAsync(page, "alert-detail", forReadme: true);

        // Back to the list, the current row is where it was.
        await page.Keyboard.PressAsync("Escape");
        await Expect(page).ToHaveURLAsync(new Regex("#/alerts\\?row=4$"));
        await Expect(page.Locator(".alerts-table tr.current")).ToHaveAttributeAsync("data-id", resolved);
        Assert.Empty(errors);
    }

    [Fact]
    public async Task Detail_of_a_behaviour_alert_tabulates_the_features_and_triage_from_the_detail_is_stored()
    {
        await using var server = await UiServer.StartAsync();
        var (context, page, errors) = await browser.OpenAsync(server);
        await using var _ = context;
        await LogInAsync(page, server, "analyst", "/alerts/beh-0001");

        await Expect(page.Locator("#detail-title")).ToContainTextAsync("Unusual traffic for workload payments/api");
        var features = page.Locator("table[aria-label='Features that drove the score'] tbody tr");
        await Expect(features).ToHaveCountAsync(2);
        await Expect(features.Nth(0)).ToContainTextAsync("bytes_out");
        await Expect(features.Nth(0)).ToContainTextAsync("12.4");
        await Expect(features.Nth(1)).ToContainTextAsync("dst_port_rarity");
        await Expect(page.Locator(".explanation")).ToContainTextAsync("destination never seen for this workload");
        await Expect(page.Locator("table[aria-label='Flow facts']")).ToContainTextAsync("203.0.113.7:4444");

        await page.Locator("#triage-comment").FillAsync("exfil test by red team");
        await page.Locator("#triage-assignee").FillAsync("bob");
        await page.Locator("button[data-action=false_positive]").ClickAsync();
        await Expect(page.Locator(".detail-head .state")).ToHaveTextAsync("false positive");
        var stored = server.Store.GetAlert("beh-0001")!;
        Assert.Equal(TriageStates.FalsePositive, stored.Alert.State);
        Assert.Equal("bob", stored.Alert.Assignee);
        Assert.Equal("exfil test by red team", Assert.Single(stored.History).Comment);
        Assert.Empty(errors);
    }

    [Fact]
    public async Task Viewer_sees_alerts_without_triage_controls_and_keys_change_nothing()
    {
        await using var server = await UiServer.StartAsync();
        var (context, page, errors) = await browser.OpenAsync(server);
        await using var _ = context;
        await LogInAsync(page, server, "viewer", "/alerts");

        await Expect(page.Locator(Rows)).ToHaveCountAsync(50);
        await Expect(page.Locator(".bulkbar")).ToHaveCountAsync(0);
        await Expect(page.Locator(".alerts-table input[type=checkbox]")).ToHaveCountAsync(0);
        await page.Keyboard.PressAsync("a");
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator(".detail")).ToContainTextAsync("Read-only");
        Assert.Empty(server.Store.ListAlerts(new AlertFilter { State = TriageStates.Acknowledged }, 10, null).Items);
        Assert.Empty(errors);
    }

    [Fact]
    public async Task Admin_searches_disables_a_rule_uploads_a_rules_file_and_reads_the_models()
    {
        await using var server = await UiServer.StartAsync();
        var (context, page, errors) = await browser.OpenAsync(server);
        await using var _ = context;
        await LogInAsync(page, server, "admin", "/rules");

        var rows = page.Locator("tbody tr[data-sid]");
        await Expect(rows).ToHaveCountAsync(2);
        await page.Locator("#rule-q").FillAsync("curl");
        await Expect(rows).ToHaveCountAsync(1);
        var toggle = page.GetByRole(AriaRole.Switch, new() { Name = $"Rule {UiServer.CurlRuleSid} enabled" });
        await Expect(toggle).ToHaveAttributeAsync("aria-checked", "true");
        await toggle.ClickAsync();
        await Expect(toggle).ToHaveAttributeAsync("aria-checked", "false");
        Assert.False(server.Store.RuleOverrides()[UiServer.CurlRuleSid]);
        string suppress = await File.ReadAllTextAsync(Path.Combine(server.Dir, "control", "rules", RuleOverrideFile.FileName));
        Assert.Contains($"sig_id {UiServer.CurlRuleSid}", suppress, StringComparison.Ordinal);

        // One rule loads, one does not parse: the file is kept and the report names the bad line.
        string upload = "alert tcp any any -> any 22 (msg:\"LOCAL ssh from outside\"; flow:to_server; sid:1000100; rev:1;)\n"
            + "alert tcp any any -> any any (msg:\"broken\"; content:\"x\"; sid:1000101; rev:1;\n";
        await page.Locator("#rules-file").SetInputFilesAsync(new FilePayload { Name = "local.rules", MimeType = "text/plain", Buffer = Encoding.UTF8.GetBytes(upload) });
        await page.GetByRole(AriaRole.Button, new() { Name = "Check and upload" }).ClickAsync();
        await Expect(page.Locator(".report")).ToContainTextAsync("Stored. 2 rules, 1 loaded, 1 failed.");
        await Expect(page.Locator("table[aria-label='Rule errors'] tbody tr")).ToHaveCountAsync(1);
        await Expect(page.Locator(".report")).Not.ToContainTextAsync("null");
        await Expect(page.Locator("table[aria-label='Rule errors']")).ToContainTextAsync("local.rules:2");
        Assert.True(File.Exists(Path.Combine(server.Dir, "control", "rules", "local.rules")));
        await page.Locator("#rule-q").FillAsync("");
        await Expect(rows).ToHaveCountAsync(3);
        await BrowserFixture.ScreenshotAsync(page, "rules");

        await page.GetByRole(AriaRole.Link, new() { Name = "Models" }).ClickAsync();
        var live = page.Locator("article.model-active");
        await Expect(live).ToContainTextAsync("workload-baseline");
        await Expect(live.Locator(".role-badge")).ToHaveTextAsync("live");
        await Expect(live).ToContainTextAsync("0.9731");
        await Expect(page.Locator("article.model-shadow")).ToContainTextAsync("workload-candidate");
        await BrowserFixture.ScreenshotAsync(page, "models");

        // Logging out ends the session: the next page load asks for a token again.
        await page.GetByRole(AriaRole.Button, new() { Name = "Log out" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("#/login"));
        await page.GotoAsync("/ui/#/alerts");
        await Expect(page).ToHaveURLAsync(new Regex("#/login"));
        Assert.Empty(errors);
    }

    [Fact]
    public async Task Fields_from_traffic_render_as_text_and_api_errors_show_in_place()
    {
        await using var server = await UiServer.StartAsync();
        const string Hostile = "<img src=x onerror=\"window.pwned=1\"><script>window.pwned=2</script>";
        var alert = UiServer.SignatureAlert(9_999);
        server.Store.InsertAlerts([new Core.Events.Alert
        {
            Id = "hostile",
            Timestamp = alert.Timestamp,
            Detector = alert.Detector,
            RuleId = "1",
            RuleName = Hostile,
            Severity = 1,
            RiskScore = 90,
            Explanation = Hostile,
            DedupeKey = "hostile",
            Flow = alert.Flow,
        }]);
        var (context, page, errors) = await browser.OpenAsync(server);
        await using var _ = context;
        await LogInAsync(page, server, "analyst", "/alerts");

        await Expect(page.Locator(Rows).First).ToContainTextAsync(Hostile);
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator("#detail-title")).ToContainTextAsync(Hostile);
        await Expect(page.Locator(".explanation")).ToContainTextAsync(Hostile);
        Assert.Equal(0, await page.Locator("main img").CountAsync());
        Assert.True(await page.EvaluateAsync<bool>("() => window.pwned === undefined"));

        // A query the API refuses: its reason shows where the rows were, with a retry.
        await page.GotoAsync("/ui/#/alerts?rule=" + new string('9', 600));
        await Expect(page.Locator(".alerts-table td.error")).ToContainTextAsync("'rule' is longer than 512 characters");
        await Expect(page.Locator(".alerts-table td.error button")).ToHaveTextAsync("Retry");
        await Expect(page.Locator(".chart-message.error")).ToContainTextAsync("512");
        // The browser logs the refused requests (400) and the lookup of rule 1, which no loaded rule file holds (404).
        Assert.All(errors, e => Assert.Matches("status of (400|404)", e));
    }

    private static async Task LogInAsync(IPage page, UiServer server, string role, string next)
    {
        await page.GotoAsync("/ui/#/login?next=" + Uri.EscapeDataString(next));
        await page.Locator("#token").FillAsync(server.Tokens[role]);
        await page.Locator("#token").PressAsync("Enter");
        await Expect(page.Locator("#who-role")).ToHaveTextAsync(role);
    }
}
