using System.Globalization;
using System.Net;
using System.Text;

namespace NetSecStream.Pipeline.Detectors.Intel;

/// <summary>A line of an indicator file that could not be used, with the reason.</summary>
public sealed record IndicatorDiagnostic(string File, int Line, string Reason)
{
    public override string ToString() => $"{File}:{Line}: {Reason}";
}

/// <summary>
/// Reads indicator lists. Two formats, chosen by extension:
/// plain text (<c>.txt</c>, <c>.list</c>, anything not <c>.csv</c>): one indicator per line, <c>#</c> starts a comment;
/// CSV (<c>.csv</c>): a header naming at least <c>indicator</c> (or <c>value</c>), optionally <c>type</c>,
/// <c>category</c>, <c>severity</c> (1-4) and <c>description</c>; RFC 4180 quoting.
/// Each value is typed automatically (IP, CIDR or domain) unless a <c>type</c> column says otherwise.
/// </summary>
public static class IndicatorListParser
{
    /// <summary>Longest line accepted; indicator files are small, a huge line is a wrong file.</summary>
    public const int MaxLineLength = 4096;

    public const int DefaultSeverity = 2;

    public static (List<Indicator> Indicators, List<IndicatorDiagnostic> Diagnostics) ParseFile(string path, string? listName = null)
    {
        listName ??= Path.GetFileNameWithoutExtension(path);
        using var reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return Path.GetExtension(path).Equals(".csv", StringComparison.OrdinalIgnoreCase)
            ? ParseCsv(reader, path, listName)
            : ParsePlain(reader, path, listName);
    }

    public static (List<Indicator> Indicators, List<IndicatorDiagnostic> Diagnostics) ParsePlain(TextReader reader, string file, string listName)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var indicators = new List<Indicator>();
        var diagnostics = new List<IndicatorDiagnostic>();
        int lineNumber = 0;
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNumber++;
            if (line.Length > MaxLineLength)
            {
                diagnostics.Add(new(file, lineNumber, $"line longer than {MaxLineLength} characters"));
                continue;
            }

            int hash = line.IndexOf('#', StringComparison.Ordinal);
            string value = (hash >= 0 ? line[..hash] : line).Trim();
            if (value.Length == 0)
            {
                continue;
            }

