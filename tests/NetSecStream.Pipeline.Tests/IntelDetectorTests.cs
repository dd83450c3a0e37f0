using System.Net;
using NetSecStream.Core.Events;
using NetSecStream.Core.Telemetry;
using NetSecStream.Pipeline.Detectors.Intel;
using NetSecStream.Testing;

namespace NetSecStream.Pipeline.Tests;

public sealed class IntelDetectorTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("netsec-intel-").FullName;
    private readonly NetSecMetrics _metrics = new();

    public void Dispose()
    {
        _metrics.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void PlainList_TypesValues_AndReportsBadLinesWithLineNumbers()
    {
        var (indicators, diagnostics) = IndicatorListParser.ParsePlain(new StringReader("""
            # comment
            203.0.113.7
            198.51.100.0/24   # a block
            Evil.Example.
            2001:db8::1
            not a domain!
            10.0.0.0/33
            """), "feed.txt", "feed");

        Assert.Equal(["203.0.113.7", "198.51.100.0/24", "evil.example", "2001:db8::1"], indicators.Select(i => i.Value));
        Assert.Equal([IndicatorType.Ip, IndicatorType.Cidr, IndicatorType.Domain, IndicatorType.Ip], indicators.Select(i => i.Type));
        Assert.Equal(2, diagnostics.Count);
        Assert.Equal(6, diagnostics[0].Line);
        Assert.Contains("neither an IP address", diagnostics[0].Reason, StringComparison.Ordinal);
        Assert.Equal(7, diagnostics[1].Line);
        Assert.Contains("CIDR", diagnostics[1].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void CsvList_ReadsColumns_QuotedFields_AndRejectsBadSeverity()
    {
        var (indicators, diagnostics) = IndicatorListParser.ParseCsv(new StringReader("""
            indicator,type,category,severity,description
            pool.mine.example,domain,crypto-mining,critical,"Monero pool, stratum"
            192.0.2.10,ip,c2,2,
            192.0.2.11,domain,c2,2,
            192.0.2.12,ip,c2,9,
            """), "mining.csv", "mining");

        Assert.Equal(2, indicators.Count);
        Assert.Equal("Monero pool, stratum", indicators[0].Description);
        Assert.Equal(1, indicators[0].Severity);
        Assert.Equal("crypto-mining", indicators[0].Category);
        Assert.Equal(2, diagnostics.Count);
        Assert.Contains("IP address but the type column says Domain", diagnostics[0].Reason, StringComparison.Ordinal);
        Assert.Contains("is not 1-4", diagnostics[1].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Index_MatchesExactAddress_LongestPrefix_Ipv6_AndParentDomains()
    {
        var index = new IndicatorIndex(
        [
            new Indicator("10.0.0.0/8", IndicatorType.Cidr, "l", "wide", 3, null, "f", 1),
            new Indicator("10.1.0.0/16", IndicatorType.Cidr, "l", "narrow", 2, null, "f", 2),
            new Indicator("10.1.2.3", IndicatorType.Ip, "l", "exact", 1, null, "f", 3),
            new Indicator("2001:db8::/32", IndicatorType.Cidr, "l", "v6", 2, null, "f", 4),
            new Indicator("evil.example", IndicatorType.Domain, "l", "dom", 2, null, "f", 5),
        ]);

        Assert.Equal("exact", index.Match(IPAddress.Parse("10.1.2.3"))!.Category);
        Assert.Equal("narrow", index.Match(IPAddress.Parse("10.1.9.9"))!.Category);
        Assert.Equal("wide", index.Match(IPAddress.Parse("10.200.0.1"))!.Category);
        Assert.Null(index.Match(IPAddress.Parse("11.0.0.1")));
        Assert.Equal("v6", index.Match(IPAddress.Parse("2001:db8:1::5"))!.Category);
        Assert.Equal("exact", index.Match(IPAddress.Parse("::ffff:10.1.2.3"))!.Category);
        Assert.Equal("dom", index.MatchDomain("a.b.EVIL.example.")!.Category);
        Assert.Equal("dom", index.MatchDomain("evil.example")!.Category);
        Assert.Null(index.MatchDomain("notevil.example"));
        Assert.Null(index.MatchDomain("example"));
    }

    [Fact]
    public async Task Detector_AlertsOnAddressesAndNames_WithExplanation()
    {
        string file = Path.Combine(_dir, "c2.txt");
        await File.WriteAllTextAsync(file, "203.0.113.7\nbad.example\n");
        var detector = new IntelDetector(new IntelOptions { Paths = [file] }, _metrics);
        await detector.StartAsync(CancellationToken.None);
        try
        {
            var alerts = new List<Alert>();
            detector.Detect(
            [
                Flows.Tcp("10.0.0.5", 40000, "203.0.113.7", 443, "shop"),
                Flows.Tcp("10.0.0.5", 40001, "10.0.0.9", 53, "shop", dnsQuery: "x.bad.example"),
                Flows.Tcp("10.0.0.5", 40002, "10.0.0.9", 80, "shop", httpHost: "good.example:8080"),
            ], alerts);

            Assert.Equal(2, alerts.Count);
            Assert.All(alerts, a => Assert.Equal(DetectorKinds.Intel, a.Detector));
            Assert.Contains("destination address 203.0.113.7", alerts[0].Explanation, StringComparison.Ordinal);
            Assert.Contains("c2.txt:1", alerts[0].Explanation, StringComparison.Ordinal);
            Assert.Contains("DNS query 'x.bad.example'", alerts[1].Explanation, StringComparison.Ordinal);
            Assert.Equal("intel:c2:bad.example", alerts[1].RuleId);
        }
        finally
        {
            await detector.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task Detector_ReloadsWhenTheFileChanges_AndKeepsOldListsWhenItVanishes()
    {
        string file = Path.Combine(_dir, "feed.txt");
        await File.WriteAllTextAsync(file, "192.0.2.1\n");
        using var detector = new IntelDetector(new IntelOptions { Paths = [file], ReloadInterval = TimeSpan.FromMilliseconds(100) }, _metrics);
        await detector.StartAsync(CancellationToken.None);
        Assert.NotNull(detector.Index.Match(IPAddress.Parse("192.0.2.1")));

        await File.WriteAllTextAsync(file, "192.0.2.1\n192.0.2.2\n");
        File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddSeconds(5));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (detector.Index.Match(IPAddress.Parse("192.0.2.2")) is null && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.NotNull(detector.Index.Match(IPAddress.Parse("192.0.2.2")));

        File.Delete(file);
        Assert.False(detector.Reload(force: true));
        Assert.NotNull(detector.Index.Match(IPAddress.Parse("192.0.2.2")));
        await detector.StopAsync(CancellationToken.None);
    }

    [Fact]
    public void Validator_NamesTheKey()
    {
        var result = new IntelOptionsValidator().Validate(null, new IntelOptions { Paths = ["/nonexistent/feed.txt"], ReloadInterval = TimeSpan.Zero });
        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.StartsWith("Detectors:Intel:Paths:0", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.StartsWith("Detectors:Intel:ReloadInterval", StringComparison.Ordinal));
    }
}
