using System.Text.Json;

namespace NetSecStream.Cli.Tests;

/// <summary><c>netsec rules check</c>: what loads, what does not and why, as the suricata-verify harness reads it.</summary>
[Collection(CliTests.Name)]
public sealed class RulesCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("netsec-rules-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Check_Json_CountsLoadedAndFailed_NamesTheUnsupportedKeyword_AndEachError()
    {
        string rules = Path.Combine(_dir, "test.rules");
        await File.WriteAllLinesAsync(rules,
        [
            "alert tcp any any -> any 80 (msg:\"ok\"; content:\"GET\"; http_method; sid:1; rev:1;)",
            "# alert tcp any any -> any 80 (msg:\"commented out\"; sid:2;)",
            "alert tcp any any -> any 80 (msg:\"no such keyword\"; frobnicate:3; sid:3;)",
            "alert tcp any any -> any 80 (msg:\"unbalanced; sid:4;)",
        ]);
        var output = new StringWriter();
        var previous = Console.Out;
        Console.SetOut(output);
        int exit;
        try
        {
            exit = await NetSecCli.CreateRootCommand().Parse(["rules", "check", rules, "--json"]).InvokeAsync();
        }
        finally
        {
            Console.SetOut(previous);
        }

        Assert.Equal(0, exit);
        using var report = JsonDocument.Parse(output.ToString());
        var root = report.RootElement;
        Assert.Equal(3, root.GetProperty("total").GetInt32());
        Assert.Equal(1, root.GetProperty("loaded").GetInt32());
        Assert.Equal(2, root.GetProperty("failed").GetInt32());
        Assert.Equal(1, root.GetProperty("unsupported_keywords").GetProperty("frobnicate").GetInt32());
        var errors = root.GetProperty("errors").EnumerateArray().ToList();
        Assert.Equal(2, errors.Count);
        Assert.Contains(errors, e => e.GetProperty("line").GetInt32() == 3 && e.GetProperty("sid").GetInt64() == 3
            && e.GetProperty("reason").GetString()!.Contains("frobnicate", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.GetProperty("line").GetInt32() == 4 && e.GetProperty("kind").GetString() == "syntax");
    }

    [Fact]
    public async Task Check_MissingPath_ExitsWithTheConfigurationCode() =>
        Assert.Equal(NetSecCli.ConfigurationErrorExitCode,
            await NetSecCli.CreateRootCommand().Parse(["rules", "check", Path.Combine(_dir, "missing.rules")]).InvokeAsync());
}
