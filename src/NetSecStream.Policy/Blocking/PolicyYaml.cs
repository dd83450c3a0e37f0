using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace NetSecStream.Policy.Blocking;

/// <summary>
/// The YAML form of a policy document, made from its JSON so both say exactly the same; and back, for reading the
/// GitOps directory. Strings are double-quoted so values such as <c>"true"</c> or <c>"1.0"</c> stay strings.
/// </summary>
public static class PolicyYaml
{
    public static string FromJson(string json)
    {
        var node = JsonNode.Parse(json) ?? throw new ArgumentException("empty JSON document", nameof(json));
        var stream = new YamlStream(new YamlDocument(ToYaml(node)));
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        stream.Save(writer, assignAnchors: false);
        string text = writer.ToString();

        // YamlStream ends each document with "...": harmless, but kubectl users do not expect it.
        return text.EndsWith("...\n", StringComparison.Ordinal) ? text[..^4] : text.Replace("\r\n...\r\n", "\r\n", StringComparison.Ordinal);
    }

    /// <summary>Parses one YAML document into JSON nodes (plain scalars that read as booleans or numbers become those).</summary>
    /// <exception cref="YamlException">The text is not YAML.</exception>
    public static JsonNode? ToJson(string yaml)
    {
        var stream = new YamlStream();
        using var reader = new StringReader(yaml);
        stream.Load(reader);
        return stream.Documents.Count == 0 ? null : FromYaml(stream.Documents[0].RootNode);
    }

    private static YamlNode ToYaml(JsonNode? node) => node switch
    {
        JsonObject obj => new YamlMappingNode(obj.Select(p => new KeyValuePair<YamlNode, YamlNode>(new YamlScalarNode(p.Key), ToYaml(p.Value)))),
        JsonArray array => new YamlSequenceNode(array.Select(ToYaml)),
        JsonValue value when value.GetValueKind() == JsonValueKind.String => new YamlScalarNode(value.GetValue<string>()) { Style = ScalarStyle.DoubleQuoted },
        JsonValue value => new YamlScalarNode(value.ToJsonString()) { Style = ScalarStyle.Plain },
        _ => new YamlScalarNode("null") { Style = ScalarStyle.Plain },
    };

    private static JsonNode? FromYaml(YamlNode node) => node switch
    {
        YamlMappingNode mapping => new JsonObject(mapping.Children.Select(c => new KeyValuePair<string, JsonNode?>(((YamlScalarNode)c.Key).Value ?? "", FromYaml(c.Value)))),
        YamlSequenceNode sequence => new JsonArray([.. sequence.Children.Select(FromYaml)]),
        YamlScalarNode { Style: ScalarStyle.Plain } scalar => Plain(scalar.Value),
        YamlScalarNode scalar => JsonValue.Create(scalar.Value ?? ""),
        _ => null,
    };

    private static JsonValue? Plain(string? text) => text switch
    {
        null or "null" or "~" or "" => null,
        "true" => JsonValue.Create(true),
        "false" => JsonValue.Create(false),
        _ when long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long n) => JsonValue.Create(n),
        _ when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) => JsonValue.Create(d),
        _ => JsonValue.Create(text),
    };
}
