using Elastic.Clients.Elasticsearch;
using Elastic.Transport;
using NetSecStream.Testing.Elasticsearch;

namespace NetSecStream.Sinks.Tests.Elasticsearch;

/// <summary>
/// The 9.x client's default media type (<c>compatible-with=9</c>) is refused by Elasticsearch 8 and, likewise, by the
/// fake: so every sink test passing against the fake shows the sink sends plain JSON, which both 8.x and 9.x accept.
/// </summary>
public sealed class MediaTypeTests
{
    [Fact]
    public async Task TheClientsDefaultMediaType_IsRefused_AsElasticsearch8RefusesIt()
    {
        await using var server = await FakeElasticsearch.StartAsync();
        var client = new ElasticsearchClient(new ElasticsearchClientSettings(new Uri(server.Url)).DisablePing().ThrowExceptions(false));
        var response = await client.Transport.RequestAsync<BytesResponse>(Elastic.Transport.HttpMethod.GET, "/_cluster/health", CancellationToken.None);
        Assert.Equal(400, response.ApiCallDetails.HttpStatusCode);
    }
}
