using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using NetSecStream.Core;
using NetSecStream.Core.Events;
using static Microsoft.Playwright.Assertions;

namespace NetSecStream.Control.UiTests;

/// <summary>
/// The namespace page (mode switches, with confirmation before block, read-only for viewers) and the operator's block:
/// "Block this source for 1 h" from an alert, then Revoke from the Blocks page, checked in the modes file and the
/// GitOps directory the enforcement sync writes.
/// </summary>
public sealed class ControlUiModesBlocksTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private static Alert Intel(string id, string source, string ns, string workload, DateTimeOffset time) => new()
    {
        Id = id,
        Timestamp = time,
        Detector = DetectorKinds.Intel,
        RuleId = "intel:feodo",
        RuleName = "Source on the Feodo tracker list",
        Severity = 1,
        RiskScore = 95,
        Mode = Mode.Alert,
        Explanation = $"{source} is listed by feodo (botnet C2)",
        DedupeKey = "intel|" + id,
        Flow = new FlowEvent
        {
            Timestamp = time,
            Source = new FlowEndpoint { Ip = IPAddress.Parse(source), Port = 51515, ReservedEntity = "world" },
            Destination = new FlowEndpoint
            {
                Ip = IPAddress.Parse("10.244.2.17"), Port = 8443, Namespace = ns, Workload = workload, Pod = workload + "-5c8d7-qx2lp",
                Labels = new Dictionary<string, string> { ["app"] = workload, ["pod-template-hash"] = "5c8d7" },
            },
            IpProtocol = 6,
            CommunityId = "1:" + id + "=",
            CollectorId = "test",
        },
    };

    /// <summary>Alerts of the last hour, so the namespace page's 24 h counts have something to show.</summary>
    private static void SeedRecent(UiServer server)
    {
        var now = DateTimeOffset.UtcNow;
        server.Store.InsertAlerts(
        [
            .. Enumerable.Range(0, 14).Select(i => Intel($"recent-shop-{i}", "203.0.113." + (10 + i), "shop", i % 2 == 0 ? "web" : "cart", now.AddMinutes(-50 + i))),
            .. Enumerable.Range(0, 5).Select(i => Intel($"recent-pay-{i}", "198.51.100." + (40 + i), "payments", "api", now.AddMinutes(-30 + i))),
            Intel("recent-billing-0", "192.0.2.5", "billing", "ledger", now.AddMinutes(-3)),
        ]);
    }

    private static string? ModeInFile(UiServer server, string ns)
    {
        string path = Path.Combine(server.Dir, "control", "modes.json");
        if (!File.Exists(path))
        {
            return null;
        }

        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.GetProperty("Modes").GetProperty("Namespaces").TryGetProperty(ns, out var mode) ? mode.GetString() : null;
    }

    private static IEnumerable<string> GitOpsFiles(UiServer server) =>
        Directory.Exists(server.GitOpsDirectory) ? Directory.EnumerateFiles(server.GitOpsDirectory, "*.yaml", SearchOption.AllDirectories) : [];

    [Fact]
    public async Task Admin_switches_a_namespace_to_block_after_confirming_and_a_viewer_cannot_switch()
    {
        await using var server = await UiServer.StartAsync();
        SeedRecent(server);
        var (context, page, errors) = await browser.OpenAsync(server);
        await using var _ = context;
        await LogInAsync(page, server, "admin", "/alerts");
        await page.GetByRole(AriaRole.Link, new() { Name = "Namespaces" }).ClickAsync();

        var shop = page.Locator("tr[data-namespace='shop']");
        await Expect(page.Locator("tr[data-namespace]")).ToHaveCountAsync(3);
        // The seeded alerts of the last 24 h, and those of the server's own seed still inside the window as this runs.
        // (A minute either side: the window moves while the page loads.)
        var dayAgo = DateTimeOffset.UtcNow.AddHours(-24);
        int SeededSince(DateTimeOffset since) => 14 + Enumerable.Range(0, UiServer.SignatureAlerts).Count(i => UiServer.Namespace(i) == "shop" && UiServer.T0.AddMinutes(i) >= since);
        await Expect(shop.Locator(".ns-count")).ToHaveTextAsync(new Regex(@"^\d+$"));
        int shown = int.Parse(await shop.Locator(".ns-count").TextContentAsync() ?? "", System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(shown, SeededSince(dayAgo.AddMinutes(1)), SeededSince(dayAgo.AddMinutes(-1)));
        var shopModes = page.GetByRole(AriaRole.Radiogroup, new() { Name = "Mode of namespace shop" });
        await Expect(shopModes.Locator("[data-mode='inherit']")).ToHaveAttributeAsync("aria-checked", "true");
        await Expect(shopModes.Locator("[data-mode='alert']")).ToHaveClassAsync(new Regex("inherited"));

        // Block makes the product enforce: it asks first, and Cancel changes nothing.
        await shopModes.GetByRole(AriaRole.Radio, new() { Name = "block" }).ClickAsync();
        var dialog = page.Locator("dialog.confirm");
        await Expect(dialog).ToBeVisibleAsync();
        await Expect(dialog).ToContainTextAsync("Switch namespace shop to block?");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
        await Expect(dialog).ToHaveCountAsync(0);
        Assert.Null(ModeInFile(server, "shop"));
        await Expect(shopModes.Locator("[data-mode='inherit']")).ToHaveAttributeAsync("aria-checked", "true");

        await shopModes.GetByRole(AriaRole.Radio, new() { Name = "block" }).ClickAsync();
        await page.Locator("dialog.confirm").GetByRole(AriaRole.Button, new() { Name = "Switch to block" }).ClickAsync();
        await Expect(page.Locator("#toast")).ToContainTextAsync("Namespace shop set to block");
        await Expect(shopModes.Locator("[data-mode='block']")).ToHaveAttributeAsync("aria-checked", "true");
        Assert.Equal("block", ModeInFile(server, "shop"));
        using (var api = new HttpClient { BaseAddress = new Uri(server.BaseUrl) })
        {
            api.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", server.Tokens["viewer"]);
            using var modes = JsonDocument.Parse(await api.GetStringAsync("/api/modes"));
            Assert.Equal("block", modes.RootElement.GetProperty("namespaces").GetProperty("shop").GetString());
        }

        await Expect(shop.Locator(".ns-changed")).ToContainTextAsync("admin-user");

        // Log and alert need no confirmation; a workload override is set from the unfolded overrides.
        await page.GetByRole(AriaRole.Radiogroup, new() { Name = "Mode of namespace billing" }).GetByRole(AriaRole.Radio, new() { Name = "log" }).ClickAsync();
        await Expect(page.Locator("#toast")).ToContainTextAsync("Namespace billing set to log");
        Assert.Equal("log", ModeInFile(server, "billing"));
        await page.Locator("tr[data-overrides-of='payments'] summary").ClickAsync();
        await page.GetByRole(AriaRole.Radiogroup, new() { Name = "Mode of workload payments/api" }).GetByRole(AriaRole.Radio, new() { Name = "log" }).ClickAsync();
        await Expect(page.Locator("#toast")).ToContainTextAsync("Workload payments/api set to log");
        await Expect(page.GetByRole(AriaRole.Radiogroup, new() { Name = "Mode of workload payments/api" }).Locator("[data-mode='log']"))
            .ToHaveAttributeAsync("aria-checked", "true");

        var payments = page.Locator("tr[data-overrides-of='payments']");
        await payments.GetByRole(AriaRole.Textbox, new() { Name = "New selector" }).FillAsync("tier in (db)");
        await payments.GetByRole(AriaRole.Combobox, new() { Name = "Mode of the new selector" }).SelectOptionAsync("log");
        await payments.GetByRole(AriaRole.Button, new() { Name = "Add selector" }).ClickAsync();
        await Expect(page.Locator("#toast")).ToContainTextAsync("Selector tier in (db) added");
        await Expect(page.Locator("tr[data-overrides-of='payments'] tr[data-selector='tier in (db)']")).ToHaveCountAsync(1);
        using (var modes = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(server.Dir, "control", "modes.json"))))
        {
            var selector = Assert.Single(modes.RootElement.GetProperty("Modes").GetProperty("Selectors").EnumerateArray().ToList());
            Assert.Equal("payments", selector.GetProperty("Namespace").GetString());
            Assert.Equal("log", selector.GetProperty("Mode").GetString());
        }

        // After a reload the page shows what the modes file holds.
        await page.ReloadAsync();
        await Expect(page.GetByRole(AriaRole.Radiogroup, new() { Name = "Mode of namespace shop" }).Locator("[data-mode='block']")).ToHaveAttributeAsync("aria-checked", "true");
        await Expect(page.Locator("tr[data-namespace='shop']")).ToHaveClassAsync(new Regex("enforcing"));
        await page.Locator("tr[data-overrides-of='payments'] summary").ClickAsync();
        await BrowserFixture.ScreenshotAsync(page, "namespaces", forReadme: true);
        Assert.Empty(errors);

        // A viewer sees the same modes, read-only: the switches do nothing.
        var (viewerContext, viewer, viewerErrors) = await browser.OpenAsync(server);
        await using var __ = viewerContext;
        await LogInAsync(viewer, server, "viewer", "/namespaces");
        await Expect(viewer.Locator("#ns-readonly")).ToBeVisibleAsync();
        var viewerShop = viewer.GetByRole(AriaRole.Radiogroup, new() { Name = "Mode of namespace shop" });
        await Expect(viewerShop.Locator("[data-mode='block']")).ToHaveAttributeAsync("aria-checked", "true");
        await Expect(viewerShop.Locator("button")).ToHaveCountAsync(4);
        foreach (var radio in await viewerShop.Locator("button").AllAsync())
        {
            await Expect(radio).ToBeDisabledAsync();
        }

        await viewerShop.Locator("[data-mode='log']").ClickAsync(new() { Force = true });
        await Expect(viewer.Locator("dialog.confirm")).ToHaveCountAsync(0);
        await Expect(viewer.Locator("form.add-row")).ToHaveCountAsync(0);
        Assert.Equal("block", ModeInFile(server, "shop"));
        Assert.Empty(viewerErrors);
    }

    [Fact]
    public async Task Admin_blocks_the_source_of_an_alert_for_an_hour_then_revokes_it_on_the_blocks_page()
    {
        await using var server = await UiServer.StartAsync(enforcement: true);
        var now = DateTimeOffset.UtcNow;
        server.Store.InsertAlerts([Intel("intel-c2", "198.51.100.23", "payments", "api", now.AddMinutes(-2)), Intel("intel-dns", "10.96.0.10", "shop", "web", now.AddMinutes(-1))]);
        var (context, page, errors) = await browser.OpenAsync(server);
        await using var _ = context;
        await LogInAsync(page, server, "admin", "/alerts/intel-dns");

        // The cluster DNS is allowlisted: the button says so instead of offering a block.
        await Expect(page.Locator("#block-why")).ToContainTextAsync("Enforcement:Allowlist:ClusterDnsIps");
        await Expect(page.Locator("#block-source")).ToBeDisabledAsync();

        await page.GotoAsync("/ui/#/alerts/intel-c2");
        var button = page.GetByRole(AriaRole.Button, new() { Name = "Block this source for 1 h" });
        await Expect(button).ToBeEnabledAsync();
        await Expect(page.Locator("#block-why")).ToContainTextAsync("198.51.100.23 → payments/app=api");
        // Escape cancels the confirmation and stays on the alert.
        await button.ClickAsync();
        await Expect(page.Locator("dialog.confirm")).ToBeVisibleAsync();
        await page.Keyboard.PressAsync("Escape");
        await Expect(page.Locator("dialog.confirm")).ToHaveCountAsync(0);
        await Expect(page).ToHaveURLAsync(new Regex("#/alerts/intel-c2$"));
        Assert.Empty(GitOpsFiles(server));
        await button.ClickAsync();
        var dialog = page.Locator("dialog.confirm");
        await Expect(dialog).ToContainTextAsync("Block 198.51.100.23?");
        await Expect(dialog).ToContainTextAsync("Traffic from 198.51.100.23 to the workload payments/app=api will be denied.");
        await Expect(dialog).ToContainTextAsync(new Regex(@"expires at \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ \(UTC\), in (59 min|1 h 00 min)"));
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Block for 1 h" }).ClickAsync();
        await Expect(page.Locator("#block-why")).ToContainTextAsync("Blocked until");
        string file = Assert.Single(GitOpsFiles(server));
        Assert.Contains("198.51.100.23/32", await File.ReadAllTextAsync(file), StringComparison.Ordinal);
        var held = Assert.Single(server.Enforcement!.ActiveBlocks);
        Assert.InRange(held.Expires, now.AddMinutes(59), DateTimeOffset.UtcNow.AddHours(1).AddSeconds(1));
        Assert.Equal("intel-c2", held.AlertId);

        // The Blocks page lists it with a countdown; Revoke (confirmed) deletes the rule now.
        await page.GetByRole(AriaRole.Link, new() { Name = "see Blocks" }).ClickAsync();
        var row = page.Locator("tr[data-block]");
        await Expect(row).ToHaveCountAsync(1);
        await Expect(row).ToContainTextAsync("198.51.100.23");
        await Expect(row).ToContainTextAsync("intel-c2");
        await Expect(row.Locator(".countdown")).ToHaveTextAsync(new Regex(@"^(59 min \d\d s|1 h 00 min)$"));
        string first = await row.Locator(".countdown").TextContentAsync() ?? "";
        await BrowserFixture.ScreenshotAsync(page, "blocks", forReadme: true);
        await Expect(row.Locator(".countdown")).Not.ToHaveTextAsync(first, new() { Timeout = 3000 });
        await row.GetByRole(AriaRole.Button, new() { Name = "Revoke" }).ClickAsync();
        await Expect(page.Locator("dialog.confirm")).ToContainTextAsync("Revoke the block of 198.51.100.23?");
        await page.Locator("dialog.confirm").GetByRole(AriaRole.Button, new() { Name = "Revoke" }).ClickAsync();
        await Expect(page.Locator("tr.placeholder")).ToContainTextAsync("No block rules in force.");
        Assert.Empty(GitOpsFiles(server));
        Assert.Empty(server.Enforcement.ActiveBlocks);
        Assert.Empty(errors);

        // An analyst sees neither the button nor Revoke.
        var (analystContext, analyst, analystErrors) = await browser.OpenAsync(server);
        await using var __ = analystContext;
        await LogInAsync(analyst, server, "analyst", "/alerts/intel-c2");
        await Expect(analyst.Locator("#detail-title")).ToContainTextAsync("Feodo");
        await Expect(analyst.Locator("#block-source")).ToHaveCountAsync(0);
        Assert.Empty(analystErrors);
    }

    [Fact]
    public async Task With_enforcement_off_the_block_button_is_disabled_with_the_reason_and_the_blocks_page_says_so()
    {
        await using var server = await UiServer.StartAsync();
        server.Store.InsertAlerts([Intel("intel-c2", "198.51.100.23", "payments", "api", DateTimeOffset.UtcNow)]);
        var (context, page, errors) = await browser.OpenAsync(server);
        await using var _ = context;
        await LogInAsync(page, server, "admin", "/alerts/intel-c2");

        await Expect(page.Locator("#block-why")).ToContainTextAsync("enforcement is off");
        await Expect(page.Locator("#block-source")).ToBeDisabledAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Blocks" }).ClickAsync();
        await Expect(page.Locator("#blocks-off")).ToContainTextAsync("Enforcement:Enabled");
        // The browser logs the refused preview (409) and the list's 404; nothing else.
        Assert.All(errors, e => Assert.Matches("status of (404|409)", e));
    }

    private static async Task LogInAsync(IPage page, UiServer server, string role, string next)
    {
        await page.GotoAsync("/ui/#/login?next=" + Uri.EscapeDataString(next));
        await page.Locator("#token").FillAsync(server.Tokens[role]);
        await page.Locator("#token").PressAsync("Enter");
        await Expect(page.Locator("#who-role")).ToHaveTextAsync(role);
    }
}
