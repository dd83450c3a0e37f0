using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using NetSecStream.Cli.Configuration;
using NetSecStream.Cli.Hosting;
using NetSecStream.Core.Components;
using NetSecStream.Core.Configuration;
using NetSecStream.Core.Telemetry;
using NetSecStream.Pipeline.InProcess;
using NetSecStream.Testing;
using NetSecStream.Testing.Elasticsearch;

namespace NetSecStream.Cli.Tests;

/// <summary>An <c>elasticsearch+http://</c> sink URI through the pipeline: alerts indexed, refused ones in the pipeline's dead letters.</summary>
public sealed class ElasticsearchPipelineTests : IDisposable
{
    private const string GoodFlow = """{"flow":{"time":"2021-06-16T16:52:13.136834446Z","verdict":"FORWARDED","IP":{"source":"10.0.2.16","destination":"203.0.113.66","ipVersion":"IPv4"},"l4":{"TCP":{"source_port":42044,"destination_port":443}},"source":{"namespace":"shop","pod_name":"cart-1"},"destination":{"identity":2,"labels":["reserved:world"]},"traffic_direction":"EGRESS"},"node_name":"n1","time":"2021-06-16T16:52:13.136834446Z"}""";

    private readonly string _dir = Directory.CreateTempSubdirectory("netsec-es-pipeline-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task SinkUri_IndexesAlerts_AndDeadLettersWhatElasticsearchRefuses(bool refuse)
    {
        await using var server = await FakeElasticsearch.StartAsync();
        if (refuse)
        {
            server.Faults.ItemStatus = (_, _) => 400;
        }

        string feed = Path.Combine(_dir, "feed.txt");
        await File.WriteAllTextAsync(feed, "203.0.113.66\n");
        var settings = NetSecConfiguration.Load(NetSecConfiguration.Build(null,
            [$"--Sinks:Uris:0=elasticsearch+http://{new Uri(server.Url).Authority}", $"--Detectors:Intel:Paths:0={feed}", "--Sinks:Elasticsearch:FlushInterval=00:00:00"]));
        using var metrics = new NetSecMetrics();
        var services = new ComponentServices(metrics, NullLoggerFactory.Instance, TimeProvider.System);
        var source = new InProcessRecordSource(metrics);
        var deadLetters = new MemoryDeadLetterSink();
        var pipeline = PipelineAssembler.Build(settings, source, services, Path.Combine(_dir, "alerts"), Path.Combine(_dir, "dead"), deadLetters: deadLetters);
        var run = pipeline.RunAsync(CancellationToken.None);
        await source.PublishAsync(new RawRecord(Encoding.UTF8.GetBytes(GoodFlow), "t", 1), CancellationToken.None);
        source.Complete();
        await run.WaitAsync(TimeSpan.FromSeconds(60));

        if (refuse)
        {
            Assert.Equal(0, server.DocumentCount);
            var letter = Assert.Single(deadLetters.Items, d => d.Stage == "sink:elasticsearch");
            Assert.Contains("HTTP 400", letter.Reason, StringComparison.Ordinal);
        }
        else
        {
            var document = Assert.Single(server.Documents("logs-netsec.alert-shop"));
            Assert.Contains("\"kind\":\"alert\"", Encoding.UTF8.GetString(document.Value), StringComparison.Ordinal);
        }

        Assert.Equal(1, source.CommittedPosition("t"));
    }
}
