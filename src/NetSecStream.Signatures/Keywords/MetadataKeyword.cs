namespace NetSecStream.Signatures.Keywords;

/// <summary><c>metadata:key value, key value;</c> free-form key/value pairs.</summary>
public sealed class MetadataKeyword() : RuleKeyword("metadata", "Key/value pairs about the rule (created_at, signature_severity ...).", "meta.html#metadata")
{
    public override void Parse(RuleBuilder rule, string? value)
    {
        ArgumentNullException.ThrowIfNull(rule);
        foreach (string item in value!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int space = item.IndexOf(' ', StringComparison.Ordinal);
            rule.Metadata.Add(space < 0 ? new(item, "") : new(item[..space], item[(space + 1)..].Trim()));
        }
    }
}
