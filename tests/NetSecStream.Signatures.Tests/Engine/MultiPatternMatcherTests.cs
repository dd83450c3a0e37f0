using System.Text;
using NetSecStream.Signatures.Engine;
using NetSecStream.Testing;
using Xunit.Abstractions;

namespace NetSecStream.Signatures.Tests.Engine;

public sealed class MultiPatternMatcherTests(ITestOutputHelper output)
{
    private static PrefilterPattern Text(int id, string text, bool noCase = false) => new(id, Encoding.Latin1.GetBytes(text), noCase);

    [Theory]
    [InlineData(1, 10, 4)]
    [InlineData(2, 60, 6)]
    [InlineData(3, 400, 12)]
    [InlineData(4, 3000, 20)]
    public void RandomPatterns_EveryMatcher_AgreesWithNaive(int seed, int patternCount, int maxLength)
    {
        var random = new Random(seed);
        List<PrefilterPattern> patterns = PrefilterTestKit.RandomPatterns(random, patternCount, maxLength);
        List<byte[]> buffers = [[], [0x00], [(byte)'a'], [(byte)'A']];
        for (int i = 0; i < 150; i++)
        {
            buffers.Add(PrefilterTestKit.RandomBytes(random, random.Next(0, 600)));
        }

        // Buffers that surely contain patterns, in another case too.
        for (int i = 0; i < 50; i++)
        {
            byte[] pattern = patterns[random.Next(patterns.Count)].Bytes.ToArray();
            byte[] changed = [.. pattern.Select(b => random.Next(2) == 0 && char.IsAsciiLetter((char)b) ? (byte)(b ^ 0x20) : b)];
            buffers.Add([.. PrefilterTestKit.RandomBytes(random, random.Next(5)), .. random.Next(2) == 0 ? pattern : changed, .. PrefilterTestKit.RandomBytes(random, random.Next(5))]);
        }

        PrefilterTestKit.AssertAllAgree(patterns, buffers);
    }

    [Fact]
    public void OverlappingPrefixAndSuffixPatterns_AreAllReported()
    {
        PrefilterPattern[] patterns = [Text(0, "he"), Text(1, "she"), Text(2, "his"), Text(3, "hers"), Text(4, "e"), Text(5, "HERS", noCase: true), Text(6, "Hers")];
        foreach (MultiPatternMatcher matcher in PrefilterTestKit.AllMatchers(patterns))
        {
            using (matcher)
            {
                PrefilterMatches matches = matcher.CreateMatches();
                matcher.Scan("ushers"u8, matches);
                Assert.Equal([0, 1, 3, 4, 5], PrefilterTestKit.Sorted(matches));
                matcher.Scan("uSHErs"u8, matches);
                Assert.Equal([5], PrefilterTestKit.Sorted(matches));
                matcher.Scan(""u8, matches);
                Assert.Empty(matches.Ids.ToArray());
            }
        }
    }

    [Fact]
    public void NoCase_FoldsAsciiOnly()
    {
        // Suricata's nocase folds A-Z only: É (0xC9) and é (0xE9) stay distinct.
        PrefilterPattern[] patterns = [new(0, new byte[] { 0xE9, (byte)'x' }, true), new(1, new byte[] { 0x00, 0xFF }, true), Text(2, "Q", noCase: true)];
        foreach (MultiPatternMatcher matcher in PrefilterTestKit.AllMatchers(patterns))
        {
            using (matcher)
            {
                PrefilterMatches matches = matcher.CreateMatches();
                matcher.Scan([0xC9, (byte)'X', 0x00, 0xFF, (byte)'q'], matches);
                Assert.Equal([1, 2], PrefilterTestKit.Sorted(matches));
                matcher.Scan([0xE9, (byte)'X'], matches);
                Assert.Equal([0], PrefilterTestKit.Sorted(matches));
            }
        }
    }

    [Fact]
    public void EachId_IsReportedOnce_PerScan()
    {
        PrefilterPattern[] patterns = [Text(7, "ab"), Text(7, "cd"), Text(2, "a")];
        foreach (MultiPatternMatcher matcher in PrefilterTestKit.AllMatchers(patterns))
        {
            using (matcher)
            {
                PrefilterMatches matches = matcher.CreateMatches();
                matcher.Scan("abcdabcdaaaa"u8, matches);
                Assert.Equal(2, matches.Count);
                Assert.True(matches.Contains(7));
                Assert.True(matches.Contains(2));
                Assert.False(matches.Contains(3));
            }
        }
    }

