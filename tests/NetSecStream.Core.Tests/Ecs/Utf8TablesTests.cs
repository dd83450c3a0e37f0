using System.Text;
using NetSecStream.Core.Ecs;
using NetSecStream.Core.Text;

namespace NetSecStream.Core.Tests.Ecs;

public sealed class Utf8TablesTests
{
    [Fact]
    public void StringTable_SameBytes_GiveTheSameInstance()
    {
        var table = new Utf8StringTable(64);

        Assert.True(table.TryGet("kube-system"u8, out string? first));
        Assert.True(table.TryGet(Encoding.UTF8.GetBytes("kube-system"), out string? second));

        Assert.Equal("kube-system", first);
        Assert.Same(first, second);
    }

    [Fact]
    public void StringTable_NonAsciiAndLongText_AreDecodedEvenIfNotShared()
    {
        var table = new Utf8StringTable(64, maxLength: 8);

        Assert.True(table.TryGet("naïve-ns"u8, out string? accented));
        Assert.True(table.TryGet("a-namespace-longer-than-eight"u8, out string? longer));

        Assert.Equal("naïve-ns", accented);
        Assert.Equal("a-namespace-longer-than-eight", longer);
        Assert.True(table.TryGet(""u8, out string? empty));
        Assert.Equal("", empty);
    }

    [Fact]
    public void StringTable_InvalidUtf8_IsRefused()
    {
        var table = new Utf8StringTable(64);

        Assert.False(table.TryGet([0x61, 0xC3, 0x28], out string? value));

        Assert.Null(value);
        Assert.False(Utf8StringTable.TryDecode([0xFF], out _));
    }

    [Fact]
    public void StringTable_FarMoreValuesThanSlots_StaysCorrect()
    {
        var table = new Utf8StringTable(16);

        for (int round = 0; round < 3; round++)
        {
            for (int i = 0; i < 5000; i++)
            {
                string expected = "pod-" + i;
                Assert.True(table.TryGet(Encoding.UTF8.GetBytes(expected), out string? value));
                Assert.Equal(expected, value);
            }
        }
    }

    [Fact]
    public void StringTable_ConcurrentUse_GivesEveryCallerItsOwnValue()
    {
        var table = new Utf8StringTable(16);
        var failures = 0;

        Parallel.For(0, 200_000, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            string expected = "v" + (i % 97);
            if (!table.TryGet(Encoding.UTF8.GetBytes(expected), out string? value) || value != expected)
            {
                Interlocked.Increment(ref failures);
            }
        });

        Assert.Equal(0, failures);
    }

    [Fact]
    public void ValueCache_AddedKey_IsFoundAndOnlyThatKey()
    {
        var cache = new Utf8ValueCache<string>(16, maxKeyLength: 8);

        Assert.Null(cache.Get("10.0.0.1"u8, out int hash));
        cache.Add("10.0.0.1"u8, hash, "first");

        Assert.Equal("first", cache.Get("10.0.0.1"u8, out _));
        Assert.Null(cache.Get("10.0.0.2"u8, out _));
    }

    [Fact]
    public void ValueCache_KeyOverTheLimit_IsNotKept()
    {
        var cache = new Utf8ValueCache<string>(16, maxKeyLength: 4);

        cache.Get("12345"u8, out int hash);
        cache.Add("12345"u8, hash, "long");

        Assert.Null(cache.Get("12345"u8, out _));
    }

    [Fact]
    public void LookupPolicy_MostlyMisses_PausesLookupsThenSamplesAgain()
    {
        var policy = new CacheLookupPolicy();
        for (int i = 0; i < 512; i++)
        {
            Assert.True(policy.ShouldLookUp());
            policy.Record(hit: i % 5 == 0);
        }

        int paused = 0;
        while (!policy.ShouldLookUp())
        {
            paused++;
        }

        Assert.Equal(16 * 1024, paused);
    }

    [Fact]
    public void LookupPolicy_EnoughHits_KeepsLookingUp()
    {
        var policy = new CacheLookupPolicy();

        for (int i = 0; i < 10 * 512; i++)
        {
            Assert.True(policy.ShouldLookUp());
            policy.Record(hit: i % 3 == 0);
        }
    }

    [Fact]
    public void Hash_EveryByteCounts()
    {
        byte[] text = Encoding.ASCII.GetBytes("app.kubernetes.io/name=cart");
        int original = Utf8Hash.Of(text);

        for (int length = 0; length <= text.Length; length++)
        {
            Assert.Equal(Utf8Hash.Of(text.AsSpan(0, length)), Utf8Hash.Of(text.AsSpan(0, length)));
        }

        int changed = 0;
        for (int i = 0; i < text.Length; i++)
        {
            byte[] copy = (byte[])text.Clone();
            copy[i] ^= 1;
            changed += Utf8Hash.Of(copy) != original ? 1 : 0;
        }

        Assert.Equal(text.Length, changed);
    }

    [Theory]
    [InlineData("2025-03-14T15:09:26Z", "2025-03-14T15:09:26.0000000+00:00")]
    [InlineData("2025-03-14T15:09:26.5358979Z", "2025-03-14T15:09:26.5358979+00:00")]
    [InlineData("2025-03-14T15:09:26.53589791234Z", "2025-03-14T15:09:26.5358979+00:00")]
    [InlineData("2025-03-14T15:09:26.5Z", "2025-03-14T15:09:26.5000000+00:00")]
    [InlineData("2025-03-14T17:09:26+02:00", "2025-03-14T15:09:26.0000000+00:00")]
    [InlineData("2025-03-14T10:39:26-04:30", "2025-03-14T15:09:26.0000000+00:00")]
    [InlineData("2024-02-29t00:00:00z", "2024-02-29T00:00:00.0000000+00:00")]
    [InlineData("0001-01-01T00:00:00Z", "0001-01-01T00:00:00.0000000+00:00")]
    [InlineData("9999-12-31T23:59:59.9999999Z", "9999-12-31T23:59:59.9999999+00:00")]
    public void Timestamp_Rfc3339_IsParsedToUtc(string text, string expected)
    {
        Assert.True(Utf8Timestamp.TryParse(Encoding.ASCII.GetBytes(text), out var value));

        Assert.Equal(expected, value.ToString("o", System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("")]
    [InlineData("2025-03-14")]
    [InlineData("2025-03-14T15:09:26")]
    [InlineData("2025-03-14 15:09:26Z")]
    [InlineData("2025-13-14T15:09:26Z")]
    [InlineData("2025-02-29T15:09:26Z")]
    [InlineData("2025-03-14T24:00:00Z")]
    [InlineData("2025-03-14T15:60:00Z")]
    [InlineData("2025-03-14T15:09:60Z")]
    [InlineData("2025-03-14T15:09:26.Z")]
    [InlineData("2025-03-14T15:09:26+2:00")]
    [InlineData("2025-03-14T15:09:26+24:00")]
    [InlineData("2025-03-14T15:09:26+02:60")]
    [InlineData("2025-03-14T15:09:26Zjunk")]
    [InlineData("0000-01-01T00:00:00Z")]
    [InlineData("0001-01-01T00:00:00+00:01")]
    [InlineData("9999-12-31T23:59:59-00:01")]
    [InlineData("2025-0a-14T15:09:26Z")]
    public void Timestamp_NotRfc3339OrOutOfRange_IsRefused(string text)
    {
        Assert.False(Utf8Timestamp.TryParse(Encoding.ASCII.GetBytes(text), out _));
    }
}
