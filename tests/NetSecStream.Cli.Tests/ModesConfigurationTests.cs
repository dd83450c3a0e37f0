using NetSecStream.Cli.Configuration;
using NetSecStream.Core;
using NetSecStream.Core.Events;
using NetSecStream.Core.Telemetry;
using NetSecStream.Pipeline.Decide;
using Microsoft.Extensions.Logging.Abstractions;

namespace NetSecStream.Cli.Tests;

/// <summary><c>Modes:Selectors</c> and <c>Modes:File</c> through the configuration every subcommand loads.</summary>
[Collection(CliTests.Name)]
public sealed class ModesConfigurationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("netsec-modes-config-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static AppSettings Load(string? file, params string[] overrides) => NetSecConfiguration.Load(NetSecConfiguration.Build(file, overrides));

    [Fact]
    public void Selectors_BindFromYaml_AndResolveByLabels()
    {
        string yaml = Path.Combine(_dir, "netsec.yaml");
        File.WriteAllText(yaml, """
            Modes:
              Default: log
              Selectors:
                - Namespace: shop
                  Selector: "app=payments,tier in (db)"
                  Mode: block
                - Selector: team
                  Mode: alert
            """);
        var settings = Load(yaml);
        Assert.Equal(2, settings.Modes.Selectors.Count);
        var resolver = new ModeResolver(settings.Modes);
        FlowEvent Flow(string ns, params (string, string)[] labels) => new()
        {
            Timestamp = DateTimeOffset.UnixEpoch, IpProtocol = 6, Direction = TrafficDirection.Egress,
            Source = new FlowEndpoint { Ip = System.Net.IPAddress.Loopback, Namespace = ns, Labels = labels.ToDictionary(l => l.Item1, l => l.Item2) },
            Destination = new FlowEndpoint { Ip = System.Net.IPAddress.Loopback },
        };
        Assert.Equal(Mode.Block, resolver.Resolve(Flow("shop", ("app", "payments"), ("tier", "db"))));
        Assert.Equal(Mode.Alert, resolver.Resolve(Flow("data", ("team", "x"))));
        Assert.Equal(Mode.Log, resolver.Resolve(Flow("data", ("app", "payments"), ("tier", "db"))));
    }

    [Fact]
    public void BadSelectorsAndUnknownKeys_StopStartUp_NamingTheKey()
    {
        var error = Assert.Throws<ConfigurationErrorException>(() => Load(null, "--Modes:Selectors:0:Selector=tier in (db", "--Modes:Selectors:0:Mode=block"));
        Assert.Contains(error.Errors, e => e.StartsWith("Modes:Selectors:0:Selector is not a label selector", StringComparison.Ordinal));
        error = Assert.Throws<ConfigurationErrorException>(() => Load(null, "--Modes:Selectors:0:Selector=app=x", "--Modes:Selectors:0:Mode=block", "--Modes:Selectors:0:Colour=red"));
        Assert.Contains(error.Errors, e => e.StartsWith("unknown configuration key 'Modes:Selectors:0:Colour'", StringComparison.Ordinal));
        error = Assert.Throws<ConfigurationErrorException>(() => Load(null, "--Modes:ReloadInterval=00:00:00"));
        Assert.Contains(error.Errors, e => e.StartsWith("Modes:ReloadInterval", StringComparison.Ordinal));
    }

    [Fact]
    public void ModesFile_ReplacesTheSectionsModes_AndABrokenOneIsAStartUpError()
    {
        string modes = Path.Combine(_dir, "modes.yaml");
        File.WriteAllText(modes, "default: block\n");
        using var metrics = new NetSecMetrics();
        var settings = Load(null, "--Modes:Default=log", "--Modes:File=" + modes);
        Assert.Equal(Mode.Block, ModeFileWatcher.CreateTable(settings.Modes, metrics, NullLoggerFactory.Instance).Current.Default);

        File.WriteAllText(modes, "default: block\nnamespaces: [shop]\n");
        var error = Assert.Throws<InvalidOperationException>(() => ModeFileWatcher.CreateTable(settings.Modes, metrics, NullLoggerFactory.Instance));
        Assert.Contains("modes.yaml:2: Modes:Namespaces must be a mapping", error.Message, StringComparison.Ordinal);
    }
}
