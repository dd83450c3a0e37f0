using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Keywords;

/// <summary>A parsed dataset option.</summary>
public sealed class DatasetOption : RuleOption
{
    /// <summary>isset, isnotset, set or unset.</summary>
    public required string Command { get; init; }

    public required string Name { get; init; }

    /// <summary>The remaining options (type string, load file, state file, memcap ...) as written.</summary>
    public required IReadOnlyList<string> Settings { get; init; }

    public override bool InspectsBuffer => true;
}

/// <summary><c>dataset:isset,name,type string,load file.lst;</c> the current sticky buffer's value in a named set.</summary>
public sealed class DatasetKeyword() : RuleKeyword("dataset", "Test or add the current buffer's value to a named dataset.", "datasets.html")
{
    public override void Parse(RuleBuilder rule, string? value)
    {
        ArgumentNullException.ThrowIfNull(rule);
        string[] p = value!.Split(',', StringSplitOptions.TrimEntries);
        if (p.Length < 2 || p[0] is not ("isset" or "isnotset" or "set" or "unset") || p[1].Length == 0)
        {
            throw RuleParseException.Invalid($"dataset: '{value}' is not command,name[,options]");
        }

        rule.Add(new DatasetOption { Keyword = Name, Command = p[0], Name = p[1], Settings = p[2..] });
    }
}
