namespace NetSecStream.Signatures.Keywords;

/// <summary>Whether a keyword takes a value after ':'.</summary>
public enum KeywordValue
{
    None,
    Required,
    Optional,
}

/// <summary>
/// One Suricata rule keyword: its name, what it does, where it is documented and how its value parses into a typed
/// <see cref="RuleOption"/>. Registered in <see cref="KeywordTable"/>.
/// </summary>
public abstract class RuleKeyword
{
    private const string DocsBase = "https://docs.suricata.io/en/latest/rules/";

    protected RuleKeyword(string name, string description, string docPage, KeywordValue value = KeywordValue.Required)
    {
        Name = name;
        Description = description;
        Documentation = new Uri(DocsBase + docPage);
        Value = value;
    }

    public string Name { get; }

    public string Description { get; }

    public Uri Documentation { get; }

    public KeywordValue Value { get; }

    /// <summary>Parses <paramref name="value"/> (raw, still escaped; null when absent) into <paramref name="rule"/>.</summary>
    /// <exception cref="Rules.RuleParseException">The value is malformed or out of range.</exception>
    public abstract void Parse(RuleBuilder rule, string? value);

    // Engine hooks: the detection engine (src/NetSecStream.Signatures/Engine) adds Match and Prefilter members here;
    // keywords that only describe a rule (msg, sid, reference ...) will keep the defaults.
    public override string ToString() => Name;
}
