using BatchRec.Host;
using Xunit;

namespace BatchRec.Jobs.Tests;

public class CliFacts
{
    [Fact]
    public async Task RunAsync_ReturnsUsageCode2_ForAnUnknownCommand() =>
        Assert.Equal(2, await Cli.RunAsync(["frobnicate"]));

    [Fact]
    public async Task RunAsync_ThrowsNamingTheFile_WhenTheConfigIsMissing()
    {
        var ex = await Assert.ThrowsAsync<BatchRec.Jobs.Configuration.ConfigException>(() => Cli.RunAsync(["run", "--config", "/nonexistent/x.json"]));
        Assert.Contains("/nonexistent/x.json", ex.Message);
    }

    [Fact]
    public void ConfigLoader_ListsEveryProblemWithItsKey_ForAnInvalidFile()
    {
        using var dir = new TempDir();
        var path = dir.Sub("bad.json");
        File.WriteAllText(path, """{ "train": { "batchSize": 0 }, "storage": { "kind": "redis" } }""");
        var ex = Assert.Throws<BatchRec.Jobs.Configuration.ConfigException>(() => BatchRec.Jobs.Configuration.ConfigLoader.Load(path));
        Assert.Contains(path, ex.Message);
        Assert.Contains("train.batchSize", ex.Message);
        Assert.Contains("storage.kind", ex.Message);
        Assert.Contains("'redis'", ex.Message);
    }

    [Fact]
    public void ConfigLoader_ResolvesPathsAgainstTheConfigFolder()
    {
        using var dir = new TempDir();
        var path = dir.Sub("c.json");
        File.WriteAllText(path, """{ "dataset": { "input": "../in", "output": "/abs/out" } }""");
        var c = BatchRec.Jobs.Configuration.ConfigLoader.Load(path);
        Assert.Equal(Path.GetFullPath(Path.Combine(dir.Path, "..", "in")), c.InputDir);
        Assert.Equal("/abs/out", c.OutputDir);
    }
}
