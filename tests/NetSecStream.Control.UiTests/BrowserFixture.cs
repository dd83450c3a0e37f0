using Microsoft.Playwright;

namespace NetSecStream.Control.UiTests;

/// <summary>
/// One headless Debian chromium for the browser tests, driven by Playwright's bundled driver (no browser download:
/// test.sh installs the <c>chromium</c> package). Screenshots go to <see cref="ArtifactsDirectory"/>.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private readonly string _profile = Path.Combine(Path.GetTempPath(), "netsec-ui-chromium-" + Guid.NewGuid().ToString("N"));
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("the browser did not start");

    /// <summary>Screenshots of the test run, kept with the test output as artifacts.</summary>
    public static string ArtifactsDirectory { get; } = Path.Combine(AppContext.BaseDirectory, "artifacts", "screenshots");

    public async Task InitializeAsync()
    {
        // Failing, not skipping: a CI run without a browser must not report the UI as tested.
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"{ChromiumPath} is missing: the browser tests drive Debian's chromium. Run ./test.sh (it installs the chromium package) or apt-get install -y chromium.");
        }

        Directory.CreateDirectory(_profile);
        Directory.CreateDirectory(ArtifactsDirectory);
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
            // Chromium writes its config and caches under XDG folders; a private one keeps runs apart and HOME clean.
            Env = new Dictionary<string, string>
            {
                ["XDG_CONFIG_HOME"] = Path.Combine(_profile, "config"),
                ["XDG_CACHE_HOME"] = Path.Combine(_profile, "cache"),
                ["HOME"] = _profile,
            },
        });
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.CloseAsync();
        }

        _playwright?.Dispose();
        try
        {
            Directory.Delete(_profile, recursive: true);
        }
        catch (IOException)
        {
            // Chromium helpers may still hold a file for a moment; the temp folder is cleaned up later.
        }
    }

    /// <summary>A fresh browser context (own cookies) on a server, with page errors and console errors collected.</summary>
    public async Task<(IBrowserContext Context, IPage Page, List<string> Errors)> OpenAsync(UiServer server)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = server.BaseUrl,
            ViewportSize = new ViewportSize { Width = 1400, Height = 900 },
            TimezoneId = "UTC",
            Locale = "en-GB",
        });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(15_000);
        var errors = new List<string>();
        page.PageError += (_, error) => errors.Add("page error: " + error);
        page.Console += (_, message) =>
        {
            // A 401 before logging in is how the page learns there is no session; every other error is a defect.
            if (message.Type == "error" && !message.Text.Contains("401", StringComparison.Ordinal))
            {
                errors.Add("console: " + message.Text);
            }
        };
        return (context, page, errors);
    }

    /// <summary>Saves a screenshot to the artifacts and, for the README's pictures, also to docs/screenshots in the repository.</summary>
    public static async Task ScreenshotAsync(IPage page, string name, bool forReadme = false)
    {
        ArgumentNullException.ThrowIfNull(page);
        if (forReadme)
        {
            // The README's picture shows the page, not the last notice over it.
            await page.EvaluateAsync("() => { document.getElementById('toast').className = 'toast'; }");
            await page.WaitForTimeoutAsync(250);
        }

        string path = Path.Combine(ArtifactsDirectory, name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = false });
        Assert.True(new FileInfo(path).Length > 10_000, $"screenshot {path} is suspiciously small");
        // Every run's pictures differ (times of triage), so the README's copies are refreshed on request
        // (NETSEC_UPDATE_SCREENSHOTS=1) or when missing, not on every run: a test run leaves the checkout clean.
        if (forReadme && RepositoryRoot() is { } root)
        {
            string docs = Path.Combine(root, "docs", "screenshots");
            string target = Path.Combine(docs, name + ".png");
            if (Environment.GetEnvironmentVariable("NETSEC_UPDATE_SCREENSHOTS") == "1" || !File.Exists(target))
            {
                Directory.CreateDirectory(docs);
                File.Copy(path, target, overwrite: true);
            }
        }
    }

    private static string? RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "NetSecStream.sln")))
            {
                return dir.FullName;
            }
        }

        return null;
    }
}
