namespace NetSecStream.Policy.Parsing;

/// <summary>Loads policy files and folders (every *.yaml, *.yml and *.json below a folder, in name order).</summary>
public static class PolicyLoader
{
    private static readonly string[] Extensions = [".yaml", ".yml", ".json"];

    /// <summary>The files a list of paths names. Throws <see cref="FileNotFoundException"/> for a path that does not exist.</summary>
    public static List<string> ResolveFiles(IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var files = new List<string>();
        foreach (string path in paths)
        {
            if (Directory.Exists(path))
            {
                files.AddRange(Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
                    .Where(f => Extensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
                    .Order(StringComparer.Ordinal));
            }
            else if (File.Exists(path))
            {
                files.Add(path);
            }
            else
            {
                throw new FileNotFoundException($"policy file or folder '{path}' not found", path);
            }
        }

        return files;
    }

    /// <summary>Parses every file; a policy declared twice (same kind, namespace and name) is an error at the second.</summary>
    public static PolicyParseResult Load(IEnumerable<string> paths)
    {
        var result = new PolicyParseResult();
        foreach (string file in ResolveFiles(paths))
        {
            PolicyParser.ParseFile(file, result);
        }

        var seen = new Dictionary<(Model.PolicyKind, string), Model.PolicyDefinition>();
        var unique = new List<Model.PolicyDefinition>(result.Policies.Count);
        foreach (var policy in result.Policies)
        {
            // A Cilium policy with several specs yields one definition per spec under the same name.
            if (seen.TryGetValue((policy.Kind, policy.FullName), out var first) && first.Location != policy.Location)
            {
                result.Diagnostics.Add(new PolicyDiagnostic(policy.Location.File, policy.Location.Line, DiagnosticSeverity.Error,
                    $"{policy.Kind} {policy.FullName} is declared twice (first at {first.Location})"));
                continue;
            }

            seen.TryAdd((policy.Kind, policy.FullName), policy);
            unique.Add(policy);
        }

        result.Policies.Clear();
        result.Policies.AddRange(unique);
        return result;
    }
}