            if (TryClassify(value, null, out var type, out string normalised, out string? error))
            {
                indicators.Add(new Indicator(normalised, type, listName, null, DefaultSeverity, null, file, lineNumber));
            }
            else
            {
                diagnostics.Add(new(file, lineNumber, error!));
            }
        }

        return (indicators, diagnostics);
    }

    public static (List<Indicator> Indicators, List<IndicatorDiagnostic> Diagnostics) ParseCsv(TextReader reader, string file, string listName)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var indicators = new List<Indicator>();
        var diagnostics = new List<IndicatorDiagnostic>();
        int lineNumber = 0;
        string? line;
        Dictionary<string, int>? columns = null;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNumber++;
            if (line.Length > MaxLineLength)
            {
                diagnostics.Add(new(file, lineNumber, $"line longer than {MaxLineLength} characters"));
                continue;
            }

            if (string.IsNullOrWhiteSpace(line) || line.TrimStart().StartsWith('#'))
            {
                continue;
            }

            if (!TrySplitCsv(line, out var fields, out string? csvError))
            {
                diagnostics.Add(new(file, lineNumber, csvError!));
                continue;
            }

            if (columns is null)
            {
                columns = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
                for (int i = 0; i < fields.Count; i++)
                {
                    columns.TryAdd(fields[i].Trim(), i);
                }

                if (!columns.ContainsKey("indicator") && !columns.ContainsKey("value"))
                {
                    diagnostics.Add(new(file, lineNumber, "CSV header must name an 'indicator' (or 'value') column; found: " + string.Join(",", fields)));
                    return (indicators, diagnostics);
                }

                continue;
            }

            string? Field(string name) => columns.TryGetValue(name, out int index) && index < fields.Count ? fields[index].Trim() : null;

            string value = Field("indicator") ?? Field("value") ?? "";
            if (value.Length == 0)
            {
                diagnostics.Add(new(file, lineNumber, "empty indicator"));
                continue;
            }

            IndicatorType? declared = null;
            string? typeText = Field("type");
            if (!string.IsNullOrEmpty(typeText))
            {
                declared = typeText.ToUpperInvariant() switch
                {
                    "IP" or "IPV4" or "IPV6" or "IP-DST" or "IP-SRC" => IndicatorType.Ip,
                    "CIDR" or "NETWORK" or "SUBNET" => IndicatorType.Cidr,
                    "DOMAIN" or "HOSTNAME" or "FQDN" => IndicatorType.Domain,
                    _ => null,
                };
                if (declared is null)
                {
                    diagnostics.Add(new(file, lineNumber, $"unknown type '{typeText}' (expected ip, cidr or domain)"));
                    continue;
                }
            }

            int severity = DefaultSeverity;
            string? severityText = Field("severity");
            if (!string.IsNullOrEmpty(severityText) && !TryParseSeverity(severityText, out severity))
            {
                diagnostics.Add(new(file, lineNumber, $"severity '{severityText}' is not 1-4 or critical/high/medium/low"));
                continue;
            }

            if (TryClassify(value, declared, out var type, out string normalised, out string? error))
            {
                indicators.Add(new Indicator(normalised, type, listName, NullIfEmpty(Field("category")), severity, NullIfEmpty(Field("description")), file, lineNumber));
            }
            else
            {
                diagnostics.Add(new(file, lineNumber, error!));
            }
        }

        if (columns is null)
        {
            diagnostics.Add(new(file, 0, "CSV file has no header line"));
        }

        return (indicators, diagnostics);
    }

    /// <summary>Types a value as IP, CIDR or domain and normalises it; explains why when it is none of them.</summary>
    public static bool TryClassify(string value, IndicatorType? declared, out IndicatorType type, out string normalised, out string? error)
    {
        type = IndicatorType.Domain;
        normalised = value;
        error = null;
        if (value.Contains('/', StringComparison.Ordinal))
        {
            if (CidrBlock.TryParse(value, out var block) && declared is null or IndicatorType.Cidr)
            {
                type = IndicatorType.Cidr;
                normalised = block.ToString();
                return true;
            }

            error = $"'{value}' is not a valid CIDR block";
            return false;
        }

        if (IPAddress.TryParse(value, out var ip) && (value.Contains(':', StringComparison.Ordinal) || value.Count(c => c == '.') == 3))
        {
            if (declared is not (null or IndicatorType.Ip))
            {
                error = $"'{value}' is an IP address but the type column says {declared}";
                return false;
            }

            type = IndicatorType.Ip;
            normalised = ip.ToString();
            return true;
        }

        if (declared is IndicatorType.Ip or IndicatorType.Cidr)
        {
            error = $"'{value}' is not a valid {(declared == IndicatorType.Ip ? "IP address" : "CIDR block")}";
            return false;
        }

        string domain = IndicatorIndex.NormaliseDomain(value);
        if (!IsValidDomain(domain))
        {
            error = $"'{value}' is neither an IP address, a CIDR block nor a domain name";
            return false;
        }

        type = IndicatorType.Domain;
        normalised = domain;
        return true;
    }

    private static bool IsValidDomain(string domain)
    {
        if (domain.Length is 0 or > 253)
        {
            return false;
        }

        foreach (string label in domain.Split('.'))
        {
            if (label.Length is 0 or > 63 || label[0] == '-' || label[^1] == '-')
            {
                return false;
            }

            foreach (char c in label)
            {
                if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>1 (highest) to 4, or the words critical, high, medium, low (info counts as low).</summary>
    public static bool TryParseSeverity(string text, out int severity)
    {
        severity = text.Trim().ToUpperInvariant() switch
        {
            "CRITICAL" => 1,
            "HIGH" => 2,
            "MEDIUM" => 3,
            "LOW" or "INFO" or "INFORMATIONAL" => 4,
            var n when int.TryParse(n, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v is >= 1 and <= 4 => v,
            _ => 0,
        };
        return severity != 0;
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;

    private static bool TrySplitCsv(string line, out List<string> fields, out string? error)
    {
        fields = [];
        error = null;
        var current = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted)
            {
                if (c == '"')
                {
                    if (i + 1 < line.Length && line[i + 1] == '"')
                    {
                        current.Append('"');
                        i++;
                    }
                    else
                    {
                        quoted = false;
                    }
                }
                else
                {
                    current.Append(c);
                }
            }
            else if (c == '"' && current.Length == 0)
            {
                quoted = true;
            }
            else if (c == ',')
            {
                fields.Add(current.ToString());
                current.Clear();
            }
            else
            {
                current.Append(c);
            }
        }

        if (quoted)
        {
            error = "unterminated quoted field";
            return false;
        }

        fields.Add(current.ToString());
        return true;
    }
}
