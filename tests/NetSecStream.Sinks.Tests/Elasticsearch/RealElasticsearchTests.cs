using System.Net.Http.Json;
using System.Text.Json.Nodes;
using DotNet.Testcontainers.Builders;
using NetSecStream.Core.Telemetry;
using NetSecStream.Sinks.Elasticsearch;
using NetSecStream.Testing;
using Xunit.Abstractions;

namespace NetSecStream.Sinks.Tests.Elasticsearch;

/// <summary>The <c>elasticsearch</c> sink against a real Elasticsearch in a container, where Docker is available.</summary>
public sealed class RealElasticsearchTests(ITestOutputHelper output)
{
    private const string Image = "docker.elastic.co/elasticsearch/elasticsearch:8.17.4";

    [DockerFact]
    public async Task AlertsAndFlows_LandInDataStreams_Once_NothingDeadLettered_TemplatesIdempotent()
    {
        await using var container = new ContainerBuilder(Image)
            .WithPortBinding(9200, true)
            .WithEnvironment("discovery.type", "single-node")
            .WithEnvironment("xpack.security.enabled", "false")
            .WithEnvironment("ES_JAVA_OPTS", "-Xms512m -Xmx512m")
            .WithWaitStrategy(Wait.ForUnixContainer().UntilHttpRequestIsSucceeded(r => r.ForPort(9200).ForPath("/_cluster/health")))
            .Build();
        using (var starting = new CancellationTokenSource(TimeSpan.FromMinutes(4)))
        {
            await container.StartAsync(starting.Token);
        }

        string url = $"http://{container.Hostname}:{container.GetMappedPublicPort(9200)}";
        output.WriteLine($"Elasticsearch at {url}");
        using var metrics = new NetSecMetrics();
        var deadLetters = new MemoryDeadLetterSink();
        var options = new ElasticsearchSinkOptions { Url = url, IncludeFlows = true };
        var alerts = ElasticsearchSinkTests.Alerts(2000, "shop");
        await using (var sink = new ElasticsearchSink(options, metrics) { DeadLetters = deadLetters })
        {
            await sink.StartAsync(CancellationToken.None);
            await sink.WriteAsync(alerts, CancellationToken.None);
            // The same batch again (a replay after a crash before the commit): nothing is indexed twice.
            await sink.WriteAsync(alerts, CancellationToken.None);
            await sink.WriteFlowsAsync([Flows.Tcp("10.0.0.1", 1000, "203.0.113.66", 443, "shop")], CancellationToken.None);
            Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy,
                (await sink.CheckHealthAsync(new Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckContext())).Status);
            await sink.StopAsync(CancellationToken.None);
        }

        using var http = new HttpClient { BaseAddress = new Uri(url) };
        await http.PostAsync(new Uri("/logs-netsec.*/_refresh", UriKind.Relative), null);
        var count = await http.GetFromJsonAsync<JsonObject>(new Uri("/logs-netsec.alert-shop/_count", UriKind.Relative));
        Assert.Equal(2000, count!["count"]!.GetValue<int>());
        var flows = await http.GetFromJsonAsync<JsonObject>(new Uri("/logs-netsec.flow-shop/_count", UriKind.Relative));
        Assert.Equal(1, flows!["count"]!.GetValue<int>());
        var stream = await http.GetFromJsonAsync<JsonObject>(new Uri("/_data_stream/logs-netsec.alert-shop", UriKind.Relative));
        Assert.Equal("logs-netsec", stream!["data_streams"]![0]!["ilm_policy"]!.GetValue<string>());
        Assert.Empty(deadLetters.Items);

        // A restart changes nothing in the cluster: the templates' versions stay where they are.
        var before = await http.GetStringAsync(new Uri("/_index_template/logs-netsec.alert", UriKind.Relative));
        await using (var again = new ElasticsearchSink(options, metrics))
        {
            await again.StartAsync(CancellationToken.None);
            await again.StopAsync(CancellationToken.None);
        }

        Assert.Equal(before, await http.GetStringAsync(new Uri("/_index_template/logs-netsec.alert", UriKind.Relative)));
    }
}
