using System.Text.Json.Nodes;
using NetSecStream.Sinks.Elasticsearch;
using NetSecStream.Testing;

namespace NetSecStream.Sinks.Tests.Elasticsearch;

/// <summary>deploy/kibana/netsec-saved-objects.ndjson is importable and agrees with what the sink writes.</summary>
public sealed class KibanaSavedObjectsTests
{
    private static readonly List<JsonObject> Objects = [.. File.ReadAllLines(Path.Combine(TestData.RepoRoot, "deploy", "kibana", "netsec-saved-objects.ndjson"))
        .Where(l => l.Length > 0)
        .Select(l => (JsonObject)JsonNode.Parse(l)!)];

    [Fact]
    public void EveryLine_IsASavedObject_WithAUniqueId_AndEveryReferenceResolves()
    {
        Assert.NotEmpty(Objects);
        Assert.All(Objects, o =>
        {
            Assert.False(string.IsNullOrEmpty(o["type"]?.GetValue<string>()));
            Assert.False(string.IsNullOrEmpty(o["id"]?.GetValue<string>()));
            Assert.NotNull(o["attributes"]);
        });
        var keys = Objects.Select(o => (Type: o["type"]!.GetValue<string>(), Id: o["id"]!.GetValue<string>())).ToList();
        Assert.Equal(keys.Count, keys.Distinct().Count());
        foreach (var o in Objects)
        {
            foreach (var reference in o["references"]!.AsArray())
            {
                var key = (reference!["type"]!.GetValue<string>(), reference["id"]!.GetValue<string>());
                Assert.True(keys.Contains(key), $"{o["id"]} refers to {key}, which is not in the file");
            }
        }

        // Each panel's panelRefName is one of the dashboard's references; each search source names its index reference.
        var dashboard = Assert.Single(Objects, o => o["type"]!.GetValue<string>() == "dashboard");
        var names = dashboard["references"]!.AsArray().Select(r => r!["name"]!.GetValue<string>()).ToHashSet();
        var panels = JsonNode.Parse(dashboard["attributes"]!["panelsJSON"]!.GetValue<string>())!.AsArray();
        Assert.Equal(5, panels.Count);
        Assert.All(panels, p => Assert.Contains(p!["panelRefName"]!.GetValue<string>(), names));
        foreach (var visualization in Objects.Where(o => o["type"]!.GetValue<string>() == "visualization"))
        {
            var search = JsonNode.Parse(visualization["attributes"]!["kibanaSavedObjectMeta"]!["searchSourceJSON"]!.GetValue<string>())!;
            string indexRef = search["indexRefName"]!.GetValue<string>();
            Assert.Contains(visualization["references"]!.AsArray(), r => r!["name"]!.GetValue<string>() == indexRef);
        }
    }

    [Fact]
    public void DataViews_MatchTheSinksDataStreams()
    {
        var titles = Objects.Where(o => o["type"]!.GetValue<string>() == "index-pattern")
            .Select(o => o["attributes"]!["title"]!.GetValue<string>()).Order(StringComparer.Ordinal).ToList();
        Assert.Equal([DataStreams.AlertPrefix + "*", DataStreams.FlowPrefix + "*"], titles);
        foreach (string title in titles)
        {
            string stream = DataStreams.AlertStream("shop", "default");
            Assert.True(title.StartsWith(DataStreams.AlertPrefix, StringComparison.Ordinal) ? stream.StartsWith(title[..^1], StringComparison.Ordinal)
                : DataStreams.FlowStream("shop", "default").StartsWith(title[..^1], StringComparison.Ordinal));
        }

        var templates = ElasticsearchTemplates.IndexTemplates().Select(t => JsonNode.Parse(t.Body)!["index_patterns"]![0]!.GetValue<string>()).Order(StringComparer.Ordinal);
        Assert.Equal(titles, templates);
    }

    [Fact]
    public void EveryFieldAPanelUses_IsMappedByTheSinksIndexTemplate()
    {
        var mapped = new HashSet<string>(StringComparer.Ordinal);
        Collect(JsonNode.Parse(ElasticsearchTemplates.IndexTemplates()[0].Body)!["template"]!["mappings"]!["properties"]!.AsObject(), "", mapped);
        var used = Objects.Where(o => o["type"]!.GetValue<string>() == "visualization")
            .SelectMany(o => JsonNode.Parse(o["attributes"]!["visState"]!.GetValue<string>())!["aggs"]!.AsArray())
            .Select(a => a!["params"]?["field"]?.GetValue<string>())
            .OfType<string>()
            .ToList();
        Assert.NotEmpty(used);
        Assert.All(used, field => Assert.Contains(field, mapped));
        Assert.Contains("event.action", mapped);
    }

    private static void Collect(JsonObject properties, string prefix, HashSet<string> into)
    {
        foreach (var (name, node) in properties)
        {
            into.Add(prefix + name);
            if (node?["properties"] is JsonObject nested)
            {
                Collect(nested, prefix + name + ".", into);
            }
        }
    }
}
