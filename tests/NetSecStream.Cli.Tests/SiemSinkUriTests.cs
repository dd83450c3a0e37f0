using NetSecStream.Cli.Configuration;
using NetSecStream.Sinks.Hec;
using NetSecStream.Sinks.Syslog;
using NetSecStream.Sinks.Webhook;

namespace NetSecStream.Cli.Tests;

public sealed class SiemSinkUriTests
{
    [Theory]
    [InlineData("syslog+udp://siem:514?format=leef&rfc=3164", SyslogTransport.Udp, 514, SyslogPayloadFormat.Leef, SyslogRfc.Rfc3164, SyslogFraming.OctetCounting)]
    [InlineData("syslog+tcp://siem:601?format=cef&framing=lf", SyslogTransport.Tcp, 601, SyslogPayloadFormat.Cef, SyslogRfc.Rfc5424, SyslogFraming.Lf)]
    [InlineData("syslog+tcp://siem?framing=octet", SyslogTransport.Tcp, 0, SyslogPayloadFormat.Cef, SyslogRfc.Rfc5424, SyslogFraming.OctetCounting)]
    [InlineData("syslog+tls://siem:6514?format=cef", SyslogTransport.Tls, 6514, SyslogPayloadFormat.Cef, SyslogRfc.Rfc5424, SyslogFraming.OctetCounting)]
    public void SyslogUris_SetTransportPortAndFormat(string text, SyslogTransport transport, int port, SyslogPayloadFormat format, SyslogRfc rfc, SyslogFraming framing)
    {
        Assert.True(SinkUri.TryParse(text, out var sink, out string? error), error);
        var options = new SyslogSinkOptions();
        SiemSinkUris.ApplySyslog(sink!.Uri, options);
        Assert.Equal(("siem", transport, port, format, rfc, framing), (options.Host, options.Transport, options.Port, options.Format, options.Rfc, options.Framing));
    }

    [Theory]
    [InlineData("syslog+tcp://siem:601?format=json", "sink format 'json'")]
    [InlineData("syslog+tcp://siem:601?framing=nul", "framing='nul'")]
    [InlineData("syslog+udp://siem?rfc=1234", "rfc='1234'")]
    [InlineData("syslog+udp://siem?colour=red", "'colour'")]
    [InlineData("hec+https://splunk:8088?token=abc&gzip=maybe", "gzip='maybe'")]
    [InlineData("webhook+https://hooks.example.org/x?mode=xml", "mode='xml'")]
    public void BadParameters_AreRejectedNamingTheParameter(string text, string named)
    {
        Assert.False(SinkUri.TryParse(text, out _, out string? error));
        Assert.Contains(named, error, StringComparison.Ordinal);
    }

    [Fact]
    public void HecUri_BecomesHttpsUrlAndToken_TokenNeverInMessages()
    {
        var uri = new Uri("hec+https://splunk:8088?token=secret-token&index=netsec");
        var options = new HecSinkOptions();
        SiemSinkUris.ApplyHec(uri, options);
        Assert.Equal("https://splunk:8088/", options.Url);
        Assert.Equal("secret-token", options.Token);
        Assert.Equal("netsec", options.Index);
        Assert.Equal(new Uri("https://splunk:8088/services/collector/event"), HecSink.EventEndpoint(new Uri(options.Url)));
        Assert.DoesNotContain("secret-token", SiemSinkUris.Redacted(uri), StringComparison.Ordinal);
    }

    [Fact]
    public void WebhookUri_KeepsTheReceiversOwnQuery_AndTakesSecretAndMode()
    {
        var options = new WebhookSinkOptions();
        SiemSinkUris.ApplyWebhook(new Uri("webhook+http://hooks.local:8080/in/abc?channel=sec&secret=k&mode=slack"), options);
        Assert.Equal("http://hooks.local:8080/in/abc?channel=sec", options.Url);
        Assert.Equal("k", options.Secret);
        Assert.Equal(WebhookBodyMode.Slack, options.Mode);
    }
}
