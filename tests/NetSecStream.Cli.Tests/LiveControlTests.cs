using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using NetSecStream.Cli.Commands;
using NetSecStream.Cli.Configuration;
using NetSecStream.Control.Store;
using NetSecStream.Testing;

namespace NetSecStream.Cli.Tests;

/// <summary>
/// Control-plane changes reach <c>netsec run</c>'s pipeline without a restart: rules disabled and uploaded through the
/// API, the active model switched, and broken rules files or models refused while the ones in force keep detecting.
/// </summary>
[Collection(CliTests.Name)]
public sealed class LiveControlTests : IDisposable
{
    // Header-only rules on the demo's traffic: 8080 and 443 are its busiest TCP ports, 53 its DNS.
    private const string Port8080Sid = "9100001";
    private const string Port443Sid = "9100002";
    private const string DnsSid = "9100003";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(45);

    private readonly string _dir = Directory.CreateTempSubdirectory("netsec-live-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Run_RulesAndModelsChangedThroughTheApi_ReachThePipelineWithoutRestart_BrokenOnesAreRefused()
    {
        string data = Path.Combine(_dir, "data");
        string models = Path.Combine(_dir, "models");
        foreach (string name in new[] { "alpha", "beta" })
        {
            CopyFolder(Path.Combine(TestData.RepoRoot, "models", "workload-baseline"), Path.Combine(models, name));
        }

        // A model folder the API accepts (it has a baseline.json) that the detector cannot load.
        Directory.CreateDirectory(Path.Combine(models, "garbled"));
        await File.WriteAllTextAsync(Path.Combine(models, "garbled", "baseline.json"), "{ \"truncated\": ");

        string rules = Path.Combine(_dir, "base.rules");
        await File.WriteAllLinesAsync(rules,
        [
            $"alert tcp any any -> any 8080 (msg:\"live test 8080\"; sid:{Port8080Sid}; rev:1;)",
            $"alert tcp any any -> any 443 (msg:\"live test 443\"; sid:{Port443Sid}; rev:1;)",
        ]);
        string token = CreateAdminToken(Path.Combine(data, "control", "triage.db"));

        int apiPort = FreePort();
        int metricsPort = FreePort();
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var run = NetSecCli.CreateRootCommand().Parse(
        [
            "run", $"--Storage:DataDirectory={data}", $"--Control:Urls=http://127.0.0.1:{apiPort}", $"--Metrics:Listen=http://127.0.0.1:{metricsPort}",
            "--Sources:Demo:EventsPerSecond=1000", $"--Control:ModelsDirectory={models}",
            $"--Detectors:Signatures:Paths:0={rules}", "--Detectors:Signatures:ReloadInterval=00:00:00.5",
            "--Detectors:Behaviour:Enabled=true", $"--Detectors:Behaviour:ModelPath={Path.Combine(models, "alpha")}", "--Detectors:Behaviour:ReloadInterval=00:00:00.5",
        ]).InvokeAsync(cancellationToken: stop.Token);

        using var api = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{apiPort}") };
        api.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        using var metrics = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{metricsPort}") };
        string alerts = Path.Combine(data, "alerts");
        try
        {
            await Until(() => Count(alerts, Port8080Sid) > 0 && Count(alerts, Port443Sid) > 0, run, "the configured rules alert");
            Assert.Equal(0, Count(alerts, DnsSid));
            await Until(async () => Metric(await Scrape(metrics), "netsec_behaviour_scored_total", "model=\"alpha\"") > 0, run, "the configured model scores");

            // Disabled through the API: that rule's alerts stop, the other's go on.
            var disable = await api.PutAsJsonAsync($"/api/rules/{Port8080Sid}/enabled", new { enabled = false });
            Assert.Equal(HttpStatusCode.OK, disable.StatusCode);
            await Until(() => StoppedWhileOtherGoesOn(alerts, Port8080Sid, Port443Sid), run, $"sid {Port8080Sid} stops alerting while {Port443Sid} goes on");

            // An uploaded rules file: its rule starts alerting.
            using (var upload = new StringContent($"alert udp any any -> any 53 (msg:\"live test dns\"; sid:{DnsSid}; rev:1;)\n", Encoding.UTF8, "text/plain"))
            {
                Assert.Equal(HttpStatusCode.Created, (await api.PostAsync("/api/rules/files/extra.rules", upload)).StatusCode);
            }

            await Until(() => Count(alerts, DnsSid) > 0, run, $"the uploaded sid {DnsSid} alerts");

            // A broken upload is refused by the API; one written straight into the shared directory by the processor's
            // reload. Either way the rules in force keep alerting.
            using (var broken = new StringContent("alert udp any any -> any 53 (msg:\"broken\"; content:\"unterminated; sid:9100004;)\n", Encoding.UTF8, "text/plain"))
            {
                var refused = await api.PostAsync("/api/rules/files/broken.rules", broken);
                Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
                Assert.False((await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("stored").GetBoolean());
            }

            await File.WriteAllTextAsync(Path.Combine(data, "control", "rules", "direct.rules"), "alert tcp any any -> any 443 (msg:\"cut off");
            await Until(async () => Metric(await Scrape(metrics), "netsec_component_reloads_total", "component=\"signatures\"", "outcome=\"failed\"") > 0, run,
                "the directly written broken file is refused");
            long dns = Count(alerts, DnsSid);
            await Until(() => Count(alerts, DnsSid) > dns, run, "the rules in force keep alerting after the refusal");
            Assert.True(StoppedWhileOtherGoesOn(alerts, Port8080Sid, DnsSid, TimeSpan.FromSeconds(1)), $"sid {Port8080Sid} stays disabled");

            // The active model switched through the API: the behaviour detector scores with it.
            Assert.Equal(HttpStatusCode.OK, (await api.PutAsJsonAsync("/api/models/active", new { name = "beta" })).StatusCode);
            await Until(async () => Metric(await Scrape(metrics), "netsec_behaviour_scored_total", "model=\"beta\"") > 0, run, "the new active model scores");

            // A model that does not load: refused by the detector (counted), the model in force goes on scoring.
            Assert.Equal(HttpStatusCode.OK, (await api.PutAsJsonAsync("/api/models/active", new { name = "garbled" })).StatusCode);
            await Until(async () => Metric(await Scrape(metrics), "netsec_component_reloads_total", "component=\"behaviour\"", "outcome=\"failed\"") > 0, run,
                "the garbled model is refused");
            double beta = Metric(await Scrape(metrics), "netsec_behaviour_scored_total", "model=\"beta\"");
            await Until(async () => Metric(await Scrape(metrics), "netsec_behaviour_scored_total", "model=\"beta\"") > beta, run, "the model in force keeps scoring");
            Assert.Equal(0d, Metric(await Scrape(metrics), "netsec_behaviour_scored_total", "model=\"garbled\""));
        }
        finally
        {
            await stop.CancelAsync();
        }

        Assert.Equal(0, await run);
    }

    [Fact]
    public void FollowedBy_PointsThePipelineAtTheControlPlanesFiles_ExplicitSettingsWin_AndLiveUpdatesFalseTurnsItOff()
    {
        string data = Path.Combine(_dir, "d");
        var settings = NetSecConfiguration.Load(NetSecConfiguration.Build(null, [$"--Storage:DataDirectory={data}"]));
        var (options, paths) = ControlCommand.Options(settings);
        var followed = ControlCommand.FollowedBy(settings, options, paths);
        Assert.Equal(paths.ModesFile, followed.Modes.File);
        Assert.Equal(paths.RulesDirectory, followed.Configuration["Detectors:Signatures:ControlDirectory"]);
        Assert.Equal(paths.ModelsFile, followed.Configuration["Detectors:Behaviour:ModelsFile"]);
        Assert.Equal(Path.Combine(Path.GetFullPath(data), "control", "rules"), paths.RulesDirectory);

        string mine = Path.Combine(_dir, "my-modes.yaml");
        settings = NetSecConfiguration.Load(NetSecConfiguration.Build(null, [$"--Storage:DataDirectory={data}", $"--Modes:File={mine}"]));
        (options, paths) = ControlCommand.Options(settings);
        followed = ControlCommand.FollowedBy(settings, options, paths);
        Assert.Equal(mine, followed.Modes.File);
        Assert.Equal(paths.RulesDirectory, followed.Configuration["Detectors:Signatures:ControlDirectory"]);

        settings = NetSecConfiguration.Load(NetSecConfiguration.Build(null, [$"--Storage:DataDirectory={data}", "--Control:LiveUpdates=false"]));
        (options, paths) = ControlCommand.Options(settings);
        Assert.Same(settings, ControlCommand.FollowedBy(settings, options, paths));
    }

    private static string CreateAdminToken(string database)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(database)!);
        var store = new TriageStore(database);
        store.Open();
        string secret = store.CreateToken(ControlRole.Admin, "live-test", "test").Secret;
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        return secret;
    }

