using System.IO.Compression;
using System.Text;
using System.Text.Json;

namespace NetSecStream.Cli.Tests;

/// <summary><c>netsec replay --sink hec+http://... --sink webhook+http://...</c>: every alert of the run reaches both receivers.</summary>
[Collection(CliTests.Name)]
public sealed class SiemSinkEndToEndTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("netsec-siem-e2e-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Replay_WithHecAndWebhookSinkUris_DeliversEveryAlertToBoth()
    {
        string events = Path.Combine(_dir, "x.jsonl");
        string summaryPath = Path.Combine(_dir, "s.json");
        await using var hec = new RecordingHttpServer();
        await using var webhook = new RecordingHttpServer();
        Assert.Equal(0, await Netsec("generate", "--events", "20000", "--seed", "7", "--out", events));

        Assert.Equal(0, await Netsec("replay", events, "--out", Path.Combine(_dir, "o"), "--summary-json", summaryPath,
            "--sink", $"hec+{hec.Address}?token=e2e-token&index=netsec",
            "--sink", $"webhook+{webhook.Address}/hooks/netsec?secret=e2e&mode=array"));

        using var summary = JsonDocument.Parse(await File.ReadAllTextAsync(summaryPath));
        long alerts = summary.RootElement.GetProperty("alerts").GetInt64();
        Assert.True(alerts > 0, "the demo indicator lists should give intel alerts");

        var hecIds = hec.Requests.SelectMany(r =>
        {
            Assert.Equal("/services/collector/event", r.Path);
            using var gzip = new GZipStream(new MemoryStream(r.Body), CompressionMode.Decompress);
            using var reader = new StreamReader(gzip, Encoding.UTF8);
            return reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(line => JsonDocument.Parse(line).RootElement.GetProperty("event").GetProperty("event").GetProperty("id").GetString())
                .ToList();
        }).ToList();
        var webhookIds = webhook.Requests.SelectMany(r =>
        {
            Assert.Equal("/hooks/netsec", r.Path);
            return JsonDocument.Parse(r.Body).RootElement.EnumerateArray().Select(a => a.GetProperty("event").GetProperty("id").GetString()).ToList();
        }).ToList();
        Assert.Equal(alerts, hecIds.Distinct().Count());
        Assert.Equal(alerts, webhookIds.Distinct().Count());
    }

    private static Task<int> Netsec(params string[] args) => NetSecCli.CreateRootCommand().Parse(args).InvokeAsync();
}
