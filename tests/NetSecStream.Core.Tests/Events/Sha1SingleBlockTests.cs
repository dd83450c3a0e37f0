using System.Security.Cryptography;
using NetSecStream.Core.Events;

namespace NetSecStream.Core.Tests.Events;

public sealed class Sha1SingleBlockTests
{
    [Fact]
    public void MatchesThePlatformSha1_ForEveryLengthThatFitsOneBlock()
    {
        var random = new Random(20261126);
        Span<byte> expected = stackalloc byte[20];
        Span<byte> actual = stackalloc byte[20];
        for (int length = 0; length <= 55; length++)
        {
            for (int trial = 0; trial < 50; trial++)
            {
                byte[] message = new byte[length];
                random.NextBytes(message);
#pragma warning disable CA5350 // Reference implementation for the comparison.
                SHA1.HashData(message, expected);
#pragma warning restore CA5350
                CommunityId.Sha1SingleBlock(message, actual);
                Assert.True(expected.SequenceEqual(actual), $"length {length}, trial {trial}");
            }
        }
    }

    [Fact]
    public void KnownAnswer_Abc()
    {
        // FIPS 180-2 appendix A.1: SHA-1("abc").
        Span<byte> digest = stackalloc byte[20];
        CommunityId.Sha1SingleBlock("abc"u8, digest);
        Assert.Equal("A9993E364706816ABA3E25717850C26C9CD0D89D", Convert.ToHexString(digest));
    }

    [Fact]
    public void RejectsMessagesLongerThanOneBlock() =>
        Assert.Throws<ArgumentException>(() => CommunityId.Sha1SingleBlock(new byte[56], new byte[20]));
}
