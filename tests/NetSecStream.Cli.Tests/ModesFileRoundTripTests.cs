using Microsoft.Extensions.Configuration;
using NetSecStream.Control.Api;
using NetSecStream.Pipeline.Decide;

namespace NetSecStream.Cli.Tests;

/// <summary>The modes file the control plane writes is one the pipeline's <c>Modes:File</c> reload reads, selectors included.</summary>
public sealed class ModesFileRoundTripTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("netsec-modes-file-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void ControlPlaneModesFile_IsReadByThePipeline_WithAndWithoutSelectors()
    {
        string path = Path.Combine(_dir, "modes.json");
        var file = new ModesFile(path, new ConfigurationBuilder().Build());
        file.Update(s =>
        {
            s.Default = "log";
            s.Namespaces["shop"] = "block";
            s.Workloads["shop/cart"] = "alert";
        });

        var (plain, plainErrors) = ModeFile.Read(path);
        Assert.Empty(plainErrors);
        Assert.Equal("log", plain!.Default);
        Assert.Empty(plain.Selectors);

        file.Update(s => s.Selectors = [new ModeSelector("payments", "tier in (db)", "block"), new ModeSelector(null, "app=canary", "log")]);
        var (withSelectors, errors) = ModeFile.Read(path);
        Assert.Empty(errors);
        Assert.Equal(["tier in (db)", "app=canary"], withSelectors!.Selectors.Select(s => s.Selector));
        Assert.Equal("payments", withSelectors.Selectors[0].Namespace);
        Assert.Null(withSelectors.Selectors[1].Namespace);
        Assert.Equal("block", withSelectors.Namespaces["shop"]);

        // And read back by the control plane in the same order.
        Assert.Equal(["tier in (db)", "app=canary"], file.Read().Selectors.Select(s => s.Selector));
    }
}
