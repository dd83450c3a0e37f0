using NetSecStream.Collectors.Pcap;

namespace NetSecStream.Collectors.Tests.Pcap;

public sealed class PcapOptionsValidatorTests
{
    [Fact]
    public void Validate_Defaults_WithAFile_Succeed()
    {
        var result = new PcapOptionsValidator().Validate(null, new PcapOptions { File = "x.pcap" });
        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Theory]
    [InlineData(nameof(PcapOptions.MaxFlows), "Collectors:Pcap:MaxFlows must be > 0")]
    [InlineData(nameof(PcapOptions.IdleTimeout), "Collectors:Pcap:IdleTimeout must be > 0")]
    [InlineData(nameof(PcapOptions.ActiveTimeout), "Collectors:Pcap:ActiveTimeout must be > 0")]
    [InlineData(nameof(PcapOptions.Snaplen), "Collectors:Pcap:Snaplen must be between")]
    [InlineData(nameof(PcapOptions.MaxReassemblyBytesPerDirection), "Collectors:Pcap:MaxReassemblyBytesPerDirection must be between")]
    [InlineData(nameof(PcapOptions.PayloadBytesPerDirection), "Collectors:Pcap:PayloadBytesPerDirection must be between")]
    [InlineData(nameof(PcapOptions.MaxTransactionsPerFlow), "Collectors:Pcap:MaxTransactionsPerFlow must be between")]
    [InlineData(nameof(PcapOptions.QueueCapacity), "Collectors:Pcap:QueueCapacity must be between")]
    [InlineData(nameof(PcapOptions.MaxOutOfOrderSegments), "Collectors:Pcap:MaxOutOfOrderSegments must be between")]
    public void Validate_BadValue_FailsWithAMessageStartingWithTheFullKey(string property, string expected)
    {
        var options = new PcapOptions { File = "x.pcap" };
        switch (property)
        {
            case nameof(PcapOptions.MaxFlows): options.MaxFlows = 0; break;
            case nameof(PcapOptions.IdleTimeout): options.IdleTimeout = TimeSpan.Zero; break;
            case nameof(PcapOptions.ActiveTimeout): options.ActiveTimeout = TimeSpan.FromSeconds(-1); break;
            case nameof(PcapOptions.Snaplen): options.Snaplen = 10; break;
            case nameof(PcapOptions.MaxReassemblyBytesPerDirection): options.MaxReassemblyBytesPerDirection = -1; break;
            case nameof(PcapOptions.PayloadBytesPerDirection): options.PayloadBytesPerDirection = -1; break;
            case nameof(PcapOptions.MaxTransactionsPerFlow): options.MaxTransactionsPerFlow = 0; break;
            case nameof(PcapOptions.QueueCapacity): options.QueueCapacity = 0; break;
            case nameof(PcapOptions.MaxOutOfOrderSegments): options.MaxOutOfOrderSegments = -1; break;
        }

        var result = new PcapOptionsValidator().Validate(null, options);
        Assert.True(result.Failed);
        var failure = Assert.Single(result.Failures!);
        Assert.StartsWith(expected, failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_NeitherOrBothOfFileAndInterface_Fails()
    {
        var validator = new PcapOptionsValidator();
        Assert.StartsWith("Collectors:Pcap:File or Interface is required", Assert.Single(validator.Validate(null, new PcapOptions()).Failures!), StringComparison.Ordinal);
        Assert.True(validator.Validate(null, new PcapOptions { File = "a", Interface = "eth0" }).Failed);
    }

    [Fact]
    public void Constructor_InvalidOptions_Throws()
    {
        Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => new PcapFlowSource(new PcapOptions { File = "a", MaxFlows = 0 }, null));
    }
}
