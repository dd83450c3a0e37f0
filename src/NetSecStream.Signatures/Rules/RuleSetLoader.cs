using System.Diagnostics;
using System.Text;

namespace NetSecStream.Signatures.Rules;

/// <summary>What loading a set of rule files produced.</summary>
public sealed class RuleSetLoadResult
{
    public required IReadOnlyList<Rule> Rules { get; init; }

    /// <summary>One entry per rule that did not load.</summary>
    public required IReadOnlyList<RuleDiagnostic> Diagnostics { get; init; }

    /// <summary>Enabled rules seen (commented-out rules are not counted).</summary>
    public int Total { get; init; }

    public int Loaded => Rules.Count;

    public int Failed => Diagnostics.Count;

    /// <summary>Unsupported keyword name to the number of rules it made fail.</summary>
    public required IReadOnlyDictionary<string, int> UnsupportedKeywords { get; init; }

    /// <summary>Characters of rule text loaded, a rough size of the set (the model holds about 4-8 bytes per character).</summary>
    public long Bytes { get; init; }

    public TimeSpan Elapsed { get; init; }

    public int Files { get; init; }

    public double LoadedPercent => Total == 0 ? 100 : 100.0 * Loaded / Total;
}

/// <summary>Loads rule files and directories (every *.rules file in them) into rules and diagnostics.</summary>
public static class RuleSetLoader
{
    /// <summary>How the reason of a rule whose gid and sid an earlier rule took starts.</summary>
    public const string DuplicateSidReason = "duplicate sid ";

    /// <summary>
    /// Loads <paramref name="filesOrDirectories"/>. Classtypes are checked against <paramref name="classifications"/>,
    /// or, when null, against the first classification.config beside the given files or in the given directories.
    /// Never throws for bad rules: each one becomes a <see cref="RuleDiagnostic"/>. A missing path throws.
    /// </summary>
    public static RuleSetLoadResult Load(IEnumerable<string> filesOrDirectories, RuleVariables? vars = null, ClassificationConfig? classifications = null)
    {
        ArgumentNullException.ThrowIfNull(filesOrDirectories);
        var files = new List<string>();
        foreach (string path in filesOrDirectories)
        {
            if (Directory.Exists(path))
            {
                files.AddRange(Directory.EnumerateFiles(path, "*.rules", SearchOption.TopDirectoryOnly).Order(StringComparer.Ordinal));
            }
            else if (File.Exists(path))
            {
                files.Add(path);
            }
            else
            {
                throw new FileNotFoundException("rules file or directory not found: " + path, path);
            }
        }

        classifications ??= FindClassifications(files);
        var session = new Session(new RuleParser(vars, classifications));
        foreach (string file in files)
        {
            using var reader = new StreamReader(file, Encoding.UTF8);
            session.Read(reader, file);
        }

        return session.Result(files.Count);
    }

    /// <summary>Loads rules from text (one rule per line, continuation and comments as in files).</summary>
    public static RuleSetLoadResult LoadText(string text, RuleVariables? vars = null, ClassificationConfig? classifications = null, string? file = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        var session = new Session(new RuleParser(vars, classifications));
        using var reader = new StringReader(text);
        session.Read(reader, file);
        return session.Result(0);
    }

    private static ClassificationConfig? FindClassifications(List<string> files)
    {
        foreach (string? dir in files.Select(Path.GetDirectoryName).Distinct())
        {
            string candidate = Path.Combine(dir ?? ".", "classification.config");
            if (File.Exists(candidate))
            {
                return ClassificationConfig.Load(candidate);
            }
        }

        return null;
    }

    private sealed class Session(RuleParser parser)
    {
        private readonly List<Rule> _rules = [];
        private readonly List<RuleDiagnostic> _diagnostics = [];
        private readonly Dictionary<string, int> _unsupported = new(StringComparer.Ordinal);
        private readonly Dictionary<(int Gid, long Sid), Rule> _seen = [];
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private int _total;
        private long _bytes;

        public void Read(TextReader reader, string? file)
        {
            int lineNo = 0;
            var pending = new StringBuilder();
            int start = 0;
            bool tooLong = false;
            string? line;
            while ((line = reader.ReadLine()) is not null)
            {
                lineNo++;
                if (pending.Length == 0 && !tooLong)
                {
                    string t = line.TrimStart();
                    if (t.Length == 0 || t[0] == '#')
                    {
                        continue;
                    }

                    start = lineNo;
                }

                bool continues = line.TrimEnd().EndsWith('\\');
                string part = continues ? line.TrimEnd()[..^1] : line;
                if (pending.Length + part.Length > RuleLimits.MaxRuleLength)
                {
                    tooLong = true;
                    pending.Clear();
                }
                else if (!tooLong)
                {
                    pending.Append(part);
                }

                if (continues)
                {
                    continue;
                }

                if (tooLong)
                {
                    _total++;
                    _diagnostics.Add(new RuleDiagnostic(file, start, RuleParser.ScanSid(line), RuleDiagnosticKind.Invalid,
                        $"rule is longer than the limit of {RuleLimits.MaxRuleLength} characters"));
                    tooLong = false;
                }
                else
                {
                    Parse(pending.ToString(), file, start);
                }

                pending.Clear();
            }

            if (pending.Length > 0 || tooLong)
            {
                _total++;
                _diagnostics.Add(new RuleDiagnostic(file, start, RuleParser.ScanSid(pending.ToString()), RuleDiagnosticKind.Syntax,
                    "file ends inside a rule continued with '\\'"));
            }
        }

        private void Parse(string text, string? file, int line)
        {
            _total++;
            try
            {
                Rule rule = parser.Parse(text, file, line);
                if (_seen.TryGetValue((rule.Gid, rule.Sid), out Rule? first))
                {
                    _diagnostics.Add(new RuleDiagnostic(file, line, rule.Sid, RuleDiagnosticKind.Invalid,
                        $"{DuplicateSidReason}{rule.Sid} (gid {rule.Gid}); first loaded at {first.File}:{first.Line}"));
                    return;
                }

                _seen[(rule.Gid, rule.Sid)] = rule;
                _rules.Add(rule);
                _bytes += text.Length;
            }
            catch (RuleParseException e)
            {
                _diagnostics.Add(new RuleDiagnostic(file, line, e.Sid, e.Kind, e.Message, e.Keyword));
                if (e.Keyword is { } k)
                {
                    _unsupported[k] = _unsupported.GetValueOrDefault(k) + 1;
                }
            }
#pragma warning disable CA1031 // A parser bug on one hostile rule must become that rule's diagnostic, not stop the load.
            catch (Exception e)
#pragma warning restore CA1031
            {
                _diagnostics.Add(new RuleDiagnostic(file, line, RuleParser.ScanSid(text), RuleDiagnosticKind.Invalid,
                    $"internal parser error ({e.GetType().Name}): {e.Message}"));
            }
        }

        public RuleSetLoadResult Result(int files) => new()
        {
            Rules = _rules,
            Diagnostics = _diagnostics,
            Total = _total,
            UnsupportedKeywords = _unsupported,
            Bytes = _bytes,
            Elapsed = _clock.Elapsed,
            Files = files,
        };
    }
}
