using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace NetSecStream.Policy.Parsing;

/// <summary>
/// Typed, diagnosing access to a YAML tree: every wrong type and every unknown field becomes a diagnostic with the
/// node's line, and the caller gets null (or an empty result) and goes on, so one run reports every problem.
/// </summary>
internal sealed class YamlNodes(string file, List<PolicyDiagnostic> diagnostics)
{
    public string File { get; } = file;

    public int ErrorCount { get; private set; }

    public static int LineOf(YamlNode node) => (int)Math.Min(node.Start.Line, int.MaxValue);

    public void Error(YamlNode node, string message) => Error(LineOf(node), message);

    public void Error(int line, string message)
    {
        ErrorCount++;
        diagnostics.Add(new PolicyDiagnostic(File, line, DiagnosticSeverity.Error, message));
    }

    public void Warning(YamlNode node, string message) =>
        diagnostics.Add(new PolicyDiagnostic(File, LineOf(node), DiagnosticSeverity.Warning, message));

    public static bool IsNull(YamlNode? node) =>
        node is null || (node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any } s && s.Value is null or "" or "~" or "null" or "Null" or "NULL");

    /// <summary>The fields of a mapping; unknown ones are reported. Null when the node is not a mapping.</summary>
    public Dictionary<string, YamlNode>? Fields(YamlNode node, string context, IReadOnlySet<string> known)
    {
        if (node is not YamlMappingNode map)
        {
            Error(node, $"{context}: expected a mapping");
            return null;
        }

        var fields = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
        foreach (var (keyNode, value) in map.Children)
        {
            if (keyNode is not YamlScalarNode { Value: { } key })
            {
                Error(keyNode, $"{context}: field names must be strings");
                continue;
            }

            if (!known.Contains(key))
            {
                Error(keyNode, $"unknown field '{key}' in {context} (known: {string.Join(", ", known.Order(StringComparer.Ordinal))})");
                continue;
            }

            fields[key] = value;
        }

        return fields;
    }

    public IReadOnlyList<YamlNode> Sequence(YamlNode node, string context)
    {
        if (IsNull(node))
        {
            return [];
        }

        if (node is not YamlSequenceNode sequence)
        {
            Error(node, $"{context}: expected a list");
            return [];
        }

        return [.. sequence.Children];
    }

    public string? String(YamlNode node, string context)
    {
        if (IsNull(node))
        {
            return null;
        }

        if (node is not YamlScalarNode scalar)
        {
            Error(node, $"{context}: expected a string");
            return null;
        }

        return scalar.Value;
    }

    public bool? Bool(YamlNode node, string context)
    {
        string? text = String(node, context);
        if (text is null)
        {
            return null;
        }

        if (bool.TryParse(text, out bool value))
        {
            return value;
        }

        Error(node, $"{context}: expected true or false, got '{text}'");
        return null;
    }

    /// <summary>An integer, or (when <paramref name="allowName"/>) a name such as a named port; exactly one of the two is set.</summary>
    public (int? Number, string? Name) IntOrString(YamlNode node, string context, bool allowName)
    {
        string? text = String(node, context);
        if (text is null)
        {
            return (null, null);
        }

        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int number))
        {
            return (number, null);
        }

        if (allowName && ((YamlScalarNode)node).Style is ScalarStyle.Plain or ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted)
        {
            return (null, text);
        }

        Error(node, $"{context}: expected a number, got '{text}'");
        return (null, null);
    }

    public Dictionary<string, string>? StringMap(YamlNode node, string context)
    {
        if (IsNull(node))
        {
            return null;
        }

        if (node is not YamlMappingNode map)
        {
            Error(node, $"{context}: expected a mapping of strings");
            return null;
        }

        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (keyNode, valueNode) in map.Children)
        {
            if (keyNode is not YamlScalarNode { Value: { } key } || valueNode is not YamlScalarNode value)
            {
                Error(keyNode, $"{context}: expected string keys and values");
                continue;
            }

            result[key] = value.Value ?? "";
        }

        return result;
    }
}