    [Fact]
    public void RealPayloads_WithEtOpenContents_EveryMatcherAgreesWithNaive()
    {
        string? root = TestData.Root;
        if (root is null)
        {
            output.WriteLine("No test data (NETSEC_TESTDATA): skipped the ET Open part.");
            return;
        }

        List<PrefilterPattern> patterns = PrefilterBench.ExtractContents(Path.Combine(root, "rules", "et-open"), 2000);
        Assert.True(patterns.Count > 500, $"only {patterns.Count} contents extracted");

        // Raw pcap bytes: real headers and payloads (HTTP, DNS, TLS), cut into packet-sized buffers.
        var buffers = new List<byte[]>();
        foreach (string pcap in Directory.EnumerateFiles(Path.Combine(root, "pcaps"), "*.pcap", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Take(40))
        {
            byte[] file = File.ReadAllBytes(pcap);
            for (int offset = 0; offset < Math.Min(file.Length, 200_000); offset += 1460)
            {
                buffers.Add(file[offset..Math.Min(file.Length, offset + 1460)]);
            }
        }

        // Plus each pattern placed in text, so every pattern is found at least once.
        buffers.AddRange(patterns.Select(p => (byte[])[.. "GET /x HTTP/1.1\r\nHost: a\r\n"u8, .. p.Bytes.Span, .. "\r\n\r\n"u8]));
        output.WriteLine($"{patterns.Count} patterns, {buffers.Count} buffers");
        PrefilterTestKit.AssertAllAgree(patterns, buffers);
    }

    [Fact]
    public void ConcurrentScans_OnOneMatcher_GiveTheSameResults()
    {
        var random = new Random(9);
        List<PrefilterPattern> patterns = PrefilterTestKit.RandomPatterns(random, 500, 8);
        byte[][] buffers = [.. Enumerable.Range(0, 200).Select(_ => PrefilterTestKit.RandomBytes(random, 300))];
        foreach (MultiPatternMatcher matcher in PrefilterTestKit.AllMatchers(patterns))
        {
            using (matcher)
            {
                PrefilterMatches single = matcher.CreateMatches();
                int[][] expected = [.. buffers.Select(b => { matcher.Scan(b, single); return PrefilterTestKit.Sorted(single); })];
                var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
                Parallel.For(0, 4, worker =>
                {
                    PrefilterMatches mine = matcher.CreateMatches();
                    for (int round = 0; round < 5; round++)
                    {
                        for (int i = 0; i < buffers.Length; i++)
                        {
                            matcher.Scan(buffers[i], mine);
                            if (!PrefilterTestKit.Sorted(mine).AsSpan().SequenceEqual(expected[i]))
                            {
                                failures.Add($"{matcher.Name} worker {worker} buffer {i}");
                            }
                        }
                    }
                });
                Assert.Empty(failures);
            }
        }
    }

    [Fact]
    public void Build_BeyondLimits_FailsNamingTheLimit()
    {
        var tight = new PrefilterLimits { MaxPatterns = 2, MaxPatternLength = 4, MaxTotalBytes = 6, MaxId = 10 };
        Assert.Contains("MaxPatterns", Assert.Throws<ArgumentException>(() => AhoCorasickMatcher.Create([Text(0, "a"), Text(1, "b"), Text(2, "c")], tight)).Message, StringComparison.Ordinal);
        Assert.Contains("MaxPatternLength", Assert.Throws<ArgumentException>(() => SearchValuesMatcher.Create([Text(0, "abcde")], tight)).Message, StringComparison.Ordinal);
        Assert.Contains("MaxTotalBytes", Assert.Throws<ArgumentException>(() => FirstByteMatcher.Create([Text(0, "abcd"), Text(1, "abc")], tight)).Message, StringComparison.Ordinal);
        Assert.Contains("MaxId", Assert.Throws<ArgumentException>(() => AhoCorasickMatcher.Create([Text(10, "a")], tight)).Message, StringComparison.Ordinal);
        Assert.Contains("MaxId", Assert.Throws<ArgumentException>(() => AhoCorasickMatcher.Create([Text(-1, "a")], tight)).Message, StringComparison.Ordinal);
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => AhoCorasickMatcher.Create([new PrefilterPattern(0, ReadOnlyMemory<byte>.Empty, false)])).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Scan_WithTooSmallMatchSet_Throws()
    {
        using var matcher = AhoCorasickMatcher.Create([Text(5, "a")]);
        Assert.Throws<ArgumentException>(() => matcher.Scan("a"u8, new PrefilterMatches(3)));
    }

    [Fact]
    public void NoPatterns_MatchNothing()
    {
        foreach (MultiPatternMatcher matcher in PrefilterTestKit.AllMatchers([]))
        {
            using (matcher)
            {
                PrefilterMatches matches = matcher.CreateMatches();
                matcher.Scan("anything"u8, matches);
                Assert.Equal(0, matches.Count);
            }
        }
    }

    [Fact]
    public void Factory_Auto_PicksHyperscanOnlyWhereAvailable()
    {
        using MultiPatternMatcher matcher = PrefilterFactory.Create([Text(0, "abc", noCase: true)]);
        bool hyperscan = HyperscanMatcher.IsAvailable(out string reason);
        output.WriteLine(hyperscan ? "Hyperscan available" : $"Hyperscan unavailable: {reason}");
        Assert.Equal(hyperscan ? "hyperscan" : "aho_corasick", matcher.Name);
        PrefilterMatches matches = matcher.CreateMatches();
        matcher.Scan("xxABCxx"u8, matches);
        Assert.Equal([0], PrefilterTestKit.Sorted(matches));
    }

    [HyperscanFact]
    public void Hyperscan_AgreesWithNaive_OnBinaryAndNoCasePatterns()
    {
        var random = new Random(11);
        List<PrefilterPattern> patterns = PrefilterTestKit.RandomPatterns(random, 800, 10);
        List<byte[]> buffers = [[], .. Enumerable.Range(0, 300).Select(_ => PrefilterTestKit.RandomBytes(random, random.Next(1, 400)))];
        PrefilterTestKit.AssertAllAgree(patterns, buffers, [HyperscanMatcher.Create(patterns)]);
    }

    [HyperscanFact]
    public void Hyperscan_ScanAfterDispose_Throws()
    {
        var matcher = HyperscanMatcher.Create([Text(0, "a")]);
        matcher.Dispose();
        Assert.Throws<ObjectDisposedException>(() => matcher.Scan("a"u8, new PrefilterMatches(1)));
    }

    [Theory]
    [InlineData("abc", "616263")]
    [InlineData("|00 01|A|ff|", "000141FF")]
    [InlineData("a\\\"b\\;", "6122623B")]
    public void DecodeContent_HandlesHexAndEscapes(string content, string hex)
    {
        byte[]? bytes = PrefilterBench.DecodeContent(content);
        Assert.NotNull(bytes);
        Assert.Equal(hex, Convert.ToHexString(bytes));
    }
}
