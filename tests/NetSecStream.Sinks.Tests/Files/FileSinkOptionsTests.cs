using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using NetSecStream.Core.Components;
using NetSecStream.Core.Telemetry;
using NetSecStream.Sinks.Files;

namespace NetSecStream.Sinks.Tests.Files;

public sealed class FileSinkOptionsTests
{
    [Fact]
    public void Defaults_AreAsDocumented()
    {
        var options = new FileSinkOptions();

        Assert.Equal(128L * 1024 * 1024, options.MaxFileBytes);
        Assert.Equal(TimeSpan.FromHours(1), options.MaxFileAge);
        Assert.False(options.IncludeFlows);
        Assert.True(options.FsyncOnWrite);
    }

    [Theory]
    [InlineData("", 1L, 60, "Sinks:File:Directory is required")]
    [InlineData("  ", 1L, 60, "Sinks:File:Directory is required")]
    [InlineData("/tmp/x", 0L, 60, "Sinks:File:MaxFileBytes must be > 0")]
    [InlineData("/tmp/x", -5L, 60, "Sinks:File:MaxFileBytes must be > 0")]
    [InlineData("/tmp/x", 1L, 0, "Sinks:File:MaxFileAge must be > 0")]
    [InlineData("/tmp/x\0y", 1L, 60, "Sinks:File:Directory '/tmp/x\0y' contains characters not allowed in a path")]
    public void Validate_BadValue_NamesTheKey(string directory, long maxFileBytes, int maxAgeSeconds, string message)
    {
        var options = new FileSinkOptions { Directory = directory, MaxFileBytes = maxFileBytes, MaxFileAge = TimeSpan.FromSeconds(maxAgeSeconds) };

        var result = new FileSinkOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.StartsWith(message, StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_SeveralBadValues_ReportsEach()
    {
        var result = new FileSinkOptionsValidator().Validate(null, new FileSinkOptions { MaxFileBytes = 0, MaxFileAge = TimeSpan.Zero });

        Assert.Equal(3, result.Failures!.Count());
    }

    [Fact]
    public void Validate_GoodOptions_Succeed()
    {
        Assert.True(new FileSinkOptionsValidator().Validate(null, new FileSinkOptions { Directory = "/var/lib/netsec" }).Succeeded);
    }

    [Fact]
    public void DeadLetterValidate_BadValue_NamesItsKey()
    {
        var result = new FileDeadLetterOptionsValidator().Validate(null, new FileDeadLetterOptions { MaxFileBytes = 0 });

        Assert.Contains("DeadLetter:File:Directory is required", result.Failures!);
        Assert.Contains(result.Failures!, f => f.StartsWith("DeadLetter:File:MaxFileBytes must be > 0", StringComparison.Ordinal));
    }

    [Fact]
    public void Constructor_BadOptions_ThrowsWithTheKey()
    {
        using var metrics = new NetSecMetrics();

        var ex = Assert.Throws<ArgumentException>(() => new FileSink(new FileSinkOptions { Directory = "/tmp/x", MaxFileBytes = 0 }, metrics));

        Assert.Contains("Sinks:File:MaxFileBytes must be > 0", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddFileSink_FromConfiguration_RegistersTheSinkWithBoundOptions()
    {
        var config = Configuration(new()
        {
            ["Sinks:File:Directory"] = "/tmp/netsec-alerts",
            ["Sinks:File:MaxFileBytes"] = "1048576",
            ["Sinks:File:MaxFileAge"] = "00:10:00",
            ["Sinks:File:IncludeFlows"] = "true",
        });
        await using var provider = new ServiceCollection().AddFileSink(config.GetSection(FileSinkOptions.SectionName)).BuildServiceProvider();

        provider.GetRequiredService<IStartupValidator>().Validate();
        var options = provider.GetRequiredService<IOptions<FileSinkOptions>>().Value;
        var sink = Assert.IsType<FileSink>(Assert.Single(provider.GetServices<IAlertSink>()));

        Assert.Equal("/tmp/netsec-alerts", options.Directory);
        Assert.Equal(1048576, options.MaxFileBytes);
        Assert.Equal(TimeSpan.FromMinutes(10), options.MaxFileAge);
        Assert.True(options.IncludeFlows);
        Assert.Same(sink, provider.GetRequiredService<FileSink>());
    }

    [Fact]
    public async Task AddFileSink_BadValue_FailsStartupValidationNamingTheKey()
    {
        var config = Configuration(new() { ["Sinks:File:Directory"] = "/tmp/x", ["Sinks:File:MaxFileBytes"] = "0" });
        await using var provider = new ServiceCollection().AddFileSink(config.GetSection(FileSinkOptions.SectionName)).BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains("Sinks:File:MaxFileBytes must be > 0", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddFileSink_UnknownKey_FailsStartupValidationNamingTheKey()
    {
        var config = Configuration(new() { ["Sinks:File:Directory"] = "/tmp/x", ["Sinks:File:MaxFileSize"] = "10" });
        await using var provider = new ServiceCollection().AddFileSink(config.GetSection(FileSinkOptions.SectionName)).BuildServiceProvider();

        var ex = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains("MaxFileSize", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddFileDeadLetterSink_FromConfiguration_RegistersTheDeadLetterSink()
    {
        var config = Configuration(new() { ["DeadLetter:File:Directory"] = "/tmp/netsec-dead" });
        await using var provider = new ServiceCollection().AddFileDeadLetterSink(config.GetSection(FileDeadLetterOptions.SectionName)).BuildServiceProvider();

        provider.GetRequiredService<IStartupValidator>().Validate();

        Assert.IsType<FileDeadLetterSink>(provider.GetRequiredService<IDeadLetterSink>());
    }

    private static IConfiguration Configuration(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build();
}
