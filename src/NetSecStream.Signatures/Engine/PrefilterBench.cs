using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace NetSecStream.Signatures.Engine;

/// <summary>One implementation's figures in a <see cref="PrefilterBench"/> run.</summary>
/// <param name="Name">The matcher's <see cref="MultiPatternMatcher.Name"/>.</param>
/// <param name="BuildSeconds">Time to build it from the patterns.</param>
/// <param name="MemoryBytes">Its tables as it reports them (<see cref="MultiPatternMatcher.MemoryBytes"/>).</param>
/// <param name="ManagedHeapBytes">Growth of the managed heap across the build with the matcher alive (after a full GC).</param>
/// <param name="MegabytesPerSecond">Payload megabytes (10^6 bytes) scanned per second, one thread.</param>
/// <param name="MatchedIds">Ids reported over all scanned buffers: the same for every implementation over the same bytes.</param>
/// <param name="ScannedBytes">Payload bytes this implementation scanned (the naive one scans a prefix only).</param>
public sealed record PrefilterImplementationResult(
    string Name,
    double BuildSeconds,
    long MemoryBytes,
    long ManagedHeapBytes,
    double MegabytesPerSecond,
    long MatchedIds,
    long ScannedBytes);

/// <summary>A <see cref="PrefilterBench.Run"/>.</summary>
/// <param name="Patterns">Patterns the matchers were built from.</param>
/// <param name="PatternSource">Where they came from (the ET Open rules' contents, or generated).</param>
/// <param name="NoCasePatterns">How many of them are nocase.</param>
/// <param name="Megabytes">Payload scanned per implementation.</param>
/// <param name="BufferBytes">Size of each scanned buffer (a packet payload).</param>
/// <param name="Implementations">The naive baseline first, then each matcher; Hyperscan only where it is available.</param>
/// <param name="AgreeWithBaseline">Whether every implementation reported the same ids as the baseline on the prefix the baseline scanned.</param>
/// <param name="HyperscanUnavailableReason">Why Hyperscan was left out; null when it ran.</param>
public sealed record PrefilterBenchResult(
    int Patterns,
    string PatternSource,
    int NoCasePatterns,
    int Megabytes,
    int BufferBytes,
    IReadOnlyList<PrefilterImplementationResult> Implementations,
    bool AgreeWithBaseline,
    string? HyperscanUnavailableReason);

/// <summary>
/// Throughput of each prefilter implementation on the same patterns and payload, for <c>netsec bench</c>. Patterns
/// are the longest <c>content</c> of each ET Open rule (a stand-in for its fast pattern) when the rules are found,
/// else generated. The payload is generated HTTP and DNS-like text with some binary, cut into packet-sized buffers, a
/// few of which contain a pattern. The naive baseline scans only a prefix (it is one pass per pattern); compare the
/// others with it within one run, never across runs.
/// </summary>
public static partial class PrefilterBench
{
    public const int BufferBytes = 1460;

    public static PrefilterBenchResult Run(int patterns, int megabytes, string? rulesDirectory = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(patterns, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(megabytes, 1);
        rulesDirectory ??= DefaultRulesDirectory();
        var random = new Random(5);
        List<PrefilterPattern> set;
        string source;
        if (rulesDirectory is not null && Directory.Exists(rulesDirectory) && ExtractContents(rulesDirectory, patterns) is { Count: > 0 } extracted)
        {
            set = extracted;
            source = $"ET Open contents under {rulesDirectory}";
        }
        else
        {
            set = GeneratePatterns(patterns, random);
            source = "generated";
        }

        byte[] payload = GeneratePayload(megabytes * 1_000_000, set, random);
        var builders = new List<Func<MultiPatternMatcher>>
        {
            () => AhoCorasickMatcher.Create(set),
            () => SearchValuesMatcher.Create(set),
            () => FirstByteMatcher.Create(set),
        };
        string? hyperscanReason = HyperscanMatcher.IsAvailable(out string reason) ? null : reason;
        if (hyperscanReason is null)
        {
            builders.Add(() => HyperscanMatcher.Create(set));
        }

        // The naive baseline scans a prefix sized so it takes seconds, not hours.
        int naiveBytes = (int)Math.Clamp(4_000_000_000L / set.Count, BufferBytes * 4, payload.Length);
        var results = new List<PrefilterImplementationResult>();
        long[] baselineIds;
        using (var naive = NaiveMatcher.Create(set))
        {
            baselineIds = IdsPerBuffer(naive, payload.AsSpan(0, naiveBytes));
            results.Add(Measure(naive, payload.AsSpan(0, naiveBytes), 0, naive.MemoryBytes, 0));
        }

        bool agree = true;
        foreach (var build in builders)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            long heapBefore = GC.GetTotalMemory(true);
            var clock = Stopwatch.StartNew();
            using MultiPatternMatcher matcher = build();
            double buildSeconds = clock.Elapsed.TotalSeconds;
            long heap = GC.GetTotalMemory(true) - heapBefore;
            agree &= IdsPerBuffer(matcher, payload.AsSpan(0, naiveBytes)).AsSpan().SequenceEqual(baselineIds);
            results.Add(Measure(matcher, payload, buildSeconds, matcher.MemoryBytes, heap));
        }

        int noCase = set.Count(p => p.NoCase);
        return new PrefilterBenchResult(set.Count, source, noCase, megabytes, BufferBytes, results, agree, hyperscanReason);
    }

