using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using NetSecStream.Control.Policies;
using NetSecStream.Core.Events;
using NetSecStream.Testing;
using static Microsoft.Playwright.Assertions;

namespace NetSecStream.Control.UiTests;

/// <summary>The policy editor in a real browser: edit, see diagnostics come and go, use the form, read the picture and the plan, apply.</summary>
public sealed class PolicyEditorBrowserTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private const string WebIngress = """
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
                - port: 8080
                  protocol: TCP

        """;

    /// <summary>
    /// The recent flows, by group, with what a policy admitting shop/frontend to shop/web on 9090 only does to each
    /// (worked out by hand: web becomes default-deny for ingress, db is selected by nothing).
    /// </summary>
    private static readonly (int Count, Func<int, FlowEvent> Make, string Verdict)[] Groups =
    [
        (3, i => LabelledFlows.Pods("shop", "frontend", "shop", "web", 8080, i), "denied"),
        (2, i => LabelledFlows.Pods("shop", "frontend", "shop", "web", 9090, i), "allowed"),
        (1, i => LabelledFlows.Pods("shop", "admin", "shop", "web", 9090, i), "denied"),
        (4, i => LabelledFlows.Pods("shop", "frontend", "shop", "db", 5432, i), "not_selected"),
        (1, i => LabelledFlows.Pods("billing", "api", "shop", "web", 9090, i), "denied"),
        (2, i => LabelledFlows.FromWorld("203.0.113.9", "shop", "web", 9090, i), "denied"),
    ];

    [Fact]
    public async Task Admin_edits_a_policy_and_sees_the_plan_then_applies_it()
    {
        await using var server = await UiServer.StartAsync();
        var flows = new List<FlowEvent>();
        foreach (var (count, make, _) in Groups)
        {
            flows.AddRange(Enumerable.Range(flows.Count, count).Select(make));
        }

        server.App.Services.GetRequiredService<RecentFlows>().Add(flows);
        int Count(string verdict) => Groups.Where(g => g.Verdict == verdict).Sum(g => g.Count);

        var (context, page, errors) = await browser.OpenAsync(server);
        await using var _ = context;
        await page.GotoAsync("/ui/#/login?next=" + Uri.EscapeDataString("/policies"));
        await page.Locator("#token").FillAsync(server.Tokens["admin"]);
        await page.Locator("#token").PressAsync("Enter");
        await Expect(page.Locator("#who-role")).ToHaveTextAsync("admin");
        await Expect(page.Locator("nav a[aria-current=page]")).ToHaveTextAsync("Policies");

        // The editor opens on a template; the list is empty.
        var yaml = page.GetByLabel("Policy YAML");
        await Expect(yaml).ToHaveValueAsync(new Regex("kind: NetworkPolicy"));
        await Expect(page.Locator(".policies-table tbody")).ToContainTextAsync("No policies yet.");

        // A broken line shows a diagnostic at its line, which goes away once the line is fixed.
        await yaml.FillAsync(WebIngress.Replace("    matchLabels:\n      app: web", "    matchLabels: [app\n      app: web", StringComparison.Ordinal));
        var error = page.Locator("#policy-diagnostics li.diag-error");
        await Expect(error).ToHaveCountAsync(1);
        string line = (await error.GetAttributeAsync("data-line"))!;
        await Expect(page.Locator($".gutter .ln.diag-error[data-line='{line}']")).ToHaveCountAsync(1);
        await Expect(page.Locator("#policy-apply")).ToBeDisabledAsync();
        await yaml.FillAsync(WebIngress);
        await Expect(error).ToHaveCountAsync(0);
        await Expect(page.Locator(".gutter .ln.diag-error")).ToHaveCountAsync(0);
        await Expect(page.Locator("#policy-diagnostics")).ToHaveTextAsync("No problems.");
        await Expect(page.Locator("#policy-summary")).ToContainTextAsync("allow from pods app=frontend in the same namespace on 8080/TCP");

        // The form view shows the same policy; changing the port there rewrites the YAML.
        await page.GetByRole(AriaRole.Tab, new() { Name = "Form" }).ClickAsync();
        var ports = page.Locator("#form-ingress-0-ports");
        await Expect(ports).ToHaveValueAsync("8080/TCP");
        await Expect(page.Locator("#form-selector")).ToHaveValueAsync("app=web");
        await Expect(page.Locator("#form-ingress-0-peers")).ToHaveValueAsync("app=frontend");
        await ports.FillAsync("9090/TCP");
        await Expect(page.Locator("#policy-summary")).ToContainTextAsync("on 9090/TCP");
        // Arrow keys move between the tabs; the YAML holds the form's change.
        await page.GetByRole(AriaRole.Tab, new() { Name = "Form" }).FocusAsync();
        await page.Keyboard.PressAsync("ArrowLeft");
        await Expect(page.GetByRole(AriaRole.Tab, new() { Name = "YAML" })).ToHaveAttributeAsync("aria-selected", "true");
        await Expect(yaml).ToHaveValueAsync(new Regex(@"- port: 9090\n\s+protocol: TCP"));
        await Expect(yaml).Not.ToHaveValueAsync(new Regex("8080"));

        // The picture highlights the workload the policy selects and the peer its rule admits.
        var selected = page.Locator("#policy-picture g.node[data-selected='true']");
        await Expect(selected).ToHaveCountAsync(1);
        await Expect(selected).ToHaveAttributeAsync("data-namespace", "shop");
        await Expect(selected).ToHaveAttributeAsync("data-workload", "web");
        var peers = page.Locator("#policy-picture g.node[data-peer='true']");
        await Expect(peers).ToHaveCountAsync(1);
        await Expect(peers).ToHaveAttributeAsync("data-workload", "frontend");
        await Expect(page.Locator("#policy-picture path.link[data-from='shop/frontend'][data-to='shop/web']")).ToHaveCountAsync(1);
        await Expect(page.Locator("#policy-picture g.node")).ToHaveCountAsync(5);

        // The plan of the current text, with the counts worked out above; apply needs it.
        await Expect(page.Locator("#policy-apply")).ToBeDisabledAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Run plan" }).ClickAsync();
        async Task ExpectCount(string key, int value) =>
            await Expect(page.Locator($".plan-counts tr[data-count='{key}'] td")).ToHaveTextAsync(value.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await ExpectCount("judged", flows.Count);
        await ExpectCount("allowed", Count("allowed"));
        await ExpectCount("denied", Count("denied"));
        await ExpectCount("not_selected", Count("not_selected"));
        await ExpectCount("not_evaluated", 0);
        await ExpectCount("newly_denied", Count("denied"));
        await Expect(page.Locator("#policy-apply")).ToBeEnabledAsync();
        await BrowserFixture.ScreenshotAsync(page, "policy-editor", forReadme: true);

        // A changed text needs a new plan; the same text again is the planned one.
        await yaml.FillAsync(WebIngress);
        await Expect(page.Locator("#plan-stale")).ToBeVisibleAsync();
        await Expect(page.Locator("#policy-apply")).ToBeDisabledAsync();
        await page.GetByRole(AriaRole.Tab, new() { Name = "Form" }).ClickAsync();
        await page.Locator("#form-ingress-0-ports").FillAsync("9090/TCP");
        await Expect(page.Locator("#policy-apply")).ToBeEnabledAsync();

        // The confirmation names the counts; cancelling applies nothing.
        await page.Locator("#policy-apply").ClickAsync();
        var dialog = page.Locator("#policy-confirm");
        await Expect(dialog).ToBeVisibleAsync();
        await Expect(page.Locator("#policy-confirm-text")).ToContainTextAsync(
            $"On the {flows.Count} recent flows it judges, {Count("denied")} would be denied ({Count("denied")} newly denied by this change, 0 newly allowed), {Count("allowed")} allowed");
        await page.Keyboard.PressAsync("Escape");
        await Expect(dialog).ToBeHiddenAsync();
        Assert.Empty(server.App.Services.GetRequiredService<PolicyStore>().List());

        await page.Locator("#policy-apply").ClickAsync();
        await page.Locator("#policy-confirm-apply").ClickAsync();
        await Expect(page.Locator("#toast")).ToHaveTextAsync("Applied shop/web-ingress");
        var row = page.Locator(".policies-table tbody tr[data-id='networkpolicy_shop_web-ingress']");
        await Expect(row).ToHaveAttributeAsync("data-state", "applied");
        await Expect(row).ToContainTextAsync("applied");
        await Expect(page.Locator("#policy-state")).ToHaveTextAsync("applied");

        var stored = Assert.Single(server.App.Services.GetRequiredService<PolicyStore>().List());
        Assert.Equal("applied", stored.State);
        string appliedFile = server.App.Services.GetRequiredService<PolicyStore>().AppliedPath(stored.Id);
        Assert.Contains("port: 9090", await File.ReadAllTextAsync(appliedFile), StringComparison.Ordinal);
        Assert.Empty(errors);
    }
}
