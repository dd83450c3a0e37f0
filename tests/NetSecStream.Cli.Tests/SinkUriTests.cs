using NetSecStream.Cli.Configuration;
using NetSecStream.Cli.Hosting;
using NetSecStream.Core.Components;
using NetSecStream.Core.Telemetry;
using NetSecStream.Sinks.Delivery;
using NetSecStream.Testing;

namespace NetSecStream.Cli.Tests;

/// <summary>The sink URI registry (<see cref="SinkSchemes"/>) and the delivery settings every buffered sink gets.</summary>
[Collection(CliTests.Name)]
public sealed class SinkUriTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("netsec-sinkuri-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static AppSettings Load(params string[] overrides) => NetSecConfiguration.Load(NetSecConfiguration.Build(null, overrides));

    [Theory]
    [InlineData("not a uri", "'not a uri' is not a URI (expected e.g. file:///var/lib/netsec/alerts or kafka://broker:9092/netsec.alerts)")]
    [InlineData("ftp://x/y", "sink scheme 'ftp' in 'ftp://x/y' is not supported (supported: file, kafka")]
    [InlineData("file:///", "'file:///' names no directory (expected file:///path/to/dir)")]
    [InlineData("file:///tmp/x?foo=1", "query parameter 'foo' in 'file:///tmp/x?foo=1' is not known to file sinks (they take none)")]
    [InlineData("file:///tmp/x?format=pcapng", "sink format 'pcapng' in 'file:///tmp/x?format=pcapng' is not supported (file sinks support: ecs, eve)")]
    [InlineData("kafka://b:9092/t?format=eve", "sink format 'eve' in 'kafka://b:9092/t?format=eve' is not supported (kafka sinks take no format)")]
    [InlineData("kafka://b:9092/t?acks=all", "query parameter 'acks' in 'kafka://b:9092/t?acks=all' is not known to kafka sinks")]
    public void BadUris_AreErrors_NamingTheUriAndTheBadPart(string text, string expected)
    {
        Assert.False(SinkUri.TryParse(text, out var sink, out string? error));
        Assert.Null(sink);
        Assert.StartsWith(expected, error, StringComparison.Ordinal);
        var thrown = Assert.Throws<ConfigurationErrorException>(() => SinkUri.Parse(text));
        Assert.Equal(error, Assert.Single(thrown.Errors));
    }

    [Theory]
    [InlineData("kafka://broker:9092/netsec.alerts", "kafka", "ecs")]
    [InlineData("KAFKA://broker:9092/netsec.alerts", "kafka", "ecs")]
    [InlineData("file:///var/lib/netsec/eve?format=eve", "file", "eve")]
    public void GoodUris_ParseToTheirRegistration(string text, string scheme, string format)
    {
        Assert.True(SinkUri.TryParse(text, out var sink, out string? error), error);
        Assert.Equal(scheme, sink!.Scheme);
        Assert.Equal(format, sink.Format);
        Assert.Same(SinkSchemes.Find(scheme), sink.Registration);
    }

    [Fact]
    public void EveryRegistration_HasALowerCaseName_AndAnExampleThatParses()
    {
        Assert.Equal(SinkSchemes.All.Count, SinkSchemes.All.Select(s => s.Name).Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.All(SinkSchemes.All, scheme =>
        {
            Assert.Equal(scheme.Name.ToLowerInvariant(), scheme.Name);
            Assert.True(SinkUri.TryParse(scheme.Example, out var sink, out string? error), $"{scheme.Name}: {error}");
            Assert.Equal(scheme.Name, sink!.Scheme);
        });
    }

    [Theory]
    [InlineData("elasticsearch+https://es:9200/netsec-alerts", "elasticsearch+https")]
    [InlineData("syslog+udp://siem:514", "syslog+udp")]
    [InlineData("hec+https://splunk:8088", "hec+https")]
    public void CompoundSchemes_ReachTheRegistry_ByTheirFullName(string text, string scheme)
    {
        // What a new registration (one entry in SinkSchemes.All) will be matched by; unregistered, it is a clear error.
        Assert.Equal(scheme, new Uri(text).Scheme);
        if (SinkSchemes.Find(scheme) is null)
        {
            Assert.False(SinkUri.TryParse(text, out _, out string? error));
            Assert.StartsWith($"sink scheme '{scheme}' in '{text}' is not supported", error, StringComparison.Ordinal);
        }
        else
        {
            Assert.True(SinkUri.TryParse(text, out var sink, out string? error), error);
            Assert.Equal(scheme, sink!.Scheme);
        }
    }

    [Fact]
    public void SinksUris_InConfiguration_GoThroughTheRegistry()
    {
        var error = Assert.Throws<ConfigurationErrorException>(() => Load("--Sinks:Uris:0=file:///tmp/x?bogus=1"));
        Assert.Contains(error.Errors, e => e.StartsWith("Sinks:Uris:0: query parameter 'bogus'", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("--Sinks:Delivery:MemoryBatches=0", "Sinks:Delivery:MemoryBatches must be between 1 and 1024")]
    [InlineData("--Sinks:Delivery:Overrides:kafka_alerts:MaxSpillBytes=5", "Sinks:Delivery:Overrides:kafka_alerts:MaxSpillBytes must be at least 4096")]
    [InlineData("--Sinks:Delivery:MaxSpilBytes=5", "unknown configuration key 'Sinks:Delivery:MaxSpilBytes'")]
    public void BadDeliverySettings_StopStartUp_NamingTheKey(string argument, string expected)
    {
        var error = Assert.Throws<ConfigurationErrorException>(() => Load(argument));
        Assert.Contains(error.Errors, e => e.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public async Task EverySinkButLocalFiles_IsBuffered_EachWithItsOwnSpill()
    {
        var settings = Load($"--Storage:DataDirectory={_dir}", "--Sinks:Delivery:Overrides:webhook:Enabled=false");
        using var metrics = new NetSecMetrics();
        var services = PipelineAssembler.Services(metrics, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
        IAlertSink[] given = [new RecordingSink("kafka_alerts"), new RecordingSink("file"), new RecordingSink("kafka_alerts"), new RecordingSink("webhook")];

        var sinks = PipelineAssembler.WithDelivery(given, settings, services, new MemoryDeadLetterSink());

        var first = Assert.IsType<BufferedSink>(sinks[0]);
        Assert.Same(given[1], sinks[1]);
        var second = Assert.IsType<BufferedSink>(sinks[2]);
        Assert.Same(given[3], sinks[3]);
        Assert.Equal("kafka_alerts", first.Id);
        Assert.Equal(Path.Combine(_dir, "spill", "kafka_alerts"), first.SpillPath);
        Assert.Equal(Path.Combine(_dir, "spill", "kafka_alerts_2"), second.SpillPath);
        await first.DisposeAsync();
        await second.DisposeAsync();
    }
}