    /// <summary>The longest content of each rule (a rough fast pattern), deduplicated, at most <paramref name="limit"/>.</summary>
    public static List<PrefilterPattern> ExtractContents(string rulesDirectory, int limit)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var patterns = new List<PrefilterPattern>();
        foreach (string file in Directory.EnumerateFiles(rulesDirectory, "*.rules").Order(StringComparer.Ordinal))
        {
            foreach (string line in File.ReadLines(file))
            {
                if (line.StartsWith('#') || !line.Contains("content:", StringComparison.Ordinal))
                {
                    continue;
                }

                (byte[] Bytes, bool NoCase)? best = null;
                foreach (Match match in ContentRegex().Matches(line))
                {
                    // nocase belongs to the content when it comes before the next content.
                    int next = line.IndexOf("content:", match.Index + match.Length, StringComparison.Ordinal);
                    string options = next < 0 ? line[(match.Index + match.Length)..] : line[(match.Index + match.Length)..next];
                    bool noCase = options.Contains("nocase;", StringComparison.Ordinal);
                    if (DecodeContent(match.Groups[1].Value) is { Length: > 0 } bytes && (best is null || bytes.Length > best.Value.Bytes.Length))
                    {
                        best = (bytes, noCase);
                    }
                }

                if (best is { } chosen && seen.Add((chosen.NoCase ? "i:" : "c:") + Convert.ToHexString(chosen.Bytes)))
                {
                    patterns.Add(new PrefilterPattern(patterns.Count, chosen.Bytes, chosen.NoCase));
                    if (patterns.Count >= limit)
                    {
                        return patterns;
                    }
                }
            }
        }

