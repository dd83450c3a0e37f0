using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Keywords;

/// <summary>What a flowbits option does.</summary>
public enum FlowbitsCommand
{
    Set,
    IsSet,
    IsNotSet,
    Unset,
    Toggle,
    NoAlert,
}

/// <summary>A parsed flowbits option.</summary>
public sealed class FlowbitsOption : RuleOption
{
    public required FlowbitsCommand Command { get; init; }

    /// <summary>Bit names; isset/isnotset may name several joined by | (any) or &amp; (all).</summary>
    public required IReadOnlyList<string> Names { get; init; }

    /// <summary>True when <see cref="Names"/> were joined with &amp;.</summary>
    public bool All { get; init; }
}

/// <summary><c>flowbits:set,name;</c>, <c>flowbits:isset,a|b;</c>, <c>flowbits:noalert;</c> state shared by rules on one flow.</summary>
public sealed class FlowbitsKeyword() : RuleKeyword("flowbits", "Set, test or clear named bits on the flow.", "flow-keywords.html#flowbits")
{
    public override void Parse(RuleBuilder rule, string? value)
    {
        ArgumentNullException.ThrowIfNull(rule);
        string[] p = value!.Split(',', 2, StringSplitOptions.TrimEntries);
        FlowbitsCommand command = p[0] switch
        {
            "set" => FlowbitsCommand.Set,
            "isset" => FlowbitsCommand.IsSet,
            "isnotset" => FlowbitsCommand.IsNotSet,
            "unset" => FlowbitsCommand.Unset,
            "toggle" => FlowbitsCommand.Toggle,
            "noalert" => FlowbitsCommand.NoAlert,
            _ => throw RuleParseException.Invalid($"flowbits: unknown command '{p[0]}'"),
        };
        if ((command == FlowbitsCommand.NoAlert) != (p.Length == 1))
        {
            throw RuleParseException.Invalid(command == FlowbitsCommand.NoAlert ? "flowbits:noalert takes no name" : $"flowbits:{p[0]} needs a name");
        }

        string names = p.Length > 1 ? p[1] : "";
        bool all = names.Contains('&', StringComparison.Ordinal);
        string[] list = names.Length == 0 ? [] : names.Split(all ? '&' : '|', StringSplitOptions.TrimEntries);
        if (list.Any(n => n.Length == 0 || n.Any(char.IsWhiteSpace)) || (list.Length > 1 && command is not (FlowbitsCommand.IsSet or FlowbitsCommand.IsNotSet or FlowbitsCommand.Set or FlowbitsCommand.Unset or FlowbitsCommand.Toggle)))
        {
            throw RuleParseException.Invalid($"flowbits: bad name list '{names}'");
        }

        var option = new FlowbitsOption { Keyword = Name, Command = command, Names = list, All = all };
        rule.Flowbits.Add(option);
        rule.Add(option);
    }
}
