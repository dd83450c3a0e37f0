using NetSecStream.Cli.Configuration;
using NetSecStream.Cli.Hosting;

namespace NetSecStream.Cli.Tests;

/// <summary><c>elasticsearch+http(s)://</c> sink URIs: accepted by the parser, turned into <c>Sinks:Elasticsearch</c> options.</summary>
public sealed class ElasticsearchSinkUriTests
{
    [Theory]
    [InlineData("elasticsearch+https://es.example:9200", "https://es.example:9200")]
    [InlineData("elasticsearch+http://localhost:9200/", "http://localhost:9200")]
    [InlineData("ELASTICSEARCH+HTTPS://es:9200/proxy/path?include_flows=true", "https://es:9200/proxy/path")]
    public void ElasticsearchUris_Parse_AndNameTheClusterUrl(string text, string url)
    {
        Assert.True(SinkUri.TryParse(text, out var sink, out string? error), error);
        Assert.StartsWith("elasticsearch+http", sink!.Scheme, StringComparison.Ordinal);
        var settings = NetSecConfiguration.Load(NetSecConfiguration.Build(null, []));
        Assert.Equal(url, PipelineAssembler.ElasticsearchOptionsFor(settings, sink).Url);
    }

    [Fact]
    public void UserInfo_IncludeFlows_AndNamespace_ComeFromTheUri_TheRestFromTheSection()
    {
        Assert.True(SinkUri.TryParse("elasticsearch+https://netsec:s%40cret@es:9200?include_flows=true&namespace=lab", out var sink, out _));
        var settings = NetSecConfiguration.Load(NetSecConfiguration.Build(null, ["--Sinks:Elasticsearch:MaxBatchDocuments=123"]));
        var options = PipelineAssembler.ElasticsearchOptionsFor(settings, sink!);
        Assert.Equal(("netsec", "s@cret"), (options.Username, options.Password));
        Assert.True(options.IncludeFlows);
        Assert.Equal("lab", options.DefaultNamespace);
        Assert.Equal(123, options.MaxBatchDocuments);
    }

    [Fact]
    public void OtherPlusSchemes_AreStillRefused()
    {
        Assert.False(SinkUri.TryParse("opensearch+https://os:9200", out _, out string? error));
        Assert.Contains("elasticsearch+https", error, StringComparison.Ordinal);
    }
}
