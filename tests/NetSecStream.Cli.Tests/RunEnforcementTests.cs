using System.Net;
using System.Text;
using System.Text.Json;

namespace NetSecStream.Cli.Tests;

/// <summary>
/// <c>netsec run</c> with enforcement: the pipeline's policy_sync sink and the control plane share one enforcement sync,
/// so blocks the pipeline makes and blocks an admin makes through the API are one list, written once each.
/// </summary>
public sealed class RunEnforcementTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("netsec-run-enforce-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Task<int> Netsec(params string[] args) => NetSecCli.CreateRootCommand().Parse(args).InvokeAsync();

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Fact]
    public async Task Run_PipelineBlocksAndApiBlocks_AreOneList_InOneSync()
    {
        string dataDir = Path.Combine(_dir, "data");
        string gitOps = Path.Combine(_dir, "gitops");
        var output = new StringWriter();
        var original = Console.Out;
        Console.SetOut(output);
        try
        {
            Assert.Equal(0, await Netsec("control", "token", "create", "--role", "admin", $"--Storage:DataDirectory={dataDir}"));
        }
        finally
        {
            Console.SetOut(original);
        }

        string token = output.ToString().TrimEnd().Split('\n')[^1].Trim();
        int port = FreePort();
        var run = Netsec("run", "--duration", "00:00:20", "--Metrics:Enabled=false", $"--Storage:DataDirectory={dataDir}",
            "--Sources:Demo:EventsPerSecond=3000", "--Sources:Demo:Scenario=attack-heavy", $"--Control:Urls=http://127.0.0.1:{port}",
            "--Modes:Default=block", "--Enforcement:Enabled=true", $"--Enforcement:GitOpsDirectory={gitOps}", "--Enforcement:MaxNewBlocksPerMinute=100");
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);

        // The pipeline's own blocks show in the control plane's list.
        JsonElement first = default;
        var deadline = DateTime.UtcNow.AddSeconds(18);
        while (DateTime.UtcNow < deadline && first.ValueKind != JsonValueKind.Object)
        {
            await Task.Delay(250);
            try
            {
                using var list = JsonDocument.Parse(await http.GetStringAsync("/api/blocks"));
                if (list.RootElement.GetArrayLength() > 0)
                {
                    first = list.RootElement[0].Clone();
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
        }

        Assert.Equal(JsonValueKind.Object, first.ValueKind);
        Assert.NotEqual("manual", first.GetProperty("alert_id").GetString());
        string ns = first.GetProperty("namespace").GetString()!;

        var created = await http.PostAsync("/api/blocks", new StringContent(
            JsonSerializer.Serialize(new { source = "192.0.2.200", @namespace = ns, labels = new { app = "manual-check" }, reason = "e2e" }), Encoding.UTF8, "application/json"));
        string body = await created.Content.ReadAsStringAsync();
        Assert.True(created.StatusCode == HttpStatusCode.Created, body);
        string manualId = JsonDocument.Parse(body).RootElement.GetProperty("blocks")[0].GetProperty("id").GetString()!;

        using (var list = JsonDocument.Parse(await http.GetStringAsync("/api/blocks")))
        {
            var ids = list.RootElement.EnumerateArray().Select(b => b.GetProperty("id").GetString()).ToList();
            Assert.Contains(manualId, ids);
            Assert.Contains(first.GetProperty("id").GetString(), ids);
            // One sync with one target: each block is listed once.
            Assert.Equal(ids.Count, ids.Distinct().Count());
            Assert.Single(Directory.GetFiles(gitOps, $"*{manualId}*", SearchOption.AllDirectories));
        }

        var revoked = await http.DeleteAsync("/api/blocks/" + manualId);
        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        Assert.Equal(0, await run);
    }
}