    /// <summary>Alerts of one rule the file sink wrote so far (a line being written is skipped).</summary>
    private static long Count(string directory, string sid)
    {
        if (!Directory.Exists(directory))
        {
            return 0;
        }

        long count = 0;
        foreach (string file in Directory.GetFiles(directory, "alerts-*.ndjson"))
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            string? line;
            while ((line = reader.ReadLine()) is not null)
            {
                if (line.Contains($"\"id\":\"{sid}\"", StringComparison.Ordinal))
                {
                    count++;
                }
            }
        }

        return count;
    }

    /// <summary>Over <paramref name="window"/> (default 3 s), no new alert of <paramref name="stopped"/> while <paramref name="other"/> has new ones.</summary>
    private static bool StoppedWhileOtherGoesOn(string alerts, string stopped, string other, TimeSpan? window = null)
    {
        long stoppedBefore = Count(alerts, stopped), otherBefore = Count(alerts, other);
        Thread.Sleep(window ?? TimeSpan.FromSeconds(3));
        return Count(alerts, stopped) == stoppedBefore && Count(alerts, other) > otherBefore;
    }

    private static async Task<string> Scrape(HttpClient metrics)
    {
        try
        {
            return await metrics.GetStringAsync("/metrics");
        }
        catch (HttpRequestException)
        {
            return "";
        }
    }

    /// <summary>The sum of a Prometheus counter's series whose labels include every one of <paramref name="labels"/>.</summary>
    private static double Metric(string exposition, string name, params string[] labels) =>
        exposition.Split('\n')
            .Where(l => l.StartsWith(name + "{", StringComparison.Ordinal) && labels.All(label => l.Contains(label, StringComparison.Ordinal)))
            .Sum(l => double.Parse(l[(l.LastIndexOf('}') + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture));

    private static Task Until(Func<bool> condition, Task run, string what) => Until(() => Task.FromResult(condition()), run, what);

    private static async Task Until(Func<Task<bool>> condition, Task run, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (DateTime.UtcNow < deadline)
        {
            Assert.False(run.IsCompleted, $"netsec run ended (exit {(run.IsCompletedSuccessfully ? ((Task<int>)run).Result : -1)}) while waiting until {what}");
            if (await condition())
            {
                return;
            }

            await Task.Delay(250);
        }

        Assert.Fail($"not within {Patience.TotalSeconds} s: {what}");
    }

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string file in Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
