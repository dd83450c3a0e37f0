using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Keywords;

/// <summary><c>classtype:name;</c> the class from classification.config, which gives the default priority.</summary>
public sealed class ClasstypeKeyword() : RuleKeyword("classtype", "The rule's class; classification.config gives its priority.", "meta.html#classtype")
{
    public override void Parse(RuleBuilder rule, string? value)
    {
        ArgumentNullException.ThrowIfNull(rule);
        string name = value!.Trim();
        if (name.Length == 0 || name.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_')))
        {
            throw RuleParseException.Invalid($"classtype: '{name}' is not a class name");
        }

        if (rule.Classifications is { } config)
        {
            Classification c = config.Find(name) ?? throw RuleParseException.Invalid($"classtype '{name}' is not in classification.config");
            rule.ClasstypePriority = c.Priority;
        }

        rule.Classtype = name;
    }
}
