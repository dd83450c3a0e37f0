using NetSecStream.Control.Api;

namespace NetSecStream.Control.Tests;

/// <summary>The disabled-rules threshold file processors follow: written only when what it says changes.</summary>
public sealed class RuleOverrideFileTests : IDisposable
{
    private readonly string _dir = Path.Combine(Directory.CreateTempSubdirectory("netsec-overrides-").FullName, "rules");

    public void Dispose() => Directory.Delete(Path.GetDirectoryName(_dir)!, recursive: true);

    [Fact]
    public void Write_ListsDisabledRules_AndLeavesAnUnchangedFileAlone()
    {
        string path = Path.Combine(_dir, RuleOverrideFile.FileName);
        RuleOverrideFile.Write(_dir, new Dictionary<long, bool> { [7] = false, [3] = false, [5] = true });
        Assert.Equal(["suppress gen_id 1, sig_id 3", "suppress gen_id 1, sig_id 7"], File.ReadAllLines(path).Where(l => !l.StartsWith('#')));

        // Every processor rebuilds its engine when the file changes: the same content is not written again.
        var written = DateTime.UtcNow.AddMinutes(-5);
        File.SetLastWriteTimeUtc(path, written);
        RuleOverrideFile.Write(_dir, new Dictionary<long, bool> { [3] = false, [7] = false });
        Assert.Equal(written, File.GetLastWriteTimeUtc(path));

        RuleOverrideFile.Write(_dir, new Dictionary<long, bool> { [3] = false });
        Assert.Equal(["suppress gen_id 1, sig_id 3"], File.ReadAllLines(path).Where(l => !l.StartsWith('#')));
    }

    [Fact]
    public void Sync_WritesNothingWhenNothingIsDisabled_ElseBringsTheFileInLineWithTheStore()
    {
        RuleOverrideFile.Sync(_dir, new Dictionary<long, bool> { [1] = true });
        Assert.False(Directory.Exists(_dir));

        RuleOverrideFile.Sync(_dir, new Dictionary<long, bool> { [9] = false });
        string path = Path.Combine(_dir, RuleOverrideFile.FileName);
        Assert.Contains("suppress gen_id 1, sig_id 9", File.ReadAllText(path), StringComparison.Ordinal);

        // Re-enabled while the file was elsewhere: the file there is emptied, not left disabling the rule.
        RuleOverrideFile.Sync(_dir, new Dictionary<long, bool> { [9] = true });
        Assert.DoesNotContain("sig_id", File.ReadAllText(path), StringComparison.Ordinal);
    }
}
