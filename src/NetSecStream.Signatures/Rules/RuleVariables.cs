namespace NetSecStream.Signatures.Rules;

/// <summary>
/// Address and port groups that rules name as <c>$NAME</c>. <see cref="CreateDefault"/> holds suricata.yaml's
/// defaults; <see cref="LoadFile"/> overrides them from a suricata.yaml-style file (<c>vars: address-groups: / port-groups:</c>)
/// or a simple file of <c>NAME value</c>, <c>ipvar NAME value</c> or <c>portvar NAME value</c> lines.
/// </summary>
public sealed class RuleVariables
{
    private readonly Dictionary<string, string> _addresses = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _ports = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, string> AddressGroups => _addresses;

    public IReadOnlyDictionary<string, string> PortGroups => _ports;

    /// <summary>The address-groups and port-groups of Suricata's default suricata.yaml.</summary>
    public static RuleVariables CreateDefault()
    {
        var v = new RuleVariables();
        v.SetAddress("HOME_NET", "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]");
        v.SetAddress("EXTERNAL_NET", "!$HOME_NET");
        foreach (string name in (string[])["HTTP_SERVERS", "SMTP_SERVERS", "SQL_SERVERS", "DNS_SERVERS", "TELNET_SERVERS", "DC_SERVERS",
                     "DNP3_SERVER", "DNP3_CLIENT", "MODBUS_CLIENT", "MODBUS_SERVER", "ENIP_CLIENT", "ENIP_SERVER"])
        {
            v.SetAddress(name, "$HOME_NET");
        }

        v.SetAddress("AIM_SERVERS", "$EXTERNAL_NET");
        v.SetPort("HTTP_PORTS", "80");
        v.SetPort("SHELLCODE_PORTS", "!80");
        v.SetPort("ORACLE_PORTS", "1521");
        v.SetPort("SSH_PORTS", "22");
        v.SetPort("DNP3_PORTS", "20000");
        v.SetPort("MODBUS_PORTS", "502");
        v.SetPort("FILE_DATA_PORTS", "[$HTTP_PORTS,110,143]");
        v.SetPort("FTP_PORTS", "21");
        v.SetPort("GENEVE_PORTS", "6081");
        v.SetPort("VXLAN_PORTS", "4789");
        v.SetPort("TEREDO_PORTS", "3544");
        return v;
    }

    public void SetAddress(string name, string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(value);
        _addresses[name] = value;
    }

    public void SetPort(string name, string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(value);
        _ports[name] = value;
    }

    public string? GetAddress(string name) => _addresses.GetValueOrDefault(name);

    public string? GetPort(string name) => _ports.GetValueOrDefault(name);

    /// <summary>Defaults overridden by the file at <paramref name="path"/>.</summary>
    public static RuleVariables LoadFile(string path)
    {
        RuleVariables v = CreateDefault();
        v.Apply(File.ReadAllLines(path), path);
        return v;
    }

    /// <summary>Applies the lines of a vars file (YAML or <c>NAME value</c>) on top of the current values.</summary>
    public void Apply(IEnumerable<string> lines, string source = "<vars>")
    {
        ArgumentNullException.ThrowIfNull(lines);
        string? section = null;
        int lineNo = 0;
        foreach (string raw in lines)
        {
            lineNo++;
            string line = StripComment(raw);
            if (line.Trim().Length == 0 || line.Trim() == "---" || line.Trim() == "%YAML 1.1")
            {
                continue;
            }

            string trimmed = line.Trim();
            int colon = trimmed.IndexOf(':', StringComparison.Ordinal);
            bool yamlKey = colon > 0 && !trimmed[..colon].Contains(' ', StringComparison.Ordinal);
            if (yamlKey)
            {
                string key = trimmed[..colon];
                string value = Unquote(trimmed[(colon + 1)..].Trim());
                if (value.Length == 0)
                {
                    section = key is "address-groups" or "port-groups" ? key : (key == "vars" ? null : "other");
                    continue;
                }

                if (section == "address-groups")
                {
                    SetAddress(key, value);
                }
                else if (section == "port-groups")
                {
                    SetPort(key, value);
                }

                continue;
            }

            string[] parts = trimmed.Split((char[])[' ', '\t'], 3, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 3 && parts[0] is "ipvar" or "var" or "portvar")
            {
                Set(parts[0] == "portvar" || (parts[0] == "var" && IsPortName(parts[1])), parts[1], Unquote(parts[2]));
            }
            else if (parts.Length >= 2)
            {
                Set(IsPortName(parts[0]), parts[0], Unquote(trimmed[parts[0].Length..].Trim()));
            }
            else
            {
                throw new FormatException($"{source}:{lineNo}: expected 'NAME value', got '{trimmed}'");
            }
        }
    }

    private void Set(bool port, string name, string value)
    {
        string n = name.TrimStart('$');
        if (port)
        {
            SetPort(n, value);
        }
        else
        {
            SetAddress(n, value);
        }
    }

    private static bool IsPortName(string name) =>
        name.EndsWith("_PORTS", StringComparison.Ordinal) || name.EndsWith("_PORT", StringComparison.Ordinal);

    private static string StripComment(string line)
    {
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            if (line[i] == '"')
            {
                quoted = !quoted;
            }
            else if (line[i] == '#' && !quoted)
            {
                return line[..i];
            }
        }

        return line;
    }

    private static string Unquote(string s) =>
        s.Length >= 2 && ((s[0] == '"' && s[^1] == '"') || (s[0] == '\'' && s[^1] == '\'')) ? s[1..^1] : s;
}
