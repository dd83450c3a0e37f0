using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using NetSecStream.Signatures.Rules;

namespace NetSecStream.Signatures.Keywords;

/// <summary>
/// A parsed dataset option: <c>isset</c> / <c>isnotset</c> test the current sticky buffer's whole value against a set
/// loaded from a file (<c>load</c>, relative to the rule file's folder), as Suricata's datasets do: type <c>string</c>
/// lines are base64 of the value, <c>md5</c> / <c>sha256</c> lines are hex and match a buffer holding the digest (after
/// <c>to_md5</c> / <c>to_sha256</c>) or its hex text. <c>set</c>/<c>unset</c> (sets changed at run time), the ip types
/// and sets without a file are not evaluable and say so. Files are bounded (<see cref="MaxEntries"/>, <see cref="MaxFileBytes"/>).
/// </summary>
public sealed class DatasetOption : RuleOption, IBufferCondition, INotEvaluableReason
{
    public const int MaxEntries = 1_000_000;

    public const long MaxFileBytes = 64L * 1024 * 1024;

    private static readonly ConcurrentDictionary<(string Path, string Type, DateTime Stamp), HashSet<string>> Cache = new();

    private HashSet<string>? _values;
    private string? _bindError;

    /// <summary>isset, isnotset, set or unset.</summary>
    public required string Command { get; init; }

    public required string Name { get; init; }

    /// <summary>The remaining options (type string, load file, state file, memcap ...) as written.</summary>
    public required IReadOnlyList<string> Settings { get; init; }

    public override bool InspectsBuffer => true;

    public string Type => Setting("type") ?? "string";

    public string? LoadPath => Setting("load") ?? Setting("state");

    public string? NotEvaluableReason =>
        Command is "set" or "unset" ? "dataset " + Command
        : Type is not ("string" or "md5" or "sha256") ? "dataset type " + Type
        : LoadPath is null ? "dataset without load"
        : _bindError;

    /// <summary>Loads the set's file, relative to <paramref name="ruleFile"/>'s folder; returns why it cannot, or null.</summary>
    public string? Bind(string? ruleFile)
    {
        if (NotEvaluableReason is { } why)
        {
            return why;
        }

        if (_values is not null)
        {
            return null;
        }

        string path = LoadPath!;
        if (!Path.IsPathRooted(path) && ruleFile is not null)
        {
            path = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(ruleFile)) ?? ".", path);
        }

        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                return _bindError = $"dataset file '{LoadPath}' not found";
            }

            if (info.Length > MaxFileBytes)
            {
                return _bindError = $"dataset file '{LoadPath}' is larger than {MaxFileBytes} bytes";
            }

            _values = Cache.GetOrAdd((info.FullName, Type, info.LastWriteTimeUtc), key => Read(key.Path, key.Type));
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or InvalidDataException)
        {
            return _bindError = $"dataset file '{LoadPath}': {ex.Message}";
        }
    }

    public bool Matches(ReadOnlySpan<byte> buffer, ref int position, ByteVariables variables)
    {
        HashSet<string>? values = _values;
        if (values is null)
        {
            return false;
        }

        bool found = Type == "string"
            ? values.Contains(Encoding.Latin1.GetString(buffer))
            : values.Contains(buffer.Length is 16 or 32 ? Convert.ToHexStringLower(buffer) : Encoding.Latin1.GetString(buffer).ToLowerInvariant());
        return found == (Command == "isset");
    }

    private string? Setting(string name)
    {
        foreach (string s in Settings)
        {
            string[] kv = s.Split(' ', 2, StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (kv.Length == 2 && kv[0] == name)
            {
                return kv[1];
            }
        }

        return null;
    }

    private static HashSet<string> Read(string path, string type)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        int lineNo = 0;
        foreach (string raw in File.ReadLines(path))
        {
            lineNo++;
            string line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            // Suricata's lines may carry ",<reputation>" after the value.
            string value = line.Split(',', 2)[0].Trim();
            string entry = type == "string"
                ? Encoding.Latin1.GetString(Convert.FromBase64String(value))
                : value.Length == (type == "md5" ? 32 : 64) && value.All(char.IsAsciiHexDigit)
                    ? value.ToLowerInvariant()
                    : throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"line {lineNo}: '{value}' is not a {type} in hex"));
            set.Add(entry);
            if (set.Count > MaxEntries)
            {
                throw new InvalidDataException($"more than {MaxEntries} entries");
            }
        }

        return set;
    }
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
