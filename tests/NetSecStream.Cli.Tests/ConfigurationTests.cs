using NetSecStream.Cli.Configuration;

namespace NetSecStream.Cli.Tests;

[Collection(CliTests.Name)]
public sealed class ConfigurationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("netsec-config-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static AppSettings Load(params string[] overrides) => NetSecConfiguration.Load(NetSecConfiguration.Build(null, overrides));

    [Fact]
    public void Defaults_AreValid()
    {
        var settings = Load();
        Assert.Equal("alert", settings.Modes.Default);
        Assert.Equal(1024, settings.Pipeline.BatchSize);
        Assert.Equal("netsec-data", settings.Storage.DataDirectory);
    }

    [Theory]
    [InlineData("--Pipeline:BachSize=10", "unknown configuration key 'Pipeline:BachSize'")]
    [InlineData("--Pipelin:BatchSize=10", "unknown configuration key 'Pipelin'")]
    [InlineData("--Sinks:File:Directoy=/x", "unknown configuration key 'Sinks:File:Directoy'")]
    [InlineData("--Sinks:Eve:Directoy=/x", "unknown configuration key 'Sinks:Eve:Directoy'")]
    [InlineData("--Detectors:Intel:Pathz:0=/x", "unknown configuration key 'Detectors:Intel:Pathz'")]
    [InlineData("--Control:Url=http://127.0.0.1:1", "unknown configuration key 'Control:Url'")]
    public void UnknownKeys_AreRejected_WithTheirFullName(string argument, string expected)
    {
        var error = Assert.Throws<ConfigurationErrorException>(() => Load(argument));
        Assert.Contains(error.Errors, e => e.StartsWith(expected, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("--Pipeline:BatchSize=0", "Pipeline:BatchSize must be between 1 and 65536")]
    [InlineData("--Modes:Default=drop", "Modes:Default 'drop' is not a mode")]
    [InlineData("--Modes:Namespaces:shop=nope", "Modes:Namespaces:shop 'nope' is not a mode")]
    [InlineData("--Metrics:Listen=nowhere", "Metrics:Listen 'nowhere' must be an http:// or https:// address")]
    [InlineData("--Sinks:Uris:0=ftp://x/y", "Sinks:Uris:0: sink scheme 'ftp'")]
    [InlineData("--Sinks:Uris:0=file:///tmp/x?format=pcapng", "Sinks:Uris:0: sink format 'pcapng' in 'file:///tmp/x?format=pcapng' is not supported (file sinks support: ecs, eve)")]
    [InlineData("--Sinks:Uris:0=kafka://broker:9092/t?format=eve", "Sinks:Uris:0: sink format 'eve'")]
    [InlineData("--Pipeline:BatchSize=lots", "Pipeline:")]
    public void BadValues_AreRejected_NamingTheKey(string argument, string expected)
    {
        var error = Assert.Throws<ConfigurationErrorException>(() => Load(argument));
        Assert.Contains(error.Errors, e => e.Contains(expected, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("file:///var/lib/netsec/eve?format=eve", "/var/lib/netsec/eve", "eve")]
    [InlineData("file:///var/lib/netsec/eve?FORMAT=EVE", "/var/lib/netsec/eve", "eve")]
    [InlineData("file:///var/lib/netsec/alerts?format=ecs", "/var/lib/netsec/alerts", "ecs")]
    [InlineData("file:///var/lib/netsec/alerts", "/var/lib/netsec/alerts", "ecs")]
    public void FileSinkUris_ReadTheFormat_AndKeepItOutOfTheDirectory(string text, string directory, string format)
    {
        Assert.True(SinkUri.TryParse(text, out var sink, out string? error), error);
        Assert.Equal("file", sink!.Scheme);
        Assert.Equal(directory, sink.Uri.LocalPath);
        Assert.Equal(format, sink.Format);
    }

    [Fact]
    public void ControlOptions_BadValues_NameTheKey()
    {
        var error = Assert.Throws<ConfigurationErrorException>(() => Commands.ControlCommand.Options(Load("--Control:Urls=nowhere", "--Control:MaxPageSize=0")));
        Assert.Contains(error.Errors, e => e.Contains("Control:Urls 'nowhere'", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.Contains("Control:MaxPageSize", StringComparison.Ordinal));
    }

    [Fact]
    public void AllProblems_AreReportedAtOnce()
    {
        var error = Assert.Throws<ConfigurationErrorException>(() => Load("--Pipeline:BatchSize=0", "--Modes:Default=drop"));
        Assert.Equal(2, error.Errors.Count);
    }

    [Fact]
    public void Dictionaries_AcceptAnyKey_AndWorkloadsAreChecked()
    {
        var settings = Load("--Modes:Namespaces:payments=block", "--Modes:Workloads:shop/frontend=log");
        Assert.Equal("block", settings.Modes.Namespaces["payments"]);
        Assert.Equal("log", settings.Modes.Workloads["shop/frontend"]);
    }

    [Fact]
    public void YamlAndJsonFiles_Load_AndTheCommandLineWins()
    {
        string yaml = Path.Combine(_dir, "netsec.yaml");
        File.WriteAllText(yaml, """
            Modes:
              Default: log
              Namespaces:
                payments: block
            Pipeline:
              BatchSize: 256
            """);
        var settings = NetSecConfiguration.Load(NetSecConfiguration.Build(yaml, ["--Pipeline:BatchSize=512"]));
        Assert.Equal("log", settings.Modes.Default);
        Assert.Equal("block", settings.Modes.Namespaces["payments"]);
        Assert.Equal(512, settings.Pipeline.BatchSize);

        string json = Path.Combine(_dir, "settings.json");
        File.WriteAllText(json, """{ "Storage": { "DataDirectory": "/var/lib/netsec" }, "Pipeline": { "Batchsize": 64 } }""");
        var fromJson = NetSecConfiguration.Load(NetSecConfiguration.Build(json, []));
        Assert.Equal("/var/lib/netsec", fromJson.Storage.DataDirectory);
        Assert.Equal(64, fromJson.Pipeline.BatchSize);
    }

    [Fact]
    public void BrokenOrMissingFiles_AreClearErrors()
    {
        string broken = Path.Combine(_dir, "broken.json");
        File.WriteAllText(broken, "{ \"Pipeline\": ");
        var error = Assert.Throws<ConfigurationErrorException>(() => NetSecConfiguration.Build(broken, []));
        Assert.Contains("could not be read", error.Message, StringComparison.Ordinal);

        var missing = Assert.Throws<ConfigurationErrorException>(() => NetSecConfiguration.Build(Path.Combine(_dir, "nope.yaml"), []));
        Assert.Contains("not found", missing.Message, StringComparison.Ordinal);

        var wrongKind = Assert.Throws<ConfigurationErrorException>(() => NetSecConfiguration.Build(broken.Replace(".json", ".ini", StringComparison.Ordinal), []));
        Assert.Contains("not found", wrongKind.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EnvironmentVariables_WithThePrefix_AreRead()
    {
        Environment.SetEnvironmentVariable("NETSEC__Modes__Namespaces__kube-system", "log");
        try
        {
            Assert.Equal("log", Load().Modes.Namespaces["kube-system"]);
        }
        finally
        {
            Environment.SetEnvironmentVariable("NETSEC__Modes__Namespaces__kube-system", null);
        }
    }

    [Fact]
    public void StrayArguments_AreErrors()
    {
        var error = Assert.Throws<ConfigurationErrorException>(() => Load("oops"));
        Assert.Contains("unexpected argument 'oops'", error.Message, StringComparison.Ordinal);
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CliTests
{
    public const string Name = "cli";
}
