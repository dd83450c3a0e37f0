using System.Globalization;
using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Keywords;

/// <summary>A parsed xbits option: a named bit on a host or an address pair that expires.</summary>
public sealed class XbitsOption : RuleOption
{
    /// <summary>Suricata's default lifetime of a set xbit, in seconds.</summary>
    public const int DefaultExpireSeconds = 30;

    /// <summary>set, unset, toggle, isset or isnotset.</summary>
    public required FlowbitsCommand Command { get; init; }

    public required string Name { get; init; }

    /// <summary>ip_src, ip_dst, ip_pair or tx.</summary>
    public required string Track { get; init; }

    /// <summary>Seconds a set bit lives (event time).</summary>
    public int ExpireSeconds { get; init; } = DefaultExpireSeconds;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Command} {Name} track {Track} expire {ExpireSeconds}");
}

/// <summary><c>xbits:set,name,track ip_src,expire 60;</c> bits shared by the flows of a host or an address pair.</summary>
public sealed class XbitsKeyword() : RuleKeyword("xbits", "Set, test or clear named bits on a host or an IP pair, with expiry.", "xbits.html")
{
    public override void Parse(RuleBuilder rule, string? value)
    {
        ArgumentNullException.ThrowIfNull(rule);
        string[] p = value!.Split(',', StringSplitOptions.TrimEntries);
        if (p.Length < 3)
        {
            throw RuleParseException.Invalid($"xbits: needs '<command>,<name>,track <ip_src|ip_dst|ip_pair>' (got '{value}')");
        }

        FlowbitsCommand command = p[0] switch
        {
            "set" => FlowbitsCommand.Set,
            "unset" => FlowbitsCommand.Unset,
            "toggle" => FlowbitsCommand.Toggle,
            "isset" => FlowbitsCommand.IsSet,
            "isnotset" => FlowbitsCommand.IsNotSet,
            _ => throw RuleParseException.Invalid($"xbits: unknown command '{p[0]}'"),
        };
        string name = p[1];
        if (name.Length == 0 || name.Any(char.IsWhiteSpace))
        {
            throw RuleParseException.Invalid($"xbits: bad name '{name}'");
        }

        string? track = null;
        int expire = XbitsOption.DefaultExpireSeconds;
        foreach (string item in p.Skip(2))
        {
            string[] kv = item.Split(' ', 2, StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            switch (kv)
            {
                case ["track", "ip_src" or "ip_dst" or "ip_pair" or "tx"]:
                    track = kv[1];
                    break;
                case ["expire", string seconds] when int.TryParse(seconds, NumberStyles.None, CultureInfo.InvariantCulture, out int s) && s > 0:
                    expire = s;
                    break;
                default:
                    throw RuleParseException.Invalid($"xbits: unexpected '{item}'");
            }
        }

        if (track is null)
        {
            throw RuleParseException.Invalid("xbits: needs track ip_src, ip_dst, ip_pair or tx");
        }

        rule.Add(new XbitsOption { Keyword = Name, Command = command, Name = name, Track = track, ExpireSeconds = expire });
    }
}
