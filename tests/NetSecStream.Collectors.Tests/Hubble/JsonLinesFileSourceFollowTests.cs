using NetSecStream.Collectors.Files;

namespace NetSecStream.Collectors.Tests.Hubble;

public sealed class JsonLinesFileSourceFollowTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly string _path;

    public JsonLinesFileSourceFollowTests() => _path = _folder.File("hubble.json");

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Follow_AppendedLines_ArePickedUp()
    {
        await File.WriteAllTextAsync(_path, "one\ntwo\n");
        await using var pump = new SourcePump(Follow());
        Assert.Equal([("one", 1L), ("two", 2L)], await pump.TakeAsync(2));

        await File.AppendAllTextAsync(_path, "three\nfour");
        Assert.Equal([("three", 3L)], await pump.TakeAsync(1));
        // "four" has no newline yet: a writer may still be writing it.
        Assert.True(await pump.StaysQuietAsync(TimeSpan.FromMilliseconds(150)));

        await File.AppendAllTextAsync(_path, "-and-more\n");
        Assert.Equal([("four-and-more", 4L)], await pump.TakeAsync(1));
    }

    [Fact]
    public async Task Follow_RenameAndRecreate_FinishesOldFileThenReadsNewOne()
    {
        await File.WriteAllTextAsync(_path, "old-1\n");
        await using var pump = new SourcePump(Follow());
        Assert.Equal([("old-1", 1L)], await pump.TakeAsync(1));

        // Rotate the way logrotate does: the writer's last words land in the old file, which is renamed away.
        await File.AppendAllTextAsync(_path, "old-2\nold-3-unterminated");
        File.Move(_path, _path + ".1");
        await File.WriteAllTextAsync(_path, "new-1\nnew-2\n");

        Assert.Equal([("old-2", 2L), ("old-3-unterminated", 3L), ("new-1", 1L), ("new-2", 2L)], await pump.TakeAsync(4));

        await File.AppendAllTextAsync(_path, "new-3\n");
        Assert.Equal([("new-3", 3L)], await pump.TakeAsync(1));
    }

    [Fact]
    public async Task Follow_DeletedThenRecreatedLater_WaitsAndReadsNewFile()
    {
        await File.WriteAllTextAsync(_path, "a\n");
        await using var pump = new SourcePump(Follow());
        Assert.Equal([("a", 1L)], await pump.TakeAsync(1));

        File.Delete(_path);
        Assert.True(await pump.StaysQuietAsync(TimeSpan.FromMilliseconds(150)));
        await File.WriteAllTextAsync(_path, "b\n");

        Assert.Equal([("b", 1L)], await pump.TakeAsync(1));
    }

    [Fact]
    public async Task Follow_Truncation_StartsOverFromTheBeginning()
    {
        await File.WriteAllTextAsync(_path, "first line of the old content\nsecond line of the old content\n");
        await using var pump = new SourcePump(Follow());
        Assert.Equal(2, (await pump.TakeAsync(2)).Count);

        // copytruncate-style rotation: same file, cut to zero, then written again.
        await using (var stream = new FileStream(_path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete))
        {
            stream.SetLength(0);
        }

        await File.AppendAllTextAsync(_path, "fresh\n");
        Assert.Equal([("fresh", 1L)], await pump.TakeAsync(1));
    }

    [Fact]
    public async Task Follow_FileAppearsLater_IsRead()
    {
        await using var pump = new SourcePump(Follow());
        Assert.True(await pump.StaysQuietAsync(TimeSpan.FromMilliseconds(100)));

        await File.WriteAllTextAsync(_path, "late\n");
        Assert.Equal([("late", 1L)], await pump.TakeAsync(1));
    }

    [Fact]
    public async Task Follow_StartAtEnd_SkipsExistingContentIncludingAPartialLine()
    {
        await File.WriteAllTextAsync(_path, "old-1\nold-2\nhalf-writ");
        await using var pump = new SourcePump(Follow(startAtEnd: true));
        Assert.True(await pump.StaysQuietAsync(TimeSpan.FromMilliseconds(150)));

        await File.AppendAllTextAsync(_path, "ten\nnew-1\n");
        Assert.Equal([("new-1", 1L)], await pump.TakeAsync(1));
    }

    [Fact]
    public async Task Follow_Cancellation_EndsTheEnumerationCleanly()
    {
        await File.WriteAllTextAsync(_path, "x\n");
        var pump = new SourcePump(Follow());
        await using (pump)
        {
            Assert.Equal([("x", 1L)], await pump.TakeAsync(1));
            await pump.StopAsync();
        }

        Assert.True(pump.Completion.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task Follow_CancelledWhileWaitingForFile_EndsCleanly()
    {
        var pump = new SourcePump(Follow());
        await using (pump)
        {
            await pump.StopAsync();
        }

        Assert.True(pump.Completion.IsCompletedSuccessfully);
    }

    private JsonLinesFileSource Follow(bool startAtEnd = false) => new(new HubbleFileSourceOptions
    {
        Path = _path,
        Follow = true,
        StartAtEnd = startAtEnd,
        PollInterval = TimeSpan.FromMilliseconds(20),
    });
}
