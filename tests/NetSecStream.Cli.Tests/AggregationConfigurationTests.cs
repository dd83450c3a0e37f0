using NetSecStream.Cli.Configuration;

namespace NetSecStream.Cli.Tests;

/// <summary><c>Pipeline:Aggregation:&lt;detector&gt;</c> and <c>Sinks:Delivery</c> as they come from configuration.</summary>
[Collection(CliTests.Name)]
public sealed class AggregationConfigurationTests
{
    private static AppSettings Load(params string[] overrides) => NetSecConfiguration.Load(NetSecConfiguration.Build(null, overrides));

    [Fact]
    public void AggregationRules_BindPerDetector()
    {
        var settings = Load("--Pipeline:Aggregation:signature:Window=00:00:30", "--Pipeline:Aggregation:signature:Keys:0=rule",
            "--Pipeline:Aggregation:signature:Keys:1=destination_port", "--Pipeline:Aggregation:intel:Window=00:05:00");
        var signature = settings.Pipeline.Aggregation["signature"];
        Assert.Equal(TimeSpan.FromSeconds(30), signature.Window);
        Assert.Equal(["rule", "destination_port"], signature.Keys);
        Assert.Equal(TimeSpan.FromMinutes(5), settings.Pipeline.Aggregation["intel"].Window);
        Assert.Empty(settings.Pipeline.Aggregation["intel"].Keys);
    }

    [Theory]
    [InlineData("--Pipeline:Aggregation:signature:Windw=00:00:30", "unknown configuration key 'Pipeline:Aggregation:signature:Windw'")]
    [InlineData("--Pipeline:Aggregation:signature:Keys:0=bogus", "Pipeline:Aggregation:signature:Keys:0 'bogus' is not a key field")]
    [InlineData("--Pipeline:Aggregation:sig:Window=00:00:30", "Pipeline:Aggregation:sig: 'sig' is not a detector")]
    public void BadAggregationRules_StopStartUp_NamingTheKey(string argument, string expected)
    {
        var error = Assert.Throws<ConfigurationErrorException>(() => Load(argument));
        Assert.Contains(error.Errors, e => e.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void DeliveryOverrides_Bind()
    {
        var settings = Load("--Sinks:Delivery:MemoryBatches=4", "--Sinks:Delivery:Overrides:kafka_alerts:Fsync=Never",
            "--Sinks:Delivery:Overrides:kafka_alerts:MaxSpillBytes=1048576");
        var delivery = Hosting.PipelineAssembler.DeliveryOptionsFor(settings);
        var kafka = delivery.For("kafka_alerts");
        Assert.Equal(4, kafka.MemoryBatches);
        Assert.Equal(1048576, kafka.MaxSpillBytes);
        Assert.Equal(Sinks.Delivery.SpillFsync.Never, kafka.Fsync);
        Assert.Equal(Path.Combine("netsec-data", "spill"), delivery.SpillDirectory);
    }
}