        return patterns;
    }

    /// <summary>A content string's bytes: <c>|41 42|</c> hex runs and backslash escapes; null when malformed.</summary>
    public static byte[]? DecodeContent(string content)
    {
        ArgumentNullException.ThrowIfNull(content);
        var bytes = new List<byte>(content.Length);
        bool hex = false;
        for (int i = 0; i < content.Length; i++)
        {
            char c = content[i];
            if (c == '|')
            {
                hex = !hex;
            }
            else if (hex)
            {
                if (c == ' ')
                {
                    continue;
                }

                if (i + 1 >= content.Length || !byte.TryParse(content.AsSpan(i, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out byte value))
                {
                    return null;
                }

                bytes.Add(value);
                i++;
            }
            else if (c == '\\' && i + 1 < content.Length)
            {
                bytes.Add((byte)content[++i]);
            }
            else if (c <= 0xFF)
            {
                bytes.Add((byte)c);
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(c.ToString()));
            }
        }

        return hex ? null : [.. bytes];
    }

    private static PrefilterImplementationResult Measure(MultiPatternMatcher matcher, ReadOnlySpan<byte> payload, double buildSeconds, long memory, long heap)
    {
        PrefilterMatches matches = matcher.CreateMatches();

        // Warm-up: tiered compilation reaches the optimised code before the timed pass.
        var warmup = Stopwatch.StartNew();
        long matched = 0;
        do
        {
            matched = ScanAll(matcher, payload[..Math.Min(payload.Length, 1_000_000)], matches);
        }
        while (warmup.Elapsed < TimeSpan.FromSeconds(0.5));
        Thread.Sleep(200);

        var clock = Stopwatch.StartNew();
        matched = ScanAll(matcher, payload, matches);
        double seconds = clock.Elapsed.TotalSeconds;
        return new PrefilterImplementationResult(matcher.Name, buildSeconds, memory, heap, payload.Length / 1e6 / Math.Max(seconds, 1e-9), matched, payload.Length);
    }

    private static long ScanAll(MultiPatternMatcher matcher, ReadOnlySpan<byte> payload, PrefilterMatches matches)
    {
        long matched = 0;
        for (int offset = 0; offset < payload.Length; offset += BufferBytes)
        {
            matcher.Scan(payload.Slice(offset, Math.Min(BufferBytes, payload.Length - offset)), matches);
            matched += matches.Count;
        }

        return matched;
    }

    /// <summary>A checksum of the sorted ids per buffer, one value per buffer.</summary>
    private static long[] IdsPerBuffer(MultiPatternMatcher matcher, ReadOnlySpan<byte> payload)
    {
        PrefilterMatches matches = matcher.CreateMatches();
        var sums = new long[(payload.Length + BufferBytes - 1) / BufferBytes];
        for (int b = 0; b < sums.Length; b++)
        {
            int offset = b * BufferBytes;
            matcher.Scan(payload.Slice(offset, Math.Min(BufferBytes, payload.Length - offset)), matches);
            long sum = matches.Count;
            foreach (int id in matches.Ids)
            {
                sum += (long)id * id + id;
            }

            sums[b] = sum;
        }

        return sums;
    }

    private static List<PrefilterPattern> GeneratePatterns(int count, Random random)
    {
        var patterns = new List<PrefilterPattern>(count);
        for (int i = 0; i < count; i++)
        {
            byte[] bytes = new byte[random.Next(3, 24)];
            for (int j = 0; j < bytes.Length; j++)
            {
                bytes[j] = random.Next(5) == 0 ? (byte)random.Next(256) : (byte)random.Next('a', 'z' + 1);
            }

            patterns.Add(new PrefilterPattern(i, bytes, random.Next(2) == 0));
        }

        return patterns;
    }

    private static byte[] GeneratePayload(int length, List<PrefilterPattern> patterns, Random random)
    {
        string[] words = ["index", "login", "admin", "api", "v1", "images", "static", "js", "css", "php", "search", "update", "download", "user", "id", "session", "token", "json", "www", "example", "com", "net", "cdn", "mail"];
        string[] agents = ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36", "curl/8.5.0", "python-requests/2.31.0", "Go-http-client/1.1"];
        var payload = new byte[length];
        int offset = 0;
        var text = new StringBuilder();
        while (offset < length)
        {
            text.Clear();
            int kind = random.Next(10);
            if (kind < 6)
            {
                string host = $"{words[random.Next(words.Length)]}.{words[random.Next(words.Length)]}.{words[random.Next(3) + 19]}";
                text.Append(random.Next(3) == 0 ? "POST /" : "GET /");
                for (int i = random.Next(1, 5); i > 0; i--)
                {
                    text.Append(words[random.Next(words.Length)]).Append('/');
                }

                text.Append(CultureInfo.InvariantCulture, $"?{words[random.Next(words.Length)]}={random.Next(100000)} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {agents[random.Next(agents.Length)]}\r\nAccept: */*\r\nConnection: keep-alive\r\n\r\n");
            }
            else if (kind < 8)
            {
                text.Append(CultureInfo.InvariantCulture, $"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {random.Next(100000)}\r\n\r\n<html><head><title>{words[random.Next(words.Length)]}</title></head><body>");
                for (int i = random.Next(20, 200); i > 0; i--)
                {
                    text.Append(words[random.Next(words.Length)]).Append(' ');
                }

                text.Append("</body></html>");
            }

            byte[] chunk = kind < 8 ? Encoding.Latin1.GetBytes(text.ToString()) : RandomBytes(random.Next(64, 1460), random);

            // About one buffer in twenty carries a pattern, so the verification paths are measured too.
            if (random.Next(20) == 0)
            {
                byte[] pattern = patterns[random.Next(patterns.Count)].Bytes.ToArray();
                int at = random.Next(Math.Max(1, chunk.Length - pattern.Length));
                chunk = [.. chunk.AsSpan(0, Math.Min(at, chunk.Length)), .. pattern, .. chunk.AsSpan(Math.Min(at, chunk.Length))];
            }

            int take = Math.Min(chunk.Length, length - offset);
            chunk.AsSpan(0, take).CopyTo(payload.AsSpan(offset));
            offset += take;
        }

        return payload;
    }

    private static byte[] RandomBytes(int count, Random random)
    {
        byte[] bytes = new byte[count];
        random.NextBytes(bytes);
        return bytes;
    }

    private static string? DefaultRulesDirectory()
    {
        string? data = Environment.GetEnvironmentVariable("NETSEC_TESTDATA");
        return Path.Combine(string.IsNullOrEmpty(data) ? Path.Combine("..", "shared", "data") : data, "rules", "et-open");
    }

    [GeneratedRegex(@"content:\s*""((?:\\.|[^""\\])*)""", RegexOptions.CultureInvariant)]
    private static partial Regex ContentRegex();
}
