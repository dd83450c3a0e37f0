using NetSecStream.Signatures.Engine;

namespace NetSecStream.Signatures.Tests.Engine;

/// <summary>Random pattern sets and buffers built to hit the awkward cases, and the comparison with the naive matcher.</summary>
internal static class PrefilterTestKit
{
    /// <summary>A small alphabet makes overlaps, shared prefixes and suffixes common; it mixes case, binary and Latin-1 letters (É, é).</summary>
    private static readonly byte[] Alphabet = [(byte)'a', (byte)'A', (byte)'b', (byte)'B', (byte)'c', (byte)'1', 0x00, 0xFF, 0xC9, 0xE9, (byte)'|'];

    public static List<PrefilterPattern> RandomPatterns(Random random, int count, int maxLength)
    {
        var patterns = new List<PrefilterPattern>(count);
        for (int i = 0; i < count; i++)
        {
            byte[] bytes;
            int shape = random.Next(6);
            if (shape == 0 && patterns.Count > 0)
            {
                // A prefix or suffix of an earlier pattern.
                byte[] earlier = patterns[random.Next(patterns.Count)].Bytes.ToArray();
                int length = random.Next(1, earlier.Length + 1);
                bytes = random.Next(2) == 0 ? earlier[..length] : earlier[^length..];
            }
            else if (shape == 1 && patterns.Count > 0)
            {
                // An earlier pattern extended, or the same bytes with the other case flag.
                byte[] earlier = patterns[random.Next(patterns.Count)].Bytes.ToArray();
                bytes = random.Next(2) == 0 ? [.. earlier, .. RandomBytes(random, random.Next(1, 4))] : earlier;
            }
            else
            {
                bytes = RandomBytes(random, random.Next(1, maxLength + 1));
            }

            // Some ids are shared by several patterns (a rule may feed more than one fast pattern).
            int id = random.Next(8) == 0 && i > 0 ? random.Next(i) : i;
            patterns.Add(new PrefilterPattern(id, bytes, random.Next(2) == 0));
        }

        return patterns;
    }

    public static byte[] RandomBytes(Random random, int length)
    {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = random.Next(10) == 0 ? (byte)random.Next(256) : Alphabet[random.Next(Alphabet.Length)];
        }

        return bytes;
    }

    public static IEnumerable<MultiPatternMatcher> AllMatchers(IReadOnlyList<PrefilterPattern> patterns)
    {
        yield return AhoCorasickMatcher.Create(patterns);
        yield return SearchValuesMatcher.Create(patterns);
        yield return FirstByteMatcher.Create(patterns);
        if (HyperscanMatcher.IsAvailable(out _))
        {
            yield return HyperscanMatcher.Create(patterns);
        }
    }

    public static int[] Sorted(PrefilterMatches matches) => [.. matches.Ids.ToArray().Order()];

    /// <summary>Asserts every matcher reports exactly the naive matcher's ids on every buffer.</summary>
    public static void AssertAllAgree(IReadOnlyList<PrefilterPattern> patterns, IEnumerable<byte[]> buffers, IEnumerable<MultiPatternMatcher>? matchers = null)
    {
        using var naive = NaiveMatcher.Create(patterns);
        PrefilterMatches expected = naive.CreateMatches();
        List<MultiPatternMatcher> built = [.. matchers ?? AllMatchers(patterns)];
        try
        {
            var results = built.Select(m => m.CreateMatches()).ToList();
            foreach (byte[] buffer in buffers)
            {
                naive.Scan(buffer, expected);
                int[] want = Sorted(expected);
                for (int m = 0; m < built.Count; m++)
                {
                    built[m].Scan(buffer, results[m]);
                    int[] got = Sorted(results[m]);
                    Assert.True(
                        want.AsSpan().SequenceEqual(got),
                        $"{built[m].Name} on buffer {Convert.ToHexString(buffer.AsSpan(0, Math.Min(buffer.Length, 64)))} ({buffer.Length} bytes): expected [{string.Join(",", want)}], got [{string.Join(",", got)}]");
                    Assert.Equal(got.Length, got.Distinct().Count());
                }
            }
        }
        finally
        {
            built.ForEach(m => m.Dispose());
        }
    }
}
