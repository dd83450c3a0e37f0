using NetSecStream.Cli.Configuration;
using NetSecStream.Core.Components;
using NetSecStream.Core.Configuration;
using NetSecStream.Kafka;
using NetSecStream.Sinks.Elasticsearch;
using NetSecStream.Sinks.Eve;
using NetSecStream.Sinks.Files;
using NetSecStream.Sinks.Hec;
using NetSecStream.Sinks.Syslog;
using NetSecStream.Sinks.Webhook;

namespace NetSecStream.Cli.Hosting;

/// <summary>
/// One sink URI scheme: what its URIs look like, which query parameters they take, how they are checked and the sink
/// they build. <see cref="SinkSchemes.All"/> holds every registration; adding a scheme is adding one entry there.
/// </summary>
/// <param name="Name">Lower-case scheme, e.g. <c>file</c>, <c>kafka</c>, <c>elasticsearch+https</c>.</param>
/// <param name="Example">A URI of the scheme for error messages and help.</param>
/// <param name="QueryKeys">Query parameters the scheme takes (lower-case), besides <c>format</c>; any other is an error naming it.</param>
/// <param name="Formats">Values <c>?format=</c> may take; empty: the scheme takes no format.</param>
/// <param name="Validate">Checks a parsed URI; returns what is wrong, naming the part, as it reads after the quoted URI ("names no directory"), or null.</param>
/// <param name="Create">Builds the sink from a checked URI and the process settings.</param>
public sealed record SinkScheme(
    string Name,
    string Example,
    IReadOnlyList<string> QueryKeys,
    IReadOnlyList<string> Formats,
    Func<SinkUri, string?> Validate,
    Func<SinkUri, AppSettings, ComponentServices, IAlertSink> Create);

/// <summary>Every sink URI scheme <c>--sink</c> and <c>Sinks:Uris</c> accept.</summary>
public static class SinkSchemes
{
    public static IReadOnlyList<SinkScheme> All { get; } =
    [
        new("file", "file:///var/lib/netsec/alerts", [], SinkUri.SupportedFileFormats, ValidateFile, CreateFile),
        new("kafka", "kafka://broker:9092/netsec.alerts", [], [], _ => null, CreateKafka),
        new("elasticsearch+https", "elasticsearch+https://elastic:PASSWORD@es.example.org:9200", ["include_flows", "namespace"], [], _ => null, CreateElasticsearch),
        new("elasticsearch+http", "elasticsearch+http://127.0.0.1:9200", ["include_flows", "namespace"], [], _ => null, CreateElasticsearch),
        .. SiemSinkUris.Schemes.Select(name => new SinkScheme(name, SiemSinkUris.Example(name), SiemSinkUris.KeysOf(name),
            SiemSinkUris.FormatsOf(name), sink => SiemSinkUris.Validate(sink.Uri), CreateSiem)),
    ];

    /// <summary>The registration of <paramref name="scheme"/> (case-insensitive), or null.</summary>
    public static SinkScheme? Find(string scheme) => All.FirstOrDefault(s => s.Name.Equals(scheme, StringComparison.OrdinalIgnoreCase));

    private static string? ValidateFile(SinkUri sink)
    {
        var uri = sink.Uri;
        return !uri.IsFile || string.IsNullOrEmpty(uri.LocalPath) || uri.LocalPath == "/" && uri.OriginalString.Length <= "file:///".Length
            ? "names no directory (expected file:///path/to/dir)"
            : null;
    }

    private static IAlertSink CreateFile(SinkUri sink, AppSettings settings, ComponentServices services)
    {
        if (sink.Format == SinkUri.EveFormat)
        {
            var eveDescriptor = ComponentCatalog.Get(EveFileSink.ComponentId);
            var eve = (EveFileSinkOptions)settings.ComponentOptions(eveDescriptor);
            eve.Directory = sink.Uri.LocalPath;
            return (IAlertSink)PipelineAssembler.Create(eveDescriptor, eve, services);
        }

        var descriptor = ComponentCatalog.Get(FileSink.ComponentId);
        var options = (FileSinkOptions)settings.ComponentOptions(descriptor);
        options.Directory = sink.Uri.LocalPath;
        return (IAlertSink)PipelineAssembler.Create(descriptor, options, services);
    }

    /// <summary>syslog, hec and webhook: the URI's parameters override the component's configuration section.</summary>
    private static IAlertSink CreateSiem(SinkUri sink, AppSettings settings, ComponentServices services)
    {
        var descriptor = ComponentCatalog.Get(SiemSinkUris.Family(sink.Uri));
        object options = settings.ComponentOptions(descriptor);
        switch (options)
        {
            case SyslogSinkOptions syslog:
                SiemSinkUris.ApplySyslog(sink.Uri, syslog);
                break;
            case HecSinkOptions hec:
                SiemSinkUris.ApplyHec(sink.Uri, hec);
                break;
            case WebhookSinkOptions webhook:
                SiemSinkUris.ApplyWebhook(sink.Uri, webhook);
                break;
        }

        return (IAlertSink)PipelineAssembler.Create(descriptor, options, services);
    }

    private static IAlertSink CreateElasticsearch(SinkUri sink, AppSettings settings, ComponentServices services) =>
        (IAlertSink)PipelineAssembler.Create(ComponentCatalog.Get(ElasticsearchSink.ComponentId), PipelineAssembler.ElasticsearchOptionsFor(settings, sink), services);

    private static IAlertSink CreateKafka(SinkUri sink, AppSettings settings, ComponentServices services)
    {
        var kafka = PipelineAssembler.KafkaOptionsFor(settings);
        if (!string.IsNullOrEmpty(sink.Uri.Authority))
        {
            kafka.BootstrapServers = sink.Uri.Authority;
        }

        kafka.AlertsTopic = sink.Uri.AbsolutePath.Trim('/') is { Length: > 0 } topic ? topic : kafka.AlertsTopic;
        return (IAlertSink)PipelineAssembler.Create(ComponentCatalog.Get(KafkaAlertSink.ComponentId), kafka, services);
    }
}
